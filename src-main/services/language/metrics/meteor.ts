/**
 * METEOR, ported from METEOR 1.5 (edu.cmu.meteor: Aligner, ExactMatcher, StemMatcher, SynonymMatcher,
 * MeteorScorer) as pycocoevalcap runs it (`-l en -norm`, corpus score from pooled statistics):
 *
 * - text normalized with METEOR's English normalizer (punctuation kept) and lower-cased;
 * - matching modules exact, stem (Snowball English / Porter2) and synonym (WordNet synsets); the paraphrase
 *   module is not available offline (see docs/language.md), so its weight never applies;
 * - alignment by METEOR's beam search (beam 40) with its "total" comparator: most weighted matches (module
 *   weights 1.0 / 0.5 / 0.5 during alignment, accumulated in integers as in the Java code), then fewest chunks,
 *   then least distance;
 * - English "rank" parameters alpha 0.85, beta 0.20, gamma 0.60, delta 0.75 and module weights 1.0 / 0.6 / 0.8
 *   (exact / stem / synonym), content and function words weighted by delta.
 *
 * Pure: no Node imports.
 */
import porter2 from "wink-porter2-stemmer";
import { METEOR_FUNCTION_WORDS } from "./meteor-function-words";
import { javaTokenize, meteorNormalizeEnglish } from "./meteor-normalizer";
import { wordnetSynsets } from "./meteor-synonyms";

export const METEOR_PARAMETERS = { alpha: 0.85, beta: 0.2, gamma: 0.6, delta: 0.75 } as const;
/** Scoring weights of the modules exact, stem, synonym, paraphrase (English, task "rank"). */
export const METEOR_MODULE_WEIGHTS = [1.0, 0.6, 0.8, 0.6] as const;
/** Weights used while searching the alignment (MeteorScorer sets these for evaluation). */
const ALIGNMENT_WEIGHTS = [1.0, 0.5, 0.5, 0.5] as const;
const BEAM_SIZE = 40;
const MODULE_EXACT = 0;
const MODULE_STEM = 1;
const MODULE_SYNONYM = 2;
const MODULE_COUNT = 4;

interface Match {
  module: number;
  /** Reference (line 2) index. */
  start: number;
  length: number;
  /** Hypothesis (line 1) index. */
  matchStart: number;
  matchLength: number;
}

interface PartialAlignment {
  matches: (Match | null)[];
  matchCount: number;
  /** Java ints: `matches1 += length * weight` truncates toward zero. */
  matches1: number;
  matches2: number;
  allMatches1: number;
  allMatches2: number;
  chunks: number;
  idx: number;
  lastMatchEnd: number;
  distance: number;
  line1Used: boolean[];
  line2Used: boolean[];
}

function copyPath(path: PartialAlignment): PartialAlignment {
  return { ...path, matches: [...path.matches], line1Used: [...path.line1Used], line2Used: [...path.line2Used] };
}

function isUsed(path: PartialAlignment, m: Match): boolean {
  for (let i = 0; i < m.length; i++) if (path.line2Used[m.start + i]) return true;
  for (let i = 0; i < m.matchLength; i++) if (path.line1Used[m.matchStart + i]) return true;
  return false;
}

function setUsed(path: PartialAlignment, m: Match): void {
  for (let i = 0; i < m.length; i++) path.line2Used[m.start + i] = true;
  for (let i = 0; i < m.matchLength; i++) path.line1Used[m.matchStart + i] = true;
}

/** Constants.PARTIAL_COMPARE_TOTAL: more matches, then fewer chunks, then shorter distance. */
/** Counts match `m` into `path` (weighted and plain lengths, chunks) and moves past it; the distance is the caller's. */
function takeMatch(path: PartialAlignment, m: Match): void {
  path.matchCount++;
  path.matches1 = javaIntAdd(path.matches1, m.matchLength * ALIGNMENT_WEIGHTS[m.module]!);
  path.matches2 = javaIntAdd(path.matches2, m.length * ALIGNMENT_WEIGHTS[m.module]!);
  path.allMatches1 += m.matchLength;
  path.allMatches2 += m.length;
  if (path.lastMatchEnd !== -1 && m.matchStart !== path.lastMatchEnd) path.chunks++;
  path.idx = m.start + m.length;
  path.lastMatchEnd = m.matchStart + m.matchLength;
}

