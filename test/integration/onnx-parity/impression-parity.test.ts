/**
 * ONNX parity of the impression pack: its two ONNX files in onnxruntime-node against the same weights in PyTorch
 * (`python3 -m training.impression_parity`) on the first test studies' findings. Checks: the drafter's TF-IDF
 * retrieval equals the dataset's (what training read), every encoder output and two decoder steps (the second
 * with a reordered cache) within 1e-4 (probabilities for the step outputs), and the same beam-search tokens.
 *
 * Env: IMPRESSION_PACK_DIR (default models/iu-xray-impression), IMPRESSION_PARITY_STUDIES (default 24).
 * Skipped, saying why, when the pack is absent or /usr/bin/python3 has no torch.
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
  draftImpression,
  type ImpressionPack,
  impressionInputs,
  loadImpressionPack,
} from "../../../src-main/services/impression";
import { rawReportText } from "../../../src-main/services/inference/report-text";
import type { ImpressionExample } from "../../../src-main/services/language/impression-dataset";
import { loadImpressionDataset } from "../../../src-main/services/language/iu-xray-dataset";

const REPO_ROOT = path.resolve(import.meta.dirname, "../../..");
const PACK_DIR = process.env.IMPRESSION_PACK_DIR ?? path.join(REPO_ROOT, "models", "iu-xray-impression");
const STUDIES = Number(process.env.IMPRESSION_PARITY_STUDIES ?? "24");
const TENSOR_STUDIES = 3;
const TOLERANCE = 1e-4;

const hasPack = fs.existsSync(path.join(PACK_DIR, "manifest.json"));
const hasTorch = spawnSync(PYTHON, ["-c", "import torch, onnx"], { encoding: "utf8" }).status === 0;
const reason = !hasPack ? `no impression pack at ${PACK_DIR}` : !hasTorch ? `${PYTHON} has no torch` : "";
if (reason) console.warn(`impression parity skipped: ${reason}`);

interface TorchExample {
  id: string;
  beam_tokens: number[];
  encoder?: Record<string, number[]>;
  step1_log_probs?: number[];
  step2_log_probs?: number[];
  step2_present_keys?: number[];
}

function maxDiff(a: ArrayLike<number>, b: ArrayLike<number>, map: (x: number) => number = (x) => x): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(map(a[i]!) - map(b[i]!)));
  return worst;
}

function int64(values: readonly number[], dims: number[]): ort.Tensor {
  return new ort.Tensor(
    "int64",
    BigInt64Array.from(values, (v) => BigInt(v)),
    dims,
  );
}

describe.skipIf(reason !== "")("impression pack ONNX parity with PyTorch", () => {
  let pack: ImpressionPack;
  let examples: ImpressionExample[];
  let torch: { pack_manifest_sha256: string; examples: TorchExample[] };
  let work: string;

  beforeAll(async () => {
    pack = await loadImpressionPack(PACK_DIR, { intraOpNumThreads: 1 });
    examples = loadImpressionDataset()
      .examples.filter((e) => e.split === "test")
      .slice(0, STUDIES);
    work = fs.mkdtempSync(path.join(os.tmpdir(), "impression-parity-"));
    const inputs = {
      tensors: TENSOR_STUDIES,
      examples: examples.map((e) => {
        const { findingsIds, retrievedIds } = impressionInputs(pack, e.findings);
        return { id: e.id, findings_ids: findingsIds, retrieved_ids: retrievedIds };
      }),
    };
    fs.writeFileSync(path.join(work, "inputs.json"), JSON.stringify(inputs));
    const run = spawnSync(
      PYTHON,
      [
        "-m",
        "training.impression_parity",
        "--pack",
        PACK_DIR,
        "--inputs",
        path.join(work, "inputs.json"),
        "--out",
        path.join(work, "torch.json"),
      ],
      { cwd: REPO_ROOT, encoding: "utf8" },
    );
    if (run.status !== 0) throw new Error(`training.impression_parity failed: ${run.stderr}`);
    torch = JSON.parse(fs.readFileSync(path.join(work, "torch.json"), "utf8"));
  }, 300_000);

  afterAll(async () => {
    await pack?.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  it("PyTorch ran the pack's own checkpoint", () => {
    const sha = createHash("sha256")
      .update(fs.readFileSync(path.join(PACK_DIR, "manifest.json")))
      .digest("hex");
    expect(torch.pack_manifest_sha256).toBe(sha);
    expect(torch.examples.length).toBe(examples.length);
  });

  it("the drafter retrieves the same train impression as the dataset training read", () => {
    for (const e of examples) {
      const { retrievedIds, near } = impressionInputs(pack, e.findings);
      expect(pack.gallery.uids[near.index], e.id).toBe(e.retrieved_uid);
      expect(retrievedIds, e.id).toEqual(e.retrieved_ids);
    }
  });

  it("encoder outputs and two decoder steps agree within 1e-4", async () => {
    // Three rows, whatever beam size the pack decodes with: the second step reorders the cache across them.
    const k = 3;
    for (const [i, e] of examples.slice(0, TENSOR_STUDIES).entries()) {
      const expected = torch.examples[i]!;
      const { findingsIds, retrievedIds } = impressionInputs(pack, e.findings);
      const state = await pack.sessions.encoder.run({
        findings_ids: int64(findingsIds, [1, findingsIds.length]),
        retrieved_ids: int64(retrievedIds, [1, retrievedIds.length]),
      });
      for (const name of ["cross_keys", "cross_values", "pointer_keys", "copy_map", "source_bias"])
        expect(maxDiff(state[name]!.data as Float32Array, expected.encoder![name]!), `${e.id} ${name}`).toBeLessThan(
          TOLERANCE,
        );
      const dims = (state.cross_keys as ort.Tensor).dims as number[];
      const empty = () => new ort.Tensor("float32", new Float32Array(0), [dims[0]!, k, dims[2]!, 0, dims[4]!]);
      const source = {
        cross_keys: state.cross_keys!,
        cross_values: state.cross_values!,
        pointer_keys: state.pointer_keys!,
        copy_map: state.copy_map!,
        source_bias: state.source_bias!,
      };
      const start = pack.manifest.decoding.start_id;
      const step1 = await pack.sessions.step.run({
        input_ids: int64([start, start, start], [k, 1]),
        beam_origin: int64([0, 0, 0], [k]),
        past_keys: empty(),
        past_values: empty(),
        ...source,
      });
      const step2 = await pack.sessions.step.run({
        input_ids: int64([5, 7, 9], [k, 1]),
        beam_origin: int64([2, 0, 1], [k]),
        past_keys: step1.present_keys!,
        past_values: step1.present_values!,
        ...source,
      });
      // log-probabilities of near-zero probabilities amplify float noise: compare probabilities
      expect(maxDiff(step1.log_probs!.data as Float32Array, expected.step1_log_probs!, Math.exp)).toBeLessThan(
        TOLERANCE,
      );
      expect(maxDiff(step2.log_probs!.data as Float32Array, expected.step2_log_probs!, Math.exp)).toBeLessThan(
        TOLERANCE,
      );
      expect(maxDiff(step2.present_keys!.data as Float32Array, expected.step2_present_keys!)).toBeLessThan(TOLERANCE);
    }
  });

  it("beam search gives the same tokens in TypeScript (ONNX) and PyTorch", async () => {
    const idx2token = pack.manifest.tokenizer.idx2token;
    for (const [i, e] of examples.entries()) {
      const draft = await draftImpression(pack, e.findings, { consistency: false });
      expect(draft.modelRaw, e.id).toBe(rawReportText(torch.examples[i]!.beam_tokens, idx2token));
    }
  });
});
