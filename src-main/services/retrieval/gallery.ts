import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { parseAnnotation, parseReportLabelsCsv, SPLITS, uidOfStudyId } from "../language/iu-xray-data";
import { type LabelVector, OBSERVATION_COUNT } from "../language/observations";
import { RetrievalError } from "./errors";

/**
 * A model pack's retrieval gallery: the train-split study ids with their L2-normalised float32 embeddings
 * (row i of `vectors` is study `ids[i]`) and the id of the model that made them.
 */
export interface RetrievalGallery {
  modelId: string;
  dim: number;
  ids: string[];
  vectors: Float32Array;
}

/** Report text and labels by study id: what a case shows beside its vector. */
export type CaseReports = ReadonlyMap<string, { report: string; labels: LabelVector }>;

/** Tolerance on |‖v‖ − 1| for a gallery vector that claims to be L2-normalised (float32 rounding in export). */
const UNIT_NORM_TOLERANCE = 1e-3;

/** Checks shape, unique ids and unit norms; `source` names the gallery in errors. */
export function validateGallery(gallery: RetrievalGallery, source: string): void {
  const { modelId, dim, ids, vectors } = gallery;
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

/** gallery.json: `{format, modelId, dim, count, ids, vectors: "<file of count × dim float32 little endian>"}`. */
export const GALLERY_FORMAT = "radiology-draft/retrieval-gallery@1";

const galleryJsonSchema = z
  .object({
    format: z.literal(GALLERY_FORMAT),
    modelId: z.string().min(1),
    dim: z.number().int().positive(),
    count: z.number().int().nonnegative(),
    ids: z.array(z.string().min(1)),
    vectors: z.string().min(1),
  })
  .strict();

/**
 * Reads a gallery written as `gallery.json` plus a raw float32 little-endian file beside it (docs/retrieval.md).
 * Every problem is reported with the file it is in.
 */
export function readGalleryFile(galleryJsonPath: string): RetrievalGallery {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(galleryJsonPath, "utf8"));
  } catch (error) {
    throw new RetrievalError(`${galleryJsonPath}: cannot read the gallery (${(error as Error).message})`);
  }
  const parsed = galleryJsonSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RetrievalError(
      `${galleryJsonPath}: not a ${GALLERY_FORMAT} file (${issue.path.join(".") || "root"}: ${issue.message})`,
    );
  }
  const meta = parsed.data;
  if (meta.ids.length !== meta.count)
    throw new RetrievalError(`${galleryJsonPath}: count is ${meta.count} but ${meta.ids.length} ids are listed`);
  const vectorsPath = path.resolve(path.dirname(galleryJsonPath), meta.vectors);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(vectorsPath);
  } catch (error) {
    throw new RetrievalError(`${vectorsPath}: cannot read the gallery vectors (${(error as Error).message})`);
  }
  if (bytes.byteLength !== meta.count * meta.dim * 4)
    throw new RetrievalError(
      `${vectorsPath}: ${bytes.byteLength} bytes, expected ${meta.count} × ${meta.dim} float32 = ${meta.count * meta.dim * 4}`,
    );
  const vectors = new Float32Array(meta.count * meta.dim);
  new Uint8Array(vectors.buffer).set(bytes);
  const gallery = { modelId: meta.modelId, dim: meta.dim, ids: meta.ids, vectors };
  validateGallery(gallery, galleryJsonPath);
  return gallery;
}

/** Writes a gallery as gallery.json + `<name>.f32` (float32 little endian) into `dir`. Returns the json path. */
export function writeGalleryFile(dir: string, gallery: RetrievalGallery, name = "gallery"): string {
  validateGallery(gallery, "gallery to write");
  fs.mkdirSync(dir, { recursive: true });
  const vectorsFile = `${name}.f32`;
  fs.writeFileSync(
    path.join(dir, vectorsFile),
    new Uint8Array(gallery.vectors.buffer, gallery.vectors.byteOffset, gallery.vectors.byteLength),
  );
  const jsonPath = path.join(dir, `${name}.json`);
  const json = {
    format: GALLERY_FORMAT,
    modelId: gallery.modelId,
    dim: gallery.dim,
    count: gallery.ids.length,
    ids: gallery.ids,
    vectors: vectorsFile,
  };
  fs.writeFileSync(jsonPath, `${JSON.stringify(json)}\n`);
  return jsonPath;
}

/**
 * Report text (from annotation.json) and CheXpert labels (from report-labels.csv, joined on the uid in the study
 * id) for every IU-Xray study. A study without a label row gets 14 nulls (nothing mentioned).
 */
export function loadIuXrayCaseReports(annotationPath: string, labelsCsvPath: string): CaseReports {
  let annotationJson: unknown;
  try {
    annotationJson = JSON.parse(fs.readFileSync(annotationPath, "utf8"));
  } catch (error) {
    throw new RetrievalError(`${annotationPath}: cannot read the annotation (${(error as Error).message})`);
  }
  let labelsText: string;
  try {
    labelsText = fs.readFileSync(labelsCsvPath, "utf8");
  } catch (error) {
    throw new RetrievalError(`${labelsCsvPath}: cannot read the report labels (${(error as Error).message})`);
  }
  const annotation = parseAnnotation(annotationJson, annotationPath);
  const labelsByUid = parseReportLabelsCsv(labelsText, labelsCsvPath);
  const reports = new Map<string, { report: string; labels: LabelVector }>();
  for (const split of SPLITS) {
    for (const study of annotation[split]) {
      const labels = labelsByUid.get(uidOfStudyId(study.id))?.labels ?? Array(OBSERVATION_COUNT).fill(null);
      reports.set(study.id, { report: study.report, labels });
    }
  }
  return reports;
}

/** The bundled IU-Xray copies: resources/iu_xray/annotation.json and report-labels.csv under `appRoot`. */
export function loadBundledIuXrayReports(appRoot: string): CaseReports {
  const dir = path.join(appRoot, "resources", "iu_xray");
  return loadIuXrayCaseReports(path.join(dir, "annotation.json"), path.join(dir, "report-labels.csv"));
}
