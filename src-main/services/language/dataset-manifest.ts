/**
 * The shared dataset manifest (radiology-draft/dataset-manifest@1) that Python training reads, so that all text
 * processing (cleaning, tokenization, labels) happens here in TypeScript. Pure: no Node imports.
 */
import { type Annotation, type LabelledReport, SPLITS, type Split, uidOfStudyId } from "./iu-xray-data";
import { CHEXPERT_OBSERVATIONS, type LabelVector } from "./observations";
import { cleanReportIuXray } from "./r2gen-cleaning";
import {
  R2GEN_THRESHOLD,
  R2GenTokenizer,
  type R2GenTokenizerManifest,
  r2genTokenizerManifest,
} from "./r2gen-tokenizer";

export const MANIFEST_FORMAT = "radiology-draft/dataset-manifest@1";

/**
 * One finding the synthetic renderer drew in a study (tools/synth's `findings.json`): the truth of the image, which
 * the report's CheXpert labels are not (negated mentions are never drawn; labeler errors are suppressed).
 */
export interface DrawnFinding {
  /** tools/synth finding kind, e.g. "cardiomegaly", "pleural-effusion", "central-line". */
  kind: string;
  /** positive: clearly visible; uncertain: drawn subtle (hedged text or label -1). */
  certainty: "positive" | "uncertain";
  side?: "left" | "right" | "bilateral";
  severity?: "mild" | "moderate" | "marked";
}

/** The drawn findings of a rendered dataset, per study id, with the file they came from. */
export interface DrawnFindingsInput {
  byId: ReadonlyMap<string, readonly DrawnFinding[]>;
  /** Format of the file read (radiology-draft/synthetic-findings@1). */
  format: string;
  generatorVersion: string;
}

export interface ManifestStudy {
  id: string;
  split: Split;
  report: string;
  clean: string;
  token_ids: number[];
  labels: LabelVector;
  /** Paths relative to the manifest root: images/<id>/0.png (frontal), images/<id>/1.png (lateral). */
  images: string[];
  /** The findings drawn in this study's images (present when the dataset has tools/synth's findings.json). */
  drawn_findings?: DrawnFinding[];
}

export interface DatasetManifest {
  format: typeof MANIFEST_FORMAT;
  dataset: string;
  created: string;
  root: string;
  observations: string[];
  tokenizer: R2GenTokenizerManifest;
  studies: ManifestStudy[];
  /** Image paths (relative to root) that did not exist when the manifest was written; absent when none. */
  missing_images?: string[];
  /** Where `studies[].drawn_findings` came from; absent for a dataset without a renderer (real images). */
  drawn_findings_source?: { file: "findings.json"; format: string; generator_version: string };
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
  /** The renderer's drawn findings; every annotation study must have an entry. */
  drawnFindings?: DrawnFindingsInput;
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
  const drawn = inputs.drawnFindings;
  // Studies whose images are missing (allowed with --allow-missing-images) were not rendered: no entry needed.
  const unrendered = new Set((inputs.missingImages ?? []).map((p) => p.split("/")[1]));
  if (drawn) {
    const missing = SPLITS.flatMap((split) => annotation[split].map((s) => s.id)).filter(
      (id) => !drawn.byId.has(id) && !unrendered.has(id),
    );
    if (missing.length > 0) {
      throw new Error(
        `${missing.length} studies of the annotation have no entry in the dataset's findings.json: ${missing.slice(0, 10).join(", ")}${missing.length > 10 ? ", ..." : ""}`,
      );
    }
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
        ...(drawn?.byId.has(study.id) ? { drawn_findings: drawn.byId.get(study.id)!.map((f) => ({ ...f })) } : {}),
      });
    }
  }
  const manifest: DatasetManifest = {
    format: MANIFEST_FORMAT,
    dataset: inputs.dataset ?? "iu_xray",
    created: inputs.created,
    root: inputs.root,
    observations: [...CHEXPERT_OBSERVATIONS],
    tokenizer: r2genTokenizerManifest(tokenizer, R2GEN_THRESHOLD),
    studies,
  };
  if (inputs.missingImages && inputs.missingImages.length > 0) manifest.missing_images = [...inputs.missingImages];
  if (drawn) {
    manifest.drawn_findings_source = {
      file: "findings.json",
      format: drawn.format,
      generator_version: drawn.generatorVersion,
    };
  }
  return manifest;
}
