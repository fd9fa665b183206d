import * as ort from "onnxruntime-node";
import { gemmTransBModel } from "./onnx-gemm-model";
import { dotRow } from "./vector-math";

/**
 * Batched dot products between the rows of two row-major matrices: out[i * n + j] = a_i · b_j.
 * The IVF index and the exact ground truth are written against this, so the same code runs on the TypeScript
 * loop (small inputs, tests) or on onnxruntime's GEMM (large inputs: k-means, list scans).
 */
export interface DenseKernel {
  readonly name: string;
  dotProducts(a: Float32Array, m: number, b: Float32Array, n: number, dim: number): Promise<Float32Array>;
  close(): Promise<void>;
}

/** Plain TypeScript loop. */
export class TypeScriptKernel implements DenseKernel {
  readonly name = "typescript";

  async dotProducts(a: Float32Array, m: number, b: Float32Array, n: number, dim: number): Promise<Float32Array> {
    return dotProductsTs(a, m, b, n, dim);
  }

  async close(): Promise<void> {}
}

function dotProductsTs(a: Float32Array, m: number, b: Float32Array, n: number, dim: number): Float32Array {
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    const query = a.subarray(i * dim, (i + 1) * dim);
    for (let j = 0; j < n; j++) out[i * n + j] = dotRow(b, j, query, dim);
  }
  return out;
}

export interface OnnxKernelOptions {
  /** onnxruntime intra-op threads (1 for query-time scans on a shared machine, more for batch builds). */
  threads?: number;
  /** Below this many multiply-adds the TypeScript loop is used (a run call costs ~0.1 ms). Default 64 rows of 512. */
  minOnnxWork?: number;
}

/**
 * onnxruntime's CPU GEMM (MLAS: AVX2/FMA where the CPU has them) on a tiny in-memory Gemm model. Inputs are
 * wrapped, not copied, so a list scan reads the index's own Float32Array.
 */
export class OnnxKernel implements DenseKernel {
  readonly name: string;
  private readonly minWork: number;

  private constructor(
    private readonly session: ort.InferenceSession,
    threads: number,
    minWork: number,
  ) {
    this.name = `onnxruntime-gemm(${threads} thread${threads === 1 ? "" : "s"})`;
    this.minWork = minWork;
  }

  static async create(options: OnnxKernelOptions = {}): Promise<OnnxKernel> {
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`onnx kernel threads must be >= 1, got ${threads}`);
    const session = await ort.InferenceSession.create(gemmTransBModel(), {
      executionProviders: ["cpu"],
      intraOpNumThreads: threads,
      interOpNumThreads: 1,
      graphOptimizationLevel: "all",
      enableCpuMemArena: true,
    });
    return new OnnxKernel(session, threads, options.minOnnxWork ?? 64 * 512);
  }

  async dotProducts(a: Float32Array, m: number, b: Float32Array, n: number, dim: number): Promise<Float32Array> {
    if (a.length < m * dim || b.length < n * dim)
      throw new Error(`dot products: matrices shorter than ${m}x${dim} and ${n}x${dim}`);
    if (m === 0 || n === 0) return new Float32Array(0);
    if (m * n * dim < this.minWork) return dotProductsTs(a, m, b, n, dim);
    const feeds = {
      a: new ort.Tensor("float32", a.length === m * dim ? a : a.subarray(0, m * dim), [m, dim]),
      b: new ort.Tensor("float32", b.length === n * dim ? b : b.subarray(0, n * dim), [n, dim]),
    };
    const result = await this.session.run(feeds);
    const scores = result.scores;
    if (!scores || !(scores.data instanceof Float32Array)) throw new Error("onnx Gemm returned no float32 scores");
    return scores.data;
  }

  async close(): Promise<void> {
    await this.session.release();
  }
}
