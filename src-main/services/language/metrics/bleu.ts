/**
 * BLEU-1..4 exactly as pycocoevalcap's `Bleu(4).compute_score` (bleu_scorer.py, option "closest"): n-gram counts
 * clipped by the maximum count in any reference, pooled over the corpus; the brevity penalty uses the summed
 * "closest" reference lengths; tiny = 1e-15 and small = 1e-9 keep the ratios defined. Tokens are whitespace
 * tokens (Python str.split()). Pure: no Node imports.
 */
import { pythonSplit } from "../python-text";

const TINY = 1e-15;
const SMALL = 1e-9;

export interface BleuSegment {
  /** The hypothesis text. */
  hypothesis: string;
  /** One or more reference texts. */
  references: readonly string[];
}

export interface BleuResult {
  /** Corpus BLEU-1..n (index 0 is BLEU-1). */
  bleu: number[];
  /** Per-segment smoothed n-gram precisions as pycocoevalcap returns them (bleu_list), per n. */
  perSegment: number[][];
  testLength: number;
  referenceLength: number;
}

function countNgrams(words: readonly string[], n: number): Map<string, number> {
  const counts = new Map<string, number>();
  for (let k = 1; k <= n; k++) {
    for (let i = 0; i + k <= words.length; i++) {
      // A separator that cannot occur inside a whitespace token.
      const key = words.slice(i, i + k).join(" ");
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
  }
  return counts;
}

function ngramOrder(key: string): number {
  let order = 1;
  for (const ch of key) if (ch === " ") order++;
  return order;
}

/** Corpus BLEU as pycocoevalcap computes it. Throws on a segment without references. */
export function corpusBleu(segments: readonly BleuSegment[], n = 4): BleuResult {
  const totalGuess = new Array<number>(n).fill(0);
  const totalCorrect = new Array<number>(n).fill(0);
  const perSegment: number[][] = Array.from({ length: n }, () => []);
  let testLength = 0;
  let referenceLength = 0;

  segments.forEach((segment, index) => {
    if (segment.references.length === 0) throw new Error(`BLEU segment ${index} has no reference`);
    // cook_refs
    const referenceLengths: number[] = [];
    const maxCounts = new Map<string, number>();
    for (const reference of segment.references) {
      const words = pythonSplit(reference);
      referenceLengths.push(words.length);
      for (const [key, count] of countNgrams(words, n)) maxCounts.set(key, Math.max(maxCounts.get(key) ?? 0, count));
    }
    // cook_test
    const words = pythonSplit(segment.hypothesis);
    const length = words.length;
    // "closest": min over (|l - testlen|, l) tuples, so ties go to the shorter reference.
    let closest = referenceLengths[0]!;
    for (const l of referenceLengths) {
      const d = Math.abs(l - length);
      const best = Math.abs(closest - length);
      if (d < best || (d === best && l < closest)) closest = l;
    }
    const guess = Array.from({ length: n }, (_, k) => Math.max(0, length - k));
    const correct = new Array<number>(n).fill(0);
    for (const [key, count] of countNgrams(words, n)) {
      correct[ngramOrder(key) - 1]! += Math.min(maxCounts.get(key) ?? 0, count);
    }
    testLength += length;
    referenceLength += closest;
    for (let k = 0; k < n; k++) {
      totalGuess[k]! += guess[k]!;
      totalCorrect[k]! += correct[k]!;
      perSegment[k]!.push(((correct[k]! + TINY) / (guess[k]! + SMALL)) ** (1 / (k + 1)));
    }
  });

  const bleu: number[] = [];
  const ratio = (testLength + TINY) / (referenceLength + SMALL);
  for (let nn = 1; nn <= n; nn++) {
    let product = 1;
    for (let k = 0; k < nn; k++) product *= (totalCorrect[k]! + TINY) / (totalGuess[k]! + SMALL);
    let score = product ** (1 / nn);
    if (ratio < 1) score *= Math.exp(1 - 1 / ratio);
    bleu.push(score);
  }
  return { bleu, perSegment, testLength, referenceLength };
}
