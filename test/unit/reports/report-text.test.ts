import { describe, expect, it } from "vitest";
import {
  appendSentence,
  computeAiSpans,
  hasUserEditsToAiSections,
  mergeSections,
  normalisedSentenceSet,
  normaliseSentence,
  sentencesFoundInCases,
  splitSentences,
} from "../../../src-shared/report-text";
import { EMPTY_SECTIONS } from "../../../src-shared/report-types";
import { iuReport } from "../../support/fixed-report-test-engine";

describe("report sentence handling", () => {
  it("splits real IU-Xray reports into sentences with exact offsets", () => {
    const report = iuReport("CXR2384_IM-0942");
    const sentences = splitSentences(report);
    expect(sentences.map((s) => s.text)).toEqual([
      "The heart size and pulmonary vascularity appear within normal limits.",
      "A large hiatal hernia is noted.",
      "The lungs are free of focal airspace disease.",
      "No pneumothorax or pleural effusion is seen.",
      "Degenerative changes are present in the spine.",
    ]);
    for (const s of sentences) expect(report.slice(s.start, s.end)).toBe(s.text);
  });

  it("keeps decimals whole, ends sentences at line breaks and '?' and handles a missing final stop", () => {
    expect(splitSentences("Nodule of 1.5 cm in the right apex. Effusion?\nStable heart  ").map((s) => s.text)).toEqual([
      "Nodule of 1.5 cm in the right apex.",
      "Effusion?",
      "Stable heart",
    ]);
    expect(splitSentences("   \n  ")).toEqual([]);
  });

  it("normalises case, punctuation and whitespace", () => {
    expect(normaliseSentence("No  pleural effusion.")).toBe(normaliseSentence("no pleural-effusion"));
    expect(normaliseSentence("Heart size is NORMAL!")).toBe("heart size is normal");
  });

  it("marks a sentence as AI while its text equals the AI's, each AI sentence at most once", () => {
    const ai = { ...EMPTY_SECTIONS, findings: "Lungs are clear. Heart is normal.", impression: "No acute disease." };
    const draft = {
      ...ai,
      indication: "Lungs are clear.",
      findings: "Lungs are clear. Lungs are clear. Heart is mildly enlarged.",
    };
    const spans = computeAiSpans(draft, ai);
    expect(spans).toEqual([
      { section: "findings", start: 0, end: 16 },
      { section: "impression", start: 0, end: 17 },
    ]);
    expect(computeAiSpans(draft, null)).toEqual([]);
    expect(hasUserEditsToAiSections(draft, ai)).toBe(true);
    expect(hasUserEditsToAiSections({ ...ai, indication: "Cough." }, ai)).toBe(false);
  });

  it("finds the draft's sentences in retrieved reports", () => {
    const cases = [
      { studyId: "CXR2384_IM-0942", report: iuReport("CXR2384_IM-0942") },
      { studyId: "CXR2926_IM-1328", report: iuReport("CXR2926_IM-1328") },
    ];
    const draft = "The lungs are clear. A large hiatal hernia is noted. Something else entirely.";
    const found = sentencesFoundInCases(draft, cases);
    expect(found.map((f) => [f.text, f.caseIds])).toEqual([
      ["The lungs are clear.", ["CXR2926_IM-1328"]],
      ["A large hiatal hernia is noted.", ["CXR2384_IM-0942"]],
    ]);
    expect(normalisedSentenceSet({ ...EMPTY_SECTIONS, findings: draft }).has("the lungs are clear")).toBe(true);
  });

  it("appends a sentence with one space and a closing full stop", () => {
    expect(appendSentence("", "No effusion")).toBe("No effusion.");
    expect(appendSentence("Lungs are clear.  ", "No effusion.")).toBe("Lungs are clear. No effusion.");
    expect(appendSentence("Lungs are clear", "No effusion.")).toBe("Lungs are clear. No effusion.");
    expect(appendSentence("Lungs are clear.", "   ")).toBe("Lungs are clear.");
  });

  it("merges three ways per section", () => {
    const base = { ...EMPTY_SECTIONS };
    const mine = { ...base, indication: "Cough." };
    const theirs = { ...base, findings: "AI findings." };
    expect(mergeSections(base, mine, theirs)).toEqual({ ...base, indication: "Cough.", findings: "AI findings." });
  });
});
