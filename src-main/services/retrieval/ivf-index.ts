import type { DenseKernel } from "./dense-kernel";
import { type ScoredRows, scoresInto } from "./exact-scan";
import { SeededRandom } from "./seeded-random";
import { TopK } from "./vector-math";

/**
 * IVF-Flat: an inverted-file index over L2-normalised vectors. Spherical k-means (on a sample) splits the vectors
 * into `nlist` lists around unit centroids; the vectors are laid out list by list in one contiguous matrix — a copy,
 * or (`inPlace`) the caller's own matrix reordered, so the index holds no second copy of the vectors. A query
 * scores the centroids, scans the `nprobe` best lists exactly (float32 dot products, so the similarities returned
 * are exact) and keeps the top k. Recall depends only on whether a true neighbour's list was probed, which lets
 * `recallByNprobe` compute recall for every nprobe from the ground truth without searching.
 */
export interface IvfBuildOptions {
  nlist: number;
  kernel: DenseKernel;
  seed?: number;
  /** k-means iterations on the training sample (default 8). */
  iterations?: number;
  /** Training sample = nlist × this, capped at the vector count (default 32). */
  samplePerList?: number;
  /** Rows per kernel call while assigning (default 4096). */
  batchRows?: number;
  onProgress?: (phase: "train" | "assign", done: number, total: number) => void;
  /**
   * Reorder rows [0, count) of `vectors` in place (list by list) instead of copying them: the index then holds only
   * centroids and tables (≈ 12 bytes a vector), and its rows are the new positions. At the end of the build, with
   * nothing else running in between: `canReorder()` is asked (false, e.g. the owner changed the matrix meanwhile:
   * the build copies as without `inPlace`), then the rows are reordered and `onPermuted(previousRow)` gets the former
   * row of each position, so the owner can renumber what it keeps by row.
   */
  inPlace?: { canReorder(): boolean; onPermuted(previousRow: Int32Array): void };
}

export class IvfFlatIndex {
  private constructor(
    readonly dim: number,
    readonly count: number,
    readonly nlist: number,
    /** nlist × dim unit centroids. */
    readonly centroids: Float32Array,
    /** List l holds positions [listStart[l], listStart[l + 1]) of `data`. */
    readonly listStart: Int32Array,
    /** count × dim: the vectors, reordered list by list (a copy, or the caller's matrix reordered in place). */
    readonly data: Float32Array,
    /** The row reported for each position of `data`: the caller's original row (a copy), or the position itself (in place). */
    readonly rowOfPosition: Int32Array,
    /** The list of each reported row. */
    readonly listOfRow: Int32Array,
    private readonly kernel: DenseKernel,
    /** Whether `data` is the index's own copy (counted in `bytes`) or the caller's matrix. */
    private readonly ownsData: boolean,
  ) {}

