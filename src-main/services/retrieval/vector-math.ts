/**
 * Small dense-vector kernels on Float32Array: dot products with an unrolled loop, L2 normalisation and a bounded
 * top-k selection. Vectors are rows of one contiguous row-major matrix (row r starts at r * dim).
 */

/**
 * Dot product of row `row` of `matrix` (row length `dim`, any length) with `query`: an unrolled 8-accumulator loop,
 * the one kernel every exact scan here scores with.
 */
export function dotRow(matrix: Float32Array, row: number, query: Float32Array, dim: number): number {
  const base = row * dim;
  const end8 = dim - (dim % 8);
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
  return a0 + a1 + a2 + a3 + (a4 + a5 + a6 + a7);
}

/** Scores rows [start, end) of `matrix` against `query` into `out[0 .. end - start)`. */
export function scoreRows(
  matrix: Float32Array,
  dim: number,
  start: number,
  end: number,
  query: Float32Array,
  out: Float32Array,
): void {
  for (let r = start; r < end; r++) out[r - start] = dotRow(matrix, r, query, dim);
}

/** Euclidean norm. */
export function l2Norm(vector: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < vector.length; i++) sum += vector[i]! * vector[i]!;
  return Math.sqrt(sum);
}

/** A new L2-normalised copy of `vector`. Throws on a zero, NaN or infinite vector (`what` names it). */
export function l2Normalized(vector: Float32Array, what: string): Float32Array {
  for (let i = 0; i < vector.length; i++) {
    if (!Number.isFinite(vector[i]!)) throw new Error(`${what}: element ${i} is ${vector[i]}, not a finite number`);
  }
  const norm = l2Norm(vector);
  if (!(norm > 1e-12)) throw new Error(`${what}: the zero vector has no direction and cannot be normalised`);
  const out = new Float32Array(vector.length);
  for (let i = 0; i < vector.length; i++) out[i] = vector[i]! / norm;
  return out;
}

/**
 * Keeps the `k` largest (score, item) pairs seen so far in a binary min-heap: O(log k) per accepted push, O(1) for
 * the common rejection. `results()` returns them best first (ties: smaller item first).
 */
export class TopK {
  private readonly scores: Float64Array;
  private readonly items: Int32Array;
  private size = 0;

  constructor(readonly k: number) {
    if (!Number.isInteger(k) || k < 1) throw new Error(`top-k needs k >= 1, got ${k}`);
    this.scores = new Float64Array(k);
    this.items = new Int32Array(k);
  }

  get count(): number {
    return this.size;
  }

  /** The smallest kept score once full (a score must beat it to enter), -Infinity before. */
  get threshold(): number {
    return this.size < this.k ? Number.NEGATIVE_INFINITY : this.scores[0]!;
  }

  push(score: number, item: number): void {
    if (this.size < this.k) {
      let i = this.size++;
      while (i > 0) {
        const parent = (i - 1) >> 1;
        if (!this.worse(score, item, this.scores[parent]!, this.items[parent]!)) break;
        this.scores[i] = this.scores[parent]!;
        this.items[i] = this.items[parent]!;
        i = parent;
      }
      this.scores[i] = score;
      this.items[i] = item;
      return;
    }
    if (!this.worse(this.scores[0]!, this.items[0]!, score, item)) return;
    // Replace the root (the worst kept) and sift down.
    let i = 0;
    const n = this.size;
    for (;;) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      let child = left;
      if (right < n && this.worse(this.scores[right]!, this.items[right]!, this.scores[left]!, this.items[left]!))
        child = right;
      if (!this.worse(this.scores[child]!, this.items[child]!, score, item)) break;
      this.scores[i] = this.scores[child]!;
      this.items[i] = this.items[child]!;
      i = child;
    }
    this.scores[i] = score;
    this.items[i] = item;
  }

  /** Kept pairs, best first. */
  results(): { items: number[]; scores: number[] } {
    const order = Array.from({ length: this.size }, (_, i) => i).sort((a, b) =>
      this.worse(this.scores[a]!, this.items[a]!, this.scores[b]!, this.items[b]!) ? 1 : -1,
    );
    return { items: order.map((i) => this.items[i]!), scores: order.map((i) => this.scores[i]!) };
  }

  /** True when (s1, i1) ranks below (s2, i2): lower score, or equal score and larger item. */
  private worse(s1: number, i1: number, s2: number, i2: number): boolean {
    return s1 < s2 || (s1 === s2 && i1 > i2);
  }
}
