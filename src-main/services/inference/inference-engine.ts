/**
 * InferenceEngine: study images in, a draft report, the study embedding and the similar cases out. The model pack
 * runs in one worker thread (decode, preprocessing, onnxruntime sessions, beam search), so the calling thread's event
 * loop stays free; the similar-case search runs here on the retrieval index (SQLite-backed RetrievalService) while
 * the worker generates. Implements the reports service's DraftEngine seam.
 */
import path from "node:path";
import type { ResourceLimits, Worker } from "node:worker_threads";
import type { OodScore, ScopeCalibration } from "../../../src-shared/scope/chest-scope";
import type { ImpressionService } from "../impression/impression-service";
import { galleryFromData, type IndexGallery, type ModelPackManifest } from "../model-pack";
import { readScopeCalibration } from "../model-pack/load-model-pack";
import type { DraftEngine, DraftEngineResult, DraftProgress, EngineModel, ModelFinding } from "../reports/draft-engine";
import type { RetrievalService } from "../retrieval/retrieval-service";
import type { SimilarCase } from "../retrieval/types";
import { availableCpus, siblingWorkerUrl, startWorker, workerUrlOption } from "../worker-threads";
import { abortedError, deserializeFailure, InferenceError } from "./errors";
import { type DisplayCasing, displayReport, rawReportText, reportSections } from "./report-text";
import type {
  ExecutionProviderName,
  LoadedInfo,
  MainToWorkerMessage,
  RunMode,
  StudyImageInput,
  ViewChoice,
  WorkerRunResult,
  WorkerSessionSettings,
  WorkerToMainMessage,
} from "./worker-protocol";

export type { ExecutionProviderName, StudyImageInput };

export interface InferenceEngineOptions {
  /** The model pack folder (radiology-draft/model-pack@1). */
  packDir: string;
  /** Tried in order at start; default ["cuda", "cpu"]: CUDA when its provider library and a GPU are present. */
  executionProviders?: readonly ExecutionProviderName[];
  /** onnxruntime intra-op threads per session; default min(4, available CPUs). */
  intraOpNumThreads?: number;
  /** Run every session once at start so the first request is not slow (default true). */
  warmup?: boolean;
  /** The similar-case index; without one, results have no similar cases. */
  retrieval?: RetrievalService | null;
  /** The image files of a study in the case database, for DraftEngine.generate(studyId). */
  studyImages?: ((studyId: string) => readonly StudyImageInput[]) | null;
  /** Similar cases returned by default (default 5). */
  topK?: number;
  /** Word casing for the display text (buildDisplayCasing over report texts). */
  displayCasing?: DisplayCasing;
  /** Drafts the Impression from the generated findings (the impression pack); without one Impression stays empty. */
  impression?: ImpressionService | null;
  /** The worker entry (default: inference-worker.ts / .js beside this module or the bundle holding it). */
  workerUrl?: URL | string;
  resourceLimits?: ResourceLimits;
}

export interface GenerateOptions {
  signal?: AbortSignal | undefined;
  onProgress?: ((progress: DraftProgress) => void) | undefined;
  /** Similar cases to return (default the engine's topK). */
  k?: number | undefined;
  /** Study ids never retrieved, neither as similar cases nor as the generator's input (the study itself). */
  excludeIds?: readonly string[] | undefined;
  /** Also make the frontal view's thumbnail (the study's retrieval index entry once it is signed). */
  thumbnail?: boolean | undefined;
}

export interface StageTimings {
  decodeMs: number;
  preprocessMs: number;
  visionMs: number;
  /** The diagnosis branch (0 for a pack without one). */
  diagnosisMs: number;
  /** Similar-case search on the retrieval index plus the generator's gallery lookup. */
  retrievalMs: number;
  /** The similar-case search alone (runs while the worker generates). */
  similarSearchMs: number;
  /** The nearest gallery study for the generator, in the worker. */
  galleryMs: number;
  encoderMs: number;
  beamMs: number;
  /** Wall time of the request, from submission to result. */
  totalMs: number;
}

