/**
 * Load and verify a model pack folder: manifest schema, every file's size and sha256, the gallery, and the
 * declared ONNX input/output names, types and shapes against the sessions onnxruntime actually opens.
 * A pack that fails any check is refused with a ModelPackError listing exactly what is wrong.
 */
import { createHash } from "node:crypto";
import fs from "node:fs";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { type ScopeCalibration, ScopeCalibrationSchema } from "../../../src-shared/scope/chest-scope";
import {
  type GalleryThumbnails,
  type GalleryThumbnailsData,
  galleryThumbnails,
  readGalleryThumbnails,
} from "./gallery-thumbnails";
import {
  type Dimension,
  MODEL_KEYS,
  MODEL_PACK_FORMAT,
  type ModelKey,
  type ModelPackManifest,
  modelPackManifestSchema,
  type TensorSpec,
} from "./manifest-schema";

export class ModelPackError extends Error {
  readonly packDir: string;
  readonly problems: readonly string[];
  constructor(packDir: string, problems: readonly string[]) {
    super(`model pack ${packDir} refused: ${problems.join("; ")}`);
    this.name = "ModelPackError";
    this.packDir = packDir;
    this.problems = problems;
  }
}

export interface PackGallery {
  /** Train-split study ids, in the row order of `embeddings`. */
  ids: string[];
  /** Row-major [count, dim] study embeddings (L2-normalised). */
  embeddings: Float32Array;
  /** Each gallery study's token_ids (dataset manifest format), what the generator reads when it is retrieved. */
  tokenIds: number[][];
  count: number;
  dim: number;
  /** The embedding model these vectors come from ("sha256:" + sha256 of vision_encoder.onnx). */
  modelId: string;
  /** The gallery thumbnails (`gallery.thumbnails`), or null for a pack without them. */
  thumbnails: GalleryThumbnails | null;
  /** JPEG bytes of the frontal-view thumbnail of gallery row `row`; null without thumbnails or out of range. */
  thumbnail(row: number): Uint8Array | null;
}

/**
 * What the inference worker posts of the pack's gallery to the thread that seeds the retrieval index (plain data:
 * no functions, no token ids), so that the pack is read once (docs/inference.md).
 */
export type PackGalleryData = Omit<PackGallery, "tokenIds" | "thumbnails" | "thumbnail"> & {
  thumbnails: GalleryThumbnailsData | null;
};

/** The gallery of a loaded pack as it seeds the retrieval index (PackGallery without the generator's token ids). */
export type IndexGallery = Omit<PackGallery, "tokenIds">;

export function packGalleryData(gallery: PackGallery): PackGalleryData {
  const t = gallery.thumbnails;
  return {
    ids: gallery.ids,
    embeddings: gallery.embeddings,
    count: gallery.count,
    dim: gallery.dim,
    modelId: gallery.modelId,
    thumbnails: t
      ? { format: t.format, maxSide: t.maxSide, count: t.count, data: t.data, offsets: t.offsets, lengths: t.lengths }
      : null,
  };
}

export function galleryFromData(data: PackGalleryData): IndexGallery {
  const thumbnails = data.thumbnails ? galleryThumbnails(data.thumbnails) : null;
  return { ...data, thumbnails, thumbnail: (row: number) => thumbnails?.get(row) ?? null };
}

export interface ModelPackSessions {
  visionEncoder: ort.InferenceSession;
  generatorEncoder: ort.InferenceSession;
  decoderStep: ort.InferenceSession;
  /** The diagnosis branch (models.diagnosis), or null for a pack without one. */
  diagnosis: ort.InferenceSession | null;
}

export interface ModelPack {
  dir: string;
  manifest: ModelPackManifest;
  sessions: ModelPackSessions;
  gallery: PackGallery;
  close(): Promise<void>;
}

export interface LoadModelPackOptions {
  /** Passed to every InferenceSession.create (execution providers, threads, graph optimisation). */
  sessionOptions?: ort.InferenceSession.SessionOptions;
  /**
   * Per-model changes merged over `sessionOptions` (e.g. one intra-op thread for the small generator sessions,
   * whose operators are too small to split across threads: docs/inference.md).
   */
  sessionOptionsFor?: Partial<Record<ModelKey | "diagnosis", ort.InferenceSession.SessionOptions>>;
}

const MANIFEST_FILE = "manifest.json";