  static async build(
    vectors: Float32Array,
    count: number,
    dim: number,
    options: IvfBuildOptions,
  ): Promise<IvfFlatIndex> {
    const { kernel } = options;
    if (!Number.isInteger(count) || count < 1) throw new Error(`IVF build needs at least one vector, got ${count}`);
    if (vectors.length < count * dim)
      throw new Error(`IVF build: ${vectors.length} floats for ${count}x${dim} vectors`);
    const nlist = Math.min(options.nlist, count);
    if (!Number.isInteger(nlist) || nlist < 1)
      throw new Error(`IVF nlist must be a positive integer, got ${options.nlist}`);
    const iterations = options.iterations ?? 8;
    const batchRows = options.batchRows ?? 4096;
    const random = new SeededRandom(options.seed ?? 1);

    // Training sample: a seeded partial shuffle of the row numbers.
    const sampleSize = Math.min(count, nlist * (options.samplePerList ?? 32));
    const order = new Int32Array(count);
    for (let i = 0; i < count; i++) order[i] = i;
    for (let i = 0; i < sampleSize; i++) {
      const j = i + random.int(count - i);
      const t = order[i]!;
      order[i] = order[j]!;
      order[j] = t;
    }
    const sample = new Float32Array(sampleSize * dim);
    for (let i = 0; i < sampleSize; i++) sample.set(vectors.subarray(order[i]! * dim, (order[i]! + 1) * dim), i * dim);

    // Spherical k-means: start from nlist distinct sample vectors; centroid = normalised mean of its members.
    const centroids = sample.slice(0, nlist * dim);
    const sampleAssignment = new Int32Array(sampleSize);
    const sums = new Float64Array(nlist * dim);
    const sizes = new Int32Array(nlist);
    for (let iteration = 0; iteration < iterations; iteration++) {
      await assignNearest(kernel, sample, sampleSize, centroids, nlist, dim, batchRows, sampleAssignment);
      sums.fill(0);
      sizes.fill(0);
      for (let i = 0; i < sampleSize; i++) {
        const list = sampleAssignment[i]!;
        sizes[list]!++;
        const base = list * dim;
        const from = i * dim;
        for (let j = 0; j < dim; j++) sums[base + j]! += sample[from + j]!;
      }
      for (let list = 0; list < nlist; list++) {
        const base = list * dim;
        if (sizes[list] === 0) {
          // An empty list restarts from a random sample vector.
          const pick = random.int(sampleSize) * dim;
          for (let j = 0; j < dim; j++) centroids[base + j] = sample[pick + j]!;
          continue;
        }
        let norm = 0;
        for (let j = 0; j < dim; j++) norm += sums[base + j]! * sums[base + j]!;
        norm = Math.sqrt(norm) || 1;
        for (let j = 0; j < dim; j++) centroids[base + j] = sums[base + j]! / norm;
      }
      options.onProgress?.("train", iteration + 1, iterations);
    }

    // Assign every vector, then lay the lists out contiguously.
    const listOfRow = new Int32Array(count);
    await assignNearest(kernel, vectors, count, centroids, nlist, dim, batchRows, listOfRow, (done) =>
      options.onProgress?.("assign", done, count),
    );
    const listStart = new Int32Array(nlist + 1);
    for (let row = 0; row < count; row++) listStart[listOfRow[row]! + 1]!++;
    for (let list = 0; list < nlist; list++) listStart[list + 1]! += listStart[list]!;
    const fill = listStart.slice(0, nlist);
    const rowOfPosition = new Int32Array(count);
    for (let row = 0; row < count; row++) rowOfPosition[fill[listOfRow[row]!]!++] = row;
    // No await from here on: the check, the reordering and the owner's renumbering happen before anything else runs.
    if (options.inPlace?.canReorder()) {
      permuteRowsInPlace(vectors, dim, rowOfPosition);
      const listOfPosition = new Int32Array(count);
      for (let list = 0; list < nlist; list++) listOfPosition.fill(list, listStart[list]!, listStart[list + 1]!);
      options.inPlace.onPermuted(rowOfPosition);
      const identity = new Int32Array(count);
      for (let i = 0; i < count; i++) identity[i] = i;
      const data = vectors.subarray(0, count * dim);
      return new IvfFlatIndex(dim, count, nlist, centroids, listStart, data, identity, listOfPosition, kernel, false);
    }
    const data = new Float32Array(count * dim);
    for (let position = 0; position < count; position++) {
      const row = rowOfPosition[position]!;
      data.set(vectors.subarray(row * dim, (row + 1) * dim), position * dim);
    }
    return new IvfFlatIndex(dim, count, nlist, centroids, listStart, data, rowOfPosition, listOfRow, kernel, true);
  }

  /** The same index searched through another kernel (e.g. one onnxruntime thread for queries after a 2-thread build). */
  withKernel(kernel: DenseKernel): IvfFlatIndex {
    return new IvfFlatIndex(
      this.dim,
      this.count,
      this.nlist,
      this.centroids,
      this.listStart,
      this.data,
      this.rowOfPosition,
      this.listOfRow,
      kernel,
      this.ownsData,
    );
  }

  /** Bytes held by the index (its copy of the vectors, if it has one; centroids; list tables). */
  get bytes(): number {
    return (
      (this.ownsData ? this.data.byteLength : 0) +
      this.centroids.byteLength +
      this.listStart.byteLength +
      this.rowOfPosition.byteLength +
      this.listOfRow.byteLength
    );
  }

  /** The lists in order of their centroid's similarity to `query`, best first (at most `limit`). */
  async rankLists(query: Float32Array, limit: number): Promise<number[]> {
    const scores = await this.kernel.dotProducts(query, 1, this.centroids, this.nlist, this.dim);
    const top = new TopK(Math.min(limit, this.nlist));
    for (let list = 0; list < this.nlist; list++) top.push(scores[list]!, list);
    return top.results().items;
  }

