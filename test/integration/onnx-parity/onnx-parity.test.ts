/**
 * ONNX parity: the pack's ONNX files in onnxruntime-node (TypeScript) against the same weights in PyTorch on the
 * same inputs. PyTorch's outputs come from `python3 -m training.parity`, run here when /usr/bin/python3 has torch
 * (inputs: the committed fixture's images, or PARITY_DATASET_MANIFEST's test studies); without torch the committed
 * fixture's PyTorch outputs are used. Checks: max |diff| <= 1e-4 on every tensor, same retrieval, same beam output.
 *
 * Env: MODEL_PACK_DIR (default: the demo pack under models/), PARITY_FIXTURE_DIR (default:
 * test/fixtures/onnx-parity/<pack name>), PARITY_DATASET_MANIFEST, PARITY_MIN_STUDIES (default 20).
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRAINING_PYTHON as PYTHON } from "../../../src-main/cli/training-python";
import {
  createGalleryKernel,
  encodeStudy,
  generateTokens,
  loadModelPack,
  type ModelPack,
  nearestGalleryStudyWith,
  promptDecisions,
  runVisionEncoder,
  studyEmbedding,
} from "../../../src-main/services/model-pack";
import type { DenseKernel } from "../../../src-main/services/retrieval/dense-kernel";
import { demoPackDir } from "../../unit/model-pack/demo-pack";

const REPO_ROOT = path.resolve(import.meta.dirname, "../../..");
const TOLERANCE = 1e-4;
const MIN_STUDIES = Number(process.env.PARITY_MIN_STUDIES ?? "20");

interface TensorEntry {
  dtype: "float32" | "float16" | "int64";
  shape: number[];
  offset: number;
  bytes: number;
}
interface FixtureIndex {
  format: string;
  pack_name: string;
  pack_manifest_sha256: string;
  torch?: string;
  studies: {
    id: string;
    retrieved_id: string;
    retrieved_similarity: number;
    beam_tokens: number[];
    /** The prompted generator's finding decisions (packs with a prompts section). */
    decisions?: number[];
  }[];
  tensors: Record<string, TensorEntry>;
}

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

