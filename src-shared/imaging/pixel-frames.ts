/**
 * The bytes of one frame of a parsed DICOM image: native (uncompressed) pixel data checked to be long enough, or one
 * compressed frame located from the Basic Offset Table or the fragments. Used by the main process's decoder
 * (src-main/services/imaging/dicom-pixel-data.ts) and the renderer's transcoder (imaging/dicom-part10.ts), so both read
 * frames by the same rules and refuse the same damaged files. No Node or DOM APIs here.
 */
import dicomParser from "dicom-parser";
import type { DicomImageDescription, ParsedDicom } from "./dicom-reader";
import { describeThrown, ImagingError } from "./errors";
import type { CompressedFrameCodec } from "./pixel-frame-codecs";

export type FrameBytes =
  | {
      readonly kind: "native";
      /** The frame's bytes (a view into the data set: copy before viewing it as 16/32-bit samples). */
      readonly bytes: Uint8Array;
      readonly bytesPerSample: 1 | 2 | 4;
    }
  | { readonly kind: "encoded"; readonly codec: CompressedFrameCodec; readonly bytes: Uint8Array };

/** Bytes of one uncompressed frame. */
export function nativeFrameLength(image: DicomImageDescription): number {
  return image.rows * image.columns * image.samplesPerPixel * (image.bitsAllocated / 8);
}

function encapsulatedFrame(parsed: ParsedDicom, image: DicomImageDescription, frame: number, path: string): Uint8Array {
  const ds = parsed.dataSet;
  const pixelData = ds.elements.x7fe00010 as dicomParser.Element;
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

/**
 * The bytes of frame `frame` (0-based). Throws CORRUPT_PIXEL_DATA when the pixel data is shorter than the frame
 * needs, its encapsulation does not match the transfer syntax, or the frame cannot be located.
 */
export function frameBytes(parsed: ParsedDicom, image: DicomImageDescription, frame: number, path: string): FrameBytes {
  const ds = parsed.dataSet;
  const pixelData = ds.elements.x7fe00010 as dicomParser.Element;
  const codec = parsed.transferSyntax.codec;
  if (codec === "native" || codec === null) {
    if (pixelData.encapsulatedPixelData) {
      throw new ImagingError(
        "CORRUPT_PIXEL_DATA",
        path,
        `pixel data is encapsulated but the transfer syntax ${parsed.transferSyntax.name} is not compressed`,
      );
    }
    const bytesPerSample = (image.bitsAllocated / 8) as 1 | 2 | 4;
    const length = nativeFrameLength(image);
    const start = pixelData.dataOffset + frame * length;
    const available = Math.min(pixelData.dataOffset + pixelData.length, ds.byteArray.length);
    if (start + length > available) {
      const have = Math.max(0, available - pixelData.dataOffset);
      throw new ImagingError(
        "CORRUPT_PIXEL_DATA",
        path,
        `the pixel data is truncated: ${have} bytes present, ${(frame + 1) * length} needed for frame ${frame} of ${image.columns}x${image.rows}x${image.samplesPerPixel} samples at ${image.bitsAllocated} bits`,
      );
    }
    return { kind: "native", bytes: ds.byteArray.subarray(start, start + length), bytesPerSample };
  }
  if (!pixelData.encapsulatedPixelData) {
    throw new ImagingError(
      "CORRUPT_PIXEL_DATA",
      path,
      `the transfer syntax is ${parsed.transferSyntax.name} but the pixel data is not encapsulated`,
    );
  }
  return { kind: "encoded", codec, bytes: encapsulatedFrame(parsed, image, frame, path) };
}

/** Checks that every frame's pixel data is present (native: long enough; encapsulated: locatable). */
export function checkAllFrames(parsed: ParsedDicom, image: DicomImageDescription, path: string): void {
  for (let f = 0; f < image.numberOfFrames; f++) frameBytes(parsed, image, f, path);
}
