/**
 * Worker-thread entry of InferenceEngine: loads a model pack once (sessions reused for every request), then runs
 * requests one at a time: decode -> views -> preprocess -> vision encoder -> study embedding (posted at once, so
 * the calling thread can search the retrieval index meanwhile) -> nearest gallery study -> generator encoder ->
 * beam search with the decoder's key/value cache. A request is cancelled between stages and between beam steps.
 *
 * Keep this a separate entry file: the bundler must emit it next to the main bundle (docs/inference.md).
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { parentPort } from "node:worker_threads";
import * as ort from "onnxruntime-node";
import sharp from "sharp";
import { type DecodedImage, decodeImageFile, warmUpCodecs } from "../imaging";
import {
  type CrossMemory,
  diagnosisFindingReliable,
  encodeStudy,
  generateTokens,
  loadModelPack,
  type ModelPack,
  packGalleryData,
  promptDecisions,
  readModelPackManifest,
  studyEmbedding,
} from "../model-pack";
import { createGalleryKernel, nearestGalleryStudyWith } from "../model-pack/reference-inference";
import type { DenseKernel } from "../retrieval/dense-kernel";
import { chooseDraftViews } from "./draft-views";
import { InferenceError, serializeFailure } from "./errors";
import { greyFromDecoded, type PreprocessingSpec, preprocessGrey, preprocessingSpecFrom } from "./preprocess";
import type {
  ExecutionProviderName,
  LoadedInfo,
  MainToWorkerMessage,
  ModelFindingResult,
  RunRequest,
  ViewChoice,
  WorkerRunResult,
  WorkerSessionSettings,
  WorkerToMainMessage,
} from "./worker-protocol";

const port = parentPort;
if (!port) throw new Error("inference-worker.ts must be started as a worker thread (by InferenceEngine)");

const THUMBNAIL_SIDE = 160;

interface Loaded {
  pack: ModelPack;
  spec: PreprocessingSpec;
  /** The generator's gallery lookup: onnxruntime's GEMM over the pack gallery (one thread). */
  kernel: DenseKernel;
}

let loaded: Loaded | null = null;
const queue: { id: number; request: RunRequest }[] = [];
const controllers = new Map<number, AbortController>();
let busy = false;

