/**
 * Every PNG / JPEG in ../shared/data/images decodes to the pixels sharp reads (gray as-is, colour as BT.601 luma);
 * the from_dicom PNGs match their DICOM sources; 16-bit PNGs keep their 16-bit values.
 */
import fs from "node:fs";
import path from "node:path";
import sharp from "sharp";
import { afterAll, describe, expect, test } from "vitest";
import { decodeImageFile } from "../../../src-main/services/imaging/decode-image";
import {
  correlation,
  DICOM_DIR,
  diffStats,
  IMAGES_DIR,
  lungAndMediastinum,
  rasterFiles,
  referenceCrStoredValues,
  tempDir,
} from "./imaging-fixtures";

const tmp = tempDir();
const figures: string[] = [];
afterAll(() => {
  tmp.cleanup();
  if (figures.length) console.info(`PNG / JPEG figures:\n${figures.join("\n")}`);
});

/** Raw pixels written as a PNG in the colour space given (by sharp), in the temporary folder. */
async function writePng(
  name: string,
  pixels: Uint8Array | Uint16Array,
  raw: { width: number; height: number; channels: 1 | 2 | 3 | 4 },
  colourspace: string,
): Promise<string> {
  const file = path.join(tmp.dir, name);
  await sharp(pixels, { raw }).toColourspace(colourspace).png().toFile(file);
  return file;
}

