/**
 * The inference path over a loaded pack: vision encoder -> study embedding -> nearest gallery study -> generator
 * encoder -> cached beam search. The inference worker (inference/inference-worker.ts) runs these functions and the
 * ONNX parity test checks them against PyTorch: one implementation of each step.
 * Inputs are already preprocessed ([views, 1, S, S] float32, see the manifest's preprocessing).
 */
import * as ort from "onnxruntime-node";
import { type DenseKernel, OnnxKernel } from "../retrieval/dense-kernel";
import { type BeamSearchResult, beamSearch } from "./beam-search";
import type { ModelPack, PackGallery } from "./load-model-pack";
import type { ModelPackManifest } from "./manifest-schema";

export interface VisionOutput {
  /** [views, P, C] row-major. */
  patchTokens: Float32Array;
  /** [views, dim] row-major, L2-normalised per view. */
  embeddings: Float32Array;
  views: number;
}

export async function runVisionEncoder(pack: ModelPack, images: Float32Array, views: number): Promise<VisionOutput> {
  const { height, width } = pack.manifest.preprocessing.resize;
  if (images.length !== views * height * width) {
    throw new Error(`images hold ${images.length} values, expected ${views} x 1 x ${height} x ${width}`);
  }
  const out = await pack.sessions.visionEncoder.run({
    image: new ort.Tensor("float32", images, [views, 1, height, width]),
  });
  return {
    patchTokens: out.patch_tokens!.data as Float32Array,
    embeddings: out.embedding!.data as Float32Array,
    views,
  };
}

/** l2_normalize(frontal + lateral) (a single view is passed as both). */
export function studyEmbedding(frontal: Float32Array, lateral: Float32Array): Float32Array {
  const out = new Float32Array(frontal.length);
  let norm = 0;
  for (let i = 0; i < out.length; i++) {
    out[i] = frontal[i]! + lateral[i]!;
    norm += out[i]! * out[i]!;
  }
  const scale = 1 / Math.max(Math.sqrt(norm), 1e-12);
  for (let i = 0; i < out.length; i++) out[i] = out[i]! * scale;
  return out;
}

export interface NearestGalleryStudy {
  index: number;
  id: string;
  similarity: number;
}

/** Rows of the gallery whose study id is in `exclude`, as a mask (null when nothing is excluded). */
function excludedRows(gallery: PackGallery, exclude: ReadonlySet<string>): Uint8Array | null {
  if (exclude.size === 0) return null;
  const mask = new Uint8Array(gallery.count);
  for (let row = 0; row < gallery.count; row++) if (exclude.has(gallery.ids[row]!)) mask[row] = 1;
  return mask;
}

/**
 * The kernel of the generator's gallery lookup, made once by the inference worker (and by the ONNX parity test, so
 * that it checks the app's lookup): onnxruntime's float32 GEMM on one thread, ~5x a TypeScript scan on 2,000 x 512.
 */
export function createGalleryKernel(): Promise<DenseKernel> {
  return OnnxKernel.create({ threads: 1 });
}

/**
 * The generator's gallery lookup: exact cosine top-1 over the gallery (vectors are L2-normalised, so the dot
 * product, computed by `kernel`: createGalleryKernel), skipping the study ids in `exclude` (the study itself when it
 * is a gallery study); null when every row is excluded. The first row wins a tie.
 */
export async function nearestGalleryStudyWith(
  kernel: DenseKernel,
  gallery: PackGallery,
  embedding: Float32Array,
  exclude: ReadonlySet<string> = new Set(),
): Promise<NearestGalleryStudy | null> {
  const { embeddings, dim, count, ids } = gallery;
  const scores = await kernel.dotProducts(embedding, 1, embeddings, count, dim);
  const mask = excludedRows(gallery, exclude);
  let best = -1;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (let row = 0; row < count; row++) {
    const score = scores[row]!;
    if (score > bestScore && (mask === null || mask[row] === 0)) {
      best = row;
      bestScore = score;
    }
  }
  return best < 0 ? null : { index: best, id: ids[best]!, similarity: bestScore };
}

export interface CrossMemory {
  keys: ort.Tensor;
  values: ort.Tensor;
  /** [1, d]: the label embedding a "both"-prompted generator adds to every decoder input (null otherwise). */
  labelBias: ort.Tensor | null;
}

/**
 * The decisions a prompted generator reads (manifest `prompts.findings` order): 1 where the diagnosis branch's
 * probability is >= the finding's threshold, else 0. `probabilities` are in the diagnosis section's order. Null for
 * a pack without prompts.
 */
export function promptDecisions(manifest: ModelPackManifest, probabilities: ArrayLike<number>): number[] | null {
  const prompts = manifest.prompts;
  if (!prompts) return null;
  const findings = manifest.diagnosis?.findings ?? [];
  if (probabilities.length !== findings.length)
    throw new Error(`${probabilities.length} diagnosis probabilities for ${findings.length} findings`);
  return prompts.findings.map((name) => {
    const i = findings.findIndex((f) => f.name === name);
    if (i < 0) throw new Error(`prompt finding ${name} is not a diagnosis finding`);
    return probabilities[i]! >= findings[i]!.threshold ? 1 : 0;
  });
}

