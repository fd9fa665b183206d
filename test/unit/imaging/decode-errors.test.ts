/**
 * Unsupported or corrupt input gives a typed ImagingError naming the file and the reason, never a crash or a
 * silently wrong image.
 */
import fs from "node:fs";
import path from "node:path";
import zlib from "node:zlib";
import { afterAll, describe, expect, test } from "vitest";
import { decodeImageBuffer, decodeImageFile } from "../../../src-main/services/imaging/decode-image";
import { type ImagingErrorCode, isImagingError } from "../../../src-shared/imaging/errors";
import { unsupportedInputs } from "./derived-files";
import {
  buildDicom,
  crChestDataset,
  DICOM_DIR,
  dicomFiles,
  IMAGES_DIR,
  REFERENCE_CR,
  rasterFiles,
  tempDir,
} from "./imaging-fixtures";

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function writeTemp(name: string, bytes: Uint8Array | string): string {
  const file = path.join(tmp.dir, name);
  fs.writeFileSync(file, bytes);
  return file;
}

/** Awaits a decode that must fail, and returns its ImagingError after checking it names the input. */
async function failure(promise: Promise<unknown>, name: string, codes: ImagingErrorCode[]) {
  const outcome = await promise.then(
    () => null,
    (error: unknown) => error,
  );
  expect(outcome, `${name} should fail`).not.toBeNull();
  if (!isImagingError(outcome)) throw new Error(`expected an ImagingError for ${name}, got ${String(outcome)}`);
  expect(codes).toContain(outcome.code);
  expect(outcome.path).toBe(name);
  expect(outcome.message).toContain(name);
  expect(outcome.reason.length).toBeGreaterThan(10);
  return outcome;
}

/** Deterministic noise (xorshift32), so a failing case can be reproduced. */
function noise(length: number, seed = 0x9e3779b9): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}

/** Replaces an ASCII value in a file's header with another of the same length. */
function patchAscii(bytes: Buffer, from: string, to: string): Buffer {
  expect(to.length).toBe(from.length);
  const at = bytes.indexOf(Buffer.from(from, "latin1"));
  expect(at).toBeGreaterThan(0);
  const out = Buffer.from(bytes);
  out.write(to, at, "latin1");
  return out;
}

describe("file system problems", () => {
  test("a missing file", async () => {
    const file = path.join(tmp.dir, "does-not-exist.dcm");
    await failure(decodeImageFile(file), file, ["NOT_FOUND"]);
  });

  test("a folder", async () => {
    await failure(decodeImageFile(tmp.dir), tmp.dir, ["NOT_A_FILE"]);
  });

  test("an empty file", async () => {
    const file = writeTemp("empty.dcm", "");
    await failure(decodeImageFile(file), file, ["EMPTY_FILE"]);
  });

  test("an empty path", async () => {
    await expect(decodeImageFile("")).rejects.toMatchObject({ code: "INVALID_OPTIONS" });
  });

  test("blocking reads (the inference worker's) fail the same way", async () => {
    const blocking = { blockingRead: true };
    const missing = path.join(tmp.dir, "does-not-exist.dcm");
    await failure(decodeImageFile(missing, blocking), missing, ["NOT_FOUND"]);
    await failure(decodeImageFile(tmp.dir, blocking), tmp.dir, ["NOT_A_FILE"]);
    const empty = writeTemp("empty-blocking.dcm", "");
    await failure(decodeImageFile(empty, blocking), empty, ["EMPTY_FILE"]);
    await expect(decodeImageFile(missing, { blockingRead: "yes" } as never)).rejects.toMatchObject({
      code: "INVALID_OPTIONS",
    });
  });
});

describe("content that is not an image", () => {
  test("random bytes named .dcm", async () => {
    const file = writeTemp("random.dcm", noise(4096));
    await failure(decodeImageFile(file), file, ["NOT_DICOM"]);
  });

  test("random bytes named .png and .jpg", async () => {
    for (const name of ["random.png", "random.jpg"]) {
      const file = writeTemp(name, noise(4096));
      await failure(decodeImageFile(file), file, ["CORRUPT_IMAGE"]);
    }
  });

  test("a text file", async () => {
    const file = writeTemp("notes.txt", "Chest X-ray, two views. No acute findings.\n".repeat(20));
    await failure(decodeImageFile(file), file, ["NOT_DICOM"]);
  });

  test("a DICOM file without pixel data", async () => {
    const file = writeTemp("no-pixels.dcm", buildDicom({ PatientID: "X", Modality: "SR" }));
    const error = await failure(decodeImageFile(file), file, ["MISSING_ATTRIBUTE"]);
    expect(error.reason).toContain("Pixel Data");
  });
});

