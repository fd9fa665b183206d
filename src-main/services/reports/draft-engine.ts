/**
 * The seam between the reports service and the inference engine (issue 6): a study goes in, an AI draft, the top-k
 * similar cases and the study embedding come out. The reports service runs with `engine: null` until a model pack
 * is loaded and then answers drafting requests with an "unavailable" job state, never with invented text.
 */
import type { EngineModel, LabelVector, ModelFinding, SimilarCase } from "../../../src-shared/report-types";
import type { OodScore } from "../../../src-shared/scope/chest-scope";

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
  /** A small PNG/JPEG of the study's frontal view, kept with the job for the signed case's index entry. */
  thumbnail?: Uint8Array | null;
  /** The model's out-of-distribution evidence (src-shared/scope): nearest-gallery similarity and the pack's threshold. */
  ood?: OodScore;
}

export interface DraftEngine {
  /** The model the engine runs (shown before a job has finished). */
  readonly model: EngineModel;
  generate(studyId: string, options: DraftEngineOptions): Promise<DraftEngineResult>;
  /** A thumbnail of the study's frontal view without drafting (start-up recovery of older signed cases). */
  studyThumbnail?(studyId: string): Promise<Uint8Array | null>;
}

/** The drafting engine of the moment: null while no model pack is loaded (or the pack was refused). */
export type DraftEngineProvider = () => DraftEngine | null;

/**
 * What the reports service needs of the retrieval index to add a signed case: `RetrievalService.addCase`
 * (src-main/services/retrieval), which refuses a vector of another model; `hasCase` and `hasThumbnail` let the
 * start-up recovery find a signed case a crash left out of the index or without its thumbnail.
 */
export interface SignedCaseSink {
  /** The index's embedding model, null before it has one. */
  readonly modelId: string | null;
  addCase(entry: {
    studyId: string;
    report: string;
    labels: LabelVector;
    source: "signed";
    modelId: string;
    vector: Float32Array;
    thumbnail?: Uint8Array | null;
  }): unknown;
  hasCase(studyId: string): boolean;
  hasThumbnail(studyId: string): boolean;
}
