import { describe, expect, it } from "vitest";
import { buildDisplayCasing, displayReport, rawReportText, reportSections } from "../../../src-main/services/inference";
import { loadIuXrayCaseReports } from "../../../src-main/services/retrieval/gallery";

const reports = loadIuXrayCaseReports();
const casing = buildDisplayCasing([...reports.values()].map((r) => r.report));

describe("display casing learned from the IU-Xray reports", () => {
  it("keeps acronyms and the de-identification mark upper case, and common words lower case", () => {
    for (const [word, form] of <const>[
      ["xxxx", "XXXX"],
      ["picc", "PICC"],
      ["copd", "COPD"],
      ["ap", "AP"],
      ["svc", "SVC"],
      ["cabg", "CABG"],
    ])
      expect(casing.get(word), word).toBe(form);
    for (const word of ["heart", "lungs", "normal", "the", "pneumothorax", "right", "left"])
      expect(casing.has(word), word).toBe(false);
  });
});

describe("displayReport", () => {
  it("turns R2Gen tokens into sentences people read", () => {
    const raw =
      "the heart is normal in size . the lungs are clear . xxxx picc line tip in the svc . no pneumothorax or pleural effusion .";
    const display = displayReport(raw, casing);
    expect(display.text).toBe(
      "The heart is normal in size. The lungs are clear. XXXX PICC line tip in the SVC. No pneumothorax or pleural effusion.",
    );
    expect(display.sentences).toHaveLength(4);
  });

  it("drops <unk> and word-for-word repeated sentences, and closes an unfinished last sentence", () => {
    const display = displayReport(
      "the lungs are clear . <unk> heart size normal . the lungs are clear . no acute bony abnormality",
      casing,
    );
    expect(display.text).toBe("The lungs are clear. Heart size normal. No acute bony abnormality.");
    expect(display.repeatsDropped).toBe(1);
    expect(display.unknownDropped).toBe(1);
  });

  it("gives nothing for an empty generation", () => {
    expect(displayReport("", casing)).toMatchObject({ text: "", sentences: [] });
    expect(displayReport(" . . ", casing).text).toBe("");
  });

  it("puts the text in Findings and leaves Impression to the radiologist", () => {
    expect(reportSections(displayReport("the lungs are clear .", casing))).toEqual({
      findings: "The lungs are clear.",
      impression: "",
    });
  });
});

describe("rawReportText", () => {
  it("is the tokens joined with single spaces, as eval scores them", () => {
    const idx2token = ["<pad/bos/eos>", ".", "are", "clear", "lungs", "the"];
    expect(rawReportText([5, 4, 2, 3, 1], idx2token)).toBe("the lungs are clear .");
    expect(() => rawReportText([9], idx2token)).toThrow(/outside the vocabulary/);
  });
});
