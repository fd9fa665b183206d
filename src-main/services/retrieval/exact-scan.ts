import { dotRow, TopK } from "./vector-math";

export interface ScoredRows {
  /** Row numbers in the matrix, best first. */
  rows: number[];
  /** Cosine similarities (dot products of L2-normalised vectors), same order. */
  scores: number[];
}

/**
 * Exact top-k by dot product over rows [0, count) of a contiguous row-major matrix: one pass of `dotRow` and a
 * bounded heap that only sees rows that beat its current threshold.
 * `skip(row)` leaves rows out (self-exclusion, removed rows).
 */
export function exactTopK(
  matrix: Float32Array,
  dim: number,
  count: number,
  query: Float32Array,
  k: number,
  skip?: (row: number) => boolean,
  rowOffset = 0,
): ScoredRows {
  const top = new TopK(k);
  scanInto(top, matrix, dim, 0, count, query, skip, rowOffset);
  const { items, scores } = top.results();
  return { rows: items, scores };
}

/** Scans rows [start, end) of `matrix` into `top` (rows reported as row + rowOffset). */
export function scanInto(
  top: TopK,
  matrix: Float32Array,
  dim: number,
  start: number,
  end: number,
  query: Float32Array,
  skip?: (row: number) => boolean,
  rowOffset = 0,
): void {
  let threshold = top.threshold;
  for (let r = start; r < end; r++) {
    const score = dotRow(matrix, r, query, dim);
    if (score < threshold) continue;
    const row = r + rowOffset;
    if (skip?.(row)) continue;
    top.push(score, row);
    threshold = top.threshold;
  }
}

/**
 * Pushes scores computed elsewhere (a GEMM's dot products) into `top`: scores[base + i] for i in [0, count) as row
 * `rowOf(i)`, unless `skip(row)`. Only scores that beat the current threshold reach `skip` and the heap.
 */
export function scoresInto(
  top: TopK,
  scores: ArrayLike<number>,
  base: number,
  count: number,
  rowOf: (i: number) => number,
  skip?: (row: number) => boolean,
): void {
  let threshold = top.threshold;
  for (let i = 0; i < count; i++) {
    const score = scores[base + i]!;
    if (score < threshold) continue;
    const row = rowOf(i);
    if (skip?.(row)) continue;
    top.push(score, row);
    threshold = top.threshold;
  }
}
