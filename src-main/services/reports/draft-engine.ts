/**
 * The seam between the reports service and the inference engine (issue 6): a study goes in, an AI draft, the top-k
 * similar cases and the study embedding come out. The reports service runs with `engine: null` until a model pack
 * is loaded and then answers drafting requests with an "unavailable" job state, never with invented text.
 */
import type { EngineModel, ModelFinding, SimilarCase } from "../../../src-shared/report-types";

export type { EngineModel, ModelFinding, SimilarCase };

export interface DraftProgress {
  /** A short name of the current stage, e.g. "decode", "vision", "retrieval", "beam decode". */
  stage: string;
  done: number;
  total: number;
}

export interface DraftEngineOptions {
  /** Aborted when the user cancels or regenerates; the engine should stop and reject with an AbortError. */
  signal: AbortSignal;
  onProgress: (progress: DraftProgress) => void;
}

export interface StudyEmbedding {
  /** Id of the model that made the vector (the retrieval index refuses to mix models). */
  modelId: string;
  vector: Float32Array;
}

export interface DraftEngineResult {
  /** Sentence-case, punctuated text as shown to people. */
  findings: string;
  impression: string;
  /** Top-k retrieved cases, most similar first. */
  similarCases: SimilarCase[];
  /** The diagnosis branch's findings (absent or empty when the pack has none). */
  modelFindings?: ModelFinding[];
  model: EngineModel;
  /** The study's embedding, kept with the job so the signed case can join the retrieval index. */
  embedding?: StudyEmbedding;
}

export interface DraftEngine {
  /** The model the engine runs (shown before a job has finished). */
  readonly model: EngineModel;
  generate(studyId: string, options: DraftEngineOptions): Promise<DraftEngineResult>;
}

/**
 * What the reports service needs of the retrieval index to add a signed case: `RetrievalService.addCase`
 * (src-main/services/retrieval), which refuses a vector of another model.
 */
export interface SignedCaseSink {
  addCase(entry: {
    studyId: string;
    report: string;
    labels: Array<1 | 0 | -1 | null>;
    source: "signed";
    modelId: string;
    vector: Float32Array;
    thumbnail?: Uint8Array | null;
  }): unknown;
}
