/**
 * PNG and JPEG input: 8- and 16-bit, grayscale or colour, through sharp (libvips); non-interlaced grey 8/16-bit PNGs
 * in this thread (png-grey.ts, the same values). Colour is reduced to luminance with ITU-R BT.601 weights,
 * integer-rounded exactly like PIL's Image.convert("L"). EXIF orientation is not applied, as PIL (the training
 * pipeline) does not apply it either.
 */
import type { Metadata } from "sharp";
import { describeThrown, ImagingError } from "../../../src-shared/imaging/errors";
import {
  EMPTY_STUDY_REQUEST,
  type ImageMetadata,
  type ImageSourceFormat,
  type StoredPixels,
} from "../../../src-shared/imaging/image-types";
import { decodePngGrey } from "./png-grey";

export interface RasterPixels {
  readonly metadata: ImageMetadata;
  /** One value per pixel: the gray value (or BT.601 luma), 0..255 or 0..65535. */
  readonly stored: StoredPixels;
  readonly bits: 8 | 16;
  readonly parseMs: number;
  readonly decodeMs: number;
}

function rasterMetadata(
  path: string,
  format: Extract<ImageSourceFormat, "png" | "jpeg">,
  width: number,
  height: number,
  bits: 8 | 16,
  colour: boolean,
): ImageMetadata {
  return {
    sourcePath: path,
    format,
    width,
    height,
    numberOfFrames: 1,
    frame: 0,
    samplesPerPixel: colour ? 3 : 1,
    bitsAllocated: bits,
    bitsStored: bits,
    pixelRepresentation: 0,
    photometric: colour ? "RGB" : "MONOCHROME2",
    inverted: false,
    transferSyntaxUid: null,
    transferSyntaxName: null,
    lossyCompressed: format === "jpeg",
    rescale: { slope: 1, intercept: 0, type: null },
    modalityLutApplied: false,
    windows: [],
    hasVoiLut: false,
    pixelPadding: null,
    pixelSpacing: null,
    patientName: null,
    patientId: null,
    studyInstanceUid: null,
    seriesInstanceUid: null,
    sopInstanceUid: null,
    sopClassUid: null,
    studyDate: null,
    studyDescription: null,
    institutionName: null,
    accessionNumber: null,
    referringPhysicianName: null,
    modality: null,
    viewPosition: null,
    imageLaterality: null,
    laterality: null,
    bodyPartExamined: null,
    seriesDescription: null,
    protocolName: null,
    imageComments: null,
    patientOrientation: null,
    viewCodes: [],
    request: EMPTY_STUDY_REQUEST,
  };
}

function sharpFailure(path: string, format: string, cause: unknown): ImagingError {
  const why = describeThrown(cause);
  if (/pixel limit/i.test(why)) {
    return new ImagingError(
      "TOO_LARGE",
      path,
      `the ${format.toUpperCase()} image has more pixels than allowed (${why})`,
      {
        cause,
      },
    );
  }
  return new ImagingError("CORRUPT_IMAGE", path, `the ${format.toUpperCase()} image cannot be decoded: ${why}`, {
    cause,
  });
}

export async function readRaster(
  bytes: Uint8Array,
  format: Extract<ImageSourceFormat, "png" | "jpeg">,
  path: string,
  maxPixels: number,
): Promise<RasterPixels> {
  const t0 = performance.now();
  if (format === "png") {
    // Grey 8/16-bit PNGs in this thread (png-grey.ts); null: sharp decodes it (and reports what is wrong with it).
    const png = decodePngGrey(bytes, maxPixels);
    if (png) {
      const t1 = performance.now();
      const stored = new Int32Array(png.samples);
      return {
        metadata: rasterMetadata(path, format, png.width, png.height, png.bits, false),
        stored,
        bits: png.bits,
        parseMs: 0,
        decodeMs: performance.now() - t1 + (t1 - t0),
      };
    }
  }
  // sharp (libvips) is imported at the first PNG/JPEG it decodes, not at start-up nor for a grey PNG (issue 19.4).
  const { default: sharp } = await import("sharp");
  const open = () => sharp(bytes, { limitInputPixels: maxPixels, failOn: "truncated", sequentialRead: true });
  let info: Metadata;
  try {
    info = await open().metadata();
  } catch (cause) {
    throw sharpFailure(path, format, cause);
  }
  const width = info.width ?? 0;
  const height = info.height ?? 0;
  if (info.format !== format || width <= 0 || height <= 0) {
    throw new ImagingError(
      "CORRUPT_IMAGE",
      path,
      `expected a ${format.toUpperCase()} image, the decoder found ${info.format ?? "nothing"} ${width}x${height}`,
    );
  }
  if (width * height > maxPixels) {
    throw new ImagingError(
      "TOO_LARGE",
      path,
      `the image is ${width}x${height} = ${width * height} pixels, more than the limit of ${maxPixels}`,
    );
  }
  const bits: 8 | 16 = info.depth === "ushort" ? 16 : 8;
  const grey = info.space === "b-w" || info.space === "grey16" || (info.channels ?? 0) <= 2;
  const t1 = performance.now();

  let data: Buffer;
  let channels: number;
  try {
    const pipeline = grey
      ? open().toColourspace(bits === 16 ? "grey16" : "b-w")
      : open()
          .removeAlpha()
          .toColourspace(bits === 16 ? "rgb16" : "srgb");
    const out = await pipeline.raw({ depth: bits === 16 ? "ushort" : "uchar" }).toBuffer({ resolveWithObject: true });
    data = out.data;
    channels = out.info.channels;
  } catch (cause) {
    throw sharpFailure(path, format, cause);
  }
  const count = width * height;
  const samples =
    bits === 16
      ? new Uint16Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength))
      : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (samples.length !== count * channels || (channels !== 1 && channels !== 3)) {
    throw new ImagingError(
      "CORRUPT_IMAGE",
      path,
      `the decoder returned ${samples.length} samples in ${channels} channel(s) for a ${width}x${height} image`,
    );
  }
  let stored: Int32Array;
  if (channels === 1) {
    stored = new Int32Array(samples); // widening copy in native code
  } else {
    stored = new Int32Array(count);
    for (let i = 0, j = 0; i < count; i++, j += 3) {
      const r = samples[j] as number;
      const g = samples[j + 1] as number;
      const b = samples[j + 2] as number;
      stored[i] = Math.floor((r * 19595 + g * 38470 + b * 7471 + 0x8000) / 65536);
    }
  }
  return {
    metadata: rasterMetadata(path, format, width, height, bits, !grey),
    stored,
    bits,
    parseMs: t1 - t0,
    decodeMs: performance.now() - t1,
  };
}