export interface ViewsUsed {
  frontal: ViewChoice;
  lateral: ViewChoice & { duplicated: boolean };
  warnings: readonly string[];
}

export interface GeneratedReport {
  /** Display text (sentence case, punctuated) for the Findings section. */
  findings: string;
  /** Drafted from the findings by the impression model (docs/impression.md); empty without an impression pack. */
  impression: string;
  /** How the impression was drafted (null: no impression pack, or it failed and Impression is empty). */
  impressionDraft: {
    model: { name: string; version: string };
    retrieved: { uid: number; similarity: number };
    consistency: { dropped: string[]; added: string[] };
    ms: number;
  } | null;
  /** The generated tokens joined with spaces: what eval scores. */
  rawText: string;
  tokens: number[];
  /** Summed log-probability of the chosen beam. */
  score: number;
  steps: number;
  /** The gallery study whose report the generator read. */
  retrieved: { studyId: string; similarity: number };
  similarCases: SimilarCase[];
  /** The diagnosis branch's findings in the pack's order (empty for a pack without one). */
  modelFindings: ModelFinding[];
  embedding: { modelId: string; vector: Float32Array };
  /** PNG of the frontal view when asked for (GenerateOptions.thumbnail), else null. */
  thumbnail: Uint8Array | null;
  views: ViewsUsed;
  model: EngineModel;
  timings: StageTimings;
}

export interface StudyEmbeddingResult {
  modelId: string;
  vector: Float32Array;
  thumbnail: Uint8Array | null;
  views: ViewsUsed;
  timings: Pick<StageTimings, "decodeMs" | "preprocessMs" | "visionMs" | "totalMs">;
}

export interface EngineInfo {
  packDir: string;
  name: string;
  version: string;
  /** "sha256:" + sha256 of vision_encoder.onnx: the id of the embedding model. */
  modelId: string;
  executionProvider: ExecutionProviderName;
  providerNotes: readonly string[];
  intraOpNumThreads: number;
  loadMs: number;
  warmupMs: number;
}

interface Pending {
  readonly id: number;
  readonly signal: AbortSignal | undefined;
  readonly onProgress: ((stage: string, done: number, total: number) => void) | undefined;
  readonly onEmbedding: ((modelId: string, vector: Float32Array) => void) | undefined;
  resolve(result: WorkerRunResult): void;
  reject(error: Error): void;
  settled: boolean;
  detachAbort(): void;
}

const STAGE_SPANS: Record<string, [number, number]> = {
  decode: [0, 15],
  preprocess: [15, 20],
  vision: [20, 30],
  retrieval: [30, 35],
  encoder: [35, 40],
  "beam decode": [40, 100],
};

export function defaultThreads(): number {
  return Math.max(1, Math.min(4, availableCpus()));
}

/** inference-worker beside this module or its bundle (see siblingWorkerUrl). */
export function defaultWorkerUrl(): URL {
  return siblingWorkerUrl(import.meta.url, "inference-worker");
}

function clampSimilarity(value: number): number {
  return Math.max(-1, Math.min(1, value));
}

export class InferenceEngine implements DraftEngine {
  readonly model: EngineModel;
  readonly info: EngineInfo;
  readonly manifest: ModelPackManifest;
  /** The pack's gallery as the worker read it at start: the retrieval index seeds from it (the pack is read once). */
  readonly gallery: IndexGallery;
  /** The pack's scope calibration (the out-of-distribution threshold), null when the pack has none. */
  readonly scopeCalibration: ScopeCalibration | null;
  private worker: Worker | null;
  private restarting: Promise<Worker> | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closed = false;
  /** Why the last worker died (a new one is started for the next request). */
  private lastWorkerFailure: string | null = null;

