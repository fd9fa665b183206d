/**
 * Shared helpers of the imaging tests: the real data in ../shared/data, DICOM files built with dcmjs (with real
 * pixel values read straight from a shared file, independent of the decoder under test), and image statistics.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type * as DicomParser from "dicom-parser";

const require = createRequire(import.meta.url);
const dicomParser = require("dicom-parser") as typeof DicomParser;

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../../..");
export const SHARED_DATA = path.resolve(REPO_ROOT, "../shared/data");
export const DICOM_DIR = path.join(SHARED_DATA, "dicom");
export const IMAGES_DIR = path.join(SHARED_DATA, "images");

export function dicomFiles(): string[] {
  return fs
    .readdirSync(DICOM_DIR)
    .filter((f) => f.toLowerCase().endsWith(".dcm"))
    .sort()
    .map((f) => path.join(DICOM_DIR, f));
}

export function rasterFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (/\.(png|jpe?g)$/i.test(entry.name)) out.push(full);
    }
  };
  walk(IMAGES_DIR);
  return out.sort();
}

export const REFERENCE_CR = path.join(DICOM_DIR, "CR-MONO1-10-chest_explicitLE.dcm");

/** Stored values of the reference CR chest, read with dicom-parser straight from the file bytes. */
export function referenceCrStoredValues(): { width: number; height: number; values: Uint16Array } {
  const bytes = fs.readFileSync(REFERENCE_CR);
  const ds = dicomParser.parseDicom(bytes);
  const width = ds.uint16("x00280011") as number;
  const height = ds.uint16("x00280010") as number;
  const pixelData = ds.elements.x7fe00010 as DicomParser.Element;
  const copy = bytes.subarray(pixelData.dataOffset, pixelData.dataOffset + width * height * 2);
  const values = new Uint16Array(width * height);
  for (let i = 0; i < values.length; i++) values[i] = copy.readUInt16LE(i * 2);
  return { width, height, values };
}

interface DcmjsSubset {
  log: { setLevel(level: string): void };
  data: {
    DicomMetaDictionary: { denaturalizeDataset(dataset: Record<string, unknown>): Record<string, unknown> };
    DicomDict: new (
      meta: Record<string, unknown>,
    ) => { dict: Record<string, unknown>; write(options?: Record<string, unknown>): ArrayBuffer };
  };
}

const dcmjs = require("dcmjs") as DcmjsSubset;
dcmjs.log.setLevel("silent");

export const EXPLICIT_LE = "1.2.840.10008.1.2.1";
export const SECONDARY_CAPTURE = "1.2.840.10008.5.1.4.1.1.7";

/**
 * A DICOM Part 10 file (Explicit VR Little Endian unless told) from a naturalized dcmjs data set. PixelData is an
 * ArrayBuffer (written as OW, or OB for 8-bit data); `_vrMap` may name VRs for ambiguous attributes.
 */
/**
 * A Part 10 file of a naturalized data set; `rawElements` are added as written (dcmjs's denaturalized form, keyed
 * "ggggeeee"), for elements its dictionary does not name, such as private tags.
 */
export function buildDicom(
  dataset: Record<string, unknown>,
  transferSyntaxUid = EXPLICIT_LE,
  rawElements: Record<string, { vr: string; Value: unknown[] }> = {},
): Buffer {
  const sopInstanceUid = (dataset.SOPInstanceUID as string | undefined) ?? "2.25.1234567890";
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: (dataset.SOPClassUID as string | undefined) ?? SECONDARY_CAPTURE,
    MediaStorageSOPInstanceUID: sopInstanceUid,
    TransferSyntaxUID: transferSyntaxUid,
    ImplementationClassUID: "2.25.987654321",
  };
  const bitsAllocated = dataset.BitsAllocated as number | undefined;
  const full = {
    SOPClassUID: SECONDARY_CAPTURE,
    SOPInstanceUID: sopInstanceUid,
    ...dataset,
    _vrMap: { PixelData: bitsAllocated === 8 ? "OB" : "OW", ...((dataset._vrMap as object | undefined) ?? {}) },
  };
  const dict = new dcmjs.data.DicomDict(dcmjs.data.DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = { ...dcmjs.data.DicomMetaDictionary.denaturalizeDataset(full), ...rawElements };
  return Buffer.from(dict.write());
}

