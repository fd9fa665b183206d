/**
 * The committed fixture subset (test/fixtures/synth, R2Gen layout at 256x256) is what the generator renders:
 * re-rendering its studies gives the same pixels (regenerate with `npm run synth:fixtures` after changing the
 * renderer).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { beforeAll, describe, expect, it } from "vitest";
import { findingsOf } from "../../../src-main/services/language/report-findings";
import { type IuStudy, loadIuStudies } from "../../../tools/synth/dataset";
import { quantize } from "../../../tools/synth/detector";
import { FIXTURE_DIR } from "../../../tools/synth/paths";
import { renderStudy } from "../../../tools/synth/render";

const annotation = JSON.parse(readFileSync(path.join(FIXTURE_DIR, "annotation.json"), "utf8")) as Record<
  "train" | "val" | "test",
  Array<{ id: string; image_path: [string, string] }>
>;
const entries = [...annotation.train, ...annotation.val, ...annotation.test];
let byId: Map<string, IuStudy>;

beforeAll(async () => {
  const { studies } = await loadIuStudies();
  byId = new Map(studies.map((s) => [s.id, s]));
});

describe("synthetic fixture subset", () => {
  it("holds 8 studies with both views at 256x256 and says it is a simulation", () => {
    expect(entries.length).toBe(8);
    const synthetic = JSON.parse(readFileSync(path.join(FIXTURE_DIR, "synthetic.json"), "utf8"));
    expect(synthetic).toMatchObject({ simulation: true, size: 256, studies: 8 });
  });

  it("matches a fresh rendering of each study", async () => {
    for (const entry of entries) {
      const study = byId.get(entry.id);
      expect(study, entry.id).toBeDefined();
      const rendered = renderStudy(findingsOf(study!).spec, 256);
      for (const [k, plane] of [rendered.frontal, rendered.lateral].entries()) {
        const file = path.join(FIXTURE_DIR, "images", entry.image_path[k]!);
        const { data, info } = await sharp(file).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
        expect(info).toMatchObject({ width: 256, height: 256, channels: 1 });
        const fresh = quantize(plane, 8);
        let maxDiff = 0;
        let sum = 0;
        for (let i = 0; i < fresh.length; i++) {
          const d = Math.abs(fresh[i]! - data[i]!);
          maxDiff = Math.max(maxDiff, d);
          sum += d;
        }
        expect(maxDiff, file).toBeLessThanOrEqual(2);
        expect(sum / fresh.length, file).toBeLessThan(0.05);
      }
    }
  });
});
