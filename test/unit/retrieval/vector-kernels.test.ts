import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GaussianMixture } from "../../../src-main/bench/synthetic-vectors";
import { OnnxKernel, TypeScriptKernel } from "../../../src-main/services/retrieval/dense-kernel";
import { exactTopKBatch, meanRecall } from "../../../src-main/services/retrieval/exact-batch";
import { exactTopK } from "../../../src-main/services/retrieval/exact-scan";
import { IvfFlatIndex, smallestNprobeFor } from "../../../src-main/services/retrieval/ivf-index";
import { SeededRandom } from "../../../src-main/services/retrieval/seeded-random";
import { l2Normalized, TopK } from "../../../src-main/services/retrieval/vector-math";

function randomUnitRows(count: number, dim: number, seed: number): Float32Array {
  const random = new SeededRandom(seed);
  const out = new Float32Array(count * dim);
  for (let i = 0; i < count; i++) {
    const row = new Float32Array(dim).map(() => random.normal());
    out.set(l2Normalized(row, "row"), i * dim);
  }
  return out;
}

/** Reference: score every row in float64, sort descending (ties: lower row first), keep k. */
function bruteForce(matrix: Float32Array, dim: number, query: Float32Array, k: number, skip = new Set<number>()) {
  const scored: { row: number; score: number }[] = [];
  for (let r = 0; r < matrix.length / dim; r++) {
    if (skip.has(r)) continue;
    let s = 0;
    for (let j = 0; j < dim; j++) s += matrix[r * dim + j]! * query[j]!;
    scored.push({ row: r, score: s });
  }
  scored.sort((a, b) => b.score - a.score || a.row - b.row);
  return scored.slice(0, k);
}

describe("top-k selection and exact scan", () => {
  it("TopK keeps the k largest, best first", () => {
    const random = new SeededRandom(3);
    const values = Array.from({ length: 1000 }, () => random.next());
    const top = new TopK(17);
    values.forEach((v, i) => {
      top.push(v, i);
    });
    const expected = values
      .map((v, i) => ({ v, i }))
      .sort((a, b) => b.v - a.v)
      .slice(0, 17);
    expect(top.results().items).toEqual(expected.map((e) => e.i));
    expect(() => new TopK(0)).toThrow(/k >= 1/);
  });

  it("exact top-k equals brute force, odd dimensions and skipped rows included", () => {
    for (const dim of [512, 37]) {
      const matrix = randomUnitRows(3000, dim, dim);
      const queries = randomUnitRows(20, dim, dim + 1);
      for (let q = 0; q < 20; q++) {
        const query = queries.subarray(q * dim, (q + 1) * dim);
        const skip = new Set([q, q * 7, q * 11 + 3]);
        const expected = bruteForce(matrix, dim, query, 10, skip);
        const got = exactTopK(matrix, dim, 3000, query, 10, (row) => skip.has(row));
        expect(got.rows).toEqual(expected.map((e) => e.row));
        got.scores.forEach((s, i) => {
          expect(s).toBeCloseTo(expected[i]!.score, 5);
        });
      }
    }
  });
});

describe("dense kernels", () => {
  let onnx: OnnxKernel;
  beforeAll(async () => {
    onnx = await OnnxKernel.create({ threads: 1, minOnnxWork: 0 });
  });
  afterAll(async () => {
    await onnx.close();
  });

  it("onnxruntime's Gemm model gives the TypeScript dot products", async () => {
    const dim = 512;
    const a = randomUnitRows(5, dim, 1);
    const b = randomUnitRows(300, dim, 2);
    const expected = await new TypeScriptKernel().dotProducts(a, 5, b, 300, dim);
    const got = await onnx.dotProducts(a, 5, b, 300, dim);
    expect(got.length).toBe(1500);
    let maxDiff = 0;
    for (let i = 0; i < got.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i]! - expected[i]!));
    expect(maxDiff).toBeLessThan(1e-5);
  });

  it("batched exact top-k through onnxruntime equals the TypeScript scan", async () => {
    const dim = 64;
    const matrix = randomUnitRows(5000, dim, 5);
    const queries = randomUnitRows(8, dim, 6);
    const batch = await exactTopKBatch(onnx, queries, 8, matrix, 5000, dim, 10, { chunkRows: 1200 });
    for (let q = 0; q < 8; q++) {
      const single = exactTopK(matrix, dim, 5000, queries.subarray(q * dim, (q + 1) * dim), 10);
      expect(batch[q]!.rows).toEqual(single.rows);
    }
    expect(meanRecall(batch, batch)).toBe(1);
  });
});

