import type { LabelVector } from "../../../src-shared/observations";
import { CASE_SOURCES, type CaseSource, type SimilarCase } from "../../../src-shared/report-types";

export { CASE_SOURCES, type CaseSource, type SimilarCase };

/** Top-k bounds of a similar-case query. */
export const DEFAULT_TOP_K = 5;
export const MAX_TOP_K = 100;

/** A case to put in the index. The vector is L2-normalised on the way in. */
export interface CaseInput {
  studyId: string;
  report: string;
  /** 14 CheXpert-order values: 1, 0, -1 or null. */
  labels: LabelVector;
  source: CaseSource;
  /** The embedding model that made `vector`; must be the index's model. */
  modelId: string;
  vector: Float32Array;
  /** Small PNG or JPEG of the frontal view. */
  thumbnail?: Uint8Array | null;
}

export interface SearchRequest {
  /** The model that made `vector`; a query from another model is refused. */
  modelId: string;
  vector: Float32Array;
  /** Default 5, at most 100. */
  k?: number;
  /** Study ids never returned (a study must not retrieve itself). */
  excludeIds?: readonly string[];
}

/** A case as the index stores it: what went in, with the thumbnail (or null) and when it was written. */
export type StoredCase = Omit<CaseInput, "thumbnail"> & { thumbnail: Uint8Array | null; createdAt: string };

/** What the index holds and how it searches. */
export interface RetrievalIndexInfo {
  modelId: string | null;
  dim: number | null;
  count: number;
  bySource: Record<CaseSource, number>;
  gallerySeededAt: string | null;
  /** How searches run now: `exact` scan below `annMinCases` (and while the IVF builds), `ivf` once it is ready. */
  method: "exact" | "ivf";
  /** Why the last IVF build failed (searches then stay exact), or null. */
  ivfError: string | null;
  ivf: { nlist: number; nprobe: number; calibratedRecallAt10: number; coveredCases: number } | null;
}
