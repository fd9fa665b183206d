/**
 * DICOM pixel data: locates one frame (native or encapsulated), decodes compressed frames with the WebAssembly codecs
 * and turns the samples into stored values (masked to Bits Stored, sign-extended, colour reduced to luminance).
 */
import type * as DicomParser from "dicom-parser";
import { dicomParser } from "./commonjs-packages";
import type { DicomImageDescription, ParsedDicom } from "./dicom-reader";
import { describeThrown, ImagingError } from "./errors";
import type { StoredPixels } from "./grayscale-pipeline";
import { decodeFrame } from "./native-codecs";
import { EXPLICIT_VR_BIG_ENDIAN } from "./transfer-syntax";

type Element = DicomParser.Element;

/** Bytes of one compressed frame, located from the Basic Offset Table or the fragments. */
function encapsulatedFrame(parsed: ParsedDicom, image: DicomImageDescription, frame: number, path: string): Uint8Array {
  const ds = parsed.dataSet;
  const pixelData = ds.elements.x7fe00010 as Element;
  const fragments = pixelData.fragments ?? [];
  if (fragments.length === 0) {
    throw new ImagingError("CORRUPT_PIXEL_DATA", path, "the encapsulated pixel data has no fragments");
  }
  for (const f of fragments) {
    if (f.position + f.length > ds.byteArray.length) {
      throw new ImagingError(
        "CORRUPT_PIXEL_DATA",
        path,
        `the pixel data is truncated: a fragment ends at byte ${f.position + f.length} of a ${ds.byteArray.length}-byte data set`,
      );
    }
  }
  try {
    if (image.numberOfFrames === 1) {
      return dicomParser.readEncapsulatedPixelDataFromFragments(ds, pixelData, 0, fragments.length);
    }
    if ((pixelData.basicOffsetTable ?? []).length > 0) {
      return dicomParser.readEncapsulatedImageFrame(ds, pixelData, frame);
    }
    if (fragments.length === image.numberOfFrames) {
      return dicomParser.readEncapsulatedPixelDataFromFragments(ds, pixelData, frame, 1);
    }
    if (parsed.transferSyntax.codec === "jpeg") {
      const table = dicomParser.createJPEGBasicOffsetTable(ds, pixelData);
      return dicomParser.readEncapsulatedImageFrame(ds, pixelData, frame, table);
    }
  } catch (thrown) {
    throw new ImagingError(
      "CORRUPT_PIXEL_DATA",
      path,
      `frame ${frame} cannot be read from the encapsulated pixel data (${describeThrown(thrown)})`,
    );
  }
  throw new ImagingError(
    "CORRUPT_PIXEL_DATA",
    path,
    `frame ${frame} cannot be located: no Basic Offset Table and ${fragments.length} fragments for ${image.numberOfFrames} frames`,
  );
}

async function frameSamples(
  parsed: ParsedDicom,
  image: DicomImageDescription,
  frame: number,
  path: string,
): Promise<FrameSamples> {
  const ds = parsed.dataSet;
  const pixelData = ds.elements.x7fe00010 as Element;
  const samplesPerFrame = image.rows * image.columns * image.samplesPerPixel;
  const codec = parsed.transferSyntax.codec;
  if (codec === "native" || codec === null) {
    if (pixelData.encapsulatedPixelData) {
      throw new ImagingError(
        "CORRUPT_PIXEL_DATA",
        path,
        `pixel data is encapsulated but the transfer syntax ${parsed.transferSyntax.name} is not compressed`,
      );
    }
    if (image.samplesPerPixel === 3 && image.photometric !== "RGB" && image.photometric !== "YBR_FULL") {
      throw new ImagingError(
        "UNSUPPORTED_PHOTOMETRIC",
        path,
        `uncompressed colour pixel data in ${image.photometric} is not supported (RGB and YBR_FULL are)`,
      );
    }
    const bytesPerSample = (image.bitsAllocated / 8) as 1 | 2 | 4;
    const frameBytes = samplesPerFrame * bytesPerSample;
    const start = pixelData.dataOffset + frame * frameBytes;
    const available = Math.min(pixelData.dataOffset + pixelData.length, ds.byteArray.length);
    if (start + frameBytes > available) {
      const have = Math.max(0, available - pixelData.dataOffset);
      const need = (frame + 1) * frameBytes;
      throw new ImagingError(
        "CORRUPT_PIXEL_DATA",
        path,
        `the pixel data is truncated: ${have} bytes present, ${need} needed for frame ${frame} of ${image.columns}x${image.rows}x${image.samplesPerPixel} samples at ${image.bitsAllocated} bits`,
      );
    }
    const bigEndian = parsed.transferSyntax.uid === EXPLICIT_VR_BIG_ENDIAN;
    const swapBytePairs = bigEndian && bytesPerSample === 1 && pixelData.vr === "OW";
    // Byte pairs are swapped across the whole element, so take the frame from the swapped element.
    const bytes = swapBytePairs
      ? ds.byteArray.subarray(
          pixelData.dataOffset,
          pixelData.dataOffset + Math.ceil(((frame + 1) * frameBytes) / 2) * 2,
        )
      : ds.byteArray.subarray(start, start + frameBytes);
    const all = samplesOf(bytes, bytesPerSample, bigEndian, swapBytePairs);
    return {
      samples: swapBytePairs ? all.subarray(frame * frameBytes, (frame + 1) * frameBytes) : all,
      photometric: image.photometric,
      planarConfiguration: image.planarConfiguration,
    };
  }
  if (!pixelData.encapsulatedPixelData) {
    throw new ImagingError(
      "CORRUPT_PIXEL_DATA",
      path,
      `the transfer syntax is ${parsed.transferSyntax.name} but the pixel data is not encapsulated`,
    );
  }
  const encoded = encapsulatedFrame(parsed, image, frame, path);
  const decoded = await decodeFrame(
    {
      codec,
      data: encoded,
      width: image.columns,
      height: image.rows,
      bitsAllocated: image.bitsAllocated,
      bitsStored: image.bitsStored,
      samplesPerPixel: image.samplesPerPixel,
      pixelRepresentation: image.pixelRepresentation,
      planarConfiguration: image.planarConfiguration,
      photometric: image.photometric,
    },
    path,
  );
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
  };
}

/** Raw unsigned samples of one frame, in platform (little-endian) order. */
interface FrameSamples {
  readonly samples: Uint8Array | Uint16Array | Uint32Array;
  readonly photometric: string;
  readonly planarConfiguration: number;
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
  const aligned = bytes.byteOffset % bytesPerSample === 0 ? bytes : bytes.slice();
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
  const { samples, photometric, planarConfiguration } = await frameSamples(parsed, image, frame, path);
  const pixels = image.rows * image.columns;
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
  if (image.samplesPerPixel === 1) return values;

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
  return out;
}
