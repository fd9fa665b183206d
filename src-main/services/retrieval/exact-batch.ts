import type { DenseKernel } from "./dense-kernel";
import { type ScoredRows, scoresInto } from "./exact-scan";
import { TopK } from "./vector-math";

/**
 * Exact top-k of many queries at once through a dense kernel (GEMM over row chunks): the ground truth for recall
 * and for choosing nprobe. `skip(query, row)` leaves rows out per query (a query that is itself an indexed row).
 */
export async function exactTopKBatch(
  kernel: DenseKernel,
  queries: Float32Array,
  queryCount: number,
  matrix: Float32Array,
  count: number,
  dim: number,
  k: number,
  options: {
    chunkRows?: number;
    skip?: (query: number, row: number) => boolean;
    onChunk?: (done: number) => void;
  } = {},
): Promise<ScoredRows[]> {
  const tops = Array.from({ length: queryCount }, () => new TopK(k));
  const chunkRows = options.chunkRows ?? 32768;
  for (let start = 0; start < count; start += chunkRows) {
    const n = Math.min(chunkRows, count - start);
    const scores = await kernel.dotProducts(
      queries,
      queryCount,
      matrix.subarray(start * dim, (start + n) * dim),
      n,
      dim,
    );
    for (let q = 0; q < queryCount; q++) {
      const skip = options.skip;
      scoresInto(tops[q]!, scores, q * n, n, (i) => start + i, skip && ((row) => skip(q, row)));
    }
    options.onChunk?.(start + n);
  }
  return tops.map((top) => {
    const { items, scores } = top.results();
    return { rows: items, scores };
  });
}

/** Mean recall@k of `found` against `truth` (the fraction of each true top-k that was found). */
export function meanRecall(found: readonly ScoredRows[], truth: readonly ScoredRows[]): number {
  if (found.length !== truth.length) throw new Error(`recall: ${found.length} results for ${truth.length} queries`);
  let sum = 0;
  for (let q = 0; q < truth.length; q++) {
    const expected = truth[q]!.rows;
    if (expected.length === 0) {
      sum += 1;
      continue;
    }
    const got = new Set(found[q]!.rows);
    sum += expected.filter((row) => got.has(row)).length / expected.length;
  }
  return truth.length ? sum / truth.length : 1;
}