  private constructor(
    private readonly options: InferenceEngineOptions,
    private readonly settings: WorkerSessionSettings,
    worker: Worker,
    loaded: LoadedInfo,
  ) {
    this.worker = worker;
    this.manifest = loaded.manifest;
    this.gallery = galleryFromData(loaded.gallery);
    this.scopeCalibration = readScopeCalibration(loaded.packDir, loaded.manifest);
    this.info = {
      packDir: loaded.packDir,
      name: loaded.manifest.name,
      version: loaded.manifest.version,
      modelId: loaded.manifest.embedding.model_id,
      executionProvider: loaded.executionProvider,
      providerNotes: loaded.providerNotes,
      intraOpNumThreads: loaded.intraOpNumThreads,
      loadMs: loaded.loadMs,
      warmupMs: loaded.warmupMs,
    };
    this.model = {
      name: loaded.manifest.name,
      version: loaded.manifest.version,
      executionProvider: loaded.executionProvider === "cuda" ? "CUDA" : "CPU",
    };
    this.attach(worker);
  }

  /** The live worker, or a new one (the pack loaded again) after the last one died. */
  private liveWorker(): Promise<Worker> {
    if (this.worker) return Promise.resolve(this.worker);
    this.restarting ??= InferenceEngine.spawnAndLoad(this.options, this.info.packDir, {
      ...this.settings,
      warmup: false,
    })
      .then(({ worker }) => {
        if (this.closed) {
          void worker.terminate();
          throw new InferenceError("ENGINE_CLOSED", "the inference engine was closed");
        }
        this.worker = worker;
        this.attach(worker);
        return worker;
      })
      .finally(() => {
        this.restarting = null;
      });
    return this.restarting;
  }

  /**
   * Starts the worker and loads the pack there (verified by the model-pack loader: schema, sha256 of every file,
   * ONNX interfaces), picks the execution provider and warms the sessions up. Rejects with ModelPackError for a bad
   * pack, InferenceError otherwise.
   */
  static async start(options: InferenceEngineOptions): Promise<InferenceEngine> {
    const settings: WorkerSessionSettings = {
      executionProviders: options.executionProviders ?? (["cuda", "cpu"] as const),
      intraOpNumThreads: options.intraOpNumThreads ?? defaultThreads(),
      warmup: options.warmup ?? true,
    };
    if (settings.executionProviders.length === 0)
      throw new InferenceError("INVALID_REQUEST", "executionProviders must name at least one provider");
    for (const provider of settings.executionProviders) {
      if (provider !== "cuda" && provider !== "cpu")
        throw new InferenceError("INVALID_REQUEST", `execution provider "${provider}" is not one of cuda, cpu`);
    }
    if (!Number.isInteger(settings.intraOpNumThreads) || settings.intraOpNumThreads < 1)
      throw new InferenceError(
        "INVALID_REQUEST",
        `intraOpNumThreads must be a positive integer, got ${settings.intraOpNumThreads}`,
      );
    const topK = options.topK ?? 5;
    if (!Number.isInteger(topK) || topK < 1 || topK > 100)
      throw new InferenceError("INVALID_REQUEST", `topK must be an integer from 1 to 100, got ${options.topK}`);
    const packDir = path.resolve(options.packDir);
    const { worker, loaded } = await InferenceEngine.spawnAndLoad(options, packDir, settings);
    return new InferenceEngine({ ...options, packDir, topK }, settings, worker, loaded);
  }

  private static async spawnAndLoad(
    options: InferenceEngineOptions,
    packDir: string,
    settings: WorkerSessionSettings,
  ): Promise<{ worker: Worker; loaded: LoadedInfo }> {
    const worker = InferenceEngine.spawn(options);
    const loaded = await new Promise<LoadedInfo>((resolve, reject) => {
      const onMessage = (message: WorkerToMainMessage) => {
        if (message.type === "loaded") finish(() => resolve(message.info));
        else if (message.type === "load-failed") finish(() => reject(deserializeFailure(message.error)));
      };
      const onError = (error: Error) =>
        finish(() =>
          reject(
            new InferenceError(
              "WORKER_FAILED",
              `the inference worker failed while loading ${packDir}: ${error.message}`,
            ),
          ),
        );
      const onExit = (code: number) =>
        finish(() =>
          reject(
            new InferenceError(
              "WORKER_FAILED",
              `the inference worker exited with code ${code} while loading ${packDir}`,
            ),
          ),
        );
      const finish = (then: () => void) => {
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
        then();
      };
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.on("exit", onExit);
      worker.postMessage({ type: "load", packDir, settings } satisfies MainToWorkerMessage);
    }).catch(async (error: unknown) => {
      await worker.terminate();
      throw error;
    });
    worker.unref();
    return { worker, loaded };
  }

