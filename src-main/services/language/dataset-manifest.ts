/**
 * The shared dataset manifest (radiology-draft/dataset-manifest@1) that Python training reads, so that all text
 * processing (cleaning, tokenization, labels) happens here in TypeScript. Pure: no Node imports.
 */
import { type Annotation, type LabelledReport, SPLITS, type Split, uidOfStudyId } from "./iu-xray-data";
import { CHEXPERT_OBSERVATIONS, type LabelVector } from "./observations";
import { cleanReportIuXray } from "./r2gen-cleaning";
import {
  R2GEN_MAX_SEQ_LENGTH,
  R2GEN_SPECIAL_ID,
  R2GEN_THRESHOLD,
  R2GEN_UNK_TOKEN,
  R2GenTokenizer,
} from "./r2gen-tokenizer";

export const MANIFEST_FORMAT = "radiology-draft/dataset-manifest@1";

export interface ManifestStudy {
  id: string;
  split: Split;
  report: string;
  clean: string;
  token_ids: number[];
  labels: LabelVector;
  /** Paths relative to the manifest root: images/<id>/0.png (frontal), images/<id>/1.png (lateral). */
  images: string[];
}

export interface DatasetManifest {
  format: typeof MANIFEST_FORMAT;
  dataset: string;
  created: string;
  root: string;
  observations: string[];
  tokenizer: {
    kind: "r2gen-iu-xray";
    threshold: number;
    max_seq_length: number;
    bos_id: number;
    eos_id: number;
    pad_id: number;
    unk_token: string;
    idx2token: string[];
  };
  studies: ManifestStudy[];
  /** Image paths (relative to root) that did not exist when the manifest was written; absent when none. */
  missing_images?: string[];
}

export interface ManifestInputs {
  annotation: Annotation;
  labelsByUid: ReadonlyMap<number, LabelledReport>;
  /** Absolute dataset root (R2Gen layout). */
  root: string;
  created: string;
  /** Relative image paths found missing (the caller checks the file system). */
  missingImages?: readonly string[];
  dataset?: string;
}

/** Relative image path of an annotation image entry ("<id>/0.png" -> "images/<id>/0.png"). */
export function manifestImagePath(annotationImagePath: string): string {
  return `images/${annotationImagePath.replace(/^\/+/, "")}`;
}

/** Study ids of the annotation whose uid has no row in the labels CSV. */
export function idsWithoutLabels(annotation: Annotation, labelsByUid: ReadonlyMap<number, LabelledReport>): string[] {
  const missing: string[] = [];
  for (const split of SPLITS) {
    for (const study of annotation[split]) if (!labelsByUid.has(uidOfStudyId(study.id))) missing.push(study.id);
  }
  return missing;
}

/** Build the manifest. Throws if a study has no labels row (the caller reports it). */
export function buildDatasetManifest(inputs: ManifestInputs): DatasetManifest {
  const { annotation, labelsByUid } = inputs;
  const tokenizer = R2GenTokenizer.fromTrainReports(annotation.train.map((study) => study.report));
  const unlabelled = idsWithoutLabels(annotation, labelsByUid);
  if (unlabelled.length > 0) {
    throw new Error(
      `${unlabelled.length} studies have no row in the labels CSV (uid = number after CXR): ${unlabelled.slice(0, 10).join(", ")}${unlabelled.length > 10 ? ", ..." : ""}`,
    );
  }
  const studies: ManifestStudy[] = [];
  for (const split of SPLITS) {
    for (const study of annotation[split]) {
      studies.push({
        id: study.id,
        split,
        report: study.report,
        clean: cleanReportIuXray(study.report),
        token_ids: tokenizer.encode(study.report),
        labels: [...labelsByUid.get(uidOfStudyId(study.id))!.labels],
        images: study.image_path.map(manifestImagePath),
      });
    }
  }
  const manifest: DatasetManifest = {
    format: MANIFEST_FORMAT,
    dataset: inputs.dataset ?? "iu_xray",
    created: inputs.created,
    root: inputs.root,
    observations: [...CHEXPERT_OBSERVATIONS],
    tokenizer: {
      kind: "r2gen-iu-xray",
      threshold: R2GEN_THRESHOLD,
      max_seq_length: R2GEN_MAX_SEQ_LENGTH,
      bos_id: R2GEN_SPECIAL_ID,
      eos_id: R2GEN_SPECIAL_ID,
      pad_id: R2GEN_SPECIAL_ID,
      unk_token: R2GEN_UNK_TOKEN,
      idx2token: [...tokenizer.idx2token],
    },
    studies,
  };
  if (inputs.missingImages && inputs.missingImages.length > 0) manifest.missing_images = [...inputs.missingImages];
  return manifest;
}