describe("truncated files", () => {
  const cuts = [0.02, 0.1, 0.35, 0.6, 0.9, 0.999];
  test.each(dicomFiles().map((f) => [path.basename(f), f]))("%s cut at 2%..99.9%", async (_name, file) => {
    const bytes = fs.readFileSync(file);
    for (const fraction of cuts) {
      const cut = bytes.subarray(0, Math.floor(bytes.length * fraction));
      const name = `${path.basename(file)} cut to ${cut.length} bytes`;
      await failure(decodeImageBuffer(Buffer.from(cut), name), name, [
        "CORRUPT_DICOM",
        "CORRUPT_PIXEL_DATA",
        "MISSING_ATTRIBUTE",
        "NOT_DICOM",
      ]);
    }
  });

  test.each(rasterFiles().map((f) => [path.relative(IMAGES_DIR, f), f]))("%s cut short", async (_name, file) => {
    const bytes = fs.readFileSync(file);
    for (const fraction of [0.05, 0.5, 0.98]) {
      const name = `${path.basename(file)} cut to ${Math.floor(bytes.length * fraction)} bytes`;
      await failure(decodeImageBuffer(bytes.subarray(0, Math.floor(bytes.length * fraction)), name), name, [
        "CORRUPT_IMAGE",
      ]);
    }
  });
});

describe("unsupported DICOM encodings", () => {
  test("a bogus transfer syntax UID", async () => {
    const bytes = patchAscii(fs.readFileSync(REFERENCE_CR), "1.2.840.10008.1.2.1", "1.2.840.99999.1.2.1");
    const file = writeTemp("bogus-syntax.dcm", bytes);
    const error = await failure(decodeImageFile(file), file, ["UNSUPPORTED_TRANSFER_SYNTAX"]);
    expect(error.reason).toContain("1.2.840.99999.1.2.1");
  });

  test("a known transfer syntax that cannot be decoded (JPIP referenced)", async () => {
    const source = path.join(DICOM_DIR, "derived_CRchest_JPEGLS_lossless.dcm");
    const bytes = patchAscii(fs.readFileSync(source), "1.2.840.10008.1.2.4.80", "1.2.840.10008.1.2.4.94");
    const file = writeTemp("jpip.dcm", bytes);
    const error = await failure(decodeImageFile(file), file, ["UNSUPPORTED_TRANSFER_SYNTAX"]);
    expect(error.reason).toContain("JPIP");
  });

  test("palette colour, 1-bit, float and uncompressed YBR_FULL_422 pixel data are refused with the reason", async () => {
    // The 32-bit one is decoded by the engine (only the viewer, hence the import, refuses it).
    for (const input of unsupportedInputs(tmp.dir).filter((i) => !i.file.endsWith("thirty-two-bit.dcm"))) {
      const error = await failure(decodeImageFile(input.file), input.file, [
        "UNSUPPORTED_PIXEL_FORMAT",
        "UNSUPPORTED_PHOTOMETRIC",
      ]);
      expect(error.reason).toMatch(input.reason);
    }
  });

  test("pixel data shorter than Rows x Columns says so", async () => {
    const file = writeTemp("short-pixels.dcm", buildDicom(crChestDataset({ Rows: 500 })));
    const error = await failure(decodeImageFile(file), file, ["CORRUPT_PIXEL_DATA"]);
    expect(error.reason).toMatch(/truncated: 387200 bytes present, 440000 needed/);
  });

  test("compressed pixel data overwritten with noise fails as corrupt or decodes to the right size, and the codecs keep working", async () => {
    for (const name of [
      "derived_CRchest_JPEGLS_lossless.dcm",
      "derived_CRchest_J2K_lossless.dcm",
      "derived_CRchest_JPEGLosslessSV1.dcm",
      "derived_CRchest_RLE.dcm",
      "SIIM_CR_chest_JPEGBaseline.dcm",
    ]) {
      const bytes = Buffer.from(fs.readFileSync(path.join(DICOM_DIR, name)));
      // Noise over the middle of the compressed stream (headers at the start stay intact).
      const start = Math.floor(bytes.length * 0.3);
      noise(Math.floor(bytes.length * 0.4)).copy(bytes, start);
      const label = `${name} with noise`;
      const outcome = await decodeImageBuffer(bytes, label).then(
        (image) => image,
        (error: unknown) => error,
      );
      if (isImagingError(outcome)) {
        expect(outcome.code).toBe("CORRUPT_PIXEL_DATA");
        expect(outcome.path).toBe(label);
      } else {
        const image = outcome as Awaited<ReturnType<typeof decodeImageBuffer>>;
        expect(image.displayPixels.length).toBe(image.width * image.height);
      }
      // A failed decode leaves the codecs usable.
      const good = await decodeImageFile(path.join(DICOM_DIR, name));
      expect(good.displayPixels.length).toBe(good.width * good.height);
    }
  });
});

