/**
 * DICOM pixel data: the bytes of one frame (src-shared/imaging/pixel-frames.ts), compressed frames decoded with the
 * WebAssembly codecs, and the samples turned into stored values (masked to Bits Stored, sign-extended, colour reduced
 * to luminance).
 */
import type { DicomImageDescription, ParsedDicom } from "../../../src-shared/imaging/dicom-reader";
import { ImagingError } from "../../../src-shared/imaging/errors";
import type { StoredPixels } from "../../../src-shared/imaging/image-types";
import { frameBytes, nativeFrameLength } from "../../../src-shared/imaging/pixel-frames";
import { decodeJpegLsGrey } from "./charls-decoder";
import { decodeFrame } from "./native-codecs";
import { decodeJpeg2000Reduced } from "./reduced-resolution";

async function frameSamples(
  parsed: ParsedDicom,
  image: DicomImageDescription,
  frame: number,
  path: string,
  minLongSide: number | undefined,
): Promise<FrameSamples> {
  const full = { width: image.columns, height: image.rows, level: 0 };
  const located = frameBytes(parsed, image, frame, path);
  if (located.kind === "native") {
    const { bytesPerSample } = located;
    const bigEndian = parsed.transferSyntax.bigEndian;
    const swapBytePairs = bigEndian && bytesPerSample === 1 && image.pixelDataVr === "OW";
    let bytes = located.bytes;
    let skip = 0;
    if (swapBytePairs) {
      // Byte pairs are swapped across the whole element, so take the frame from the swapped element.
      const ds = parsed.dataSet;
      const offset = (ds.elements.x7fe00010 as { dataOffset: number }).dataOffset;
      const length = nativeFrameLength(image);
      bytes = ds.byteArray.subarray(offset, offset + Math.ceil(((frame + 1) * length) / 2) * 2);
      skip = frame * length;
    }
    const all = samplesOf(bytes, bytesPerSample, bigEndian, swapBytePairs);
    return {
      samples: swapBytePairs ? all.subarray(skip, skip + nativeFrameLength(image)) : all,
      photometric: image.photometric,
      planarConfiguration: image.planarConfiguration,
      ...full,
    };
  }
  const encoded = {
    codec: located.codec,
    data: located.bytes,
    width: image.columns,
    height: image.rows,
    bitsAllocated: image.bitsAllocated,
    bitsStored: image.bitsStored,
    samplesPerPixel: image.samplesPerPixel,
    pixelRepresentation: image.pixelRepresentation,
    planarConfiguration: image.planarConfiguration,
    photometric: image.photometric,
  };
  if (minLongSide !== undefined) {
    const reduced = await decodeJpeg2000Reduced(encoded, minLongSide, path);
    if (reduced) {
      const perSample = reduced.data.length / (reduced.width * reduced.height);
      return {
        samples: samplesOf(reduced.data, perSample === 1 ? 1 : 2, false, false),
        photometric: image.photometric,
        planarConfiguration: image.planarConfiguration,
        width: reduced.width,
        height: reduced.height,
        level: reduced.level,
      };
    }
    const jpegLs = await decodeJpegLsGrey(encoded, path);
    if (jpegLs) {
      return {
        samples: samplesOf(jpegLs, jpegLs.length === image.rows * image.columns ? 1 : 2, false, false),
        photometric: image.photometric,
        planarConfiguration: image.planarConfiguration,
        ...full,
      };
    }
  }
  const samplesPerFrame = image.rows * image.columns * image.samplesPerPixel;
  const decoded = await decodeFrame(encoded, path);
  const perSample = decoded.data.length / samplesPerFrame;
  if (perSample !== 1 && perSample !== 2 && perSample !== 4) {
    throw new ImagingError(
      "CORRUPT_PIXEL_DATA",
      path,
      `the decoded frame has ${decoded.data.length} bytes, which does not match ${image.columns}x${image.rows}x${image.samplesPerPixel} samples`,
    );
  }
  return {
    samples: samplesOf(decoded.data, perSample, false, false),
    photometric: decoded.photometric.toUpperCase(),
    planarConfiguration: decoded.planarConfiguration,
    ...full,
  };
}

/** Raw unsigned samples of one frame, in platform (little-endian) order. */
interface FrameSamples extends DecodedSize {
  readonly samples: Uint8Array | Uint16Array | Uint32Array;
  readonly photometric: string;
  readonly planarConfiguration: number;
}

/** The size a frame was decoded at: the image's own, or a reduced JPEG 2000 resolution level (width / 2^level). */
export interface DecodedSize {
  readonly width: number;
  readonly height: number;
  readonly level: number;
}

