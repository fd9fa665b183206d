/**
 * Point 6 of the synthetic-radiograph issue: a simple measurement on the pixels recovers the findings. The
 * cardiothoracic ratio measured from the lung-field profiles is larger for cardiomegaly; the lung base on the
 * side of a unilateral effusion is brighter (denser) than the other base.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { findingSignature, findingsOf, type RenderSpec } from "../../../src-main/services/language/report-findings";
import { loadIuStudies } from "../../../tools/synth/dataset";
import { baseBrightness, measureCtr } from "../../../tools/synth/measure";
import { renderFrontal } from "../../../tools/synth/render";

const SIZE = 192;
const N = 24;
let specs: RenderSpec[];

beforeAll(async () => {
  const { studies } = await loadIuStudies();
  specs = studies.map((s) => findingsOf(s).spec);
});

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Probability that a random positive scores above a random negative. */
function auc(positive: number[], negative: number[]): number {
  let wins = 0;
  for (const p of positive) for (const n of negative) wins += p > n ? 1 : p === n ? 0.5 : 0;
  return wins / (positive.length * negative.length);
}

describe("findings are measurable on the pixels", () => {
  it("the measured cardiothoracic ratio is larger for cardiomegaly", () => {
    const normal = specs.filter((s) => findingSignature(s.findings) === "").slice(0, N);
    const cardiomegaly = specs
      .filter(
        (s) =>
          s.findings.length === 1 && s.findings[0]!.kind === "cardiomegaly" && s.findings[0]!.certainty === "positive",
      )
      .slice(0, N);
    expect(cardiomegaly.length).toBe(N);
    const ctr = (list: RenderSpec[]) => list.map((s) => measureCtr(renderFrontal(s, SIZE)).ctr).filter(Number.isFinite);
    const normalCtr = ctr(normal);
    const cardioCtr = ctr(cardiomegaly);
    console.log(
      `measured CTR: no findings ${mean(normalCtr).toFixed(3)} (n=${normalCtr.length}), cardiomegaly ${mean(cardioCtr).toFixed(3)} (n=${cardioCtr.length}), AUC ${auc(cardioCtr, normalCtr).toFixed(3)}`,
    );
    expect(normalCtr.length).toBeGreaterThanOrEqual(N - 2);
    expect(cardioCtr.length).toBeGreaterThanOrEqual(N - 2);
    expect(mean(normalCtr)).toBeLessThan(0.5);
    expect(mean(cardioCtr)).toBeGreaterThan(0.5);
    expect(mean(cardioCtr) - mean(normalCtr)).toBeGreaterThan(0.06);
    expect(auc(cardioCtr, normalCtr)).toBeGreaterThan(0.85);
  });

  it("the base on the side of a unilateral effusion is denser", () => {
    const effusions = specs
      .filter((s) =>
        s.findings.some(
          (f) =>
            f.kind === "pleural-effusion" && f.certainty === "positive" && (f.side === "left" || f.side === "right"),
        ),
      )
      .slice(0, N);
    expect(effusions.length).toBe(N);
    const differences = effusions.map((s) => {
      const side = s.findings.find((f) => f.kind === "pleural-effusion")!.side;
      const b = baseBrightness(renderFrontal(s, SIZE));
      return side === "right" ? b.patientRight - b.patientLeft : b.patientLeft - b.patientRight;
    });
    const denser = differences.filter((d) => d > 0).length / differences.length;
    console.log(
      `effusion side denser at the base in ${(denser * 100).toFixed(0)}% of ${differences.length} studies, mean difference ${mean(differences).toFixed(3)}`,
    );
    expect(denser).toBeGreaterThanOrEqual(0.8);
    expect(mean(differences)).toBeGreaterThan(0.04);
  });
});
