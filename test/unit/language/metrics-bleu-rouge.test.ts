import { describe, expect, it } from "vitest";
import { corpusBleu } from "../../../src-main/services/language/metrics/bleu";
import { corpusRougeL, lcsLength, rougeLSegment } from "../../../src-main/services/language/metrics/rouge";

// pycocoevalcap's smoothing constants.
const TINY = 1e-15;
const SMALL = 1e-9;
const p = (correct: number, guess: number) => (correct + TINY) / (guess + SMALL);

describe("BLEU (pycocoevalcap Bleu(4), option closest)", () => {
  it("matches a hand computation for one segment", () => {
    // hyp: the cat sat on the mat | ref: the cat is on the mat
    // clipped matches: 1-grams 5/6, 2-grams 3/5 (the cat, on the, the mat), 3-grams 1/4 (on the mat), 4-grams 0/3.
    const { bleu, testLength, referenceLength } = corpusBleu([
      { hypothesis: "the cat sat on the mat", references: ["the cat is on the mat"] },
    ]);
    expect(testLength).toBe(6);
    expect(referenceLength).toBe(6);
    const bp = Math.exp(1 - (6 + SMALL) / (6 + TINY)); // ratio is a hair below 1, as in Python
    expect(bleu[0]).toBeCloseTo(p(5, 6) * bp, 12);
    expect(bleu[1]).toBeCloseTo(Math.sqrt(p(5, 6) * p(3, 5)) * bp, 12);
    expect(bleu[2]).toBeCloseTo(0.5, 9);
    expect(bleu[3]).toBeCloseTo((p(5, 6) * p(3, 5) * p(1, 4) * p(0, 3)) ** 0.25 * bp, 15);
    expect(bleu[3]).toBeLessThan(1e-4);
  });

  it("scores an empty hypothesis 0 (brevity penalty exp(1 - 1/ratio) underflows)", () => {
    const { bleu } = corpusBleu([{ hypothesis: "", references: ["the lungs are clear"] }]);
    expect(bleu).toEqual([0, 0, 0, 0]);
  });

  it("scores a one-word hypothesis with the brevity penalty and the tiny/small smoothing", () => {
    // hyp "lungs" vs ref "the lungs" : 1-gram precision 1, no 2-grams (guess 0), ratio 1/2 -> BP e^-1.
    const { bleu } = corpusBleu([{ hypothesis: "lungs", references: ["the lungs"] }]);
    const ratio = (1 + TINY) / (2 + SMALL);
    const bp = Math.exp(1 - 1 / ratio);
    expect(bleu[0]).toBeCloseTo(p(1, 1) * bp, 12);
    expect(bleu[0]).toBeCloseTo(Math.exp(-1), 8);
    expect(bleu[1]).toBeCloseTo(Math.sqrt(p(1, 1) * p(0, 0)) * bp, 12); // sqrt(1e-6) * e^-1
    expect(bleu[1]).toBeCloseTo(1e-3 * Math.exp(-1), 9);
  });

  it("pools clipped counts over the corpus instead of averaging sentence scores", () => {
    const segments = [
      { hypothesis: "a b c d", references: ["a b c d"] },
      { hypothesis: "x y", references: ["z w"] },
    ];
    const { bleu } = corpusBleu(segments);
    // 1-grams 4/6, 2-grams 3/4, 3-grams 2/2, 4-grams 1/1, lengths equal.
    const bp = Math.exp(1 - (6 + SMALL) / (6 + TINY));
    expect(bleu[0]).toBeCloseTo(p(4, 6) * bp, 12);
    expect(bleu[3]).toBeCloseTo((p(4, 6) * p(3, 4) * p(2, 2) * p(1, 1)) ** 0.25 * bp, 12);
    const meanOfSentences = (1 + 0) / 2;
    expect(bleu[0]).not.toBeCloseTo(meanOfSentences, 3);
  });

  it("clips by the maximum count in any reference and takes the closest reference length (ties: shorter)", () => {
    // hyp "the the the": clipped 'the' = max over refs = 2.
    const clipped = corpusBleu([{ hypothesis: "the the the", references: ["the cat", "the the dog sat"] }]);
    expect(clipped.bleu[0]).toBeGreaterThan(0);
    expect(clipped.referenceLength).toBe(2); // |2-3| = |4-3|: the shorter wins
    const ratioOk = (3 + TINY) / (2 + SMALL) >= 1;
    expect(ratioOk).toBe(true);
    expect(clipped.bleu[0]).toBeCloseTo(p(2, 3), 12);
  });

  it("splits on any whitespace like Python str.split()", () => {
    const a = corpusBleu([{ hypothesis: "the  lungs\tare clear", references: ["the lungs are clear"] }]);
    expect(a.bleu[3]).toBeCloseTo(1, 8);
  });

  it("rejects a segment without references", () => {
    expect(() => corpusBleu([{ hypothesis: "a", references: [] }])).toThrow(/no reference/);
  });
});

describe("ROUGE-L (pycocoevalcap Rouge, beta 1.2)", () => {
  it("computes the LCS length", () => {
    expect(lcsLength("the cat is on the mat".split(" "), "the cat sat on the mat".split(" "))).toBe(5);
    expect(lcsLength([], ["a"])).toBe(0);
  });

  it("matches hand computations", () => {
    // P = R = 5/6 -> F = 5/6.
    expect(rougeLSegment("the cat sat on the mat", ["the cat is on the mat"])).toBeCloseTo(5 / 6, 12);
    // P = 1, R = 2/3: F = (1 + 1.44) * 1 * 2/3 / (2/3 + 1.44 * 1).
    expect(rougeLSegment("the cat", ["the cat sat"])).toBeCloseTo((2.44 * (2 / 3)) / (2 / 3 + 1.44), 12);
  });

  it("scores an empty hypothesis 0 and a one-word hypothesis by P = 1, R = 1/3", () => {
    expect(rougeLSegment("", ["the cat sat"])).toBe(0);
    expect(rougeLSegment("cat", ["the cat sat"])).toBeCloseTo((2.44 * (1 / 3)) / (1 / 3 + 1.44), 12);
  });

  it("splits on single spaces like Python split(' '): a double space adds an empty token", () => {
    // candidate tokens: ["a", "", "b"] (3), LCS with ["a", "b"] is 2: P = 2/3, R = 1.
    expect(rougeLSegment("a  b", ["a b"])).toBeCloseTo((2.44 * (2 / 3) * 1) / (1 + 1.44 * (2 / 3)), 12);
  });

  it("takes the best precision and recall over references and averages segments", () => {
    const { rougeL, perSegment } = corpusRougeL([
      { hypothesis: "a b", references: ["a b"] },
      { hypothesis: "x", references: ["y"] },
    ]);
    expect(perSegment).toEqual([1, 0]);
    expect(rougeL).toBe(0.5);
  });
});