/** A grayscale image data set with the reference CR chest's real pixel values (optionally transformed). */
export function crChestDataset(
  overrides: Record<string, unknown> = {},
  transform?: (stored: number, index: number) => number,
  signed = false,
): Record<string, unknown> {
  const { width, height, values } = referenceCrStoredValues();
  const pixels = signed ? new Int16Array(values.length) : new Uint16Array(values.length);
  for (let i = 0; i < values.length; i++)
    pixels[i] = transform ? transform(values[i] as number, i) : (values[i] as number);
  return {
    Rows: height,
    Columns: width,
    BitsAllocated: 16,
    BitsStored: 16,
    HighBit: 15,
    PixelRepresentation: signed ? 1 : 0,
    SamplesPerPixel: 1,
    PhotometricInterpretation: "MONOCHROME2",
    PatientID: "TEST-1",
    PixelData: pixels.buffer,
    ...overrides,
  };
}

/** An 8-bit, 3-sample colour image data set, samples interleaved by pixel (Planar Configuration 0). */
export function colourDataset(
  rows: number,
  columns: number,
  photometricInterpretation: "RGB" | "YBR_FULL_422",
  pixelData: ArrayBuffer,
): Record<string, unknown> {
  return {
    Rows: rows,
    Columns: columns,
    BitsAllocated: 8,
    BitsStored: 8,
    HighBit: 7,
    PixelRepresentation: 0,
    SamplesPerPixel: 3,
    PlanarConfiguration: 0,
    PhotometricInterpretation: photometricInterpretation,
    PixelData: pixelData,
  };
}

/** A fresh temporary folder, removed by the returned cleanup. */
export function tempDir(prefix = "imaging-test-"): { dir: string; cleanup(): void } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return { dir, cleanup: () => fs.rmSync(dir, { recursive: true, force: true }) };
}

export interface DiffStats {
  readonly max: number;
  readonly mean: number;
  readonly differing: number;
}

export function diffStats(a: ArrayLike<number>, b: ArrayLike<number>): DiffStats {
  if (a.length !== b.length) throw new Error(`length mismatch ${a.length} vs ${b.length}`);
  let max = 0;
  let sum = 0;
  let differing = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs((a[i] as number) - (b[i] as number));
    if (d > max) max = d;
    sum += d;
    if (d !== 0) differing++;
  }
  return { max, mean: sum / a.length, differing };
}

export function correlation(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < a.length; i++) {
    ma += a[i] as number;
    mb += b[i] as number;
  }
  ma /= a.length;
  mb /= b.length;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = (a[i] as number) - ma;
    const y = (b[i] as number) - mb;
    sab += x * y;
    saa += x * x;
    sbb += y * y;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** Mean of a rectangle given as fractions of width and height. */
export function regionMean(
  pixels: ArrayLike<number>,
  width: number,
  height: number,
  x0: number,
  x1: number,
  y0: number,
  y1: number,
): number {
  let sum = 0;
  let n = 0;
  for (let y = Math.floor(y0 * height); y < Math.floor(y1 * height); y++) {
    for (let x = Math.floor(x0 * width); x < Math.floor(x1 * width); x++) {
      sum += pixels[y * width + x] as number;
      n++;
    }
  }
  return sum / n;
}

/**
 * A frontal chest radiograph shown correctly has dark (air-filled) lung fields and a bright mediastinum.
 * Returns the means of the two central lung fields and of the mediastinum between them.
 */
export function lungAndMediastinum(
  pixels: ArrayLike<number>,
  width: number,
  height: number,
): { rightLung: number; leftLung: number; mediastinum: number } {
  return {
    rightLung: regionMean(pixels, width, height, 0.25, 0.38, 0.25, 0.5),
    mediastinum: regionMean(pixels, width, height, 0.46, 0.54, 0.25, 0.5),
    leftLung: regionMean(pixels, width, height, 0.62, 0.75, 0.25, 0.5),
  };
}
