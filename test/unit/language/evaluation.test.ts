import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readPredictionsJsonl } from "../../../src-main/cli/eval";
import { evaluatePack } from "../../../src-main/cli/eval-pack";
import {
  mostFrequentBaseline,
  randomBaseline,
  samePositiveFindingsOracle,
  seededRandom,
} from "../../../src-main/services/language/baselines";
import {
  EvaluationInputError,
  evaluateReports,
  PredictionSetError,
} from "../../../src-main/services/language/evaluate-reports";
import { loadAnnotationFile } from "../../../src-main/services/language/iu-xray-dataset";
import { clinicalEfficacyFromLabels } from "../../../src-main/services/language/metrics/clinical-efficacy";
import type { LabelVector } from "../../../src-main/services/language/observations";
import { R2GenTokenizer } from "../../../src-main/services/language/r2gen-tokenizer";
import { prepareReportText } from "../../../src-main/services/language/references";
import { readModelPackManifest } from "../../../src-main/services/model-pack";

const annotation = loadAnnotationFile();
const groundTruth = annotation.test.map((study) => ({ id: study.id, report: study.report }));
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "lang-eval-"));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const vector = (positives: number[]): LabelVector =>
  Array.from({ length: 14 }, (_, i) => (positives.includes(i) ? 1 : null));

describe("clinical efficacy", () => {
  it("computes micro and macro precision/recall/F1 of positive findings (hand-computed)", () => {
    // Observation 2: TP 1, FN 1. Observation 4: TP 1, FP 1. Others: nothing -> F1 0.
    const ce = clinicalEfficacyFromLabels([
      { hypothesis: vector([2, 4]), reference: vector([2, 4]) },
      { hypothesis: vector([4]), reference: vector([2]) },
    ]);
    expect(ce.precision).toBeCloseTo(2 / 3, 12);
    expect(ce.recall).toBeCloseTo(2 / 3, 12);
    expect(ce.f1).toBeCloseTo(2 / 3, 12);
    expect(ce.perObservation[2]).toMatchObject({ truePositives: 1, falseNegatives: 1, precision: 1, recall: 0.5 });
    expect(ce.macro_f1).toBeCloseTo((2 / 3 + 2 / 3) / 14, 12);
  });

  it("does not count uncertain or negative labels as positive", () => {
    const ce = clinicalEfficacyFromLabels([{ hypothesis: [-1, 0, ...vector([]).slice(2)], reference: vector([0]) }]);
    expect(ce.recall).toBe(0);
    expect(ce.precision).toBe(0);
  });
});

describe("reference conventions", () => {
  const tokenizer = R2GenTokenizer.fromTrainReports(annotation.train.map((study) => study.report));
  const long = annotation.test.find((study) => study.id === "CXR502_IM-2120")!;

  it("r2gen: cleaned, vocabulary-mapped, at most 59 tokens", () => {
    const reference = prepareReportText(long.report, "r2gen", tokenizer);
    expect(reference.split(" ")).toHaveLength(59);
    expect(prepareReportText("Heart normal. Zzzqq lungs.", "r2gen", tokenizer)).toBe("heart normal . <unk> lungs .");
  });

  it("raw: only cleaned", () => {
    expect(prepareReportText(long.report, "raw", tokenizer).split(" ").length).toBeGreaterThan(59);
    expect(prepareReportText("Heart normal. Zzzqq lungs.", "raw", tokenizer)).toBe("heart normal . zzzqq lungs .");
  });
});