function post(message: WorkerToMainMessage, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

function sessionOptions(
  provider: ExecutionProviderName,
  threads: number,
  quiet: boolean,
): ort.InferenceSession.SessionOptions {
  return {
    executionProviders: provider === "cuda" ? ["cuda", "cpu"] : ["cpu"],
    intraOpNumThreads: threads,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: "all",
    enableCpuMemArena: true,
    enableMemPattern: true,
    // Idle intra-op threads sleep instead of spinning: on a small, shared CPU spinning threads steal the cores the
    // next step needs (measured: decoder step 0.7 ms without spinning, 3-6 ms with it, under load).
    extra: { session: { intra_op: { allow_spinning: "0" } } },
    // A provider probe that fails logs an onnxruntime error line; the engine reports the reason itself.
    logSeverityLevel: quiet ? 4 : 3,
  };
}

/**
 * The CUDA provider library of onnxruntime-node, or null when it is not installed: the npm package downloads it
 * only in its install script (CUDA 12 builds for linux x64 / win32 x64), which this project does not run by default.
 */
function cudaProviderLibrary(): string | null {
  const binding = path.join(
    path.dirname(createRequire(import.meta.url).resolve("onnxruntime-node/package.json")),
    "bin",
    "napi-v6",
    process.platform,
    process.arch,
  );
  const name = process.platform === "win32" ? "onnxruntime_providers_cuda.dll" : "libonnxruntime_providers_cuda.so";
  const file = path.join(binding, name);
  return fs.existsSync(file) ? file : null;
}

/** Whether onnxruntime can open a session on `provider` (CUDA needs its provider library and a GPU). */
async function probeProvider(modelPath: string, provider: ExecutionProviderName): Promise<string | null> {
  if (provider === "cpu") return null;
  if (!cudaProviderLibrary())
    return "onnxruntime-node's CUDA provider library is not installed (it comes with the package's install script, for linux x64 and win32 x64)";
  try {
    const session = await ort.InferenceSession.create(modelPath, {
      ...sessionOptions(provider, 1, true),
      executionProviders: [provider],
    });
    await session.release();
    return null;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

async function warmUp(pack: ModelPack, spec: PreprocessingSpec): Promise<void> {
  await warmUpCodecs();
  const size = spec.size;
  const out = await pack.sessions.visionEncoder.run({
    image: new ort.Tensor("float32", new Float32Array(2 * size * size), [2, 1, size, size]),
  });
  const patchTokens = out.patch_tokens!.data as Float32Array;
  const promptCount = pack.manifest.prompts?.findings.length;
  const decisions = promptCount ? new Array<number>(promptCount).fill(0) : null;
  const memory = await encodeStudy(pack, patchTokens, pack.gallery.tokenIds[0] ?? [0], decisions);
  const signal = new AbortController().signal;
  await runBeam(pack, memory, signal, () => {}, 2);
}

async function load(packDir: string, settings: WorkerSessionSettings): Promise<LoadedInfo> {
  const started = performance.now();
  const notes: string[] = [];
  const manifest = readModelPackManifest(packDir);
  let provider: ExecutionProviderName | null = null;
  for (const candidate of settings.executionProviders) {
    const problem = await probeProvider(path.join(packDir, manifest.models.decoder_step.file), candidate);
    if (problem === null) {
      provider = candidate;
      break;
    }
    notes.push(`${candidate} execution provider unavailable: ${problem}`);
  }
  if (!provider)
    throw new InferenceError("MODEL_FAILED", `no execution provider can run the pack: ${notes.join("; ")}`);
  // The generator's sessions run one thread: their operators (a 3-row decoder step, a ~50-token encoder) are too
  // small to split, and handing them to a second thread cost more than it saved (decoder step: 0.49 -> 0.33 ms on
  // the 2 shared cores, docs/inference.md). The image models use the configured threads.
  const single = { intraOpNumThreads: 1 };
  const pack = await loadModelPack(packDir, {
    sessionOptions: sessionOptions(provider, settings.intraOpNumThreads, false),
    sessionOptionsFor: { generator_encoder: single, decoder_step: single },
  });
  const spec = preprocessingSpecFrom(pack.manifest.preprocessing);
  const kernel = await createGalleryKernel();
  const loadMs = performance.now() - started;
  let warmupMs = 0;
  if (settings.warmup) {
    const t = performance.now();
    await warmUp(pack, spec);
    if (pack.gallery.count > 0)
      await nearestGalleryStudyWith(kernel, pack.gallery, pack.gallery.embeddings.subarray(0, pack.gallery.dim));
    warmupMs = performance.now() - t;
  }
  loaded = { pack, spec, kernel };
  return {
    manifest: pack.manifest,
    gallery: packGalleryData(pack.gallery),
    packDir: pack.dir,
    executionProvider: provider,
    providerNotes: notes,
    intraOpNumThreads: settings.intraOpNumThreads,
    loadMs,
    warmupMs,
  };
}

/** The pack's beam search (model-pack/reference-inference.ts), cancellable per step with the worker's error. */
function runBeam(
  pack: ModelPack,
  memory: CrossMemory,
  signal: AbortSignal,
  onStep: (step: number, maxLength: number) => void,
  maxLength?: number,
) {
  return generateTokens(pack, memory, {
    signal,
    abortError: () => new InferenceError("ABORTED", "the generation was cancelled"),
    onStep,
    maxLength,
  });
}

async function thumbnailOf(image: DecodedImage): Promise<Uint8Array> {
  const png = await sharp(
    Buffer.from(image.displayPixels.buffer, image.displayPixels.byteOffset, image.width * image.height),
    {
      raw: { width: image.width, height: image.height, channels: 1 },
    },
  )
    .resize({ width: THUMBNAIL_SIDE, height: THUMBNAIL_SIDE, fit: "inside", withoutEnlargement: true })
    .png()
    .toBuffer();
  return new Uint8Array(png.buffer.slice(png.byteOffset, png.byteOffset + png.byteLength));
}

/** The diagnosis branch on the preprocessed views (frontal, then lateral unless duplicated); null without one. */
async function diagnose(
  pack: ModelPack,
  batch: Float32Array,
  duplicated: boolean,
  size: number,
): Promise<ModelFindingResult[] | null> {
  const session = pack.sessions.diagnosis;
  const section = pack.manifest.diagnosis;
  if (!session || !section) return null;
  const plane = size * size;
  const frontal = batch.subarray(0, plane);
  const lateral = duplicated ? frontal : batch.subarray(plane, 2 * plane);
  const out = await session.run({
    frontal: new ort.Tensor("float32", frontal.slice(), [1, 1, size, size]),
    lateral: new ort.Tensor("float32", lateral.slice(), [1, 1, size, size]),
  });
  const probabilities = out.probabilities!.data as Float32Array;
  return section.findings.map((f, i) => {
    const probability = probabilities[i]!;
    const reliable = diagnosisFindingReliable(f);
    return {
      name: f.name,
      probability,
      threshold: f.threshold,
      reliable,
      positive: reliable && probability >= f.threshold,
    };
  });
}

async function run(id: number, request: RunRequest, signal: AbortSignal): Promise<WorkerRunResult> {
  if (!loaded) throw new InferenceError("ENGINE_CLOSED", "the model pack is not loaded");
  const { pack, spec, kernel } = loaded;
  const check = () => {
    if (signal.aborted) throw new InferenceError("ABORTED", "the generation was cancelled");
  };
  const progress = request.progress
    ? (stage: string, done: number, total: number) => post({ type: "progress", id, stage, done, total })
    : () => {};
  const images = request.images;
  if (images.length === 0) throw new InferenceError("NO_IMAGES", "the study has no image");

  let t = performance.now();
  progress("decode", 0, images.length);
  let decodedCount = 0;
  // Concurrently: PNG/JPEG decoding runs on libuv's thread pool, so two views use two cores.
  const decoded: DecodedImage[] = await Promise.all(
    images.map(async (image) => {
      // JPEG 2000 is decoded at the smallest resolution level that still covers the model input (reduced-resolution.ts).
      // Blocking reads: this worker has nothing else to run meanwhile (saves the async read's thread-pool hops).
      const result = await decodeImageFile(image.path, { signal, minLongSide: spec.size, blockingRead: true });
      progress("decode", ++decodedCount, images.length);
      return result;
    }),
  );
  const decodeMs = performance.now() - t;
  check();

  const { frontalIndex, lateralIndex, duplicated, assignments, warnings } = chooseDraftViews(
    decoded,
    images.map((image) => image.view),
  );
  const choice = (index: number): ViewChoice => {
    const a = assignments[index]!;
    return { index, path: images[index]!.path, source: a.source, reason: a.reason, confident: a.confident };
  };

  progress("preprocess", 0, 1);
  t = performance.now();
  const size = spec.size;
  const plane = size * size;
  const distinct = duplicated ? [frontalIndex] : [frontalIndex, lateralIndex];
  const batch = new Float32Array(distinct.length * plane);
  distinct.forEach((index, slot) => {
    preprocessGrey(greyFromDecoded(decoded[index]!, spec), spec, batch, slot * plane);
  });
  const preprocessMs = performance.now() - t;
  check();

  progress("vision", 0, 1);
  t = performance.now();
  const vision = await pack.sessions.visionEncoder.run({
    image: new ort.Tensor("float32", batch, [distinct.length, 1, size, size]),
  });
  const patchOut = vision.patch_tokens!.data as Float32Array;
  const embeddingOut = vision.embedding!.data as Float32Array;
  const dim = pack.manifest.embedding.dim;
  const perView = patchOut.length / distinct.length;
  const patchTokens = new Float32Array(2 * perView);
  patchTokens.set(patchOut.subarray(0, perView), 0);
  patchTokens.set(duplicated ? patchOut.subarray(0, perView) : patchOut.subarray(perView, 2 * perView), perView);
  const frontalEmbedding = embeddingOut.subarray(0, dim);
  const lateralEmbedding = duplicated ? frontalEmbedding : embeddingOut.subarray(dim, 2 * dim);
  const embedding = studyEmbedding(frontalEmbedding, lateralEmbedding);
  const visionMs = performance.now() - t;
  const modelId = pack.manifest.embedding.model_id;
  post({ type: "embedding", id, modelId, vector: embedding.slice() });

  t = performance.now();
  const findings = await diagnose(pack, batch, duplicated, size);
  const diagnosisMs = performance.now() - t;

  const thumbnail = request.thumbnail ? await thumbnailOf(decoded[frontalIndex]!) : null;
  const base = {
    frontal: choice(frontalIndex),
    lateral: { ...choice(lateralIndex), duplicated },
    viewWarnings: warnings,
    modelId,
    embedding,
    thumbnail,
    findings,
  };
  if (request.mode === "embed") {
    return {
      ...base,
      retrieved: null,
      tokens: null,
      score: null,
      steps: null,
      timings: { decodeMs, preprocessMs, visionMs, diagnosisMs, galleryMs: 0, encoderMs: 0, beamMs: 0 },
    };
  }
  check();

  progress("retrieval", 0, 1);
  t = performance.now();
  const nearest = await nearestGalleryStudyWith(kernel, pack.gallery, embedding, new Set(request.excludeIds));
  if (!nearest) throw new InferenceError("MODEL_FAILED", "the pack gallery has no study left to retrieve");
  const galleryMs = performance.now() - t;

  progress("encoder", 0, 1);
  t = performance.now();
  // A prompted generator (manifest prompts) reads the diagnosis branch's decisions (docs/model.md).
  const decisions = findings
    ? promptDecisions(
        pack.manifest,
        findings.map((f) => f.probability),
      )
    : null;
  if (pack.manifest.prompts && !decisions)
    throw new InferenceError("MODEL_FAILED", "the pack's generator needs the diagnosis branch's decisions");
  const memory = await encodeStudy(pack, patchTokens, pack.gallery.tokenIds[nearest.index]!, decisions);
  const encoderMs = performance.now() - t;
  check();

  t = performance.now();
  const beam = await runBeam(pack, memory, signal, (step, max) => progress("beam decode", step, max));
  const beamMs = performance.now() - t;
  return {
    ...base,
    retrieved: { studyId: nearest.id, similarity: nearest.similarity },
    tokens: beam.tokens,
    score: beam.score,
    steps: beam.steps,
    timings: { decodeMs, preprocessMs, visionMs, diagnosisMs, galleryMs, encoderMs, beamMs },
  };
}

async function pump(): Promise<void> {
  if (busy) return;
  busy = true;
  try {
    for (let next = queue.shift(); next; next = queue.shift()) {
      const controller = controllers.get(next.id);
      if (!controller || controller.signal.aborted) {
        controllers.delete(next.id);
        post({ type: "error", id: next.id, error: serializeFailure(new InferenceError("ABORTED", "cancelled")) });
        continue;
      }
      try {
        const result = await run(next.id, next.request, controller.signal);
        const transfer = [result.embedding.buffer as ArrayBuffer];
        if (result.thumbnail) transfer.push(result.thumbnail.buffer as ArrayBuffer);
        post({ type: "result", id: next.id, result }, transfer);
      } catch (error) {
        post({ type: "error", id: next.id, error: serializeFailure(error) });
      } finally {
        controllers.delete(next.id);
      }
    }
  } finally {
    busy = false;
  }
}

port.on("message", (message: MainToWorkerMessage) => {
  if (message.type === "load") {
    load(message.packDir, message.settings).then(
      (info) => post({ type: "loaded", info }),
      (error: unknown) => post({ type: "load-failed", error: serializeFailure(error) }),
    );
  } else if (message.type === "run") {
    const { type: _type, id, ...request } = message;
    controllers.set(id, new AbortController());
    queue.push({ id, request });
    void pump();
  } else if (message.type === "cancel") {
    controllers.get(message.id)?.abort(new Error("cancelled by the caller"));
  }
});
