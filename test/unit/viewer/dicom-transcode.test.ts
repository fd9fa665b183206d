/**
 * The viewer's DICOM preparation, run in Node on the shared files: compressed pixel data transcoded to Explicit VR
 * Little Endian with dcmjs-codecs (the same code the renderer's worker runs) gives exactly the uncompressed original's
 * pixels for every lossless transfer syntax, and close values for the lossy ones.
 */
import fs from "node:fs";
import path from "node:path";
import dicomParser from "dicom-parser";
import { beforeAll, describe, expect, it } from "vitest";
import { decodeFrame, provideCodecsWasm } from "../../../src-renderer/src/features/viewer/dcmjs-frame-decoder";
import { transcodeToExplicitLittleEndian } from "../../../src-shared/imaging/dicom-part10";
import { EXPLICIT_VR_LITTLE_ENDIAN as EXPLICIT_LE } from "../../../src-shared/imaging/transfer-syntaxes";

const root = path.resolve(import.meta.dirname, "..", "..", "..");
const dicomDir = path.resolve(root, "../shared/data/dicom");
const read = (name: string) => new Uint8Array(fs.readFileSync(path.join(dicomDir, name)));

function pixels(bytes: Uint8Array): { ds: dicomParser.DataSet; values: Uint16Array | Uint8Array } {
  const ds = dicomParser.parseDicom(bytes);
  const el = ds.elements.x7fe00010!;
  const raw = bytes.slice(el.dataOffset, el.dataOffset + el.length);
  const bits = ds.uint16("x00280100");
  return { ds, values: bits === 16 ? new Uint16Array(raw.buffer) : raw };
}

beforeAll(() => {
  const wasm = fs.readFileSync(path.join(root, "node_modules/dcmjs-codecs/build/dcmjs-native-codecs.wasm"));
  provideCodecsWasm(wasm.buffer.slice(wasm.byteOffset, wasm.byteOffset + wasm.byteLength));
});

describe("transcoding compressed DICOM for the viewer", () => {
  const original = pixels(read("CR-MONO1-10-chest_explicitLE.dcm"));

  for (const name of [
    "derived_CRchest_RLE.dcm",
    "derived_CRchest_JPEGLosslessSV1.dcm",
    "derived_CRchest_JPEGLossless_p14.dcm",
    "derived_CRchest_JPEGLS_lossless.dcm",
    "derived_CRchest_J2K_lossless.dcm",
  ]) {
    it(`${name}: lossless, the original's pixels exactly`, async () => {
      const out = await transcodeToExplicitLittleEndian(read(name), decodeFrame);
      const { ds, values } = pixels(out);
      expect(ds.string("x00020010")).toBe(EXPLICIT_LE);
      expect(ds.string("x00280004")).toBe("MONOCHROME1");
      expect(ds.string("x00281050")).toBe("550");
      expect(ds.uint16("x00280010")).toBe(440);
      expect(values.length).toBe(original.values.length);
      expect(Buffer.from(values.buffer).equals(Buffer.from(original.values.buffer))).toBe(true);
    });
  }

  for (const name of ["derived_CRchest_J2K_lossy.dcm", "derived_CRchest_JPEGLS_nearlossless.dcm"]) {
    it(`${name}: lossy, close to the original`, async () => {
      const { values } = pixels(await transcodeToExplicitLittleEndian(read(name), decodeFrame));
      expect(values.length).toBe(original.values.length);
      let diff = 0;
      for (let i = 0; i < values.length; i++) diff += Math.abs((values[i] as number) - (original.values[i] as number));
      // Mean absolute error under 1% of the 10-bit range.
      expect(diff / values.length).toBeLessThan(10);
    });
  }

  it("JPEG baseline (8-bit) decodes to the DX image it was made from, within JPEG error", async () => {
    const reference = pixels(read("NIH_DX_chest_implicitLE.dcm"));
    const { ds, values } = pixels(
      await transcodeToExplicitLittleEndian(read("derived_NIHDX_JPEGBaseline.dcm"), decodeFrame),
    );
    expect(ds.string("x00280004")).toBe("MONOCHROME2");
    expect(values.length).toBe(1024 * 1024);
    let diff = 0;
    for (let i = 0; i < values.length; i++) diff += Math.abs((values[i] as number) - (reference.values[i] as number));
    expect(diff / values.length).toBeLessThan(3);
  });

  it("JPEG 2000 (RG1, 15-bit) decodes to values inside the stored range", async () => {
    const { ds, values } = pixels(await transcodeToExplicitLittleEndian(read("RG1_CR_chest_J2KI.dcm"), decodeFrame));
    expect([ds.uint16("x00280011"), ds.uint16("x00280010")]).toEqual([1841, 1955]);
    let max = 0;
    for (const v of values) if (v > max) max = v;
    expect(max).toBeGreaterThan(1000);
    expect(max).toBeLessThan(1 << 15);
  });

  it("a JPEG-LS stream overwritten with noise fails with an error naming the codec, and the codecs keep working", async () => {
    const name = "derived_CRchest_JPEGLS_lossless.dcm";
    const damaged = read(name);
    // Seeded noise over the middle of the compressed stream (the headers at the start stay intact): CharLS traps.
    let seed = 12345;
    const start = Math.floor(damaged.length * 0.3);
    for (let i = start; i < start + Math.floor(damaged.length * 0.4); i++) {
      seed = (seed * 1103515245 + 12345) >>> 0;
      damaged[i] = seed >>> 24;
    }
    await expect(transcodeToExplicitLittleEndian(damaged, decodeFrame, name)).rejects.toMatchObject({
      code: "CORRUPT_PIXEL_DATA",
      path: name,
      reason: expect.stringMatching(/^the jpeg-ls codec could not decode the pixel data: /),
    });
    // The module was released and is instantiated afresh: the intact file still gives the original's pixels.
    const { values } = pixels(await transcodeToExplicitLittleEndian(read(name), decodeFrame));
    expect(Buffer.from(values.buffer).equals(Buffer.from(original.values.buffer))).toBe(true);
  });

  it("leaves uncompressed files as they are, and refuses what is not Part 10", async () => {
    const native = read("CR-MONO1-10-chest_explicitLE.dcm");
    expect(await transcodeToExplicitLittleEndian(native, decodeFrame)).toBe(native);
    await expect(
      transcodeToExplicitLittleEndian(read("CR-MONO1-10-chest_implicitLE.dcm"), decodeFrame),
    ).rejects.toThrow("not a DICOM Part 10 file");
  });
});
