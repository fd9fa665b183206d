/**
 * `npm run eval -- --section impression`: the impressions of a split scored against the reference impressions of
 * the Open-i table (resources/iu_xray/indiana_reports.csv), with the contradiction rate against the findings.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, expect, test } from "vitest";
import { loadImpressionDataset } from "../../../src-main/services/language/iu-xray-dataset";

const REPO_ROOT = path.resolve(import.meta.dirname, "..", "..", "..");
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "eval-impression-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

function evalImpressions(rows: { id: string; report: string }[], name: string) {
  const predictions = path.join(tmp, `${name}.jsonl`);
  const out = path.join(tmp, `${name}.json`);
  fs.writeFileSync(predictions, `${rows.map((r) => JSON.stringify(r)).join("\n")}\n`);
  const run = spawnSync(
    process.execPath,
    [
      "--import",
      "tsx",
      "src-main/cli/eval.ts",
      "--section",
      "impression",
      "--split",
      "val",
      "--predictions",
      predictions,
      "--out",
      out,
    ],
    { cwd: REPO_ROOT, encoding: "utf8" },
  );
  expect(run.status, run.stderr).toBe(0);
  return {
    stdout: run.stdout,
    result: JSON.parse(fs.readFileSync(out, "utf8")) as {
      n: number;
      rouge_l: number;
      ce: { f1: number };
      contradictions: { rate: number; normal_despite_acute: number; reference_rate: number };
    },
  };
}

test("the references from the CSV score 1; one normal sentence for every study is scored and its contradictions counted", () => {
  const val = loadImpressionDataset().examples.filter((e) => e.split === "val");
  expect(val.length).toBe(296);
  const references = evalImpressions(
    val.map((e) => ({ id: e.id, report: e.impression })),
    "references",
  );
  expect(references.result.n).toBe(296);
  expect(references.result.rouge_l).toBeCloseTo(1, 6);
  expect(references.result.ce.f1).toBeCloseTo(1, 6);
  expect(references.result.contradictions.rate).toBeCloseTo(references.result.contradictions.reference_rate, 9);
  const normal = evalImpressions(
    val.map((e) => ({ id: e.id, report: "No acute cardiopulmonary abnormality." })),
    "normal",
  );
  console.log(
    `eval --section impression, val: references ROUGE-L ${references.result.rouge_l.toFixed(4)}; all-normal ROUGE-L ${normal.result.rouge_l.toFixed(4)}, CE F1 ${normal.result.ce.f1.toFixed(4)}, contradictions ${(100 * normal.result.contradictions.rate).toFixed(1)} %`,
  );
  expect(normal.result.rouge_l).toBeLessThan(0.9);
  expect(normal.result.contradictions.normal_despite_acute).toBeGreaterThan(0);
  expect(normal.stdout).toMatch(/contradictions/);
}, 300_000);
