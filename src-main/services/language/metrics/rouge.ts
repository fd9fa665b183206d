/**
 * ROUGE-L exactly as pycocoevalcap's `Rouge` (rouge.py): tokens from `split(" ")` (so empty strings count as
 * tokens, as in Python), LCS-based precision and recall (maximum over references), F-measure with beta = 1.2
 * per segment, then the plain mean over segments. Pure: no Node imports.
 */
export const ROUGE_BETA = 1.2;

/** Length of the longest common subsequence of two token lists. */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  const [long, short] = a.length >= b.length ? [a, b] : [b, a];
  let previous = new Array<number>(short.length + 1).fill(0);
  let current = new Array<number>(short.length + 1).fill(0);
  for (let i = 1; i <= long.length; i++) {
    for (let j = 1; j <= short.length; j++) {
      current[j] = long[i - 1] === short[j - 1] ? previous[j - 1]! + 1 : Math.max(previous[j]!, current[j - 1]!);
    }
    [previous, current] = [current, previous];
  }
  return previous[short.length]!;
}

/** pycocoevalcap Rouge.calc_score for one hypothesis and its references. */
export function rougeLSegment(hypothesis: string, references: readonly string[]): number {
  if (references.length === 0) throw new Error("ROUGE-L needs at least one reference");
  const candidate = hypothesis.split(" ");
  let precisionMax = 0;
  let recallMax = 0;
  for (const reference of references) {
    const tokens = reference.split(" ");
    const lcs = lcsLength(tokens, candidate);
    precisionMax = Math.max(precisionMax, lcs / candidate.length);
    recallMax = Math.max(recallMax, lcs / tokens.length);
  }
  if (precisionMax === 0 || recallMax === 0) return 0;
  const beta2 = ROUGE_BETA ** 2;
  return ((1 + beta2) * precisionMax * recallMax) / (recallMax + beta2 * precisionMax);
}

/** Mean ROUGE-L over segments, and the per-segment scores. */
export function corpusRougeL(segments: readonly { hypothesis: string; references: readonly string[] }[]): {
  rougeL: number;
  perSegment: number[];
} {
  const perSegment = segments.map((segment) => rougeLSegment(segment.hypothesis, segment.references));
  const rougeL = perSegment.length ? perSegment.reduce((sum, value) => sum + value, 0) / perSegment.length : 0;
  return { rougeL, perSegment };
}