  private static spawn(options: InferenceEngineOptions): Worker {
    const url = workerUrlOption(options.workerUrl, defaultWorkerUrl);
    return startWorker(url, options.resourceLimits ? { resourceLimits: options.resourceLimits } : {});
  }

  private attach(worker: Worker): void {
    worker.on("message", (message: WorkerToMainMessage) => this.onMessage(message));
    worker.on("error", (error) => this.onWorkerGone(worker, `the inference worker failed: ${error.message}`));
    worker.on("exit", (code) => this.onWorkerGone(worker, `the inference worker exited with code ${code}`));
  }

  /**
   * DraftEngine: drafts a study of the case database. Findings get the display text; Impression stays empty; the
   * similar cases exclude the study itself; the run also makes the frontal view's thumbnail, which the study's
   * retrieval index entry takes when the report is signed (no second run at signing).
   */
  async generate(
    studyId: string,
    options: { signal: AbortSignal; onProgress: (progress: DraftProgress) => void },
  ): Promise<DraftEngineResult> {
    const lookup = this.options.studyImages;
    if (!lookup) throw new InferenceError("STUDY_NOT_FOUND", `study ${studyId}: the engine has no case database`);
    let images: readonly StudyImageInput[];
    try {
      images = lookup(studyId);
    } catch (error) {
      throw new InferenceError("STUDY_NOT_FOUND", `study ${studyId}: ${(error as Error).message}`, { cause: error });
    }
    if (images.length === 0) throw new InferenceError("NO_IMAGES", `study ${studyId} has no image files`);
    const report = await this.generateFromImages(images, {
      signal: options.signal,
      onProgress: options.onProgress,
      excludeIds: [studyId],
      thumbnail: true,
    });
    return {
      findings: report.findings,
      impression: report.impression,
      similarCases: report.similarCases,
      modelFindings: report.modelFindings,
      model: report.model,
      embedding: report.embedding,
      thumbnail: report.thumbnail,
      ood: this.oodScore(report),
    };
  }

  /**
   * The scope gate's out-of-distribution score of a generated report: the study embedding's cosine similarity to
   * its nearest gallery (train) study — the one the generator read — and the pack's calibrated threshold.
   */
  oodScore(report: Pick<GeneratedReport, "retrieved">): OodScore {
    return {
      score: clampSimilarity(report.retrieved.similarity),
      threshold: this.scopeCalibration?.threshold ?? null,
    };
  }

  /** DraftEngine: the frontal view's thumbnail of a study of the case database (the vision encoder runs, no draft). */
  async studyThumbnail(studyId: string): Promise<Uint8Array | null> {
    const images = this.options.studyImages?.(studyId) ?? [];
    if (images.length === 0) return null;
    return (await this.embedStudy(images, { thumbnail: true })).thumbnail;
  }

  /** The impression of generated findings; null (and a warning) when there is no impression pack or it fails. */
  private async draftImpression(findings: string) {
    const service = this.options.impression;
    if (!service || !findings.trim()) return null;
    try {
      return { ...(await service.draft(findings)), model: service.model };
    } catch (error) {
      console.warn(`inference: no impression drafted (${(error as Error).message})`);
      return null;
    }
  }