describe("limits and options", () => {
  test("a file larger than maxFileBytes", async () => {
    await failure(decodeImageFile(REFERENCE_CR, { maxFileBytes: 1000 }), REFERENCE_CR, ["TOO_LARGE"]);
  });

  test("an image with more pixels than maxPixels (DICOM and PNG)", async () => {
    await failure(decodeImageFile(REFERENCE_CR, { maxPixels: 1000 }), REFERENCE_CR, ["TOO_LARGE"]);
    const png = rasterFiles().find((f) => f.endsWith(".png")) as string;
    await failure(decodeImageFile(png, { maxPixels: 1000 }), png, ["TOO_LARGE"]);
  });

  test("a deflated data set that inflates past the limit (a deflate bomb)", async () => {
    const real = fs.readFileSync(path.join(DICOM_DIR, "derived_CRchest_deflatedLE.dcm"));
    // Preamble, "DICM", then the meta header: (0002,0000) UL gives the length of the rest of group 0002.
    const metaEnd = 132 + 12 + real.readUInt32LE(140);
    const bomb = Buffer.concat([real.subarray(0, metaEnd), zlib.deflateRawSync(Buffer.alloc(50 * 1024 * 1024))]);
    const file = writeTemp("bomb.dcm", bomb);
    expect(bomb.length).toBeLessThan(1024 * 1024);
    const error = await failure(decodeImageFile(file, { maxFileBytes: 4 * 1024 * 1024 }), file, ["TOO_LARGE"]);
    expect(error.reason).toContain("inflates to more than");
  });

  test("a frame the file does not have", async () => {
    await failure(decodeImageFile(REFERENCE_CR, { frame: 1 }), REFERENCE_CR, ["FRAME_OUT_OF_RANGE"]);
  });

  test("invalid options name the option", async () => {
    const bad: Array<[Record<string, unknown>, RegExp]> = [
      [{ window: { center: 100, width: 0 } }, /window/],
      [{ window: { center: Number.NaN, width: 10 } }, /window/],
      [{ frame: -1 }, /frame/],
      [{ maxPixels: "lots" }, /maxPixels/],
      [{ signal: "stop" }, /signal/],
    ];
    for (const [options, pattern] of bad) {
      const error = await failure(decodeImageFile(REFERENCE_CR, options as never), REFERENCE_CR, ["INVALID_OPTIONS"]);
      expect(error.reason).toMatch(pattern);
    }
  });

  test("an aborted signal rejects with an AbortError-like ImagingError", async () => {
    const controller = new AbortController();
    controller.abort();
    const error = await failure(decodeImageFile(REFERENCE_CR, { signal: controller.signal }), REFERENCE_CR, [
      "ABORTED",
    ]);
    expect(error.name).toBe("AbortError");
  });

  test("a PNG whose image data is damaged", async () => {
    const png = path.join(IMAGES_DIR, "nih", "00000001_000.png");
    const broken = Buffer.from(fs.readFileSync(png));
    broken.fill(0xff, 100, 4000);
    const file = writeTemp("broken.png", broken);
    await failure(decodeImageFile(file), file, ["CORRUPT_IMAGE"]);
  });
});