function sha256OfFile(filePath: string): string {
  const hash = createHash("sha256");
  const fd = fs.openSync(filePath, "r");
  try {
    const buffer = Buffer.allocUnsafe(1 << 20);
    let read = fs.readSync(fd, buffer, 0, buffer.length, null);
    while (read > 0) {
      hash.update(buffer.subarray(0, read));
      read = fs.readSync(fd, buffer, 0, buffer.length, null);
    }
  } finally {
    fs.closeSync(fd);
  }
  return hash.digest("hex");
}

function listFiles(dir: string, prefix = ""): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) out.push(...listFiles(dir, rel));
    else out.push(rel);
  }
  return out;
}

/** Parse and schema-check manifest.json; throws ModelPackError naming the field. */
export function readModelPackManifest(packDir: string): ModelPackManifest {
  const dir = path.resolve(packDir);
  const file = path.join(dir, MANIFEST_FILE);
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new ModelPackError(dir, ["not a folder"]);
  }
  if (!fs.existsSync(file)) throw new ModelPackError(dir, [`${MANIFEST_FILE} is missing`]);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new ModelPackError(dir, [`${MANIFEST_FILE} is not valid JSON (${(error as Error).message})`]);
  }
  const format = (json as { format?: unknown } | null)?.format;
  if (typeof format === "string" && !format.startsWith(MODEL_PACK_FORMAT.replace(/@.*$/, "@"))) {
    // Another kind of pack (e.g. radiology-draft/impression-pack@1), named as such; another version of this kind
    // falls through to the schema's message.
    throw new ModelPackError(dir, [
      `manifest.json: format is "${format}": not a drafting model pack (${MODEL_PACK_FORMAT})`,
    ]);
  }
  const parsed = modelPackManifestSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 10)
      .map((issue) => `${MANIFEST_FILE}: ${issue.path.join(".") || "(root)"}: ${issue.message}`);
    throw new ModelPackError(dir, problems);
  }
  return parsed.data;
}

/**
 * The problems of a pack folder against its manifest's `files` (every file present, listed once, its size and
 * sha256) and of the manifest fields that name files (`referenced`: [field, path]). Shared by every pack kind.
 */
export function checkPackFiles(
  packDir: string,
  files: readonly { path: string; bytes: number; sha256: string }[],
  referenced: readonly [string, string][],
): string[] {
  const dir = path.resolve(packDir);
  const problems: string[] = [];
  const listed = new Map(files.map((f) => [f.path, f]));
  if (listed.size !== files.length) problems.push("files: a path is listed twice");
  const present = new Set(listFiles(dir).filter((p) => p !== MANIFEST_FILE));
  for (const p of present) if (!listed.has(p)) problems.push(`${p} is in the pack folder but not in manifest files`);
  for (const entry of files) {
    const full = path.join(dir, entry.path);
    if (!present.has(entry.path)) {
      problems.push(`${entry.path} is listed in manifest files but missing`);
      continue;
    }
    const size = fs.statSync(full).size;
    if (size !== entry.bytes) {
      problems.push(`${entry.path} has ${size} bytes, manifest says ${entry.bytes}`);
      continue;
    }
    const digest = sha256OfFile(full);
    if (digest !== entry.sha256) {
      problems.push(`${entry.path} sha256 is ${digest}, manifest says ${entry.sha256}`);
    }
  }
  for (const [field, p] of referenced) if (!listed.has(p)) problems.push(`${field} "${p}" is not in manifest files`);
  return problems;
}

