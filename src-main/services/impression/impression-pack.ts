/**
 * The impression model pack (radiology-draft/impression-pack@1, written by training/impression.py): schema, file
 * verification (sizes and sha256), the retrieval gallery and the two ONNX sessions. docs/impression.md.
 */
import fs from "node:fs";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { z } from "zod";
import { impressionTokenizer } from "../language/impression-dataset";
import type { R2GenTokenizer } from "../language/r2gen-tokenizer";
import { TfIdfIndex } from "../language/tfidf";
import {
  checkPackFiles,
  checkSessionInterface,
  ModelPackError,
  onnxModelSpecSchema,
  packFileSchema,
  r2genTokenizerFields,
  relativePath,
} from "../model-pack";

export const IMPRESSION_PACK_FORMAT = "radiology-draft/impression-pack@1";

const scoreSchema = z.record(z.string(), z.number());

export const impressionPackManifestSchema = z.object({
  format: z.literal(IMPRESSION_PACK_FORMAT),
  name: z.string().min(1),
  version: z.string().min(1),
  created: z.string(),
  method: z.object({ name: z.string(), description: z.string(), objective: z.string() }).passthrough(),
  training: z.record(z.string(), z.unknown()),
  tokenizer: z.object({
    kind: z.literal("r2gen-iu-xray"),
    threshold: z.number().int().positive(),
    max_findings_tokens: z.number().int().positive(),
    ...r2genTokenizerFields,
  }),
  decoding: z.object({
    beam_size: z.number().int().min(1).max(16),
    max_length: z.number().int().min(1).max(200),
    start_id: z.number().int().nonnegative(),
    end_id: z.number().int().nonnegative(),
  }),
  retrieval: z.object({
    uids: relativePath,
    findings_ids: relativePath,
    impression_ids: relativePath,
    count: z.number().int().positive(),
  }),
  models: z.object({ impression_encoder: onnxModelSpecSchema, impression_step: onnxModelSpecSchema }),
  pytorch_checkpoint: relativePath.optional(),
  files: z.array(packFileSchema),
  metrics: z.object({ val: scoreSchema.optional(), test: scoreSchema.optional() }).passthrough(),
});
export type ImpressionPackManifest = z.infer<typeof impressionPackManifestSchema>;

export interface ImpressionPack {
  dir: string;
  manifest: ImpressionPackManifest;
  tokenizer: R2GenTokenizer;
  gallery: { uids: number[]; findingsIds: number[][]; impressionIds: number[][] };
  /** TF-IDF over the gallery's findings ids (the same index the dataset's retrieved impression came from). */
  index: TfIdfIndex<number>;
  sessions: { encoder: ort.InferenceSession; step: ort.InferenceSession };
  close(): Promise<void>;
}

const idRows = z.array(z.array(z.number().int().nonnegative()));

function readJson<T>(dir: string, file: string, schema: z.ZodType<T>, problems: string[]): T | undefined {
  try {
    const parsed = schema.safeParse(JSON.parse(fs.readFileSync(path.join(dir, file), "utf8")));
    if (parsed.success) return parsed.data;
    problems.push(`${file}: ${parsed.error.issues[0]?.path.join(".") || "(root)"}: ${parsed.error.issues[0]?.message}`);
  } catch (error) {
    problems.push(`${file}: ${(error as Error).message}`);
  }
  return undefined;
}

/** Read and schema-check manifest.json; throws ModelPackError naming the field. */
export function readImpressionPackManifest(packDir: string): ImpressionPackManifest {
  const dir = path.resolve(packDir);
  const file = path.join(dir, "manifest.json");
  if (!fs.existsSync(file)) throw new ModelPackError(dir, ["manifest.json is missing"]);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new ModelPackError(dir, [`manifest.json is not valid JSON (${(error as Error).message})`]);
  }
  const format = (json as { format?: unknown } | null)?.format;
  if (typeof format === "string" && !format.startsWith(IMPRESSION_PACK_FORMAT.replace(/@.*$/, "@"))) {
    throw new ModelPackError(dir, [
      `manifest.json: format is "${format}": not an impression pack (${IMPRESSION_PACK_FORMAT})`,
    ]);
  }
  const parsed = impressionPackManifestSchema.safeParse(json);
  if (!parsed.success) {
    throw new ModelPackError(
      dir,
      parsed.error.issues.slice(0, 10).map((i) => `manifest.json: ${i.path.join(".") || "(root)"}: ${i.message}`),
    );
  }
  return parsed.data;
}

/** Verify an impression pack completely and open its sessions; throws ModelPackError when anything is wrong. */
export async function loadImpressionPack(
  packDir: string,
  sessionOptions: ort.InferenceSession.SessionOptions = {},
): Promise<ImpressionPack> {
  const dir = path.resolve(packDir);
  const manifest = readImpressionPackManifest(dir);
  const r = manifest.retrieval;
  const referenced: [string, string][] = [
    ["models.impression_encoder.file", manifest.models.impression_encoder.file],
    ["models.impression_step.file", manifest.models.impression_step.file],
    ["retrieval.uids", r.uids],
    ["retrieval.findings_ids", r.findings_ids],
    ["retrieval.impression_ids", r.impression_ids],
  ];
  const problems = checkPackFiles(dir, manifest.files, referenced);
  if (problems.length > 0) throw new ModelPackError(dir, problems);
  const vocab = manifest.tokenizer.idx2token.length;
  const uids = readJson(dir, r.uids, z.array(z.number().int().positive()), problems);
  const findingsIds = readJson(dir, r.findings_ids, idRows, problems);
  const impressionIds = readJson(dir, r.impression_ids, idRows, problems);
  for (const [name, rows] of [
    ["uids", uids],
    ["findings_ids", findingsIds],
    ["impression_ids", impressionIds],
  ] as const) {
    if (rows && rows.length !== r.count) problems.push(`retrieval.${name}: ${rows.length} rows, count says ${r.count}`);
  }
  for (const rows of [findingsIds, impressionIds])
    if (rows?.some((row) => row.some((id) => id === 0 || id >= vocab)))
      problems.push("retrieval: a gallery token id is 0 or outside the vocabulary");
  let tokenizer: R2GenTokenizer | undefined;
  try {
    tokenizer = impressionTokenizer(manifest.tokenizer.idx2token);
  } catch (error) {
    problems.push(`tokenizer: ${(error as Error).message}`);
  }
  if (problems.length > 0) throw new ModelPackError(dir, problems);
  const opened: ort.InferenceSession[] = [];
  try {
    for (const key of ["impression_encoder", "impression_step"] as const) {
      const spec = manifest.models[key];
      let session: ort.InferenceSession;
      try {
        session = await ort.InferenceSession.create(path.join(dir, spec.file), sessionOptions);
      } catch (error) {
        problems.push(`${spec.file}: onnxruntime cannot load it (${(error as Error).message})`);
        continue;
      }
      opened.push(session);
      problems.push(...checkSessionInterface(key, session, spec));
    }
  } catch (error) {
    await Promise.all(opened.map((s) => s.release()));
    throw error;
  }
  if (problems.length > 0) {
    await Promise.all(opened.map((s) => s.release()));
    throw new ModelPackError(dir, problems);
  }
  const [encoder, step] = opened as [ort.InferenceSession, ort.InferenceSession];
  return {
    dir,
    manifest,
    tokenizer: tokenizer!,
    gallery: { uids: uids!, findingsIds: findingsIds!, impressionIds: impressionIds! },
    index: new TfIdfIndex(findingsIds!),
    sessions: { encoder, step },
    async close() {
      await Promise.all([encoder.release(), step.release()]);
    },
  };
}
