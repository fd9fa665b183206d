/**
 * The engine's fast decode path (DecodeImageOptions.minLongSide): JPEG 2000 decoded at a reduced resolution level,
 * and JPEG-LS through cornerstone's CharLS build. Real shared files, a 2k chest transcoded here with GDCM and dcmtk, and J2K
 * streams encoded with OpenJPEG's own encoder to control the number of decompositions.
 */
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";
import path from "node:path";
import { describe, expect, test } from "vitest";
import { decodeImageFile } from "../../../src-main/services/imaging";
import { decodeJpeg2000Reduced, reductionLevel } from "../../../src-main/services/imaging/reduced-resolution";
import { isImagingError } from "../../../src-shared/imaging/errors";
import type { EncodedFrame } from "../../../src-shared/imaging/pixel-frame-codecs";
import { DICOM_DIR, referenceCrStoredValues, tempDir } from "./imaging-fixtures";

const require = createRequire(import.meta.url);

interface J2KEncoder {
  getDecodedBuffer(info: object): Uint8Array;
  setDecompositions(n: number): void;
  setQuality(lossless: boolean, quality: number): void;
  encode(): void;
  getEncodedBuffer(): Uint8Array;
  delete(): void;
}

/** The reference CR chest (440×440, 10-bit) as a lossless J2K codestream with `decompositions` levels. */
async function encodedReference(decompositions: number): Promise<EncodedFrame> {
  const factory = require("@cornerstonejs/codec-openjpeg/wasmjs") as (o: object) => Promise<{
    J2KEncoder: new () => J2KEncoder;
  }>;
  const openjpeg = await factory({ print: () => {}, printErr: () => {} });
  const { width, height, values } = referenceCrStoredValues();
  const encoder = new openjpeg.J2KEncoder();
  try {
    const input = encoder.getDecodedBuffer({ width, height, bitsPerSample: 16, componentCount: 1, isSigned: false });
    input.set(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    encoder.setDecompositions(decompositions);
    encoder.setQuality(true, 0);
    encoder.encode();
    return {
      codec: "jpeg2000",
      data: encoder.getEncodedBuffer().slice(),
      width,
      height,
      bitsAllocated: 16,
      bitsStored: 10,
      samplesPerPixel: 1,
      pixelRepresentation: 0,
      planarConfiguration: 0,
      photometric: "MONOCHROME1",
    };
  } finally {
    encoder.delete();
  }
}

/** Mean of each factor×factor block (the last partial block averaged over what it has). */
function blockMean(pixels: Uint8Array, width: number, height: number, factor: number) {
  const w = Math.ceil(width / factor);
  const h = Math.ceil(height / factor);
  const out = new Float64Array(w * h);
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      let sum = 0;
      let n = 0;
      for (let dy = 0; dy < factor && y * factor + dy < height; dy++)
        for (let dx = 0; dx < factor && x * factor + dx < width; dx++) {
          sum += pixels[(y * factor + dy) * width + x * factor + dx]!;
          n++;
        }
      out[y * w + x] = sum / n;
    }
  return out;
}

describe("reduced-resolution JPEG 2000", () => {
  test("the level is the smallest reduction whose long side still covers what is needed", () => {
    expect(reductionLevel(1841, 1955, 5, 256)).toBe(2); // 489 ≥ 256, 245 < 256
    expect(reductionLevel(2128, 2000, 5, 256)).toBe(3); // 266
    expect(reductionLevel(440, 440, 5, 256)).toBe(0);
    expect(reductionLevel(4096, 4096, 2, 256)).toBe(2); // capped by the stream's decompositions
  });

  test("a 1955×1841 J2K chest decodes at level 2 for a 256-px model input, matching the full decode", async () => {
    const file = path.join(DICOM_DIR, "RG1_CR_chest_J2KI.dcm");
    const full = await decodeImageFile(file);
    const reduced = await decodeImageFile(file, { minLongSide: 256 });
    expect(full.resolutionLevel).toBeUndefined();
    expect([reduced.width, reduced.height, reduced.resolutionLevel]).toEqual([461, 489, 2]);
    expect(reduced.metadata).toEqual(full.metadata);
    // The LL band against a 4×4 box average of the full display image: the same picture.
    const boxed = blockMean(full.displayPixels, full.width, full.height, 4);
    let sumAbs = 0;
    for (let i = 0; i < boxed.length; i++) sumAbs += Math.abs(boxed[i]! - reduced.displayPixels[i]!);
    const meanAbs = sumAbs / boxed.length;
    console.log(`RG1 level 2 vs 4x4 box mean of the full decode: mean |diff| ${meanAbs.toFixed(2)} grey levels`);
    expect(meanAbs).toBeLessThan(3);
  });

  test("images already small, and other syntaxes, decode at full size", async () => {
    for (const name of ["derived_CRchest_J2K_lossless.dcm", "derived_CRchest_JPEGLS_lossless.dcm"]) {
      const image = await decodeImageFile(path.join(DICOM_DIR, name), { minLongSide: 256 });
      expect([image.width, image.height, image.resolutionLevel]).toEqual([440, 440, undefined]);
    }
  });

  test("a stream with fewer decompositions than the level wanted is decoded one level less reduced", async () => {
    const five = await decodeJpeg2000Reduced(await encodedReference(5), 100, "five.j2k");
    expect([five?.width, five?.height, five?.level]).toEqual([110, 110, 2]);
    const one = await decodeJpeg2000Reduced(await encodedReference(1), 100, "one.j2k");
    expect([one?.width, one?.height, one?.level]).toEqual([220, 220, 1]);
  });

  test("JPEG-LS through CharLS gives the same samples as dcmjs-codecs", async () => {
    const dir = tempDir("rd-jpegls-");
    // The 1955×1841 15-bit CR chest, JPEG-LS lossless (GDCM to raw, dcmtk to JPEG-LS), beside the shared 10-bit lossless and near-lossless.
    const raw = path.join(dir.dir, "rg1-raw.dcm");
    const big = path.join(dir.dir, "rg1-jpegls.dcm");
    execFileSync("gdcmconv", ["--raw", path.join(DICOM_DIR, "RG1_CR_chest_J2KI.dcm"), raw], { stdio: "ignore" });
    execFileSync("dcmcjpls", [raw, big], { stdio: "ignore" });
    for (const file of [
      big,
      path.join(DICOM_DIR, "derived_CRchest_JPEGLS_lossless.dcm"),
      path.join(DICOM_DIR, "derived_CRchest_JPEGLS_nearlossless.dcm"),
    ]) {
      const viaDcmjs = await decodeImageFile(file);
      const viaCharls = await decodeImageFile(file, { minLongSide: 4096 });
      expect([viaCharls.width, viaCharls.height]).toEqual([viaDcmjs.width, viaDcmjs.height]);
      expect(Buffer.from(viaCharls.modalityPixels.buffer).equals(Buffer.from(viaDcmjs.modalityPixels.buffer))).toBe(
        true,
      );
    }
    dir.cleanup();
  });

  test("a truncated stream is refused with the reason, not shown grey", async () => {
    const frame = await encodedReference(5);
    const truncated = { ...frame, data: frame.data.subarray(0, Math.floor(frame.data.length / 2)) };
    const error = await decodeJpeg2000Reduced(truncated, 100, "truncated.j2k").catch((e: unknown) => e);
    expect(isImagingError(error) && error.code).toBe("CORRUPT_PIXEL_DATA");
    expect(String((error as Error).message)).toMatch(/EOC marker/);
  });
});