/** Check every file against the manifest (present, listed, size, sha256) and the cross-field invariants. */
export function verifyModelPackFiles(packDir: string, manifest: ModelPackManifest): void {
  const dir = path.resolve(packDir);
  const listed = new Map(manifest.files.map((f) => [f.path, f]));
  const referenced: [string, string][] = [
    ...MODEL_KEYS.map((key): [string, string] => [`models.${key}.file`, manifest.models[key].file]),
    ["gallery.ids", manifest.gallery.ids],
    ["gallery.embeddings", manifest.gallery.embeddings],
    ["gallery.token_ids", manifest.gallery.token_ids],
  ];
  if (manifest.gallery.thumbnails) {
    referenced.push(["gallery.thumbnails.index", manifest.gallery.thumbnails.index]);
    referenced.push(["gallery.thumbnails.data", manifest.gallery.thumbnails.data]);
  }
  if (manifest.pytorch_checkpoint) referenced.push(["pytorch_checkpoint", manifest.pytorch_checkpoint]);
  if (manifest.models.diagnosis) referenced.push(["models.diagnosis.file", manifest.models.diagnosis.file]);
  if (manifest.scope_calibration) referenced.push(["scope_calibration", manifest.scope_calibration]);
  const problems = checkPackFiles(dir, manifest.files, referenced);
  if (Boolean(manifest.models.diagnosis) !== Boolean(manifest.diagnosis)) {
    problems.push("models.diagnosis and the diagnosis section must be both present or both absent");
  }
  const vision = listed.get(manifest.models.vision_encoder.file);
  if (vision && manifest.embedding.model_id !== `sha256:${vision.sha256}`) {
    problems.push(
      `embedding.model_id ${manifest.embedding.model_id} is not sha256:<sha256 of ${manifest.models.vision_encoder.file}>`,
    );
  }
  if (manifest.gallery.model_id !== manifest.embedding.model_id) {
    problems.push(`gallery.model_id ${manifest.gallery.model_id} differs from embedding.model_id`);
  }
  if (manifest.gallery.dim !== manifest.embedding.dim) {
    problems.push(`gallery.dim ${manifest.gallery.dim} differs from embedding.dim ${manifest.embedding.dim}`);
  }
  const tok = manifest.tokenizer;
  const vocab = tok.idx2token.length;
  for (const key of ["bos_id", "eos_id", "pad_id"] as const) {
    if (tok[key] >= vocab) problems.push(`tokenizer.${key} ${tok[key]} is outside the vocabulary (${vocab} tokens)`);
  }
  if (problems.length > 0) throw new ModelPackError(dir, problems);
}

/**
 * Read and check the gallery files (sizes, ids, token ids, and the thumbnails when the pack has them: ids equal to
 * the gallery's, every entry inside the data file and a JPEG); loadModelPack checks the files' hashes beforehand.
 * The one reader of a pack's gallery: the engine (through its worker) and `npm run index` read it here.
 */
export function readPackGallery(
  packDir: string,
  manifest: ModelPackManifest = readModelPackManifest(packDir),
): PackGallery {
  const dir = path.resolve(packDir);
  const g = manifest.gallery;
  const problems: string[] = [];
  const raw = fs.readFileSync(path.join(dir, g.embeddings));
  if (raw.byteLength !== g.count * g.dim * 4) {
    problems.push(`${g.embeddings} has ${raw.byteLength} bytes, expected count ${g.count} x dim ${g.dim} x 4`);
  }
  const embeddings = new Float32Array(g.count * g.dim);
  if (problems.length === 0) {
    const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    for (let i = 0; i < embeddings.length; i++) embeddings[i] = view.getFloat32(i * 4, true);
    for (let i = 0; i < embeddings.length; i++) {
      if (!Number.isFinite(embeddings[i])) {
        problems.push(`${g.embeddings}: value ${i} (row ${Math.floor(i / g.dim)}) is not finite`);
        break;
      }
    }
  }
  const parseJson = (rel: string): unknown => {
    try {
      return JSON.parse(fs.readFileSync(path.join(dir, rel), "utf8"));
    } catch (error) {
      problems.push(`${rel} is not valid JSON (${(error as Error).message})`);
      return undefined;
    }
  };
  const ids = parseJson(g.ids);
  const tokenIds = parseJson(g.token_ids);
  const vocab = manifest.tokenizer.idx2token.length;
  if (ids !== undefined) {
    if (!Array.isArray(ids) || ids.length !== g.count || !ids.every((x) => typeof x === "string" && x.length > 0)) {
      problems.push(`${g.ids} must be an array of ${g.count} non-empty strings`);
    } else if (new Set(ids).size !== ids.length) {
      problems.push(`${g.ids} holds a study id twice`);
    }
  }
  if (tokenIds !== undefined) {
    const ok =
      Array.isArray(tokenIds) &&
      tokenIds.length === g.count &&
      tokenIds.every(
        (seq) =>
          Array.isArray(seq) &&
          seq.length >= 1 &&
          seq.every((t) => Number.isInteger(t) && (t as number) >= 0 && (t as number) < vocab),
      );
    if (!ok) problems.push(`${g.token_ids} must be ${g.count} arrays of token ids in [0, ${vocab})`);
  }
  if (problems.length > 0) throw new ModelPackError(dir, problems);
  let thumbnails: GalleryThumbnails | null = null;
  if (g.thumbnails) {
    const read = readGalleryThumbnails(dir, g.thumbnails, ids as string[]);
    if (read.problems.length > 0) throw new ModelPackError(dir, read.problems);
    thumbnails = read.thumbnails;
  }
  return {
    ids: ids as string[],
    embeddings,
    tokenIds: tokenIds as number[][],
    count: g.count,
    dim: g.dim,
    modelId: g.model_id,
    thumbnails,
    thumbnail: (row: number) => thumbnails?.get(row) ?? null,
  };
}