describe("IVF-Flat on clustered data", () => {
  const dim = 64;
  const mixture = GaussianMixture.create({ dim, clusters: 200, groups: 10, spread: 1.5, seed: 1 });
  const data = mixture.sample(8000, 2);
  const tuneQueries = mixture.sample(300, 3);
  const evalQueries = mixture.sample(200, 4);
  const kernel = new TypeScriptKernel();

  it("reaches recall@10 >= 0.99 at the calibrated nprobe on held-out queries, and 1 when every list is probed", async () => {
    const index = await IvfFlatIndex.build(data, 8000, dim, { nlist: 90, kernel, seed: 1 });
    expect(index.nlist).toBe(90);
    expect(index.listStart[90]).toBe(8000);
    const tuneTruth = await exactTopKBatch(kernel, tuneQueries, 300, data, 8000, dim, 10);
    const recalls = await index.recallByNprobe(
      tuneQueries,
      tuneTruth.map((t) => t.rows),
      90,
    );
    expect(recalls[89]).toBe(1);
    for (let i = 1; i < recalls.length; i++) expect(recalls[i]!).toBeGreaterThanOrEqual(recalls[i - 1]!);
    // Calibrated above the bar (0.998 on 300 queries) so that held-out queries still clear 0.99.
    const { nprobe } = smallestNprobeFor(recalls, 0.998);
    expect(nprobe).toBeGreaterThan(1); // the clusters overlap: one list is not enough
    expect(nprobe).toBeLessThan(60); // ... but fewer than all lists are

    const evalTruth = await exactTopKBatch(kernel, evalQueries, 200, data, 8000, dim, 10);
    const found = [];
    for (let q = 0; q < 200; q++)
      found.push(await index.search(evalQueries.subarray(q * dim, (q + 1) * dim), 10, nprobe));
    expect(meanRecall(found, evalTruth)).toBeGreaterThanOrEqual(0.99);
    // Similarities are exact: each returned score is the true dot product of its row.
    const first = found[0]!;
    const exact = bruteForce(data, dim, evalQueries.subarray(0, dim), 8000);
    const exactByRow = new Map(exact.map((e) => [e.row, e.score]));
    first.rows.forEach((row, i) => {
      expect(first.scores[i]).toBeCloseTo(exactByRow.get(row)!, 5);
    });

    // Predicted recall (from list membership) is what a search at that nprobe measures.
    const atTwo = [];
    for (let q = 0; q < 300; q++) atTwo.push(await index.search(tuneQueries.subarray(q * dim, (q + 1) * dim), 10, 2));
    expect(meanRecall(atTwo, tuneTruth)).toBeCloseTo(recalls[1]!, 10);

    const all = [];
    for (let q = 0; q < 200; q++) all.push(await index.search(evalQueries.subarray(q * dim, (q + 1) * dim), 10, 90));
    expect(meanRecall(all, evalTruth)).toBe(1);
  });

  it("built in place, it reorders the caller's matrix instead of copying it and finds the same neighbours", async () => {
    const copied = await IvfFlatIndex.build(data, 8000, dim, { nlist: 90, kernel, seed: 1 });
    const own = data.slice();
    let previous: Int32Array | null = null;
    const inPlace = await IvfFlatIndex.build(own, 8000, dim, {
      nlist: 90,
      kernel,
      seed: 1,
      inPlace: { canReorder: () => true, onPermuted: (rows) => (previous = rows.slice()) },
    });
    expect(previous).not.toBeNull();
    expect(inPlace.data.buffer).toBe(own.buffer);
    expect(inPlace.bytes).toBe(copied.bytes - data.byteLength);
    // Row p of the reordered matrix is the former row previous[p].
    for (const p of [0, 17, 4242, 7999]) {
      const from = previous![p]!;
      expect(own.subarray(p * dim, (p + 1) * dim)).toEqual(data.subarray(from * dim, (from + 1) * dim));
    }
    for (let q = 0; q < 50; q++) {
      const query = evalQueries.subarray(q * dim, (q + 1) * dim);
      const a = await copied.search(query, 10, 6);
      const b = await inPlace.search(query, 10, 6);
      expect(b.rows.map((p) => previous![p]!)).toEqual(a.rows);
      expect(b.scores).toEqual(a.scores);
    }
    // Refused at the end (the owner changed its matrix meanwhile): the build copies and leaves the matrix alone.
    const untouched = data.slice();
    const refused = await IvfFlatIndex.build(untouched, 8000, dim, {
      nlist: 90,
      kernel,
      seed: 1,
      inPlace: { canReorder: () => false, onPermuted: () => expect.unreachable() },
    });
    expect(untouched).toEqual(data);
    expect(refused.bytes).toBe(copied.bytes);
  });

  it("the mixture is seeded: the same seed gives the same vectors, all of unit norm", () => {
    const again = GaussianMixture.create({ dim, clusters: 200, groups: 10, spread: 1.5, seed: 1 }).sample(50, 2);
    expect(again).toEqual(data.subarray(0, 50 * dim));
    for (let i = 0; i < 50; i++) {
      let norm = 0;
      for (let j = 0; j < dim; j++) norm += again[i * dim + j]! ** 2;
      expect(Math.sqrt(norm)).toBeCloseTo(1, 5);
    }
  });
});
