import { beforeAll, describe, expect, it } from "vitest";
import { findingSignature, findingsOf, type StudyFindings } from "../../../src-main/services/language/report-findings";
import { type IuStudy, loadIuStudies } from "../../../tools/synth/dataset";
import { quantize } from "../../../tools/synth/detector";
import { renderStudy } from "../../../tools/synth/render";

const SIZE = 128;
let studies: IuStudy[];
let normal: IuStudy[];

beforeAll(async () => {
  ({ studies } = await loadIuStudies());
  const all: StudyFindings[] = studies.map(findingsOf);
  normal = studies.filter((_, i) => findingSignature(all[i]!.spec.findings) === "");
});

function pixels(study: IuStudy): { frontal: Uint8Array; lateral: Uint8Array } {
  const r = renderStudy(findingsOf(study).spec, SIZE);
  return { frontal: quantize(r.frontal, 8), lateral: quantize(r.lateral, 8) };
}

function meanAbsDiff(a: Uint8Array, b: Uint8Array): number {
  let acc = 0;
  for (let i = 0; i < a.length; i++) acc += Math.abs(a[i]! - b[i]!);
  return acc / a.length;
}

describe("rendering", () => {
  it("is deterministic per study", () => {
    const s = studies[0]!;
    const a = pixels(s);
    const b = pixels(s);
    expect(Buffer.from(a.frontal).equals(Buffer.from(b.frontal))).toBe(true);
    expect(Buffer.from(a.lateral).equals(Buffer.from(b.lateral))).toBe(true);
  });

  it("depends only on the study id and the findings, not on the report's wording", () => {
    const [a, b] = [normal[0]!, normal[1]!];
    expect(a.report).not.toBe(b.report);
    // Same patient (id), the other study's report: identical findings, so identical pixels.
    const swapped: IuStudy = { ...a, report: b.report, labels: b.labels };
    expect(findingsOf(swapped).spec).toEqual(findingsOf(a).spec);
    const original = pixels(a);
    const reworded = pixels(swapped);
    expect(Buffer.from(original.frontal).equals(Buffer.from(reworded.frontal))).toBe(true);
    expect(Buffer.from(original.lateral).equals(Buffer.from(reworded.lateral))).toBe(true);
  });

  it("gives two patients with the same findings different images", () => {
    const a = pixels(normal[0]!);
    const b = pixels(normal[1]!);
    expect(meanAbsDiff(a.frontal, b.frontal)).toBeGreaterThan(3);
    expect(meanAbsDiff(a.lateral, b.lateral)).toBeGreaterThan(3);
  });

  it("renders a finding only where the study has it: same patient with and without an effusion", () => {
    const base = normal[2]!;
    const spec = findingsOf(base).spec;
    const without = renderStudy(spec, SIZE).frontal;
    const withEffusion = renderStudy(
      {
        ...spec,
        findings: [
          {
            kind: "pleural-effusion",
            certainty: "positive",
            source: "Pleural Effusion",
            side: "right",
            severity: "moderate",
          },
        ],
      },
      SIZE,
    ).frontal;
    // The image-left (patient right) lower chest brightens; the upper chest barely changes.
    const region = (img: Float32Array, x0: number, x1: number, y0: number, y1: number): number => {
      let acc = 0;
      let n = 0;
      for (let y = Math.floor(y0 * SIZE); y < y1 * SIZE; y++)
        for (let x = Math.floor(x0 * SIZE); x < x1 * SIZE; x++) {
          acc += img[y * SIZE + x]!;
          n++;
        }
      return acc / n;
    };
    const lowerRight = region(withEffusion.data, 0.12, 0.32, 0.6, 0.76) - region(without.data, 0.12, 0.32, 0.6, 0.76);
    expect(lowerRight).toBeGreaterThan(0.05);
  });

  it("writes 8-bit grayscale values over the full range", () => {
    const { frontal } = pixels(studies[3]!);
    let min = 255;
    let max = 0;
    for (const v of frontal) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect(min).toBeLessThan(20);
    expect(max).toBeGreaterThan(235);
  });
});
