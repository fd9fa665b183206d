import { TopK } from "./vector-math";

export interface ScoredRows {
  /** Row numbers in the matrix, best first. */
  rows: number[];
  /** Cosine similarities (dot products of L2-normalised vectors), same order. */
  scores: number[];
}

/**
 * Exact top-k by dot product over rows [0, count) of a contiguous row-major matrix: one pass, an unrolled
 * 8-accumulator dot product, and a bounded heap that only sees rows that beat its current threshold.
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
  const end8 = dim - (dim % 8);
  let threshold = top.threshold;
  for (let r = start; r < end; r++) {
    const base = r * dim;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let a4 = 0;
    let a5 = 0;
    let a6 = 0;
    let a7 = 0;
    let j = 0;
    for (; j < end8; j += 8) {
      const b = base + j;
      a0 += matrix[b]! * query[j]!;
      a1 += matrix[b + 1]! * query[j + 1]!;
      a2 += matrix[b + 2]! * query[j + 2]!;
      a3 += matrix[b + 3]! * query[j + 3]!;
      a4 += matrix[b + 4]! * query[j + 4]!;
      a5 += matrix[b + 5]! * query[j + 5]!;
      a6 += matrix[b + 6]! * query[j + 6]!;
      a7 += matrix[b + 7]! * query[j + 7]!;
    }
    for (; j < dim; j++) a0 += matrix[base + j]! * query[j]!;
    const score = a0 + a1 + a2 + a3 + (a4 + a5 + a6 + a7);
    if (score < threshold) continue;
    const row = r + rowOffset;
    if (skip?.(row)) continue;
    top.push(score, row);
    threshold = top.threshold;
  }
}
