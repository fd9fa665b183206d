/**
 * Preprocessing parity: the engine's preprocessing (decodeImageFile -> greyFromDecoded -> preprocessGrey) against
 * training/preprocess.py run by /usr/bin/python3 on the same files, at the cpu preset's 128 px and the cuda preset's
 * 224 px. Inputs: every PNG/JPEG of ../shared/data/images (8-bit grey, RGB PNG, RGB JPEG), a 16-bit grey PNG and a
 * non-square PNG made here, and every DICOM file of ../shared/data/dicom (PIL cannot read DICOM: Python gets the
 * engine's 8-bit display rendering, so the comparison covers padding, resize and normalisation of those sizes).
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import sharp from "sharp";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { TRAINING_PYTHON as python } from "../../../src-main/cli/training-python";
import { decodeImageFile } from "../../../src-main/services/imaging";
import {
  greyFromDecoded,
  type PreprocessingSpec,
  preprocessGrey,
  preprocessingSpecFrom,
  resizeWeights,
} from "../../../src-main/services/inference";
import type { PackPreprocessing } from "../../../src-main/services/model-pack";

const repoRoot = path.resolve(__dirname, "../../..");
const shared = path.resolve(repoRoot, "../shared/data");
const reference = path.join(__dirname, "preprocess_reference.py");

/** The manifest block training/preprocess.py's preprocessing_spec(size) writes. */
function manifestPreprocessing(size: number): PackPreprocessing {
  return {
    channels: 1,
    input_scale: { uint8: 1 / 255, uint16: 1 / 65535 },
    rgb_to_grey: "ITU-R 601-2 luma (PIL convert('L')): L = R*299/1000 + G*587/1000 + B*114/1000",
    pad_to_square: { position: "center", offset: "floor((side - size) / 2)", fill: 0.0 },
    resize: {
      width: size,
      height: size,
      filter: "triangle",
      antialias: true,
      coefficients: "PIL BILINEAR (support = max(in/out, 1)), float64, no intermediate rounding",
      order: "vertical then horizontal",
    },
    normalize: { mean: 0.5862785803043838, std: 0.27950088968644304 },
    dtype: "float32",
    layout: "NCHW",
  };
}

interface Item {
  name: string;
  kind: "png" | "jpeg" | "png16" | "dicom";
  file: string;
}

let work: string;
const items: Item[] = [];

beforeAll(async () => {
  work = fs.mkdtempSync(path.join(os.tmpdir(), "rd-preprocess-"));
  for (const folder of ["nih", "from_dicom", "covid"]) {
    for (const name of fs.readdirSync(path.join(shared, "images", folder)).sort()) {
      const file = path.join(shared, "images", folder, name);
      if (/\.png$/i.test(name)) items.push({ name: `${folder}/${name}`, kind: "png", file });
      else if (/\.jpe?g$/i.test(name)) items.push({ name: `${folder}/${name}`, kind: "jpeg", file });
    }
  }
  // A 16-bit grey PNG (PIL mode I;16) and a non-square 8-bit PNG, from a real radiograph.
  const nih = path.join(shared, "images", "nih", "00000001_000.png");
  const raw = await sharp(nih).greyscale().raw().toBuffer();
  const sixteen = new Uint16Array(raw.length);
  for (let i = 0; i < raw.length; i++) sixteen[i] = Math.min(65535, raw[i]! * 257 + (i % 200));
  const png16 = path.join(work, "nih-16bit.png");
  // A Uint16Array input is raw 16-bit samples for sharp.
  await sharp(sixteen, { raw: { width: 512, height: 512, channels: 1 } })
    .toColourspace("grey16")
    .png()
    .toFile(png16);
  items.push({ name: "nih-16bit.png (made here)", kind: "png16", file: png16 });
  const wide = path.join(work, "nih-wide-512x300.png");
  await sharp(nih).extract({ left: 0, top: 100, width: 512, height: 300 }).toFile(wide);
  items.push({ name: "nih-wide-512x300.png (made here)", kind: "png", file: wide });
  const tall = path.join(work, "nih-tall-201x512.png");
  await sharp(nih).extract({ left: 150, top: 0, width: 201, height: 512 }).toFile(tall);
  items.push({ name: "nih-tall-201x512.png (made here)", kind: "png", file: tall });
  for (const name of fs.readdirSync(path.join(shared, "dicom")).sort()) {
    if (name.endsWith(".dcm"))
      items.push({ name: `dicom/${name}`, kind: "dicom", file: path.join(shared, "dicom", name) });
  }
}, 60_000);