describe.each(rasterFiles().map((f) => [path.relative(IMAGES_DIR, f), f]))("%s", (_name, file) => {
  test("decodes to the size and pixels sharp reads", async () => {
    const image = await decodeImageFile(file);
    const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
    expect([image.width, image.height]).toEqual([info.width, info.height]);
    expect(image.metadata.format).toBe(file.endsWith(".png") ? "png" : "jpeg");
    expect(image.metadata.bitsStored).toBe(8);
    expect(image.voi.source).toBe("identity");
    expect(image.displayPixels.length).toBe(info.width * info.height);
    // Independent luma from sharp's RGB output (gray images come out of sharp as R = G = B).
    let mismatches = 0;
    for (let i = 0; i < image.displayPixels.length; i++) {
      const c = info.channels;
      const [r, g, b] = [data[i * c] as number, data[i * c + 1] as number, data[i * c + 2] as number];
      const luma = (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
      if (image.displayPixels[i] !== luma) mismatches++;
    }
    expect(mismatches).toBe(0);
    expect(diffStats(image.modalityPixels, image.displayPixels).max).toBe(0);
    figures.push(
      `${path.relative(IMAGES_DIR, file).padEnd(50)} ${image.width}x${image.height} ${image.metadata.photometric.padEnd(11)} ${image.timings.totalMs.toFixed(1)} ms`,
    );
  });
});

describe("chest images show dark lungs", () => {
  const frontal = rasterFiles().filter((f) => /[\\/](nih|from_dicom)[\\/]/.test(f));
  test.each(frontal.map((f) => [path.relative(IMAGES_DIR, f), f]))("%s", async (_name, file) => {
    const image = await decodeImageFile(file);
    const r = lungAndMediastinum(image.displayPixels, image.width, image.height);
    expect(r.rightLung).toBeLessThan(r.mediastinum - 30);
    expect(r.leftLung).toBeLessThan(r.mediastinum - 30);
  });
});

describe("from_dicom PNGs match their DICOM sources", () => {
  const pairs: Array<[string, string]> = [
    ["CR-MONO1-10-chest.png", "CR-MONO1-10-chest_explicitLE.dcm"],
    ["RG1_CR_chest.png", "RG1_CR_chest_J2KI.dcm"],
    ["SIIM_CR_chest.png", "SIIM_CR_chest_JPEGBaseline.dcm"],
  ];
  test("the pairs cover every from_dicom PNG", () => {
    const pngs = fs.readdirSync(path.join(IMAGES_DIR, "from_dicom")).filter((f) => f.endsWith(".png"));
    expect(pngs.sort()).toEqual(pairs.map(([png]) => png).sort());
  });
  test.each(pairs)("%s vs %s", async (png, dcm) => {
    const a = await decodeImageFile(path.join(IMAGES_DIR, "from_dicom", png));
    const b = await decodeImageFile(path.join(DICOM_DIR, dcm));
    expect([a.width, a.height]).toEqual([b.width, b.height]);
    const d = diffStats(a.displayPixels, b.displayPixels);
    const r = correlation(a.displayPixels, b.displayPixels);
    figures.push(
      `${png} vs ${dcm}: correlation ${r.toFixed(4)}, max |diff| ${d.max}, mean |diff| ${d.mean.toFixed(2)} (the PNG was rendered elsewhere, with its own window)`,
    );
    // Same polarity and anatomy (the PNGs were rendered by another tool, possibly with another window).
    expect(r).toBeGreaterThan(0.99);
    expect(d.mean).toBeLessThan(25);
  });
});

describe("16-bit PNG", () => {
  test("keeps the 16-bit values, shows them with a min-max window, and honours a user window", async () => {
    const { width, height, values } = referenceCrStoredValues();
    // 10-bit values scaled to use the 16-bit range.
    const wide = Uint16Array.from(values, (v) => v * 64 + 7);
    const file = await writePng("cr16.png", wide, { width, height, channels: 1 }, "grey16");
    expect((await sharp(file).metadata()).depth).toBe("ushort");

    const image = await decodeImageFile(file);
    expect(image.metadata).toMatchObject({
      format: "png",
      bitsStored: 16,
      bitsAllocated: 16,
      photometric: "MONOCHROME2",
    });
    expect(diffStats(image.modalityPixels, wide).max).toBe(0);
    expect(image.voi.source).toBe("min-max");
    const min = wide.reduce((m, v) => Math.min(m, v), 65535);
    const max = wide.reduce((m, v) => Math.max(m, v), 0);
    expect(image.modalityRange).toEqual({ min, max });
    expect(image.displayPixels[wide.indexOf(min)]).toBe(0);
    expect(image.displayPixels[wide.indexOf(max)]).toBe(255);

    // The same window as the DICOM file's (550 / 1024 in stored units) gives the DICOM display, un-inverted.
    const dicom = await decodeImageFile(path.join(DICOM_DIR, "CR-MONO1-10-chest_explicitLE.dcm"));
    const windowed = await decodeImageFile(file, { window: { center: 550 * 64 + 7 - 32, width: 1024 * 64 } });
    expect(windowed.voi.source).toBe("user");
    const inverted = Uint8Array.from(dicom.displayPixels, (v) => 255 - v);
    const d = diffStats(windowed.displayPixels, inverted);
    figures.push(
      `16-bit PNG with the DICOM window vs the DICOM display: max |diff| ${d.max}, mean ${d.mean.toFixed(3)}`,
    );
    expect(d.max).toBeLessThanOrEqual(1);
  });

  test("a 16-bit RGB PNG is reduced to 16-bit luma", async () => {
    const rgb = new Uint16Array([0, 0, 0, 65535, 65535, 65535, 65535, 0, 0, 1000, 40000, 20000]);
    const file = await writePng("rgb16.png", rgb, { width: 4, height: 1, channels: 3 }, "rgb16");
    const image = await decodeImageFile(file);
    expect(image.metadata).toMatchObject({ bitsStored: 16, photometric: "RGB" });
    const luma = (r: number, g: number, b: number) => Math.floor((r * 19595 + g * 38470 + b * 7471 + 0x8000) / 65536);
    expect(Array.from(image.modalityPixels)).toEqual([0, 65535, luma(65535, 0, 0), luma(1000, 40000, 20000)]);
  });

  test("an 8-bit gray PNG with alpha ignores the alpha channel", async () => {
    const pixels = new Uint8Array([10, 255, 200, 0, 90, 128, 250, 30]);
    const file = await writePng("gray-alpha.png", pixels, { width: 4, height: 1, channels: 2 }, "b-w");
    const image = await decodeImageFile(file);
    expect(Array.from(image.displayPixels)).toEqual([10, 200, 90, 250]);
  });
});