function comparePaths(x: PartialAlignment, y: PartialAlignment): number {
  const matchDiff = y.matches1 + y.matches2 - (x.matches1 + x.matches2);
  if (matchDiff > 0) return 1;
  if (matchDiff < 0) return -1;
  const chunkDiff = x.chunks - y.chunks;
  if (chunkDiff !== 0) return chunkDiff;
  return x.distance - y.distance;
}

const javaIntAdd = (value: number, add: number): number => Math.trunc(value + add);

const stemCache = new Map<string, string>();
function stem(word: string): string {
  let stemmed = stemCache.get(word);
  if (stemmed === undefined) {
    stemmed = porter2(word);
    stemCache.set(word, stemmed);
  }
  return stemmed;
}

function shareSynset(a: readonly number[], b: readonly number[]): boolean {
  if (a.length === 0 || b.length === 0) return false;
  for (const id of a) if (b.includes(id)) return true;
  return false;
}

/** All candidate matches, per reference index, with coverage counts (Stage). */
function findMatches(words1: readonly string[], words2: readonly string[]) {
  const matches: Match[][] = words2.map(() => []);
  const line1Coverage = new Array<number>(words1.length).fill(0);
  const line2Coverage = new Array<number>(words2.length).fill(0);
  const add = (module: number, i: number, j: number) => {
    matches[j]!.push({ module, start: j, length: 1, matchStart: i, matchLength: 1 });
    line1Coverage[i]!++;
    line2Coverage[j]!++;
  };
  // Identical sentences need only exact matches (avoids beam search errors).
  const identical = words1.length === words2.length && words1.every((word, i) => word === words2[i]);
  for (let j = 0; j < words2.length; j++)
    for (let i = 0; i < words1.length; i++) if (words1[i] === words2[j]) add(MODULE_EXACT, i, j);
  if (!identical) {
    const stems1 = words1.map(stem);
    const stems2 = words2.map(stem);
    for (let j = 0; j < words2.length; j++) {
      for (let i = 0; i < words1.length; i++) {
        if (stems1[i] === stems2[j] && words1[i] !== words2[j]) add(MODULE_STEM, i, j);
      }
    }
    const syn1 = words1.map(wordnetSynsets);
    const syn2 = words2.map(wordnetSynsets);
    for (let j = 0; j < words2.length; j++) {
      for (let i = 0; i < words1.length; i++) {
        if (words1[i] !== words2[j] && shareSynset(syn1[i]!, syn2[j]!)) add(MODULE_SYNONYM, i, j);
      }
    }
  }
  return { matches, line1Coverage, line2Coverage };
}

function resolve(matches: Match[][], start: PartialAlignment): PartialAlignment {
  let nextPaths: PartialAlignment[] = [start];
  for (let current = 0; current <= matches.length; current++) {
    const paths = nextPaths;
    nextPaths = [];
    paths.sort(comparePaths);
    for (let rank = 0; rank < BEAM_SIZE && rank < paths.length; rank++) {
      const path = paths[rank]!;
      if (current === matches.length) {
        if (path.lastMatchEnd !== -1) path.chunks++;
        nextPaths.push(path);
        continue;
      }
      if (path.line2Used[current]) {
        if (current < path.idx) {
          nextPaths.push(path);
        } else if (path.matches[path.idx]) {
          const m = path.matches[path.idx]!;
          takeMatch(path, m);
          path.distance += Math.abs(m.start - m.matchStart);
          nextPaths.push(path);
        }
        continue;
      }
      for (const m of matches[current]!) {
        if (isUsed(path, m)) continue;
        const newPath = copyPath(path);
        setUsed(newPath, m);
        newPath.matches[current] = m;
        takeMatch(newPath, m);
        // METEOR 1.5 adds this distance to the parent path, not the new one; kept for identical tie-breaking.
        path.distance += Math.abs(m.start - m.matchStart);
        nextPaths.push(newPath);
      }
      if (path.lastMatchEnd !== -1) {
        path.chunks++;
        path.lastMatchEnd = -1;
      }
      path.idx++;
      nextPaths.push(path);
    }
    if (nextPaths.length === 0) nextPaths.push(paths[0]!);
  }
  nextPaths.sort(comparePaths);
  return nextPaths[0]!;
}

