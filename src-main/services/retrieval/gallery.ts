import { SPLITS, uidOfStudyId } from "../language/iu-xray-data";
import {
  DEFAULT_ANNOTATION_PATH,
  DEFAULT_LABELS_PATH,
  loadAnnotationFile,
  loadReportLabelsFile,
} from "../language/iu-xray-dataset";
import { type LabelVector, OBSERVATION_COUNT } from "../language/observations";
import { RetrievalError } from "./errors";

/**
 * A model pack's retrieval gallery as the index seeds from it: the train-split study ids with their L2-normalised
 * float32 embeddings (row i of `embeddings` is study `ids[i]`) and the id of the model that made them; optionally a
 * JPEG/PNG thumbnail of each study's frontal view (null where there is none), stored with the seeded cases.
 * The pack's own reader (model-pack/load-model-pack.ts, through the engine) gives one: PackGallery fits this shape.
 */
export interface RetrievalGallery {
  modelId: string;
  dim: number;
  ids: readonly string[];
  embeddings: Float32Array;
  thumbnail?: ((row: number) => Uint8Array | null) | undefined;
}

/** Report text and labels by study id: what a case shows beside its vector. */
export type CaseReports = ReadonlyMap<string, { report: string; labels: LabelVector }>;

/** Tolerance on |‖v‖ − 1| for a gallery vector that claims to be L2-normalised (float32 rounding in export). */
const UNIT_NORM_TOLERANCE = 1e-3;

/** Checks shape, unique ids and unit norms; `source` names the gallery in errors. */
export function validateGallery(gallery: RetrievalGallery, source: string): void {
  const { modelId, dim, ids, embeddings: vectors } = gallery;
  if (typeof modelId !== "string" || modelId.trim() === "")
    throw new RetrievalError(`${source}: the gallery's model id must be a non-empty string`);
  if (!Number.isInteger(dim) || dim < 1)
    throw new RetrievalError(`${source}: dim must be a positive integer, got ${dim}`);
  if (!(vectors instanceof Float32Array)) throw new RetrievalError(`${source}: vectors must be a Float32Array`);
  if (vectors.length !== ids.length * dim)
    throw new RetrievalError(
      `${source}: ${ids.length} ids × ${dim} dimensions needs ${ids.length * dim} floats, the vectors have ${vectors.length}`,
    );
  const seen = new Set<string>();
  for (const [i, id] of ids.entries()) {
    if (typeof id !== "string" || id.trim() === "") throw new RetrievalError(`${source}: id #${i} is empty`);
    if (seen.has(id)) throw new RetrievalError(`${source}: study id ${id} appears twice`);
    seen.add(id);
    let norm = 0;
    for (let j = i * dim; j < (i + 1) * dim; j++) {
      const v = vectors[j]!;
      if (!Number.isFinite(v)) throw new RetrievalError(`${source}: the vector of ${id} has a non-finite value`);
      norm += v * v;
    }
    if (Math.abs(Math.sqrt(norm) - 1) > UNIT_NORM_TOLERANCE)
      throw new RetrievalError(
        `${source}: the vector of ${id} has norm ${Math.sqrt(norm).toFixed(4)}, not 1 (L2-normalised)`,
      );
  }
}

/**
 * Report text (from annotation.json) and CheXpert labels (from report-labels.csv, joined on the uid in the study
 * id) for every IU-Xray study, read with the language toolkit's loaders. A study without a label row gets 14 nulls
 * (nothing mentioned).
 */
export function loadIuXrayCaseReports(
  annotationPath: string = DEFAULT_ANNOTATION_PATH,
  labelsCsvPath: string = DEFAULT_LABELS_PATH,
): CaseReports {
  const annotation = loadAnnotationFile(annotationPath);
  const labelsByUid = loadReportLabelsFile(labelsCsvPath);
  const reports = new Map<string, { report: string; labels: LabelVector }>();
  for (const split of SPLITS) {
    for (const study of annotation[split]) {
      const labels = labelsByUid.get(uidOfStudyId(study.id))?.labels ?? Array(OBSERVATION_COUNT).fill(null);
      reports.set(study.id, { report: study.report, labels });
    }
  }
  return reports;
}
