import { describe, expect, it } from "vitest";
import { beamSearch, type DecoderStep } from "../../../src-main/services/model-pack/beam-search";

type Calls = { ids: number[]; origin: number[] }[];

/**
 * A decoder whose next-token distribution depends only on the previous token (a Markov table: row t holds the
 * probabilities after token t), so every hypothesis score can be worked out by hand. Vocabulary: 0 = end, 1..3 words.
 */
function markovStep(table: number[][], calls: Calls): DecoderStep {
  return async (inputIds, beamOrigin) => {
    calls.push({ ids: [...inputIds], origin: [...beamOrigin] });
    const rows = inputIds.map((t) => table[t]!.map(Math.log));
    return Float32Array.from(rows.flat());
  };
}

const options = { beamSize: 3, maxLength: 10, startId: 0, endId: 0, vocabSize: 4 };

/** Beam search over a Markov table, with the decoder calls it made. */
async function search(table: number[][], overrides: Partial<typeof options> = {}) {
  const calls: Calls = [];
  const result = await beamSearch(markovStep(table, calls), { ...options, ...overrides });
  return { result, calls };
}

describe("beamSearch (R2Gen semantics)", () => {
  it("keeps the hypothesis with the largest summed log-probability, not the greedy path", async () => {
    // greedy takes 1 (0.5) then 0/1/2/3 at 0.25 each: best greedy-ish total 0.125;
    // 2 (0.4) then end at 0.9 gives 0.36, which beam search must find.
    const { result, calls } = await search([
      [0.05, 0.5, 0.4, 0.05],
      [0.25, 0.25, 0.25, 0.25],
      [0.9, 0.04, 0.03, 0.03],
      [0.7, 0.1, 0.1, 0.1],
    ]);
    expect(result.tokens).toEqual([2]);
    expect(result.score).toBeCloseTo(Math.log(0.4 * 0.9), 5);
    // the first step feeds the start id to every row; only row 0 is live
    expect(calls[0]).toEqual({ ids: [0, 0, 0], origin: [0, 1, 2] });
    // the second step continues the 3 best first tokens (1, 2, then 0 ended / 3) from row 0
    expect(calls[1]!.origin).toEqual([0, 0, 0]);
  });

  it("stops once no live beam can beat the best finished one", async () => {
    const words = [0.5, 0.5, 0, 0];
    const { result, calls } = await search([[0.6, 0.2, 0.1, 0.1], words, words, words]);
    // ending at once (0.6) beats every live continuation (<= 0.2), known right after the first step
    expect(result.tokens).toEqual([]);
    expect(calls.length).toBe(1);
  });

  it("ends every hypothesis at max length when no end id is chosen", async () => {
    const row = [0.0001, 0.9, 0.05, 0.0499];
    const { result } = await search([row, row, row, row], { maxLength: 5 });
    expect(result.tokens).toEqual([1, 1, 1, 1, 1]);
    expect(result.steps).toBe(5);
  });

  it("refuses a step that returns the wrong number of log-probs", async () => {
    const bad: DecoderStep = async () => new Float32Array(5);
    await expect(beamSearch(bad, options)).rejects.toThrow("decoder step returned 5 log-probs, expected 3 x 4");
  });
});
