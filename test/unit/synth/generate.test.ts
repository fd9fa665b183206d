import { mkdtemp, readFile, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, describe, expect, it } from "vitest";
import { generateDataset } from "../../../tools/synth/generate";
import { defaultIuSourcePaths } from "../../../tools/synth/paths";

const dirs: string[] = [];
afterAll(async () => {
  await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
});

describe("generator output (R2Gen layout)", () => {
  it("writes frontal and lateral 8-bit grayscale PNGs per study and the annotation of the rendered studies", async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), "synth-gen-"));
    dirs.push(out);
    const ids = ["CXR2926_IM-1328", "CXR260_IM-1090", "CXR3537_IM-1730"];
    let progress = 0;
    const result = await generateDataset({
      source: defaultIuSourcePaths(),
      outDir: out,
      size: 96,
      workers: 2,
      ids,
      batch: 1,
      onProgress: (done) => {
        progress = done;
      },
    });
    expect(result.studies).toBe(3);
    expect(progress).toBe(3);
    for (const id of ids) {
      for (const view of ["0.png", "1.png"]) {
        const meta = await sharp(path.join(out, "images", id, view)).metadata();
        expect(meta).toMatchObject({ width: 96, height: 96, channels: 1, depth: "uchar", format: "png" });
      }
    }
    const annotation = JSON.parse(await readFile(path.join(out, "annotation.json"), "utf8"));
    const listed = [...annotation.train, ...annotation.val, ...annotation.test].map((e: { id: string }) => e.id).sort();
    expect(listed).toEqual(ids.slice().sort());
    expect(annotation.test.map((e: { image_path: string[] }) => e.image_path)).toEqual([
      ["CXR260_IM-1090/0.png", "CXR260_IM-1090/1.png"],
    ]);
    const synthetic = JSON.parse(await readFile(path.join(out, "synthetic.json"), "utf8"));
    expect(synthetic.simulation).toBe(true);
  });

  it("rejects unknown study ids, naming them", async () => {
    const out = await mkdtemp(path.join(os.tmpdir(), "synth-gen-"));
    dirs.push(out);
    await expect(generateDataset({ source: defaultIuSourcePaths(), outDir: out, ids: ["CXR0_NOPE"] })).rejects.toThrow(
      /unknown study id\(s\): CXR0_NOPE/,
    );
  });
});