afterAll(() => {
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

async function engineInputs(spec: PreprocessingSpec): Promise<{ ours: Float32Array[]; request: unknown }> {
  const ours: Float32Array[] = [];
  const requestItems: unknown[] = [];
  for (const [i, item] of items.entries()) {
    const decoded = await decodeImageFile(item.file);
    ours.push(preprocessGrey(greyFromDecoded(decoded, spec), spec));
    if (item.kind === "dicom") {
      const rawPath = path.join(work, `grey-${i}.u8`);
      fs.writeFileSync(rawPath, decoded.displayPixels);
      requestItems.push({ grey_u8: rawPath, width: decoded.width, height: decoded.height });
    } else {
      requestItems.push({ file: item.file });
    }
  }
  return { ours, request: { size: spec.size, items: requestItems } };
}

function pythonOutputs(request: unknown, size: number, count: number): Float32Array[] {
  const requestPath = path.join(work, `request-${size}.json`);
  const outPath = path.join(work, `out-${size}.f32`);
  fs.writeFileSync(requestPath, JSON.stringify(request));
  execFileSync(python, [reference, requestPath, outPath], { cwd: repoRoot, stdio: ["ignore", "ignore", "pipe"] });
  const bytes = fs.readFileSync(outPath);
  expect(bytes.byteLength).toBe(count * size * size * 4);
  const all = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  return Array.from({ length: count }, (_, i) => all.subarray(i * size * size, (i + 1) * size * size));
}

describe.each([128, 224])("preprocessing parity with training/preprocess.py at %i px", (size) => {
  it("gives the same float32 model input for every file", async () => {
    const spec = preprocessingSpecFrom(manifestPreprocessing(size));
    const { ours, request } = await engineInputs(spec);
    const theirs = pythonOutputs(request, size, items.length);
    const rows: string[] = [];
    let worst = 0;
    for (const [i, item] of items.entries()) {
      const a = ours[i]!;
      const b = theirs[i]!;
      let maxDiff = 0;
      let equal = 0;
      for (let j = 0; j < a.length; j++) {
        const d = Math.abs(a[j]! - b[j]!);
        if (d === 0) equal++;
        if (d > maxDiff) maxDiff = d;
      }
      rows.push(
        `${item.name.padEnd(58)} ${item.kind.padEnd(6)} max |diff| ${maxDiff.toExponential(2)}  identical ${((100 * equal) / a.length).toFixed(2)}%`,
      );
      worst = Math.max(worst, maxDiff);
    }
    console.log(`preprocessing parity at ${size} px (engine vs training/preprocess.py):\n${rows.join("\n")}`);
    // Measured: identical to the bit on every file. The bound allows a few float32 ulps (|x| < 2.2) for another
    // numpy / BLAS summation order, nothing more.
    expect(worst).toBeLessThanOrEqual(2e-6);
  }, 180_000);
});

describe("resize coefficients", () => {
  it("sum to 1 per output and span PIL's support", () => {
    for (const [inSize, outSize] of [
      [512, 128],
      [1955, 224],
      [100, 128],
      [128, 128],
    ] as const) {
      const w = resizeWeights(inSize, outSize);
      for (let i = 0; i < outSize; i++) {
        let sum = 0;
        for (let t = 0; t < w.count[i]!; t++) sum += w.weights[i * w.stride + t]!;
        expect(Math.abs(sum - 1)).toBeLessThan(1e-12);
        expect(w.start[i]).toBeGreaterThanOrEqual(0);
        expect(w.start[i]! + w.count[i]!).toBeLessThanOrEqual(inSize);
      }
    }
  });

  it("refuses what the pack format does not describe", () => {
    const p = manifestPreprocessing(128);
    expect(() => preprocessingSpecFrom({ ...p, resize: { ...p.resize, height: 96 } })).toThrow(/square/);
    expect(() => preprocessingSpecFrom({ ...p, resize: { ...p.resize, order: "horizontal then vertical" } })).toThrow(
      /order/,
    );
  });
});
