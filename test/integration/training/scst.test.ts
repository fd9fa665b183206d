/**
 * The self-critical stage's pieces (training/scst.py): the labeler line service it uses for the clinical reward
 * answers exactly what the toolkit's labeler says, and names a bad line; the Python self-check gives the
 * hand-computed sentence BLEU, the broadcast one-query attention equals the matmul form, and labels read through
 * the service. The Python part needs /usr/bin/python3 with torch (skipped without it).
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { TRAINING_PYTHON as PYTHON } from "../../../src-main/cli/training-python";
import { labelReport } from "../../../src-main/services/language/clinical-labeler";

const REPO_ROOT = path.resolve(import.meta.dirname, "../../..");
const TSX = path.join(REPO_ROOT, "node_modules", ".bin", "tsx");
const hasTorch = fs.existsSync(PYTHON) && spawnSync(PYTHON, ["-c", "import torch"], { stdio: "ignore" }).status === 0;

describe("label-stream CLI (the clinical labeler as a line service)", () => {
  it("labels each JSON line as labelReport does and answers a bad line with a named error", () => {
    const reports = [
      "The heart is enlarged. Small left pleural effusion. No pneumothorax.",
      "the lungs are clear . heart size normal .",
    ];
    const input = [
      JSON.stringify({ report: reports[0] }),
      "not json",
      JSON.stringify({ text: "no report field" }),
      "",
      JSON.stringify({ report: reports[1] }),
    ].join("\n");
    const run = spawnSync(TSX, [path.join(REPO_ROOT, "src-main/cli/label-stream.ts")], {
      cwd: REPO_ROOT,
      input: `${input}\n`,
      encoding: "utf8",
    });
    expect(run.status, run.stderr).toBe(0);
    const lines = run.stdout
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { labels?: unknown; error?: string });
    expect(lines).toHaveLength(4); // the blank line gets no answer
    expect(lines[0]!.labels).toEqual(labelReport(reports[0]!).labels);
    expect(lines[1]!.error).toBe("input line is not JSON");
    expect(lines[2]!.error).toBe('input line has no string "report"');
    expect(lines[3]!.labels).toEqual(labelReport(reports[1]!).labels);
  }, 60_000);
});

describe.skipIf(!hasTorch)("self-critical training helpers (python3 -m training.scst --self-check)", () => {
  it("sentence BLEU, broadcast attention and the labeler service agree with their references", () => {
    const run = spawnSync(PYTHON, ["-m", "training.scst", "--self-check"], { cwd: REPO_ROOT, encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const check = JSON.parse(run.stdout) as {
      bleu_example: number;
      bleu_identical: number;
      bleu_no_overlap: number;
      broadcast_attention_max_diff: number;
      sample_shape: number[];
      sample_lengths: number[];
      labeler: { text: string; positives: number[] }[];
      clinical_f1_example: number;
    };
    // hyp 1 2 3 4 vs ref 1 2 3 5 6: p1 3/4, p2 (2+1)/(3+1), p3 (1+1)/(2+1), p4 (0+1)/(1+1); BP exp(1 - 5/4)
    const expected = Math.exp(1 - 5 / 4) * ((3 / 4) * (3 / 4) * (2 / 3) * (1 / 2)) ** 0.25;
    expect(check.bleu_example).toBeCloseTo(expected, 10);
    expect(check.bleu_identical).toBe(1);
    expect(check.bleu_no_overlap).toBe(0);
    expect(check.broadcast_attention_max_diff).toBeLessThan(1e-5);
    expect(check.sample_shape[0]).toBe(6); // 2 studies x 3 samples
    for (const length of check.sample_lengths) expect(length).toBeGreaterThanOrEqual(1);
    for (const { text, positives } of check.labeler) {
      const labels = labelReport(text).labels;
      expect(positives).toEqual(labels.flatMap((value, index) => (value === 1 ? [index] : [])));
    }
    expect(check.clinical_f1_example).toBeCloseTo(2 / 3, 12);
  }, 120_000);
});
