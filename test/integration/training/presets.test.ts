/**
 * Every training preset builds and runs on CPU, including `cuda` (Swin-Tiny, d = 512), which cannot be trained on
 * this machine: `python3 -m training.check_presets` runs the vision encoder, the MedCLIP loss, the generator and
 * one cached decoder step of each preset. Needs /usr/bin/python3 with torch (skipped without it).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { TRAINING_PYTHON as PYTHON } from "../../../src-main/cli/training-python";

const REPO_ROOT = path.resolve(import.meta.dirname, "../../..");
const hasTorch =
  fs.existsSync(PYTHON) && spawnSync(PYTHON, ["-c", "import torch, torchvision"], { stdio: "ignore" }).status === 0;

describe.skipIf(!hasTorch)("training presets on CPU", () => {
  it("cuda (Swin-Tiny 7x7x768 patch tokens, d=512 generator) and cpu construct and run a forward pass", () => {
    const run = spawnSync(PYTHON, ["-m", "training.check_presets", "--preset", "cuda", "--preset", "cpu"], {
      cwd: REPO_ROOT,
      encoding: "utf8",
    });
    expect(run.status, run.stderr).toBe(0);
    const rows = run.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as Record<string, unknown>);
    const cuda = rows.find((r) => r.preset === "cuda")!;
    expect(cuda.vision).toBe("swin_t");
    expect(cuda.patch_tokens).toEqual([4, 49, 768]);
    expect(cuda.embedding).toEqual([4, 512]);
    expect(cuda.d_model).toBe(512);
    expect(cuda.cross_keys).toEqual([3, 2, 8, 98, 64]);
    expect(cuda.step_log_probs).toEqual([2, 761]);
    const cpu = rows.find((r) => r.preset === "cpu")!;
    expect(cpu.patch_tokens).toEqual([4, 16, 256]);
    expect(cpu.present_keys).toEqual([3, 2, 8, 1, 16]);
    console.log(rows.map((r) => JSON.stringify(r)).join("\n"));
  }, 300_000);
});
