import fs from "node:fs";
import path from "node:path";
import { z } from "zod";
import { SPLITS, uidOfStudyId } from "../language/iu-xray-data";
import {
  DEFAULT_ANNOTATION_PATH,
  DEFAULT_LABELS_PATH,
  loadAnnotationFile,
  loadReportLabelsFile,
} from "../language/iu-xray-dataset";
import { type LabelVector, OBSERVATION_COUNT } from "../language/observations";
import { readGalleryThumbnails } from "../model-pack/gallery-thumbnails";
import { galleryThumbnailsSectionSchema } from "../model-pack/manifest-schema";
import { RetrievalError } from "./errors";

/**
 * A model pack's retrieval gallery: the train-split study ids with their L2-normalised float32 embeddings
 * (row i of `vectors` is study `ids[i]`) and the id of the model that made them; optionally a JPEG/PNG thumbnail of
 * each study's frontal view (row i is study `ids[i]`, null where there is none), stored with the seeded cases.
 */
export interface RetrievalGallery {
  modelId: string;
  dim: number;
  ids: string[];
  vectors: Float32Array;
  thumbnails?: readonly (Uint8Array | null)[] | undefined;
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
  if (gallery.thumbnails !== undefined && gallery.thumbnails.length !== ids.length)
    throw new RetrievalError(`${source}: ${ids.length} ids but ${gallery.thumbnails.length} thumbnails`);
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
 * The `gallery` section of a model pack's manifest.json (radiology-draft/model-pack@1, written by training/pack.py):
 * `ids` is a JSON array of study ids in row order, `embeddings` a raw float32 little-endian [count, dim] file, both
 * relative to the pack folder; `thumbnails` (optional) the gallery thumbnails (model-pack/gallery-thumbnails.ts).
 * Only this section is read here; the pack loader checks the rest (hashes, ONNX files).
 */
const packGallerySchema = z.object({
  gallery: z.object({
    ids: z.string().min(1),
    embeddings: z.string().min(1),
    count: z.number().int().positive(),
    dim: z.number().int().positive(),
    dtype: z.literal("float32"),
    byte_order: z.literal("little"),
    model_id: z.string().min(1),
    thumbnails: galleryThumbnailsSectionSchema.optional(),
  }),
});

function insidePack(packDir: string, relative: string, manifestPath: string): string {
  const resolved = path.resolve(packDir, relative);
  if (path.isAbsolute(relative) || !resolved.startsWith(path.resolve(packDir) + path.sep))
    throw new RetrievalError(`${manifestPath}: gallery path "${relative}" is not inside the pack folder`);
  return resolved;
}

/** Reads and validates the retrieval gallery of the model pack in `packDir`; errors name the file at fault. */
export function readPackGallery(packDir: string): RetrievalGallery {
  const manifestPath = path.join(packDir, "manifest.json");
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(manifestPath, "utf8"));
  } catch (error) {
    throw new RetrievalError(`${manifestPath}: cannot read the model pack manifest (${(error as Error).message})`);
  }
  const parsed = packGallerySchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new RetrievalError(`${manifestPath}: no valid gallery section (${issue.path.join(".")}: ${issue.message})`);
  }
  const meta = parsed.data.gallery;
  const idsPath = insidePack(packDir, meta.ids, manifestPath);
  let ids: unknown;
  try {
    ids = JSON.parse(fs.readFileSync(idsPath, "utf8"));
  } catch (error) {
    throw new RetrievalError(`${idsPath}: cannot read the gallery ids (${(error as Error).message})`);
  }
  if (!Array.isArray(ids) || ids.some((id) => typeof id !== "string"))
    throw new RetrievalError(`${idsPath}: the gallery ids must be a JSON array of strings`);
  if (ids.length !== meta.count)
    throw new RetrievalError(`${idsPath}: ${ids.length} ids, the manifest says count ${meta.count}`);
  const vectorsPath = insidePack(packDir, meta.embeddings, manifestPath);
  let bytes: Buffer;
  try {
    bytes = fs.readFileSync(vectorsPath);
  } catch (error) {
    throw new RetrievalError(`${vectorsPath}: cannot read the gallery embeddings (${(error as Error).message})`);
  }
  if (bytes.byteLength !== meta.count * meta.dim * 4)
    throw new RetrievalError(
      `${vectorsPath}: ${bytes.byteLength} bytes, expected ${meta.count} × ${meta.dim} float32 = ${meta.count * meta.dim * 4}`,
    );
  const vectors = new Float32Array(meta.count * meta.dim);
  new Uint8Array(vectors.buffer).set(bytes);
  let thumbnails: (Uint8Array | null)[] | undefined;
  if (meta.thumbnails) {
    insidePack(packDir, meta.thumbnails.index, manifestPath);
    insidePack(packDir, meta.thumbnails.data, manifestPath);
    const read = readGalleryThumbnails(packDir, meta.thumbnails, ids as string[]);
    if (!read.thumbnails)
      throw new RetrievalError(`${manifestPath}: the gallery thumbnails are wrong (${read.problems.join("; ")})`);
    const { get } = read.thumbnails;
    thumbnails = (ids as string[]).map((_, i) => get(i));
  }
  const gallery: RetrievalGallery = {
    modelId: meta.model_id,
    dim: meta.dim,
    ids: ids as string[],
    vectors,
    thumbnails,
  };
  validateGallery(gallery, vectorsPath);
  return gallery;
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