  /** Draft report, similar cases and embedding of a study given as image files (one or two views). */
  async generateFromImages(
    images: readonly StudyImageInput[],
    options: GenerateOptions = {},
  ): Promise<GeneratedReport> {
    const k = options.k ?? this.options.topK ?? 5;
    if (!Number.isInteger(k) || k < 1 || k > 100)
      throw new InferenceError("INVALID_REQUEST", `k must be an integer from 1 to 100, got ${options.k}`);
    const excludeIds = [...(options.excludeIds ?? [])];
    const started = performance.now();
    let search: Promise<{ cases: SimilarCase[]; ms: number }> = Promise.resolve({ cases: [], ms: 0 });
    const progress = options.onProgress;
    const result = await this.submit(images, "generate", excludeIds, options.thumbnail ?? false, options.signal, {
      onProgress: progress
        ? (stage, done, total) => {
            const [from, to] = STAGE_SPANS[stage] ?? [0, 100];
            const fraction = total > 0 ? Math.min(1, done / total) : 0;
            progress({ stage, done: Math.round(from + (to - from) * fraction), total: 100 });
          }
        : undefined,
      onEmbedding: (modelId, vector) => {
        search = this.searchSimilar(modelId, vector, k, excludeIds);
        // Handled when the result is assembled; keeps an early failure from being reported as unhandled.
        search.catch(() => {});
      },
    });
    const similar = await search;
    const rawText = rawReportText(result.tokens ?? [], this.manifest.tokenizer.idx2token);
    const display = displayReport(rawText, this.options.displayCasing);
    const sections = reportSections(display);
    const impressionDraft = await this.draftImpression(sections.findings);
    if (impressionDraft) sections.impression = impressionDraft.text;
    const t = result.timings;
    progress?.({ stage: "done", done: 100, total: 100 });
    return {
      ...sections,
      impressionDraft: impressionDraft && {
        model: impressionDraft.model,
        retrieved: impressionDraft.retrieved,
        consistency: impressionDraft.consistency,
        ms: impressionDraft.ms,
      },
      rawText,
      tokens: [...(result.tokens ?? [])],
      score: result.score ?? 0,
      steps: result.steps ?? 0,
      retrieved: result.retrieved ?? { studyId: "", similarity: 0 },
      similarCases: similar.cases,
      modelFindings: (result.findings ?? []).map((f) => ({ ...f })),
      embedding: { modelId: result.modelId, vector: result.embedding },
      thumbnail: result.thumbnail,
      views: { frontal: result.frontal, lateral: result.lateral, warnings: result.viewWarnings },
      model: this.model,
      timings: {
        decodeMs: t.decodeMs,
        preprocessMs: t.preprocessMs,
        visionMs: t.visionMs,
        diagnosisMs: t.diagnosisMs,
        retrievalMs: similar.ms + t.galleryMs,
        similarSearchMs: similar.ms,
        galleryMs: t.galleryMs,
        encoderMs: t.encoderMs,
        beamMs: t.beamMs,
        totalMs: performance.now() - started,
      },
    };
  }

  /** The study embedding (and a thumbnail of the frontal view) without generating: for indexing studies. */
  async embedStudy(
    images: readonly StudyImageInput[],
    options: { signal?: AbortSignal | undefined; thumbnail?: boolean | undefined } = {},
  ): Promise<StudyEmbeddingResult> {
    const started = performance.now();
    const result = await this.submit(images, "embed", [], options.thumbnail ?? false, options.signal, {});
    return {
      modelId: result.modelId,
      vector: result.embedding,
      thumbnail: result.thumbnail,
      views: { frontal: result.frontal, lateral: result.lateral, warnings: result.viewWarnings },
      timings: {
        decodeMs: result.timings.decodeMs,
        preprocessMs: result.timings.preprocessMs,
        visionMs: result.timings.visionMs,
        totalMs: performance.now() - started,
      },
    };
  }

