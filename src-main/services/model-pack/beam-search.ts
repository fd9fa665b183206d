/**
 * Beam search with R2Gen's semantics (docs/model.md), identical to training/beam.py:
 * - one live hypothesis of score 0 at the start (the other rows start dead, at -inf);
 * - each step every candidate (live row r, token v) scores float32(score[r] + logProb[r][v]); the `beamSize` best
 *   are kept, ties going to the lower row and then the lower token id;
 * - a kept candidate that is the end id, or is made at the last step, is finished (its row is dead from then on);
 * - stop once the best finished score >= the best live score (log-probs are <= 0: nothing live can overtake);
 * - the answer is the finished hypothesis with the largest summed log-probability (first finished on ties),
 *   up to and excluding the end id. No length penalty.
 */

export interface BeamSearchOptions {
  beamSize: number;
  maxLength: number;
  startId: number;
  endId: number;
  vocabSize: number;
}

/**
 * One decoder step for `beamSize` rows: `inputIds[r]` is row r's previous token and `beamOrigin[r]` the row of the
 * previous step's cache it continues. Returns row-major [beamSize, vocabSize] log-probabilities.
 */
export type DecoderStep = (inputIds: readonly number[], beamOrigin: readonly number[]) => Promise<Float32Array>;

export interface BeamSearchResult {
  tokens: number[];
  score: number;
  steps: number;
}

interface Candidate {
  score: number;
  row: number;
  token: number;
}

export async function beamSearch(step: DecoderStep, options: BeamSearchOptions): Promise<BeamSearchResult> {
  const { beamSize: k, maxLength, startId, endId, vocabSize: vocab } = options;
  let scores: number[] = Array.from({ length: k }, (_, r) => (r === 0 ? 0 : Number.NEGATIVE_INFINITY));
  let seqs: number[][] = Array.from({ length: k }, () => []);
  let inputIds: number[] = Array(k).fill(startId);
  let beamOrigin: number[] = Array.from({ length: k }, (_, r) => r);
  const finished: { score: number; tokens: number[] }[] = [];
  let steps = 0;
  for (let t = 0; t < maxLength; t++) {
    const logProbs = await step(inputIds, beamOrigin);
    steps++;
    if (logProbs.length !== k * vocab) {
      throw new Error(`decoder step returned ${logProbs.length} log-probs, expected ${k} x ${vocab}`);
    }
    const top: Candidate[] = [];
    for (let r = 0; r < k; r++) {
      const base = scores[r]!;
      if (base === Number.NEGATIVE_INFINITY) continue;
      for (let v = 0; v < vocab; v++) {
        const score = Math.fround(base + logProbs[r * vocab + v]!);
        if (top.length === k && !(score > top[k - 1]!.score)) continue; // later (row, token) loses ties
        let at = top.length;
        while (at > 0 && score > top[at - 1]!.score) at--;
        top.splice(at, 0, { score, row: r, token: v });
        if (top.length > k) top.pop();
      }
    }
    const nextScores: number[] = [];
    const nextSeqs: number[][] = [];
    for (const c of top) {
      const tokens = [...seqs[c.row]!, c.token];
      const ends = c.token === endId || t === maxLength - 1;
      if (ends) finished.push({ score: c.score, tokens });
      nextScores.push(ends ? Number.NEGATIVE_INFINITY : c.score);
      nextSeqs.push(tokens);
    }
    while (nextScores.length < k) {
      nextScores.push(Number.NEGATIVE_INFINITY);
      nextSeqs.push([]);
    }
    beamOrigin = top.map((c) => c.row);
    inputIds = top.map((c) => c.token);
    while (beamOrigin.length < k) {
      beamOrigin.push(0);
      inputIds.push(endId);
    }
    scores = nextScores;
    seqs = nextSeqs;
    const bestLive = Math.max(...scores);
    if (finished.length > 0 && Math.max(...finished.map((f) => f.score)) >= bestLive) break;
  }
  let best = finished[0]!;
  for (const f of finished) if (f.score > best.score) best = f;
  const end = best.tokens.indexOf(endId);
  return { tokens: end >= 0 ? best.tokens.slice(0, end) : best.tokens, score: best.score, steps };
}