/** Sufficient statistics of one hypothesis/reference pair (MeteorStats, word-based). */
export interface MeteorStats {
  testLength: number;
  referenceLength: number;
  testFunctionWords: number;
  referenceFunctionWords: number;
  /** Per module (exact, stem, synonym, paraphrase). */
  testContentMatches: number[];
  testFunctionMatches: number[];
  referenceContentMatches: number[];
  referenceFunctionMatches: number[];
  chunks: number;
  testWordMatches: number;
  referenceWordMatches: number;
}

/** Align a normalized, tokenized hypothesis (line 1) with a reference (line 2) and collect the statistics. */
export function meteorAlignStats(words1: readonly string[], words2: readonly string[]): MeteorStats {
  const { matches, line1Coverage, line2Coverage } = findMatches(words1, words2);
  const initial: PartialAlignment = {
    matches: words2.map(() => null),
    matchCount: 0,
    matches1: 0,
    matches2: 0,
    allMatches1: 0,
    allMatches2: 0,
    chunks: 0,
    idx: 0,
    lastMatchEnd: -1,
    distance: 0,
    line1Used: words1.map(() => false),
    line2Used: words2.map(() => false),
  };
  // One-to-one, non-overlapping matches are definite.
  for (let j = 0; j < matches.length; j++) {
    if (matches[j]!.length !== 1) continue;
    const m = matches[j]![0]!;
    let overlap = false;
    for (let k = 0; k < m.length; k++) if (line2Coverage[j + k] !== 1) overlap = true;
    for (let k = 0; k < m.matchLength; k++) if (line1Coverage[m.matchStart + k] !== 1) overlap = true;
    if (!overlap) {
      initial.matches[j] = m;
      setUsed(initial, m);
    }
  }
  const best = resolve(matches, initial);

  const isFunction1 = words1.map((word) => METEOR_FUNCTION_WORDS.has(word.toLowerCase()));
  const isFunction2 = words2.map((word) => METEOR_FUNCTION_WORDS.has(word.toLowerCase()));
  const zeros = () => new Array<number>(MODULE_COUNT).fill(0);
  const stats: MeteorStats = {
    testLength: words1.length,
    referenceLength: words2.length,
    testFunctionWords: isFunction1.filter(Boolean).length,
    referenceFunctionWords: isFunction2.filter(Boolean).length,
    testContentMatches: zeros(),
    testFunctionMatches: zeros(),
    referenceContentMatches: zeros(),
    referenceFunctionMatches: zeros(),
    chunks: 0,
    testWordMatches: 0,
    referenceWordMatches: 0,
  };
  for (const m of best.matches) {
    if (!m) continue;
    for (let k = 0; k < m.matchLength; k++) {
      if (isFunction1[m.matchStart + k]) stats.testFunctionMatches[m.module]!++;
      else stats.testContentMatches[m.module]!++;
    }
    for (let k = 0; k < m.length; k++) {
      if (isFunction2[m.start + k]) stats.referenceFunctionMatches[m.module]!++;
      else stats.referenceContentMatches[m.module]!++;
    }
  }
  // Aligner.getCountAndChunks over the final matches.
  let idx = 0;
  let lastMatchEnd = -1;
  while (idx < best.matches.length) {
    const m = best.matches[idx];
    if (!m) {
      if (lastMatchEnd !== -1) {
        stats.chunks++;
        lastMatchEnd = -1;
      }
      idx++;
    } else {
      stats.testWordMatches += m.matchLength;
      stats.referenceWordMatches += m.length;
      if (lastMatchEnd !== -1 && m.matchStart !== lastMatchEnd) stats.chunks++;
      idx = m.start + m.length;
      lastMatchEnd = m.matchStart + m.matchLength;
    }
  }
  if (lastMatchEnd !== -1) stats.chunks++;
  return stats;
}

export interface MeteorScore {
  score: number;
  precision: number;
  recall: number;
  fMean: number;
  fragPenalty: number;
}

const sum = (values: readonly number[]) => values.reduce((total, value) => total + value, 0);