function sameDimension(actual: number | string, declared: Dimension): boolean {
  return actual === declared;
}

function describeShape(shape: readonly (number | string)[]): string {
  return `[${shape.map((d) => (typeof d === "number" ? String(d) : `"${d}"`)).join(", ")}]`;
}

/**
 * The prompted generator's interface (manifest `prompts`): every prompt finding a diagnosis finding,
 * generator_encoder taking finding_decisions [batch, K], label_bias out of the encoder and into the decoder step
 * exactly for "both" conditioning; a pack without prompts declares neither.
 */
function checkPrompts(manifest: ModelPackManifest): string[] {
  const problems: string[] = [];
  const prompts = manifest.prompts;
  const decisions = manifest.models.generator_encoder.inputs.find((t) => t.name === "finding_decisions");
  const biasOut = manifest.models.generator_encoder.outputs.find((t) => t.name === "label_bias");
  const biasIn = manifest.models.decoder_step.inputs.find((t) => t.name === "label_bias");
  const d = manifest.method.generator.d_model;
  if (!prompts) {
    if (decisions || biasOut || biasIn)
      problems.push("generator_encoder/decoder_step declare finding prompts but the manifest has no prompts section");
    return problems;
  }
  const findings = new Map((manifest.diagnosis?.findings ?? []).map((f) => [f.name, f]));
  if (!manifest.diagnosis) problems.push("prompts need the diagnosis branch (diagnosis section and models.diagnosis)");
  if (new Set(prompts.findings).size !== prompts.findings.length) problems.push("prompts.findings has duplicates");
  for (const name of prompts.findings) {
    const f = findings.get(name);
    if (manifest.diagnosis && !f) problems.push(`prompt finding ${name} is not a finding of the diagnosis section`);
  }
  const k = prompts.findings.length;
  if (decisions?.dtype !== "int64" || decisions.shape.length !== 2 || decisions.shape[1] !== k)
    problems.push(`generator_encoder must take finding_decisions int64 [batch, ${k}] (one per prompt finding)`);
  const both = prompts.conditioning === "both";
  for (const [what, spec] of [
    ["generator_encoder output", biasOut],
    ["decoder_step input", biasIn],
  ] as const) {
    if (both && (spec?.dtype !== "float32" || spec.shape.length !== 2 || spec.shape[1] !== d))
      problems.push(`${what} label_bias must be float32 [batch, ${String(d)}] ("both" conditioning)`);
    if (!both && spec) problems.push(`${what} label_bias is declared but prompts.conditioning is "memory"`);
  }
  return problems;
}

/** Compare one session's real inputs/outputs (names, order, dtype, shape) with the manifest's declaration. */
export function checkSessionInterface(
  key: string,
  session: ort.InferenceSession,
  declared: { inputs: TensorSpec[]; outputs: TensorSpec[] },
): string[] {
  const problems: string[] = [];
  const sides = [
    ["input", declared.inputs, session.inputNames, session.inputMetadata],
    ["output", declared.outputs, session.outputNames, session.outputMetadata],
  ] as const;
  for (const [side, specs, names, metadata] of sides) {
    const declaredNames = specs.map((s) => s.name);
    if (declaredNames.join(",") !== names.join(",")) {
      problems.push(
        `${key}: ${side}s are [${names.join(", ")}] but the manifest declares [${declaredNames.join(", ")}]`,
      );
      continue;
    }
    specs.forEach((spec, i) => {
      const meta = metadata[i];
      if (!meta?.isTensor) {
        problems.push(`${key}: ${side} ${spec.name} is not a tensor`);
        return;
      }
      if (meta.type !== spec.dtype) {
        problems.push(`${key}: ${side} ${spec.name} has type ${meta.type}, manifest declares ${spec.dtype}`);
      }
      const actual = meta.shape;
      if (actual.length !== spec.shape.length || !actual.every((d, j) => sameDimension(d, spec.shape[j]!))) {
        problems.push(
          `${key}: ${side} ${spec.name} has shape ${describeShape(actual)}, manifest declares ${describeShape(spec.shape)}`,
        );
      }
    });
  }
  return problems;
}