class Fixture {
  readonly index: FixtureIndex;
  private readonly blob: Buffer;
  constructor(readonly dir: string) {
    this.index = JSON.parse(fs.readFileSync(path.join(dir, "index.json"), "utf8")) as FixtureIndex;
    if (this.index.format !== "radiology-draft/onnx-parity-fixture@1") throw new Error(`${dir}: not a parity fixture`);
    this.blob = fs.readFileSync(path.join(dir, "tensors.bin"));
  }
  entry(name: string): TensorEntry {
    const e = this.index.tensors[name];
    if (!e) throw new Error(`${this.dir}: fixture has no tensor ${name}`);
    return e;
  }
  float(name: string): Float32Array {
    const e = this.entry(name);
    const view = new DataView(this.blob.buffer, this.blob.byteOffset + e.offset, e.bytes);
    if (e.dtype === "float32")
      return Float32Array.from({ length: e.bytes / 4 }, (_, i) => view.getFloat32(i * 4, true));
    if (e.dtype === "float16")
      return Float32Array.from({ length: e.bytes / 2 }, (_, i) => halfToFloat(view.getUint16(i * 2, true)));
    throw new Error(`${name} is ${e.dtype}, not a float tensor`);
  }
  int(name: string): number[] {
    const e = this.entry(name);
    const view = new DataView(this.blob.buffer, this.blob.byteOffset + e.offset, e.bytes);
    return Array.from({ length: e.bytes / 8 }, (_, i) => Number(view.getBigInt64(i * 8, true)));
  }
  shape(name: string): number[] {
    return this.entry(name).shape;
  }
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** Runs the diagnosis branch on the fixture's [n, views, S, S] images (view 0 frontal, view 1 lateral). */
async function runDiagnosisBatch(
  session: ort.InferenceSession,
  fixture: Fixture,
): Promise<ort.InferenceSession.ReturnType> {
  const [n, views, , size] = fixture.shape("images") as [number, number, number, number];
  const images = fixture.float("images");
  const plane = size * size;
  const frontal = new Float32Array(n * plane);
  const lateral = new Float32Array(n * plane);
  for (let i = 0; i < n; i++) {
    frontal.set(images.subarray(i * views * plane, (i * views + 1) * plane), i * plane);
    lateral.set(images.subarray((i * views + 1) * plane, (i * views + 2) * plane), i * plane);
  }
  return session.run({
    frontal: new ort.Tensor("float32", frontal, [n, 1, size, size]),
    lateral: new ort.Tensor("float32", lateral, [n, 1, size, size]),
  });
}

function torchAvailable(): boolean {
  if (!fs.existsSync(PYTHON)) return false;
  return spawnSync(PYTHON, ["-c", "import torch, onnx"], { stdio: "ignore" }).status === 0;
}

const packDir = process.env.MODEL_PACK_DIR ? path.resolve(process.env.MODEL_PACK_DIR) : demoPackDir();
let pack: ModelPack;
/** The inference worker's gallery-lookup kernel (createGalleryKernel), so that retrieval runs as in the app. */
let kernel: DenseKernel;
let fixture: Fixture;
let scratch: string | undefined;
const diffs: Record<string, number> = {};

beforeAll(async () => {
  pack = await loadModelPack(packDir);
  kernel = await createGalleryKernel();
  const committed = process.env.PARITY_FIXTURE_DIR
    ? path.resolve(process.env.PARITY_FIXTURE_DIR)
    : path.join(REPO_ROOT, "test", "fixtures", "onnx-parity", pack.manifest.name);
  let source: string;
  if (torchAvailable()) {
    scratch = fs.mkdtempSync(path.join(os.tmpdir(), "onnx-parity-"));
    const inputs = process.env.PARITY_DATASET_MANIFEST
      ? ["--manifest", path.resolve(process.env.PARITY_DATASET_MANIFEST)]
      : ["--inputs", committed];
    const run = spawnSync(PYTHON, ["-m", "training.parity", "--pack", packDir, ...inputs, "--out", scratch], {
      cwd: REPO_ROOT,
      encoding: "utf8",
    });
    if (run.status !== 0) throw new Error(`training.parity failed (exit ${run.status}): ${run.stderr}`);
    fixture = new Fixture(scratch);
    source = `PyTorch ${fixture.index.torch ?? ""} run now (${inputs.join(" ")})`;
  } else {
    fixture = new Fixture(committed);
    source = `committed fixture ${committed} (no ${PYTHON} with torch here)`;
  }
  console.log(`ONNX parity for pack ${pack.manifest.name}: PyTorch outputs from ${source}`);
}, 600_000);

afterAll(async () => {
  if (Object.keys(diffs).length > 0) {
    console.log(
      `max |onnxruntime - PyTorch| per tensor: ${Object.entries(diffs)
        .map(([k, v]) => `${k} ${v.toExponential(2)}`)
        .join(", ")}`,
    );
  }
  await pack?.close();
  await kernel?.close();
  if (scratch) fs.rmSync(scratch, { recursive: true, force: true });
});

describe("ONNX (onnxruntime-node) vs PyTorch", () => {
  it("the fixture belongs to this pack", () => {
    const sha = createHash("sha256")
      .update(fs.readFileSync(path.join(packDir, "manifest.json")))
      .digest("hex");
    expect(fixture.index.pack_manifest_sha256).toBe(sha);
    expect(fixture.index.studies.length).toBeGreaterThanOrEqual(MIN_STUDIES);
  });

  it("vision encoder: patch tokens, view embeddings and study embeddings", async () => {
    const [n, views] = fixture.shape("images") as [number, number];
    const out = await runVisionEncoder(pack, fixture.float("images"), n * views);
    diffs.patch_tokens = maxAbsDiff(out.patchTokens, fixture.float("patch_tokens"));
    diffs.embedding = maxAbsDiff(out.embeddings, fixture.float("embedding"));
    const dim = pack.manifest.embedding.dim;
    const study = new Float32Array(n * dim);
    for (let i = 0; i < n; i++) {
      const frontal = out.embeddings.subarray(2 * i * dim, (2 * i + 1) * dim);
      const lateral = out.embeddings.subarray((2 * i + 1) * dim, (2 * i + 2) * dim);
      study.set(studyEmbedding(frontal, lateral), i * dim);
    }
    diffs.study_embedding = maxAbsDiff(study, fixture.float("study_embedding"));
    expect(diffs.patch_tokens).toBeLessThanOrEqual(TOLERANCE);
    expect(diffs.embedding).toBeLessThanOrEqual(TOLERANCE);
    expect(diffs.study_embedding).toBeLessThanOrEqual(TOLERANCE);
  });

  it("generator encoder: cross-attention keys and values", async () => {
    const shape = fixture.shape("encoder_patch_tokens") as [number, number, number];
    const ids = fixture.shape("encoder_retrieved_ids") as [number, number];
    const feeds: Record<string, ort.Tensor> = {
      patch_tokens: new ort.Tensor("float32", fixture.float("encoder_patch_tokens"), shape),
      retrieved_ids: new ort.Tensor("int64", BigInt64Array.from(fixture.int("encoder_retrieved_ids").map(BigInt)), ids),
    };
    if (pack.manifest.prompts) {
      // a prompted generator: the diagnosis decisions of the same studies
      feeds.finding_decisions = new ort.Tensor(
        "int64",
        BigInt64Array.from(fixture.int("encoder_decisions").map(BigInt)),
        fixture.shape("encoder_decisions"),
      );
    }
    const out = await pack.sessions.generatorEncoder.run(feeds);
    diffs.cross_keys = maxAbsDiff(out.cross_keys!.data as Float32Array, fixture.float("cross_keys"));
    diffs.cross_values = maxAbsDiff(out.cross_values!.data as Float32Array, fixture.float("cross_values"));
    expect(diffs.cross_keys).toBeLessThanOrEqual(TOLERANCE);
    expect(diffs.cross_values).toBeLessThanOrEqual(TOLERANCE);
    if (pack.manifest.prompts?.conditioning === "both") {
      diffs.label_bias = maxAbsDiff(out.label_bias!.data as Float32Array, fixture.float("label_bias"));
      expect(diffs.label_bias).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  it("decoder step: two steps with a reordered key/value cache and broadcast cross memory", async () => {
    const cross = fixture.shape("cross_keys") as number[];
    const [layers, studies, heads, memory, headDim] = cross as [number, number, number, number, number];
    // study 0's cross keys/values: [layers, 1, heads, memory, headDim]
    const slice = (all: Float32Array): Float32Array => {
      const out = new Float32Array(layers * heads * memory * headDim);
      const block = heads * memory * headDim;
      for (let l = 0; l < layers; l++)
        out.set(all.subarray(l * studies * block, l * studies * block + block), l * block);
      return out;
    };
    const crossKeys = new ort.Tensor("float32", slice(fixture.float("cross_keys")), [
      layers,
      1,
      heads,
      memory,
      headDim,
    ]);
    const crossValues = new ort.Tensor("float32", slice(fixture.float("cross_values")), [
      layers,
      1,
      heads,
      memory,
      headDim,
    ]);
    const empty = new ort.Tensor("float32", new Float32Array(0), [layers, 3, heads, 0, headDim]);
    // "both"-prompted generator: study 0's label bias [1, d], broadcast over the rows like its cross memory
    const bias =
      pack.manifest.prompts?.conditioning === "both"
        ? (() => {
            const [, d] = fixture.shape("label_bias") as [number, number];
            return { label_bias: new ort.Tensor("float32", fixture.float("label_bias").slice(0, d), [1, d]) };
          })()
        : {};
    const feeds = (step: "a" | "b", pastKeys: ort.Tensor, pastValues: ort.Tensor) => ({
      ...bias,
      input_ids: new ort.Tensor("int64", BigInt64Array.from(fixture.int(`step_${step}_input_ids`).map(BigInt)), [3, 1]),
      beam_origin: new ort.Tensor(
        "int64",
        BigInt64Array.from(fixture.int(`step_${step}_beam_origin`).map(BigInt)),
        [3],
      ),
      past_keys: pastKeys,
      past_values: pastValues,
      cross_keys: crossKeys,
      cross_values: crossValues,
    });
    const a = await pack.sessions.decoderStep.run(feeds("a", empty, empty));
    const b = await pack.sessions.decoderStep.run(
      feeds("b", a.present_keys as ort.Tensor, a.present_values as ort.Tensor),
    );
    for (const [name, out] of [
      ["step_a", a],
      ["step_b", b],
    ] as const) {
      diffs[`${name}_log_probs`] = maxAbsDiff(out.log_probs!.data as Float32Array, fixture.float(`${name}_log_probs`));
      diffs[`${name}_present_keys`] = maxAbsDiff(
        out.present_keys!.data as Float32Array,
        fixture.float(`${name}_present_keys`),
      );
      diffs[`${name}_present_values`] = maxAbsDiff(
        out.present_values!.data as Float32Array,
        fixture.float(`${name}_present_values`),
      );
      expect(out.present_keys!.dims[3]).toBe(name === "step_a" ? 1 : 2);
    }
    for (const key of Object.keys(diffs).filter((k) => k.startsWith("step_"))) {
      expect(diffs[key], key).toBeLessThanOrEqual(TOLERANCE);
    }
  });

  it("diagnosis branch: per-finding probabilities and features (when the pack has one)", async (ctx) => {
    const session = pack.sessions.diagnosis;
    if (!session) {
      ctx.skip();
      return;
    }
    const out = await runDiagnosisBatch(session, fixture);
    const probabilities = out.probabilities!.data as Float32Array;
    const expected = fixture.float("diagnosis_probabilities");
    diffs.diagnosis_probabilities = maxAbsDiff(probabilities, expected);
    diffs.diagnosis_features = maxAbsDiff(out.features!.data as Float32Array, fixture.float("diagnosis_features"));
    expect(diffs.diagnosis_probabilities).toBeLessThanOrEqual(TOLERANCE);
    expect(diffs.diagnosis_features).toBeLessThanOrEqual(TOLERANCE);
    // Same decisions (probability >= the manifest's threshold) wherever PyTorch is not within tolerance of one.
    const thresholds = pack.manifest.diagnosis!.findings.map((f) => f.threshold);
    let differing = 0;
    probabilities.forEach((p, k) => {
      const t = thresholds[k % thresholds.length]!;
      if (Math.abs(expected[k]! - t) > TOLERANCE && p >= t !== expected[k]! >= t) differing++;
    });
    expect(differing).toBe(0);
  });

  it("end to end per study: same retrieved train study and the same beam-search report", async () => {
    const [n, views] = fixture.shape("images") as [number, number];
    const vision = await runVisionEncoder(pack, fixture.float("images"), n * views);
    const { per_view: perView, dim: tokenDim } = pack.manifest.patch_tokens;
    const dim = pack.manifest.embedding.dim;
    const mismatches: string[] = [];
    let sameBeams = 0;
    // A prompted generator reads the decisions of the ONNX diagnosis branch, as the engine does.
    let probabilities: Float32Array | null = null;
    const findingCount = pack.manifest.diagnosis?.findings.length ?? 0;
    if (pack.manifest.prompts) {
      const out = await runDiagnosisBatch(pack.sessions.diagnosis!, fixture);
      probabilities = out.probabilities!.data as Float32Array;
    }
    let sameDecisions = 0;
    for (let i = 0; i < n; i++) {
      const expected = fixture.index.studies[i]!;
      const embedding = studyEmbedding(
        vision.embeddings.subarray(2 * i * dim, (2 * i + 1) * dim),
        vision.embeddings.subarray((2 * i + 1) * dim, (2 * i + 2) * dim),
      );
      // The worker's gallery lookup, on the kernel it makes (onnxruntime GEMM).
      const nearest = await nearestGalleryStudyWith(kernel, pack.gallery, embedding);
      if (nearest?.id !== expected.retrieved_id) {
        mismatches.push(`${expected.id}: retrieved ${nearest?.id}, PyTorch ${expected.retrieved_id}`);
        continue;
      }
      const tokens = vision.patchTokens.subarray(2 * i * perView * tokenDim, (2 * i + 2) * perView * tokenDim);
      const decisions = probabilities
        ? promptDecisions(pack.manifest, probabilities.subarray(i * findingCount, (i + 1) * findingCount))
        : null;
      if (decisions) {
        if (decisions.join(",") === (expected.decisions ?? []).join(",")) sameDecisions++;
        else mismatches.push(`${expected.id}: decisions [${decisions}] vs PyTorch [${expected.decisions}]`);
      }
      const memory = await encodeStudy(pack, tokens, pack.gallery.tokenIds[nearest.index]!, decisions);
      const result = await generateTokens(pack, memory);
      if (result.tokens.join(" ") === expected.beam_tokens.join(" ")) sameBeams++;
      else mismatches.push(`${expected.id}: beam [${result.tokens}] vs PyTorch [${expected.beam_tokens}]`);
    }
    console.log(
      `same beam output on ${sameBeams}/${n} studies${probabilities ? `, same finding decisions on ${sameDecisions}/${n}` : ""}`,
    );
    expect(mismatches).toEqual([]);
    expect(sameBeams).toBeGreaterThanOrEqual(Math.min(MIN_STUDIES, n));
  });
});