/** A typed view of `bytes` as unsigned samples; copies when unaligned, byte-swaps big-endian data. */
function samplesOf(
  bytes: Uint8Array,
  bytesPerSample: 1 | 2 | 4,
  bigEndian: boolean,
  swapBytePairs: boolean,
): Uint8Array | Uint16Array | Uint32Array {
  if (bytesPerSample === 1) {
    if (!swapBytePairs) return bytes;
    const out = new Uint8Array(bytes.length);
    for (let i = 0; i < bytes.length; i++) out[i] = bytes[i ^ 1] ?? 0;
    return out;
  }
  const count = bytes.length / bytesPerSample;
  if (bigEndian) {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytesPerSample === 2) {
      const out = new Uint16Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getUint16(i * 2, false);
      return out;
    }
    const out = new Uint32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getUint32(i * 4, false);
    return out;
  }
  // A view of 16/32-bit samples needs an aligned offset: copy otherwise (Uint8Array.prototype.slice copies; a Buffer's
  // own slice() would return a view at the same misaligned offset).
  const aligned = bytes.byteOffset % bytesPerSample === 0 ? bytes : new Uint8Array(bytes);
  return bytesPerSample === 2
    ? new Uint16Array(aligned.buffer, aligned.byteOffset, count)
    : new Uint32Array(aligned.buffer, aligned.byteOffset, count);
}

/**
 * Stored values of one frame: samples shifted down when High Bit is not Bits Stored - 1, masked to Bits Stored and
 * sign-extended when Pixel Representation is 1. Colour frames give one luminance value per pixel: Y of YBR_FULL, or
 * the ITU-R BT.601 luma of RGB (the weights and rounding of PIL's convert("L")).
 */
export async function decodeStoredPixels(
  parsed: ParsedDicom,
  image: DicomImageDescription,
  frame: number,
  path: string,
): Promise<StoredPixels> {
  return (await decodeStoredFrame(parsed, image, frame, path)).values;
}

/**
 * decodeStoredPixels, optionally at a reduced size: with `minLongSide`, a JPEG 2000 frame is decoded at the smallest
 * resolution level whose long side is still ≥ minLongSide (reduced-resolution.ts); other frames at full size.
 */
export async function decodeStoredFrame(
  parsed: ParsedDicom,
  image: DicomImageDescription,
  frame: number,
  path: string,
  minLongSide?: number,
): Promise<DecodedSize & { readonly values: StoredPixels }> {
  const { samples, photometric, planarConfiguration, width, height, level } = await frameSamples(
    parsed,
    image,
    frame,
    path,
    minLongSide,
  );
  const size = { width, height, level };
  const pixels = width * height;
  const bitsStored = image.bitsStored;
  const signed = image.pixelRepresentation === 1;
  const sampleBits = samples.BYTES_PER_ELEMENT * 8;
  const shift = sampleBits === image.bitsAllocated ? image.highBit + 1 - bitsStored : 0;

  let values: Int32Array | Float64Array;
  if (bitsStored >= 32) {
    values = signed ? new Int32Array(samples.buffer, samples.byteOffset, samples.length) : Float64Array.from(samples);
  } else {
    values = new Int32Array(samples.length);
    const mask = 2 ** bitsStored - 1;
    if (signed) {
      const signBit = 2 ** (bitsStored - 1);
      const range = 2 ** bitsStored;
      for (let i = 0; i < samples.length; i++) {
        const v = ((samples[i] as number) >>> shift) & mask;
        values[i] = v >= signBit ? v - range : v;
      }
    } else if (shift === 0 && bitsStored >= sampleBits) {
      values.set(samples);
    } else {
      for (let i = 0; i < samples.length; i++) values[i] = ((samples[i] as number) >>> shift) & mask;
    }
  }
  if (image.samplesPerPixel === 1) return { values, ...size };

  const out: StoredPixels = values instanceof Float64Array ? new Float64Array(pixels) : new Int32Array(pixels);
  const planar = planarConfiguration === 1;
  const step = planar ? 1 : 3;
  const plane = planar ? pixels : 1;
  if (photometric.startsWith("YBR_FULL")) {
    for (let i = 0; i < pixels; i++) out[i] = values[i * step] as number;
  } else if (photometric === "RGB" || photometric === "YBR_ICT" || photometric === "YBR_RCT") {
    for (let i = 0; i < pixels; i++) {
      const o = i * step;
      const red = values[o] as number;
      const green = values[o + plane] as number;
      const blue = values[o + 2 * plane] as number;
      out[i] = Math.floor((red * 19595 + green * 38470 + blue * 7471 + 0x8000) / 65536);
    }
  } else {
    throw new ImagingError(
      "UNSUPPORTED_PHOTOMETRIC",
      path,
      `decoded colour data in ${photometric} cannot be converted to grayscale`,
    );
  }
  return { values: out, ...size };
}