  /** Top k original rows by dot product among the `nprobe` lists nearest the query; `skip` leaves rows out. */
  async search(query: Float32Array, k: number, nprobe: number, skip?: (row: number) => boolean): Promise<ScoredRows> {
    const lists = await this.rankLists(query, Math.max(1, nprobe));
    const top = new TopK(k);
    for (const list of lists) {
      const start = this.listStart[list]!;
      const size = this.listStart[list + 1]! - start;
      if (size === 0) continue;
      const scores = await this.kernel.dotProducts(
        query,
        1,
        this.data.subarray(start * this.dim, (start + size) * this.dim),
        size,
        this.dim,
      );
      scoresInto(top, scores, 0, size, (i) => this.rowOfPosition[start + i]!, skip);
    }
    const { items, scores } = top.results();
    return { rows: items, scores };
  }

  /**
   * Mean recall@k for nprobe = 1..maxNprobe, from exact neighbours (`truth[q]`: the true top-k rows of query q).
   * A true neighbour is found exactly when its list is among the probed ones, so no search is run.
   */
  async recallByNprobe(queries: Float32Array, truth: number[][], maxNprobe: number): Promise<number[]> {
    const limit = Math.min(maxNprobe, this.nlist);
    const found = new Float64Array(limit + 1);
    for (let q = 0; q < truth.length; q++) {
      const ranked = await this.rankLists(queries.subarray(q * this.dim, (q + 1) * this.dim), limit);
      const rankOfList = new Map(ranked.map((list, rank) => [list, rank]));
      const neighbours = truth[q]!;
      const hitsAtRank = new Float64Array(limit);
      for (const row of neighbours) {
        const rank = rankOfList.get(this.listOfRow[row]!);
        if (rank !== undefined) hitsAtRank[rank]!++;
      }
      let cumulative = 0;
      for (let p = 1; p <= limit; p++) {
        cumulative += hitsAtRank[p - 1]!;
        found[p]! += neighbours.length ? cumulative / neighbours.length : 1;
      }
    }
    return Array.from({ length: limit }, (_, i) => found[i + 1]! / Math.max(1, truth.length));
  }
}

/** The smallest nprobe whose recall reaches `target` (recall[i] is for nprobe = i + 1); the largest if none does. */
export function smallestNprobeFor(recallByNprobe: number[], target: number): { nprobe: number; recall: number } {
  for (let i = 0; i < recallByNprobe.length; i++) {
    if (recallByNprobe[i]! >= target) return { nprobe: i + 1, recall: recallByNprobe[i]! };
  }
  const last = recallByNprobe.length;
  return { nprobe: last, recall: recallByNprobe[last - 1] ?? 0 };
}

/** out[i] = index of the centroid with the largest dot product with row i of `rows`. */
async function assignNearest(
  kernel: DenseKernel,
  rows: Float32Array,
  count: number,
  centroids: Float32Array,
  nlist: number,
  dim: number,
  batchRows: number,
  out: Int32Array,
  onBatch?: (done: number) => void,
): Promise<void> {
  for (let start = 0; start < count; start += batchRows) {
    const m = Math.min(batchRows, count - start);
    const scores = await kernel.dotProducts(rows.subarray(start * dim, (start + m) * dim), m, centroids, nlist, dim);
    for (let i = 0; i < m; i++) {
      let best = 0;
      let bestScore = Number.NEGATIVE_INFINITY;
      const base = i * nlist;
      for (let list = 0; list < nlist; list++) {
        const s = scores[base + list]!;
        if (s > bestScore) {
          bestScore = s;
          best = list;
        }
      }
      out[start + i] = best;
    }
    onBatch?.(start + m);
  }
}

/**
 * Reorders rows so that row p of the result is row `source[p]` of the input (source is a permutation of
 * 0..n-1), in place: each cycle of the permutation is rotated through one spare row, so memory stays at one row.
 */
export function permuteRowsInPlace(matrix: Float32Array, dim: number, source: Int32Array): void {
  const n = source.length;
  const done = new Uint8Array(n);
  const spare = new Float32Array(dim);
  for (let first = 0; first < n; first++) {
    if (done[first] || source[first] === first) {
      done[first] = 1;
      continue;
    }
    spare.set(matrix.subarray(first * dim, (first + 1) * dim));
    let position = first;
    for (;;) {
      done[position] = 1;
      const from = source[position]!;
      if (from === first) {
        matrix.set(spare, position * dim);
        break;
      }
      matrix.copyWithin(position * dim, from * dim, (from + 1) * dim);
      position = from;
    }
  }
}