/**
 * Generator encoder for one study: patch tokens [2P, C] (frontal then lateral), the retrieved token ids and, for a
 * prompted generator (manifest `prompts`), the decisions of its prompt findings (promptDecisions).
 */
export async function encodeStudy(
  pack: ModelPack,
  patchTokens: Float32Array,
  retrievedIds: readonly number[],
  decisions: readonly number[] | null = null,
): Promise<CrossMemory> {
  const { per_view: perView, dim } = pack.manifest.patch_tokens;
  if (patchTokens.length !== 2 * perView * dim) {
    throw new Error(`patch tokens hold ${patchTokens.length} values, expected 2 x ${perView} x ${dim}`);
  }
  const feeds: Record<string, ort.Tensor> = {
    patch_tokens: new ort.Tensor("float32", patchTokens, [1, 2 * perView, dim]),
    retrieved_ids: new ort.Tensor("int64", BigInt64Array.from(retrievedIds.map(BigInt)), [1, retrievedIds.length]),
  };
  const prompts = pack.manifest.prompts;
  if (prompts) {
    const k = prompts.findings.length;
    if (!decisions || decisions.length !== k || decisions.some((v) => v !== 0 && v !== 1))
      throw new Error(
        `the prompted generator needs ${k} finding decisions of 0 or 1, got ${JSON.stringify(decisions)}`,
      );
    feeds.finding_decisions = new ort.Tensor("int64", BigInt64Array.from(decisions.map(BigInt)), [1, k]);
  } else if (decisions) {
    throw new Error("finding decisions given, but the pack's generator takes none (no prompts section)");
  }
  const out = await pack.sessions.generatorEncoder.run(feeds);
  return { keys: out.cross_keys!, values: out.cross_values!, labelBias: out.label_bias ?? null };
}

export interface GenerateTokensOptions {
  /** Checked before every decoder step; an aborted signal rejects with `abortError()`. */
  signal?: AbortSignal | undefined;
  /** What an aborted signal rejects with (default the signal's reason). */
  abortError?: (() => Error) | undefined;
  /** Called before every decoder step with the step number and the maximum length. */
  onStep?: ((step: number, maxLength: number) => void) | undefined;
  /** Default the manifest's decoding.max_length (the worker's warm-up runs two steps). */
  maxLength?: number | undefined;
}

/**
 * Beam search over the decoder step with its key/value cache (R2Gen semantics, beam-search.ts); batch = beams,
 * cross memory broadcast (batch 1). Cancellable between steps.
 */
export async function generateTokens(
  pack: ModelPack,
  memory: CrossMemory,
  options: GenerateTokensOptions = {},
): Promise<BeamSearchResult> {
  const { decoding, tokenizer } = pack.manifest;
  const maxLength = options.maxLength ?? decoding.max_length;
  const [layers, , heads, , headDim] = memory.keys.dims as number[];
  const rows = decoding.beam_size;
  let pastKeys: ort.Tensor = new ort.Tensor("float32", new Float32Array(0), [layers!, rows, heads!, 0, headDim!]);
  let pastValues: ort.Tensor = new ort.Tensor("float32", new Float32Array(0), [layers!, rows, heads!, 0, headDim!]);
  const session = pack.sessions.decoderStep;
  let step = 0;
  return beamSearch(
    async (inputIds, beamOrigin) => {
      const { signal } = options;
      if (signal?.aborted) throw options.abortError?.() ?? signal.reason;
      options.onStep?.(step++, maxLength);
      const out = await session.run({
        input_ids: new ort.Tensor(
          "int64",
          BigInt64Array.from(inputIds, (v) => BigInt(v)),
          [rows, 1],
        ),
        beam_origin: new ort.Tensor(
          "int64",
          BigInt64Array.from(beamOrigin, (v) => BigInt(v)),
          [rows],
        ),
        past_keys: pastKeys,
        past_values: pastValues,
        cross_keys: memory.keys,
        cross_values: memory.values,
        ...(memory.labelBias ? { label_bias: memory.labelBias } : {}),
      });
      pastKeys = out.present_keys as ort.Tensor;
      pastValues = out.present_values as ort.Tensor;
      return out.log_probs!.data as Float32Array;
    },
    {
      beamSize: rows,
      maxLength,
      startId: decoding.start_id,
      endId: decoding.end_id,
      vocabSize: tokenizer.idx2token.length,
    },
  );
}

/** Token ids to the raw text eval scores: idx2token looked up and joined with single spaces. */
export function tokensToText(pack: ModelPack, tokens: readonly number[]): string {
  return tokens.map((t) => pack.manifest.tokenizer.idx2token[t]).join(" ");
}