describe("evaluateReports", () => {
  it("gives perfect BLEU, ROUGE-L and clinical efficacy for the references themselves", () => {
    const result = evaluateReports(groundTruth, { annotation });
    expect(result.n).toBe(590);
    expect(result.bleu4).toBeCloseTo(1, 6);
    expect(result.rouge_l).toBeCloseTo(1, 12);
    expect(result.ce.f1).toBe(1);
    // Corpus METEOR pools chunk counts over segments, so even identical text scores below 1 (as METEOR 1.5).
    expect(result.meteor).toBeGreaterThan(0.6);
    expect(result.meteor).toBeLessThan(1);
  });

  it("rejects missing, unknown and repeated ids", () => {
    expect(() => evaluateReports(groundTruth.slice(1), { annotation })).toThrow(PredictionSetError);
    expect(() => evaluateReports(groundTruth.slice(1), { annotation })).toThrow(/lack 1 ids of the test split: CXR/);
    expect(() => evaluateReports([...groundTruth, { id: "CXR0_X", report: "" }], { annotation })).toThrow(
      /not in the test split: CXR0_X/,
    );
    expect(() => evaluateReports([...groundTruth, groundTruth[0]!], { annotation })).toThrow(/repeat ids/);
  });

  // Issue 14.9: an annotation that lists only the test split once scored a constant normal report BLEU-4 0.77 and
  // CE F1 1.00 (vocabulary from an empty train split: every token <unk> on both sides).
  const constantNormal = "The heart is normal in size. The mediastinum is unremarkable. The lungs are clear.";
  const testOnly = { train: [], val: [], test: annotation.test };
  const normalPredictions = annotation.test.map((s) => ({ id: s.id, report: constantNormal }));

  it("refuses an annotation without a train split when no vocabulary is given", () => {
    expect(() => evaluateReports(normalPredictions, { annotation: testOnly })).toThrow(EvaluationInputError);
    expect(() => evaluateReports(normalPredictions, { annotation: testOnly })).toThrow(
      /the annotation has no train studies, so there is no vocabulary to score with/,
    );
  });

  it("refuses references that the scoring vocabulary cannot read (mostly <unk>)", () => {
    const foreign = R2GenTokenizer.fromTrainReports(["zzz yyy xxx . zzz yyy xxx . zzz yyy xxx ."]);
    expect(() => evaluateReports(normalPredictions, { annotation: testOnly, tokenizer: foreign })).toThrow(
      /% of the test reference tokens are unknown to the scoring vocabulary/,
    );
  });

  it("scores a test-only annotation with the pack's vocabulary exactly as with the full annotation", () => {
    const packTokenizer = readModelPackManifest(path.join("models", "iu-xray-synth-demo")).tokenizer;
    const tokenizer = new R2GenTokenizer(packTokenizer.idx2token.slice(1), packTokenizer.max_seq_length);
    const withPack = evaluateReports(normalPredictions, { annotation: testOnly, tokenizer });
    const full = evaluateReports(normalPredictions, { annotation });
    expect(withPack.bleu4).toBeCloseTo(full.bleu4, 12);
    expect(withPack.ce.f1).toBeCloseTo(full.ce.f1, 12);
    expect(withPack.bleu4).toBeLessThan(0.2);
    expect(withPack.ce.f1).toBeLessThan(0.6);
  });

  it("eval --pack refuses studies missing from the annotation before generating", async () => {
    const dir = fs.mkdtempSync(path.join(tmp, "refs-"));
    const fixture = loadAnnotationFile(path.join("test", "fixtures", "synth", "annotation.json"));
    const [first, ...rest] = fixture.test;
    const lacking = path.join(dir, "annotation.json");
    fs.writeFileSync(lacking, JSON.stringify({ ...fixture, test: rest }));
    const images = ["0.png", "1.png"].map((v) => `images/${first!.id}/${v}`);
    fs.writeFileSync(
      path.join(dir, "manifest.json"),
      JSON.stringify({
        root: path.resolve("test/fixtures/synth"),
        studies: [{ id: first!.id, split: "test", images }],
      }),
    );
    await expect(
      evaluatePack({
        pack: path.join("models", "iu-xray-synth-demo"),
        split: "test",
        data: dir,
        annotation: lacking,
        out: path.join(dir, "x.json"),
        convention: "r2gen",
        threads: 1,
      }),
    ).rejects.toThrow(new RegExp(`test studies of .* are missing from the annotation .*\\(first: ${first!.id}\\)`));
  });
});

describe("baselines", () => {
  it("are deterministic and plausible", () => {
    expect(seededRandom(7)()).toBe(seededRandom(7)());
    expect(randomBaseline(annotation, "test", 42)).toEqual(randomBaseline(annotation, "test", 42));
    expect(mostFrequentBaseline(annotation, "test").report).toBe(
      "The heart is normal in size. The mediastinum is unremarkable. The lungs are clear.",
    );
    const oracle = samePositiveFindingsOracle(annotation, "test");
    expect(oracle.predictions).toHaveLength(590);
    expect(oracle.exactMatches).toBeGreaterThan(500);
    const ce = evaluateReports(oracle.predictions, { annotation }).ce;
    const frequent = evaluateReports(mostFrequentBaseline(annotation, "test").predictions, { annotation }).ce;
    expect(ce.f1).toBeGreaterThan(frequent.f1);
  });
});

describe("eval CLI", () => {
  const predictionsPath = path.join(tmp, "predictions.jsonl");
  fs.writeFileSync(predictionsPath, groundTruth.map((p) => JSON.stringify(p)).join("\n"));

  it("names the file and line of a bad prediction", () => {
    const bad = path.join(tmp, "bad.jsonl");
    fs.writeFileSync(bad, '{"id": "CXR1_X", "report": "ok"}\n{"id": 5, "report": "x"}\n');
    expect(() => readPredictionsJsonl(bad)).toThrow(`${bad}:2: "id" must be a non-empty string`);
    fs.writeFileSync(bad, "not json\n");
    expect(() => readPredictionsJsonl(bad)).toThrow(`${bad}:1: not valid JSON`);
  });

  it("writes OUT.json with the metrics and prints a table", () => {
    const out = path.join(tmp, "out.json");
    const stdout = execFileSync(
      "npx",
      ["tsx", "src-main/cli/eval.ts", "--predictions", predictionsPath, "--out", out],
      {
        encoding: "utf8",
      },
    );
    expect(stdout).toContain("| system | n | BLEU-1");
    const json = JSON.parse(fs.readFileSync(out, "utf8"));
    for (const key of ["n", "bleu1", "bleu2", "bleu3", "bleu4", "meteor", "rouge_l"])
      expect(typeof json[key]).toBe("number");
    expect(Object.keys(json.ce).sort()).toEqual(["f1", "macro_f1", "precision", "recall"]);
    expect(json.n).toBe(590);
  });

  it("fails with a clear message (exit 1, no stack) when ids are missing", () => {
    const partial = path.join(tmp, "partial.jsonl");
    fs.writeFileSync(
      partial,
      groundTruth
        .slice(0, 10)
        .map((p) => JSON.stringify(p))
        .join("\n"),
    );
    const run = spawnSync(
      "npx",
      ["tsx", "src-main/cli/eval.ts", "--predictions", partial, "--out", path.join(tmp, "x.json")],
      {
        encoding: "utf8",
      },
    );
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`error: ${partial}: predictions lack 580 ids of the test split`);
    expect(run.stderr).not.toContain("    at ");
  });
});
