/**
 * The generator's gallery lookup on the demo pack's real gallery: the worker's onnxruntime-GEMM path
 * (nearestGalleryStudyWith on createGalleryKernel, which the ONNX parity test runs too) picks the same study as a
 * plain float64 loop, for gallery studies (excluding themselves) and for blends of two studies; exclusions hold.
 */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { type PackGallery, readModelPackManifest, readPackGallery } from "../../../src-main/services/model-pack";
import {
  createGalleryKernel,
  nearestGalleryStudyWith,
} from "../../../src-main/services/model-pack/reference-inference";
import type { DenseKernel } from "../../../src-main/services/retrieval/dense-kernel";
import { demoPackDir } from "./demo-pack";

let gallery: PackGallery;
let kernel: DenseKernel;
beforeAll(async () => {
  const dir = demoPackDir();
  gallery = readPackGallery(dir, readModelPackManifest(dir));
  kernel = await createGalleryKernel();
});
afterAll(() => kernel?.close());

function plainNearest(query: Float32Array, exclude: ReadonlySet<string>): { index: number; similarity: number } {
  let index = -1;
  let similarity = Number.NEGATIVE_INFINITY;
  for (let row = 0; row < gallery.count; row++) {
    if (exclude.has(gallery.ids[row]!)) continue;
    let dot = 0;
    for (let i = 0; i < gallery.dim; i++) dot += gallery.embeddings[row * gallery.dim + i]! * query[i]!;
    if (dot > similarity) [index, similarity] = [row, dot];
  }
  return { index, similarity };
}

function row(r: number): Float32Array {
  return gallery.embeddings.slice(r * gallery.dim, (r + 1) * gallery.dim);
}

describe("nearest gallery study on the demo pack", () => {
  test("the GEMM lookup agrees with a float64 loop, excluding the query's study", async () => {
    expect(gallery.count).toBeGreaterThan(1000);
    for (let r = 0; r < gallery.count; r += 97) {
      const query = row(r);
      const exclude = new Set([gallery.ids[r]!]);
      const expected = plainNearest(query, exclude);
      const gemm = (await nearestGalleryStudyWith(kernel, gallery, query, exclude))!;
      expect(gemm.index).toBe(expected.index);
      expect(gemm.id).toBe(gallery.ids[expected.index]);
      expect(gemm.similarity).toBeCloseTo(expected.similarity, 5);
    }
  });

  test("a blend of two studies finds one of them; without exclusions a study finds itself", async () => {
    const a = row(10);
    const b = row(1500);
    const blend = a.map((v, i) => 0.6 * v + 0.4 * b[i]!);
    const gemm = (await nearestGalleryStudyWith(kernel, gallery, blend))!;
    expect(gemm.index).toBe(plainNearest(blend, new Set()).index);
    const self = (await nearestGalleryStudyWith(kernel, gallery, row(42)))!;
    expect(self.index).toBe(42);
    expect(self.similarity).toBeCloseTo(1, 5);
  });

  test("every study excluded: null", async () => {
    const all = new Set(gallery.ids);
    expect(await nearestGalleryStudyWith(kernel, gallery, row(0), all)).toBeNull();
  });
});
