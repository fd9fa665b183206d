/** Messages between InferenceEngine (calling thread) and inference-worker.ts. */
import type { SerializedImagingError } from "../imaging";
import type { ModelPackManifest, PackGalleryData } from "../model-pack";

export type ExecutionProviderName = "cuda" | "cpu";

export interface WorkerSessionSettings {
  /** Execution providers to try, in order; the first that opens the pack is used. */
  readonly executionProviders: readonly ExecutionProviderName[];
  readonly intraOpNumThreads: number;
  readonly warmup: boolean;
}

/** An image of a study; `view` is what the caller already knows (the user's override or the import's decision). */
export interface StudyImageInput {
  readonly path: string;
  readonly view?: "frontal" | "lateral" | "unknown" | null | undefined;
}

export type RunMode = "generate" | "embed";

export interface RunRequest {
  readonly images: readonly StudyImageInput[];
  readonly mode: RunMode;
  /** Gallery studies the generator must not read (the study itself, when it is a gallery study). */
  readonly excludeIds: readonly string[];
  /** Make a small PNG of the frontal view (the study's retrieval index entry when it is signed). */
  readonly thumbnail: boolean;
  /** Post progress messages (per stage, per beam step); false when the caller has no progress callback. */
  readonly progress: boolean;
}

export type MainToWorkerMessage =
  | { readonly type: "load"; readonly packDir: string; readonly settings: WorkerSessionSettings }
  | ({ readonly type: "run"; readonly id: number } & RunRequest)
  | { readonly type: "cancel"; readonly id: number };

export interface LoadedInfo {
  readonly manifest: ModelPackManifest;
  /** The pack's gallery as the worker read it, for the retrieval index (the pack is read once). */
  readonly gallery: PackGalleryData;
  readonly packDir: string;
  readonly executionProvider: ExecutionProviderName;
  /** Why an earlier provider in the list was not used (e.g. the CUDA provider library is not installed). */
  readonly providerNotes: readonly string[];
  readonly intraOpNumThreads: number;
  readonly loadMs: number;
  readonly warmupMs: number;
}

export interface ViewChoice {
  readonly index: number;
  readonly path: string;
  readonly source: string;
  readonly reason: string;
  readonly confident: boolean;
}

export interface WorkerTimings {
  /** Reading and decoding every image. */
  readonly decodeMs: number;
  /** Grey conversion, padding, resize, normalisation of both views. */
  readonly preprocessMs: number;
  /** The vision encoder on both views, and the study embedding. */
  readonly visionMs: number;
  /** The diagnosis branch on both views (0 without one). */
  readonly diagnosisMs: number;
  /** Nearest gallery study for the generator (exact top-1 over the pack gallery). */
  readonly galleryMs: number;
  readonly encoderMs: number;
  readonly beamMs: number;
}

/** One finding of the pack's diagnosis branch for a study. */
export interface ModelFindingResult {
  readonly name: string;
  readonly probability: number;
  /** Chosen on val (the pack manifest's diagnosis section). */
  readonly threshold: number;
  /** Whether the pack's val split supports a decision for this finding (val ROC AUC and positives, docs/model.md). */
  readonly reliable: boolean;
  /** reliable and probability >= threshold: the model saw it. */
  readonly positive: boolean;
}

export interface EmbeddingMessage {
  readonly type: "embedding";
  readonly id: number;
  readonly modelId: string;
  readonly vector: Float32Array;
}

export interface WorkerRunResult {
  readonly frontal: ViewChoice;
  /** The lateral view; the frontal one again (`duplicated`) when the study has a single image. */
  readonly lateral: ViewChoice & { readonly duplicated: boolean };
  readonly viewWarnings: readonly string[];
  readonly modelId: string;
  readonly embedding: Float32Array;
  /** PNG bytes of the frontal view, at most 160 px on its long side, when asked for. */
  readonly thumbnail: Uint8Array | null;
  /** The generator's input: the most similar gallery study and its cosine similarity (generate mode). */
  readonly retrieved: { readonly studyId: string; readonly similarity: number } | null;
  /** The diagnosis branch's findings, in the pack's order; null for a pack without a diagnosis branch. */
  readonly findings: readonly ModelFindingResult[] | null;
  /** Generated token ids, without start and end ids (generate mode). */
  readonly tokens: readonly number[] | null;
  readonly score: number | null;
  readonly steps: number | null;
  readonly timings: WorkerTimings;
}

export type SerializedFailure =
  | SerializedImagingError
  | {
      readonly kind: "Error";
      readonly name: string;
      readonly message: string;
      /** InferenceError code. */
      readonly code?: string;
      /** ModelPackError problems, and the pack folder. */
      readonly problems?: readonly string[];
      readonly packDir?: string;
    };

export type WorkerToMainMessage =
  | { readonly type: "loaded"; readonly info: LoadedInfo }
  | { readonly type: "load-failed"; readonly error: SerializedFailure }
  | {
      readonly type: "progress";
      readonly id: number;
      readonly stage: string;
      readonly done: number;
      readonly total: number;
    }
  | EmbeddingMessage
  | { readonly type: "result"; readonly id: number; readonly result: WorkerRunResult }
  | { readonly type: "error"; readonly id: number; readonly error: SerializedFailure };