/** The shapes that must agree across the three models, the tokenizer, preprocessing and the gallery. */
export function checkCrossModelShapes(manifest: ModelPackManifest): string[] {
  const problems: string[] = [];
  const find = (key: ModelKey, side: "inputs" | "outputs", name: string): Dimension[] | undefined =>
    manifest.models[key][side].find((t) => t.name === name)?.shape;
  const image = find("vision_encoder", "inputs", "image");
  const patches = find("vision_encoder", "outputs", "patch_tokens");
  const embedding = find("vision_encoder", "outputs", "embedding");
  const genPatches = find("generator_encoder", "inputs", "patch_tokens");
  const crossOut = find("generator_encoder", "outputs", "cross_keys");
  const crossIn = find("decoder_step", "inputs", "cross_keys");
  const pastKeys = find("decoder_step", "inputs", "past_keys");
  const logProbs = find("decoder_step", "outputs", "log_probs");
  const { resize } = manifest.preprocessing;
  if (image && (image[1] !== 1 || image[2] !== resize.height || image[3] !== resize.width)) {
    problems.push(
      `vision_encoder image shape ${describeShape(image)} does not take 1x${resize.height}x${resize.width} (preprocessing.resize)`,
    );
  }
  if (patches && (patches[1] !== manifest.patch_tokens.per_view || patches[2] !== manifest.patch_tokens.dim)) {
    problems.push(`vision_encoder patch_tokens ${describeShape(patches)} disagrees with patch_tokens per_view/dim`);
  }
  if (embedding && embedding[1] !== manifest.embedding.dim) {
    problems.push(`vision_encoder embedding ${describeShape(embedding)} disagrees with embedding.dim`);
  }
  if (
    genPatches &&
    (genPatches[1] !== 2 * manifest.patch_tokens.per_view || genPatches[2] !== manifest.patch_tokens.dim)
  ) {
    problems.push(
      `generator_encoder patch_tokens ${describeShape(genPatches)} is not two views of vision patch_tokens`,
    );
  }
  if (crossOut && crossIn) {
    const same = [0, 2, 3, 4].every((i) => crossOut[i] === crossIn[i]);
    if (!same || crossOut.length !== 5 || crossIn.length !== 5) {
      problems.push(
        `generator_encoder cross_keys ${describeShape(crossOut)} does not fit decoder_step cross_keys ${describeShape(crossIn)}`,
      );
    }
  }
  if (pastKeys && crossIn && (pastKeys[0] !== crossIn[0] || pastKeys[2] !== crossIn[2] || pastKeys[4] !== crossIn[4])) {
    problems.push(`decoder_step past_keys ${describeShape(pastKeys)} disagrees with cross_keys layers/heads/head size`);
  }
  problems.push(...checkPrompts(manifest));
  const diagnosis = manifest.models.diagnosis;
  if (diagnosis) {
    for (const name of ["frontal", "lateral"]) {
      const input = diagnosis.inputs.find((t) => t.name === name)?.shape;
      if (!input || input[1] !== 1 || input[2] !== resize.height || input[3] !== resize.width) {
        problems.push(
          `diagnosis input ${name} does not take 1x${resize.height}x${resize.width} (preprocessing.resize)`,
        );
      }
    }
    const probabilities = diagnosis.outputs.find((t) => t.name === "probabilities")?.shape;
    const count = manifest.diagnosis?.findings.length;
    if (!probabilities || probabilities[1] !== count) {
      problems.push(
        `diagnosis probabilities ${probabilities ? describeShape(probabilities) : "(missing)"} do not have one value per finding (${count})`,
      );
    }
  }
  if (logProbs && logProbs[1] !== manifest.tokenizer.idx2token.length) {
    problems.push(
      `decoder_step log_probs ${describeShape(logProbs)} disagrees with the vocabulary (${manifest.tokenizer.idx2token.length} tokens)`,
    );
  }
  return problems;
}

