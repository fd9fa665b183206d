import { SeededRandom } from "../services/retrieval/seeded-random";

/**
 * Seeded synthetic embeddings for benchmarks and tests: a two-level anisotropic Gaussian mixture on the unit sphere,
 * so that vectors form clusters (as real image embeddings do) and an approximate index has structure to exploit,
 * while clusters overlap enough that neighbours cross list boundaries.
 *
 * - `groups` group directions g (uniform on the sphere);
 * - `clusters` cluster centres c = normalise(g + u) with u a random unit vector (cos(c, g) ≈ 0.7), with
 *   log-normal weights (uneven cluster sizes), a spread σ in [0.6, 1.2] × `spread` and per-dimension log-normal
 *   scales (anisotropic);
 * - a vector = normalise(c + σ · (scale ⊙ n) / √dim), n standard normal.
 */
export interface MixtureOptions {
  dim: number;
  clusters: number;
  groups: number;
  /** Norm of the within-cluster noise relative to the unit centre (default 0.8). */
  spread?: number;
  seed: number;
}

export class GaussianMixture {
  private constructor(
    readonly dim: number,
    private readonly centres: Float32Array,
    private readonly scales: Float32Array,
    private readonly sigmas: Float32Array,
    private readonly cumulativeWeights: Float64Array,
  ) {}

  static create(options: MixtureOptions): GaussianMixture {
    const { dim, clusters, groups } = options;
    for (const [name, value] of Object.entries({ dim, clusters, groups })) {
      if (!Number.isInteger(value) || value < 1)
        throw new Error(`mixture ${name} must be a positive integer, got ${value}`);
    }
    const spread = options.spread ?? 0.8;
    const random = new SeededRandom(options.seed);
    const unit = (): Float32Array => {
      const v = new Float32Array(dim);
      let norm = 0;
      for (let j = 0; j < dim; j++) {
        v[j] = random.normal();
        norm += v[j]! * v[j]!;
      }
      norm = Math.sqrt(norm);
      for (let j = 0; j < dim; j++) v[j]! /= norm;
      return v;
    };
    const groupDirections = Array.from({ length: groups }, unit);
    const centres = new Float32Array(clusters * dim);
    const scales = new Float32Array(clusters * dim);
    const sigmas = new Float32Array(clusters);
    const cumulativeWeights = new Float64Array(clusters);
    let total = 0;
    for (let c = 0; c < clusters; c++) {
      const group = groupDirections[random.int(groups)]!;
      const offset = unit();
      let norm = 0;
      for (let j = 0; j < dim; j++) {
        const value = group[j]! + offset[j]!;
        centres[c * dim + j] = value;
        norm += value * value;
      }
      norm = Math.sqrt(norm);
      let meanSquare = 0;
      for (let j = 0; j < dim; j++) {
        centres[c * dim + j]! /= norm;
        const s = Math.exp(0.5 * random.normal());
        scales[c * dim + j] = s;
        meanSquare += s * s;
      }
      const rms = Math.sqrt(meanSquare / dim);
      for (let j = 0; j < dim; j++) scales[c * dim + j]! /= rms;
      sigmas[c] = spread * (0.6 + 0.6 * random.next());
      total += Math.exp(random.normal());
      cumulativeWeights[c] = total;
    }
    for (let c = 0; c < clusters; c++) cumulativeWeights[c]! /= total;
    return new GaussianMixture(dim, centres, scales, sigmas, cumulativeWeights);
  }

  /**
   * `count` L2-normalised vectors (row-major), drawn with their own seed, into `out` when given (e.g. a view of a
   * SharedArrayBuffer); `onRows` reports progress.
   */
  sample<T extends Float32Array<ArrayBufferLike> = Float32Array<ArrayBuffer>>(
    count: number,
    seed: number,
    onRows?: (done: number) => void,
    out: T = new Float32Array(count * this.dim) as T,
  ): T {
    const { dim } = this;
    const random = new SeededRandom(seed);
    if (out.length < count * dim)
      throw new Error(`sample: the output holds ${out.length} floats, needs ${count * dim}`);
    const invSqrtDim = 1 / Math.sqrt(dim);
    for (let i = 0; i < count; i++) {
      const cluster = this.pickCluster(random.next());
      const sigma = this.sigmas[cluster]! * invSqrtDim;
      const c = cluster * dim;
      const o = i * dim;
      let norm = 0;
      for (let j = 0; j < dim; j++) {
        const value = this.centres[c + j]! + sigma * this.scales[c + j]! * random.normal();
        out[o + j] = value;
        norm += value * value;
      }
      const inv = 1 / Math.sqrt(norm);
      for (let j = 0; j < dim; j++) out[o + j]! *= inv;
      if (onRows && (i + 1) % 65536 === 0) onRows(i + 1);
    }
    onRows?.(count);
    return out;
  }

  private pickCluster(u: number): number {
    let lo = 0;
    let hi = this.cumulativeWeights.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cumulativeWeights[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
