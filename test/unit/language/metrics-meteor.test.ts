import { describe, expect, it } from "vitest";
import {
  corpusMeteor,
  meteorScoreFromStats,
  meteorSegmentStats,
  meteorTokens,
} from "../../../src-main/services/language/metrics/meteor";
import { meteorNormalizeEnglish } from "../../../src-main/services/language/metrics/meteor-normalizer";
import { wordnetSynonymTableSize, wordnetSynsets } from "../../../src-main/services/language/metrics/meteor-synonyms";

const segmentScore = (hypothesis: string, reference: string) =>
  meteorScoreFromStats(meteorSegmentStats(hypothesis, [reference])).score;

// English parameters: alpha 0.85, beta 0.2, gamma 0.6, delta 0.75; weights exact 1, stem 0.6, synonym 0.8.
const fMean = (precision: number, recall: number) => 1 / (0.15 / precision + 0.85 / recall);
const penalty = (chunks: number, matches: number) => 0.6 * (chunks / matches) ** 0.2;

describe("METEOR normalizer (-norm, English)", () => {
  it("splits punctuation, removes dashes between words and lower-cases", () => {
    expect(meteorNormalizeEnglish("X-ray: heart <unk> normal.")).toBe("x ray : heart < unk > normal .");
    expect(meteorTokens("the  lungs . are clear .")).toEqual(["the", "lungs", ".", "are", "clear", "."]);
    expect(meteorNormalizeEnglish("1,000 and a,b")).toBe("1,000 and a , b");
  });
});

describe("METEOR scores (hand-computed)", () => {
  it("gives 1 for an identical single segment", () => {
    expect(segmentScore("the heart is normal .", "the heart is normal .")).toBe(1);
  });

  it("gives 0 for an empty hypothesis", () => {
    expect(segmentScore("", "the lungs are clear .")).toBe(0);
  });

  it("scores a one-word hypothesis with content/function weighting and the chunk penalty", () => {
    // "lungs" vs "the lungs are clear ." (function words: the, are, .): P = 1, R = 0.75 / (0.75*2 + 0.25*3).
    const recall = 0.75 / 2.25;
    expect(segmentScore("lungs", "the lungs are clear .")).toBeCloseTo(fMean(1, recall) * (1 - penalty(1, 1)), 12);
    expect(segmentScore("lungs", "the lungs are clear .")).toBeCloseTo(0.148148148, 8);
  });

  it("penalizes fragmentation: 3 chunks over 6 matches", () => {
    // All six words match exactly: P = R = 1; chunks "on the mat" / "sat" / "the cat".
    expect(segmentScore("the cat sat on the mat", "on the mat sat the cat")).toBeCloseTo(1 - penalty(3, 6), 12);
  });

  it("matches stems with weight 0.6 (Snowball English)", () => {
    expect(segmentScore("normally", "normal")).toBeCloseTo(0.6, 12);
    // "the" exact (function word, 0.25) + "effusions" stem (content, 0.75 * 0.6): P = R = 0.7, one chunk.
    expect(segmentScore("the effusions", "the effusion")).toBeCloseTo(0.7, 12);
  });

  it("keeps METEOR 1.5's integer match totals in the alignment search", () => {
    // "effusions"/"effusion" match by stem and by synonym: two candidate matches, so none is fixed up front,
    // and non-exact matches add 0 to the search's integer match total (1 * 0.5 truncated), so leaving the
    // word unmatched (0 chunks) beats matching it (1 chunk), exactly as in the Java code.
    expect(segmentScore("effusions", "effusion")).toBe(0);
  });

  it("matches WordNet synonyms with weight 0.8", () => {
    expect(wordnetSynonymTableSize()).toBeGreaterThan(500);
    expect(wordnetSynsets("osseous").some((id) => wordnetSynsets("bony").includes(id))).toBe(true);
    expect(segmentScore("osseous", "bony")).toBeCloseTo(0.8, 12);
  });

  it("pools statistics over segments (two identical segments do not score 1)", () => {
    const segment = { hypothesis: "the heart is normal .", references: ["the heart is normal ."] };
    const { meteor, perSegment } = corpusMeteor([segment, segment]);
    expect(perSegment).toEqual([1, 1]);
    // Pooled: P = R = 1, chunks 2 over 10 matched words.
    expect(meteor).toBeCloseTo(1 - penalty(2, 10), 12);
  });
});