/**
 * The pack's scope calibration (`scope_calibration`, src-shared/scope): schema, and the embedding model it was
 * measured with. Null when the pack has none (the gate then uses the files' headers only). Throws ModelPackError.
 */
export function readScopeCalibration(packDir: string, manifest: ModelPackManifest): ScopeCalibration | null {
  if (!manifest.scope_calibration) return null;
  const dir = path.resolve(packDir);
  const file = manifest.scope_calibration;
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(path.join(dir, file), "utf8"));
  } catch (error) {
    throw new ModelPackError(dir, [`${file} cannot be read as JSON (${(error as Error).message})`]);
  }
  const parsed = ScopeCalibrationSchema.safeParse(json);
  if (!parsed.success) {
    throw new ModelPackError(
      dir,
      parsed.error.issues.slice(0, 10).map((i) => `${file}: ${i.path.join(".") || "(root)"}: ${i.message}`),
    );
  }
  if (parsed.data.model_id !== manifest.embedding.model_id) {
    throw new ModelPackError(dir, [
      `${file} was calibrated for ${parsed.data.model_id}, the pack's embedding model is ${manifest.embedding.model_id}`,
    ]);
  }
  return parsed.data;
}

function sessionOptionsOf(
  options: LoadModelPackOptions,
  key: ModelKey | "diagnosis",
): ort.InferenceSession.SessionOptions {
  return { ...(options.sessionOptions ?? {}), ...(options.sessionOptionsFor?.[key] ?? {}) };
}

/** Verify a pack completely and open its three ONNX sessions; throws ModelPackError when anything is wrong. */
export async function loadModelPack(packDir: string, options: LoadModelPackOptions = {}): Promise<ModelPack> {
  const dir = path.resolve(packDir);
  const manifest = readModelPackManifest(dir);
  verifyModelPackFiles(dir, manifest);
  const shapeProblems = checkCrossModelShapes(manifest);
  if (shapeProblems.length > 0) throw new ModelPackError(dir, shapeProblems);
  const gallery = readPackGallery(dir, manifest);
  const opened: Partial<Record<ModelKey, ort.InferenceSession>> = {};
  const problems: string[] = [];
  try {
    for (const key of MODEL_KEYS) {
      const spec = manifest.models[key];
      try {
        opened[key] = await ort.InferenceSession.create(path.join(dir, spec.file), sessionOptionsOf(options, key));
      } catch (error) {
        problems.push(`${spec.file}: onnxruntime cannot load it (${(error as Error).message})`);
        continue;
      }
      problems.push(...checkSessionInterface(key, opened[key]!, spec));
    }
  } catch (error) {
    await Promise.all(Object.values(opened).map((s) => s.release()));
    throw error;
  }
  let diagnosis: ort.InferenceSession | null = null;
  const diagnosisSpec = manifest.models.diagnosis;
  if (diagnosisSpec && problems.length === 0) {
    try {
      diagnosis = await ort.InferenceSession.create(
        path.join(dir, diagnosisSpec.file),
        sessionOptionsOf(options, "diagnosis"),
      );
      problems.push(...checkSessionInterface("diagnosis", diagnosis, diagnosisSpec));
    } catch (error) {
      problems.push(`${diagnosisSpec.file}: onnxruntime cannot load it (${(error as Error).message})`);
    }
  }
  if (problems.length > 0) {
    await Promise.all([...Object.values(opened), ...(diagnosis ? [diagnosis] : [])].map((s) => s.release()));
    throw new ModelPackError(dir, problems);
  }
  try {
    readScopeCalibration(dir, manifest);
  } catch (error) {
    await Promise.all([...Object.values(opened), ...(diagnosis ? [diagnosis] : [])].map((s) => s.release()));
    throw error;
  }
  const sessions: ModelPackSessions = {
    visionEncoder: opened.vision_encoder!,
    generatorEncoder: opened.generator_encoder!,
    decoderStep: opened.decoder_step!,
    diagnosis,
  };
  return {
    dir,
    manifest,
    sessions,
    gallery,
    async close() {
      await Promise.all([
        sessions.visionEncoder.release(),
        sessions.generatorEncoder.release(),
        sessions.decoderStep.release(),
        ...(sessions.diagnosis ? [sessions.diagnosis.release()] : []),
      ]);
    },
  };
}
