import { beforeAll, describe, expect, it } from "vitest";
import { impressionBaselines, NORMAL_IMPRESSION } from "../../../src-main/services/language/baselines";
import { evaluateImpressions } from "../../../src-main/services/language/evaluate-impressions";
import {
  impressionContradictions,
  makeImpressionConsistent,
} from "../../../src-main/services/language/impression-consistency";
import type { ImpressionDataset } from "../../../src-main/services/language/impression-dataset";
import { uidOfStudyId } from "../../../src-main/services/language/iu-xray-data";
import {
  DatasetInputError,
  loadAnnotationFile,
  loadImpressionDataset,
  loadOpenIReportsFile,
} from "../../../src-main/services/language/iu-xray-dataset";
import { parseOpenIReportsCsv } from "../../../src-main/services/language/open-i-reports";
import { TfIdfIndex } from "../../../src-main/services/language/tfidf";

describe("Open-i report table", () => {
  it("reads all 3,851 reports with their sections", () => {
    const reports = loadOpenIReportsFile();
    expect(reports.size).toBe(3851);
    expect(reports.get(1)!.impression).toBe("Normal chest x-XXXX.");
    expect(reports.get(2)!.indication).toBe("Preop bariatric surgery.");
  });

  it("refuses a table without the section columns, naming the file", () => {
    expect(() => parseOpenIReportsCsv("uid,findings\n1,x\n", "t.csv")).toThrow(/t.csv: not an Open-i report table/);
    expect(() => loadOpenIReportsFile("/nonexistent.csv")).toThrow(DatasetInputError);
  });
});

describe("TF-IDF retrieval", () => {
  it("finds the most similar document, honours exclusions and breaks ties to the lower index", () => {
    const index = new TfIdfIndex([
      ["heart", "normal"],
      ["effusion", "left", "small"],
      ["heart", "normal"],
    ]);
    expect(index.nearest(["small", "effusion"]).index).toBe(1);
    expect(index.nearest(["heart", "normal"]).index).toBe(0);
    expect(index.nearest(["heart", "normal"], (i) => i === 0).index).toBe(2);
    expect(new TfIdfIndex<string>([["a"]]).nearest(["unseen"]).similarity).toBe(0);
  });
});

describe("findings -> impression dataset", () => {
  let dataset: ImpressionDataset;
  beforeAll(() => {
    dataset = loadImpressionDataset();
  });

  it("keeps R2Gen's val and test, trains on R2Gen train + Open-i outside the split, never on a val/test uid", () => {
    const annotation = loadAnnotationFile();
    const uidsOf = (split: "train" | "val" | "test") => new Set(annotation[split].map((s) => uidOfStudyId(s.id)));
    const heldOut = new Set([...uidsOf("val"), ...uidsOf("test")]);
    const bySplit = (split: string) => dataset.examples.filter((e) => e.split === split);
    expect(bySplit("val").length).toBe(296);
    expect(bySplit("test").length).toBe(590);
    for (const e of bySplit("val")) expect(uidsOf("val").has(e.uid)).toBe(true);
    for (const e of bySplit("test")) expect(uidsOf("test").has(e.uid)).toBe(true);
    const train = bySplit("train");
    expect(train.some((e) => heldOut.has(e.uid))).toBe(false);
    expect(new Set(dataset.examples.map((e) => e.uid)).size).toBe(dataset.examples.length);
    // the retrieved impression always comes from a train example, never the example itself
    const trainUids = new Set(train.map((e) => e.uid));
    for (const e of dataset.examples) {
      expect(trainUids.has(e.retrieved_uid)).toBe(true);
      expect(e.retrieved_uid).not.toBe(e.uid);
    }
  });

  it("counts and leaves out empty findings or impressions", () => {
    const c = dataset.counts;
    expect(c.r2gen_train).toEqual({ reports: 2069, kept: 2063, empty_findings: 0, empty_impression: 6 });
    expect(c.outside.reports).toBe(896);
    expect(c.outside.kept).toBe(382);
    expect(c.train.kept).toBe(2445);
    for (const e of dataset.examples) {
      expect(e.findings.trim()).not.toBe("");
      expect(e.impression.trim()).not.toBe("");
      expect(e.impression_ids[0]).toBe(0);
    }
  });

  it("the baselines and the scorer run on the test impressions (the nearest report beats the most frequent one)", () => {
    const systems = impressionBaselines(dataset, "test");
    expect(systems.map((s) => s.name)).toEqual([
      "most frequent train impression",
      "nearest train report (TF-IDF of findings)",
      "normal rule",
    ]);
    const [frequent, nearest] = systems.map((s) => evaluateImpressions(s.predictions, dataset, "test"));
    expect(frequent!.n).toBe(590);
    expect(nearest!.rouge_l).toBeGreaterThan(frequent!.rouge_l);
    const perfect = evaluateImpressions(
      dataset.examples.filter((e) => e.split === "test").map((e) => ({ id: e.id, report: e.impression })),
      dataset,
      "test",
    );
    expect(perfect.rouge_l).toBeCloseTo(1, 6);
    expect(perfect.contradictions.rate).toBe(perfect.contradictions.reference_rate);
  });
});

describe("impression consistency", () => {
  const findings = "the heart is normal in size . there is a small right pleural effusion . no pneumothorax .";

  it("flags a normal impression despite an acute finding, and a finding the findings negate", () => {
    expect(impressionContradictions(findings, "no acute cardiopulmonary abnormality .")).toEqual([
      { kind: "normal-despite-acute", observation: "Pleural Effusion" },
    ]);
    expect(impressionContradictions(findings, "small right pleural effusion . right pneumothorax .")).toEqual([
      { kind: "negated", observation: "Pneumothorax" },
    ]);
    expect(impressionContradictions(findings, "small right pleural effusion .")).toEqual([]);
    // chronic findings do not make a normal impression a contradiction
    expect(impressionContradictions("stable cardiomegaly . calcified granuloma .", NORMAL_IMPRESSION)).toEqual([]);
  });

  it("drops contradicting sentences and puts the acute finding in their place", () => {
    const out = makeImpressionConsistent(findings, "no acute cardiopulmonary abnormality . right pneumothorax .");
    expect(out.dropped).toEqual(["no acute cardiopulmonary abnormality", "right pneumothorax"]);
    expect(out.text).toBe("there is a small right pleural effusion .");
    expect(impressionContradictions(findings, out.text)).toEqual([]);
    const fine = makeImpressionConsistent(findings, "small right pleural effusion .");
    expect(fine).toEqual({ text: "small right pleural effusion .", dropped: [], added: [] });
  });
});
