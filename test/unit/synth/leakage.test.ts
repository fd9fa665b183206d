/**
 * Point 4 of the synthetic-radiograph issue: which negatives a report mentions, its template or wording, must not
 * be readable from the pixels. Among studies whose rendered findings are identical (none), groups split by report
 * wording are rendered and a simple classifier tries to separate them; its cross-validated accuracy must stay in
 * the chance band. A positive control (cardiomegaly vs none) shows the same classifier does find real findings.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { findingSignature, findingsOf, type RenderSpec } from "../../../src-main/services/language/report-findings";
import { type IuStudy, loadIuStudies } from "../../../tools/synth/dataset";
import { crossValidate, imageFeatures } from "../../../tools/synth/leakage";
import { rngFor } from "../../../tools/synth/prng";
import { renderStudy } from "../../../tools/synth/render";

const SIZE = 80;
const PER_CLASS = 60;
/** Balanced binary accuracy of a classifier with no signal: 0.5 +- 3.3 standard errors at n = 120. */
const CHANCE_BAND: [number, number] = [0.35, 0.65];

let studies: IuStudy[];
let specs: Map<string, RenderSpec>;
let normal: IuStudy[];
const featureCache = new Map<string, number[]>();

beforeAll(async () => {
  ({ studies } = await loadIuStudies());
  specs = new Map(studies.map((s) => [s.id, findingsOf(s).spec]));
  normal = studies.filter((s) => findingSignature(specs.get(s.id)!.findings) === "");
});

function features(id: string): number[] {
  let f = featureCache.get(id);
  if (!f) {
    const r = renderStudy(specs.get(id)!, SIZE);
    f = imageFeatures([r.frontal, r.lateral]);
    featureCache.set(id, f);
  }
  return f;
}

function separability(groupA: IuStudy[], groupB: IuStudy[], name: string) {
  const rng = rngFor(name, "leakage-test");
  const pick = (group: IuStudy[]) => {
    const copy = group.slice().sort((a, b) => a.uid - b.uid);
    for (let i = copy.length - 1; i > 0; i--) {
      const j = Math.floor(rng.uniform() * (i + 1));
      [copy[i], copy[j]] = [copy[j]!, copy[i]!];
    }
    return copy.slice(0, PER_CLASS);
  };
  const a = pick(groupA);
  const b = pick(groupB);
  expect(a.length).toBe(PER_CLASS);
  expect(b.length).toBe(PER_CLASS);
  const x = [...a, ...b].map((s) => features(s.id));
  const y = [...a.map(() => 0), ...b.map(() => 1)];
  const result = crossValidate(x, y, 5, rng);
  console.log(
    `${name}: logistic ${result.logistic.toFixed(3)}, nearest centroid ${result.centroid.toFixed(3)} (n=${result.n})`,
  );
  return result;
}

describe("pixels carry findings, not report wording", () => {
  it("cannot tell whether a no-findings report mentions pneumothorax", () => {
    const r = separability(
      normal.filter((s) => /pneumothorax/i.test(s.report)),
      normal.filter((s) => !/pneumothorax/i.test(s.report)),
      "mentions 'pneumothorax' (negated)",
    );
    expect(r.logistic).toBeGreaterThanOrEqual(CHANCE_BAND[0]);
    expect(r.logistic).toBeLessThanOrEqual(CHANCE_BAND[1]);
    expect(r.centroid).toBeGreaterThanOrEqual(CHANCE_BAND[0]);
    expect(r.centroid).toBeLessThanOrEqual(CHANCE_BAND[1]);
  });

  it("cannot tell the report template (anonymisation marks, length)", () => {
    const r1 = separability(
      normal.filter((s) => /XXXX/.test(s.report)),
      normal.filter((s) => !/XXXX/.test(s.report)),
      "report contains XXXX",
    );
    const lengths = normal.map((s) => s.report.length).sort((a, b) => a - b);
    const median = lengths[Math.floor(lengths.length / 2)]!;
    const r2 = separability(
      normal.filter((s) => s.report.length > median),
      normal.filter((s) => s.report.length <= median),
      "report longer than median",
    );
    for (const r of [r1, r2]) {
      expect(r.logistic).toBeGreaterThanOrEqual(CHANCE_BAND[0]);
      expect(r.logistic).toBeLessThanOrEqual(CHANCE_BAND[1]);
      expect(r.centroid).toBeGreaterThanOrEqual(CHANCE_BAND[0]);
      expect(r.centroid).toBeLessThanOrEqual(CHANCE_BAND[1]);
    }
  });

  it("does separate a real finding (positive control: cardiomegaly vs none)", () => {
    const cardiomegaly = studies.filter((s) => {
      const f = specs.get(s.id)!.findings;
      return f.length === 1 && f[0]!.kind === "cardiomegaly" && f[0]!.certainty === "positive";
    });
    const r = separability(cardiomegaly, normal, "cardiomegaly vs no findings");
    expect(Math.max(r.logistic, r.centroid)).toBeGreaterThan(0.75);
  });
});