  /** Stops the worker; pending requests reject with ENGINE_CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const entry of [...this.pending.values()])
      this.settle(entry, new InferenceError("ENGINE_CLOSED", "the inference engine was closed"));
    this.pending.clear();
    await this.worker?.terminate();
    this.worker = null;
  }

  private async searchSimilar(
    modelId: string,
    vector: Float32Array,
    k: number,
    excludeIds: readonly string[],
  ): Promise<{ cases: SimilarCase[]; ms: number }> {
    const retrieval = this.options.retrieval;
    // An index that holds no model yet has nothing to show; an index of another model refuses (ModelMismatchError).
    if (!retrieval || retrieval.modelId === null) return { cases: [], ms: 0 };
    const t = performance.now();
    const cases = await retrieval.search({ modelId, vector, k, excludeIds });
    return { cases, ms: performance.now() - t };
  }

  private submit(
    images: readonly StudyImageInput[],
    mode: RunMode,
    excludeIds: readonly string[],
    thumbnail: boolean,
    signal: AbortSignal | undefined,
    hooks: Pick<Pending, "onProgress" | "onEmbedding"> | Partial<Pick<Pending, "onProgress" | "onEmbedding">>,
  ): Promise<WorkerRunResult> {
    if (this.closed) return Promise.reject(new InferenceError("ENGINE_CLOSED", "the inference engine is closed"));
    if (!Array.isArray(images) || images.length === 0)
      return Promise.reject(new InferenceError("NO_IMAGES", "a study needs at least one image file"));
    for (const [i, image] of images.entries()) {
      if (typeof image?.path !== "string" || image.path.trim() === "")
        return Promise.reject(new InferenceError("INVALID_REQUEST", `image #${i}: path must be a non-empty string`));
    }
    const what = `the study of ${images[0]!.path}`;
    if (signal?.aborted) return Promise.reject(abortedError(signal, what));
    return new Promise<WorkerRunResult>((resolve, reject) => {
      const id = this.nextId++;
      const onAbort = () => {
        this.settle(entry, abortedError(signal, what));
        // The worker stops at its next check (between stages, between beam steps) and drops the result.
        this.worker?.postMessage({ type: "cancel", id } satisfies MainToWorkerMessage);
      };
      const entry: Pending = {
        id,
        signal,
        onProgress: hooks.onProgress,
        onEmbedding: hooks.onEmbedding,
        resolve,
        reject,
        settled: false,
        detachAbort: () => signal?.removeEventListener("abort", onAbort),
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.pending.set(id, entry);
      const message: MainToWorkerMessage = {
        type: "run",
        id,
        images: images.map((image) => ({ path: path.resolve(image.path), view: image.view ?? null })),
        mode,
        excludeIds: [...excludeIds],
        thumbnail,
        // No progress messages (one per beam step) for a caller that does not listen.
        progress: hooks.onProgress !== undefined,
      };
      this.liveWorker().then(
        (worker) => {
          if (entry.settled) return;
          worker.ref();
          worker.postMessage(message);
        },
        (error: unknown) => {
          this.pending.delete(id);
          const why = error instanceof Error ? error.message : String(error);
          this.settle(
            entry,
            new InferenceError(
              "WORKER_FAILED",
              `the inference worker could not be restarted (${why}); it had stopped: ${this.lastWorkerFailure}`,
            ),
          );
        },
      );
    });
  }

  private settle(entry: Pending, outcome: Error | WorkerRunResult): void {
    if (entry.settled) return;
    entry.settled = true;
    entry.detachAbort();
    if (outcome instanceof Error) entry.reject(outcome);
    else entry.resolve(outcome);
  }

  private onMessage(message: WorkerToMainMessage): void {
    if (message.type === "loaded" || message.type === "load-failed") return;
    const entry = this.pending.get(message.id);
    if (!entry) return;
    if (message.type === "progress") {
      if (!entry.settled) entry.onProgress?.(message.stage, message.done, message.total);
      return;
    }
    if (message.type === "embedding") {
      if (!entry.settled) entry.onEmbedding?.(message.modelId, message.vector);
      return;
    }
    this.pending.delete(message.id);
    if (this.pending.size === 0) this.worker?.unref();
    if (message.type === "result") this.settle(entry, message.result);
    else this.settle(entry, deserializeFailure(message.error));
  }

  private onWorkerGone(worker: Worker, reason: string): void {
    if (this.closed || this.worker !== worker) return;
    this.worker = null;
    this.lastWorkerFailure = reason;
    void worker.terminate();
    for (const entry of [...this.pending.values()]) this.settle(entry, new InferenceError("WORKER_FAILED", reason));
    this.pending.clear();
  }
}
