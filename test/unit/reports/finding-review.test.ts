import { describe, expect, it } from "vitest";
import { drawnNamingRates } from "../../../src-main/cli/drawn-naming";
import { findingsNamedIn, namingRates, reviewFindings } from "../../../src-main/services/reports/finding-review";
import { EMPTY_SECTIONS, type ModelFinding } from "../../../src-shared/report-types";

const finding = (name: string, probability: number, threshold = 0.5): ModelFinding => ({
  name,
  probability,
  threshold,
  reliable: true,
  positive: probability >= threshold,
});

describe("finding review (issue 14.6)", () => {
  it("maps affirmed mentions to the renderer's finding kinds and ignores negated ones", () => {
    expect(findingsNamedIn("The heart is enlarged.")).toEqual(new Set(["cardiomegaly"]));
    expect(findingsNamedIn("Small left pleural effusion.")).toEqual(new Set(["pleural-effusion"]));
    expect(findingsNamedIn("No pleural effusion or pneumothorax.").size).toBe(0);
    expect(findingsNamedIn("The lungs are hyperinflated.")).toEqual(new Set(["hyperinflation"]));
  });

  it("links findings to the sentences naming them and flags both disagreements", () => {
    const findings = "Heart size is normal. There is a small right pleural effusion. No pneumothorax.";
    const sections = { ...EMPTY_SECTIONS, findings, impression: "Right pleural effusion." };
    const review = reviewFindings(sections, [
      finding("no-finding", 0.1),
      finding("cardiomegaly", 0.9),
      finding("pleural-effusion", 0.2),
      finding("atelectasis", 0.1),
    ]);
    const effusion = review.findings.find((f) => f.name === "pleural-effusion")!;
    expect(effusion.sentences.map((s) => [s.section, sections[s.section].slice(s.start, s.end)])).toEqual([
      ["findings", "There is a small right pleural effusion."],
      ["impression", "Right pleural effusion."],
    ]);
    expect(review.findings.find((f) => f.name === "cardiomegaly")!.sentences).toEqual([]);
    expect(review.seenNotMentioned).toEqual(["cardiomegaly"]);
    expect(review.mentionedNotSeen).toEqual(["pleural-effusion"]);
  });

  it("flags nothing when text and model agree, and nothing without model findings", () => {
    const sections = { ...EMPTY_SECTIONS, findings: "The heart is enlarged. The lungs are clear." };
    const agree = reviewFindings(sections, [finding("no-finding", 0.1), finding("cardiomegaly", 0.8)]);
    expect(agree.seenNotMentioned).toEqual([]);
    expect(agree.mentionedNotSeen).toEqual([]);
    expect(reviewFindings(sections, [])).toEqual({ findings: [], seenNotMentioned: [], mentionedNotSeen: [] });
  });
});

describe("naming rates (issue 14.5)", () => {
  it("counts drafts naming a drawn finding and false mentions where it was not drawn", () => {
    const rates = namingRates(
      [
        { drawn: ["cardiomegaly"], draft: "The heart is enlarged. The lungs are clear." },
        { drawn: ["cardiomegaly"], draft: "The heart is normal in size." },
        { drawn: [], draft: "Cardiomegaly." },
        { drawn: [], draft: "No acute disease." },
      ],
      ["cardiomegaly"],
    );
    expect(rates).toEqual([
      {
        kind: "cardiomegaly",
        drawn: 2,
        named: 1,
        namedRate: 0.5,
        notDrawn: 2,
        falseMentions: 1,
        falseMentionRate: 0.5,
      },
    ]);
  });

  it("eval's drawn-finding table: pack order without No Finding, else every drawn kind by frequency", () => {
    const studies = [
      { id: "a", drawn: ["pleural-effusion", "cardiomegaly"] },
      { id: "b", drawn: ["cardiomegaly"] },
      { id: "c", drawn: [] },
    ];
    const predictions = [
      { id: "a", report: "the heart is enlarged . small left pleural effusion ." },
      { id: "b", report: "the heart is normal in size ." },
      { id: "c", report: "no pleural effusion ." },
    ];
    const byPack = drawnNamingRates(studies, predictions, ["no-finding", "pleural-effusion", "cardiomegaly"]);
    expect(byPack.map((r) => [r.kind, r.named, r.drawn, r.falseMentions])).toEqual([
      ["pleural-effusion", 1, 1, 0],
      ["cardiomegaly", 1, 2, 0],
    ]);
    expect(drawnNamingRates(studies, predictions, null).map((r) => r.kind)).toEqual([
      "cardiomegaly",
      "pleural-effusion",
    ]);
  });
});