/** MeteorScorer.computeMetrics: the score from (possibly pooled) statistics. */
export function meteorScoreFromStats(stats: MeteorStats): MeteorScore {
  const { alpha, beta, gamma, delta } = METEOR_PARAMETERS;
  const testWeightedLength =
    delta * (stats.testLength - stats.testFunctionWords) + (1 - delta) * stats.testFunctionWords;
  const referenceWeightedLength =
    delta * (stats.referenceLength - stats.referenceFunctionWords) + (1 - delta) * stats.referenceFunctionWords;
  let testWeightedMatches = 0;
  let referenceWeightedMatches = 0;
  for (let i = 0; i < METEOR_MODULE_WEIGHTS.length; i++) {
    testWeightedMatches += stats.testContentMatches[i]! * METEOR_MODULE_WEIGHTS[i]! * delta;
    referenceWeightedMatches += stats.referenceContentMatches[i]! * METEOR_MODULE_WEIGHTS[i]! * delta;
  }
  for (let i = 0; i < METEOR_MODULE_WEIGHTS.length; i++) {
    testWeightedMatches += stats.testFunctionMatches[i]! * METEOR_MODULE_WEIGHTS[i]! * (1 - delta);
    referenceWeightedMatches += stats.referenceFunctionMatches[i]! * METEOR_MODULE_WEIGHTS[i]! * (1 - delta);
  }
  const precision = testWeightedMatches / testWeightedLength;
  const recall = referenceWeightedMatches / referenceWeightedLength;
  const fMean = 1 / ((1 - alpha) / precision + alpha / recall);
  const testTotalMatches = sum(stats.testContentMatches) + sum(stats.testFunctionMatches);
  const referenceTotalMatches = sum(stats.referenceContentMatches) + sum(stats.referenceFunctionMatches);
  const frag =
    testTotalMatches === stats.testLength && referenceTotalMatches === stats.referenceLength && stats.chunks === 1
      ? 0
      : stats.chunks / ((stats.testWordMatches + stats.referenceWordMatches) / 2);
  const fragPenalty = gamma * frag ** beta;
  const raw = fMean * (1 - fragPenalty);
  const score = Number.isNaN(raw) ? 0 : Math.max(raw, 0);
  return { score, precision, recall, fMean, fragPenalty };
}

/** MeteorStats.addStats: pool statistics over segments. */
export function addMeteorStats(a: MeteorStats, b: MeteorStats): MeteorStats {
  const add = (x: number[], y: number[]) => x.map((value, i) => value + y[i]!);
  return {
    testLength: a.testLength + b.testLength,
    referenceLength: a.referenceLength + b.referenceLength,
    testFunctionWords: a.testFunctionWords + b.testFunctionWords,
    referenceFunctionWords: a.referenceFunctionWords + b.referenceFunctionWords,
    testContentMatches: add(a.testContentMatches, b.testContentMatches),
    testFunctionMatches: add(a.testFunctionMatches, b.testFunctionMatches),
    referenceContentMatches: add(a.referenceContentMatches, b.referenceContentMatches),
    referenceFunctionMatches: add(a.referenceFunctionMatches, b.referenceFunctionMatches),
    chunks: a.chunks + b.chunks,
    testWordMatches: a.testWordMatches + b.testWordMatches,
    referenceWordMatches: a.referenceWordMatches + b.referenceWordMatches,
  };
}

/** Normalize like `-norm` and tokenize. pycocoevalcap also turns double spaces in the hypothesis into one. */
export function meteorTokens(text: string): string[] {
  return javaTokenize(meteorNormalizeEnglish(text));
}

/** METEOR of one hypothesis against its references: the best-scoring reference's statistics. */
export function meteorSegmentStats(hypothesis: string, references: readonly string[]): MeteorStats {
  if (references.length === 0) throw new Error("METEOR needs at least one reference");
  const test = meteorTokens(hypothesis.replaceAll("|||", "").replaceAll("  ", " "));
  let best: MeteorStats | null = null;
  let bestScore = -1;
  for (const reference of references) {
    const stats = meteorAlignStats(test, meteorTokens(reference));
    const { score } = meteorScoreFromStats(stats);
    if (score > bestScore) {
      best = stats;
      bestScore = score;
    }
  }
  return best!;
}

/** Corpus METEOR as pycocoevalcap reports it: the score of the pooled statistics, plus per-segment scores. */
export function corpusMeteor(segments: readonly { hypothesis: string; references: readonly string[] }[]): {
  meteor: number;
  perSegment: number[];
} {
  let pooled: MeteorStats | null = null;
  const perSegment: number[] = [];
  for (const segment of segments) {
    const stats = meteorSegmentStats(segment.hypothesis, segment.references);
    perSegment.push(meteorScoreFromStats(stats).score);
    pooled = pooled ? addMeteorStats(pooled, stats) : stats;
  }
  return { meteor: pooled ? meteorScoreFromStats(pooled).score : 0, perSegment };
}
