/**
 * The one definition of supported DICOM pixel input, per consumer: what the engine (the main process's imaging
 * service, which feeds the model) decodes, what the viewer (cornerstone in the renderer, after the transcoding in
 * ./pixel-frames.ts) displays correctly, and what the import accepts — exactly what both of them do, so that every
 * imported image can be viewed and drafted. Transfer syntaxes: ./transfer-syntaxes.ts. No Node or DOM APIs here.
 */
import type { DicomImageDescription } from "./dicom-reader";
import { ImagingError, type ImagingErrorCode } from "./errors";
import type { ImagingConsumer, TransferSyntax } from "./transfer-syntaxes";

export interface InputProblem {
  readonly code: Extract<ImagingErrorCode, "UNSUPPORTED_PIXEL_FORMAT" | "UNSUPPORTED_PHOTOMETRIC">;
  readonly reason: string;
}

const GREY = new Set(["MONOCHROME1", "MONOCHROME2"]);
/** Colour the engine reduces to luminance when the pixel data is uncompressed. */
const ENGINE_NATIVE_COLOUR = new Set(["RGB", "YBR_FULL"]);
/** Colour the codecs decode (to RGB, or YBR whose Y the engine keeps). */
const CODEC_COLOUR = new Set(["RGB", "YBR_FULL", "YBR_FULL_422", "YBR_ICT", "YBR_RCT"]);
/** cornerstone-wado-image-loader's own colour conversions of uncompressed data. */
const VIEWER_NATIVE_COLOUR = new Set(["RGB", "YBR_FULL", "YBR_FULL_422"]);

function engineProblem(image: DicomImageDescription, ts: TransferSyntax): InputProblem | null {
  if (image.pixelDataTag !== "x7fe00010") {
    return {
      code: "UNSUPPORTED_PIXEL_FORMAT",
      reason: `the file has ${image.pixelDataTag === "x7fe00008" ? "float" : "double float"} pixel data (7FE0,${image.pixelDataTag.slice(5).toUpperCase()}), which is not a radiograph's integer pixel data; this application does not read it`,
    };
  }
  if (image.bitsAllocated === 1) {
    return {
      code: "UNSUPPORTED_PIXEL_FORMAT",
      reason: "the image has 1-bit pixel data (Bits Allocated 1: a bitmap or mask, not a radiograph)",
    };
  }
  if (![8, 16, 32].includes(image.bitsAllocated)) {
    return {
      code: "UNSUPPORTED_PIXEL_FORMAT",
      reason: `Bits Allocated ${image.bitsAllocated} is not supported (8, 16 or 32 are)`,
    };
  }
  if (image.bitsStored < 1 || image.bitsStored > image.bitsAllocated) {
    return {
      code: "UNSUPPORTED_PIXEL_FORMAT",
      reason: `Bits Stored ${image.bitsStored} does not fit Bits Allocated ${image.bitsAllocated}`,
    };
  }
  if (image.samplesPerPixel !== 1 && image.samplesPerPixel !== 3) {
    return {
      code: "UNSUPPORTED_PIXEL_FORMAT",
      reason: `Samples per Pixel ${image.samplesPerPixel} is not supported (1 or 3 are)`,
    };
  }
  if (image.samplesPerPixel === 1 && !GREY.has(image.photometric)) {
    return {
      code: "UNSUPPORTED_PHOTOMETRIC",
      reason:
        image.photometric === "PALETTE COLOR"
          ? "the image is PALETTE COLOR (a pseudo-colour picture), not a greyscale radiograph: the model reads MONOCHROME1/2 or RGB/YBR reduced to luminance"
          : `photometric interpretation ${image.photometric} is not supported (MONOCHROME1, MONOCHROME2, RGB and YBR_FULL are)`,
    };
  }
  if (image.samplesPerPixel === 3) {
    const allowed = ts.codec === "native" ? ENGINE_NATIVE_COLOUR : CODEC_COLOUR;
    if (!allowed.has(image.photometric)) {
      return {
        code: "UNSUPPORTED_PHOTOMETRIC",
        reason: `${ts.codec === "native" ? "uncompressed " : ""}colour pixel data in ${image.photometric} is not supported (${[...allowed].join(", ")} are)`,
      };
    }
  }
  return null;
}

function viewerProblem(image: DicomImageDescription, ts: TransferSyntax): InputProblem | null {
  if (image.pixelDataTag !== "x7fe00010") {
    return { code: "UNSUPPORTED_PIXEL_FORMAT", reason: "the viewer does not display float pixel data" };
  }
  if (image.bitsAllocated !== 8 && image.bitsAllocated !== 16) {
    return {
      code: "UNSUPPORTED_PIXEL_FORMAT",
      // cornerstone-wado-image-loader reads 32-bit pixel data as IEEE floats, so integer values would display wrong.
      reason: `the viewer displays 8- and 16-bit pixel data, not Bits Allocated ${image.bitsAllocated}`,
    };
  }
  if (ts.bigEndian && image.bitsAllocated === 8 && image.pixelDataVr === "OW") {
    return {
      code: "UNSUPPORTED_PIXEL_FORMAT",
      reason: "the viewer does not display 8-bit pixel data stored as OW in Explicit VR Big Endian",
    };
  }
  if (image.samplesPerPixel !== 1 && image.samplesPerPixel !== 3) {
    return {
      code: "UNSUPPORTED_PIXEL_FORMAT",
      reason: `the viewer displays 1 or 3 samples per pixel, not ${image.samplesPerPixel}`,
    };
  }
  if (image.samplesPerPixel === 1 && !GREY.has(image.photometric) && image.photometric !== "PALETTE COLOR") {
    return {
      code: "UNSUPPORTED_PHOTOMETRIC",
      reason: `the viewer does not display photometric interpretation ${image.photometric}`,
    };
  }
  if (image.samplesPerPixel === 3) {
    const allowed = ts.codec === "native" ? VIEWER_NATIVE_COLOUR : CODEC_COLOUR;
    if (!allowed.has(image.photometric)) {
      return {
        code: "UNSUPPORTED_PHOTOMETRIC",
        reason: `the viewer does not display ${ts.codec === "native" ? "uncompressed " : ""}colour pixel data in ${image.photometric}`,
      };
    }
  }
  return null;
}

/** Why `consumer` cannot read this image, or null when it can. The import refuses what either other one refuses. */
export function imageInputProblem(
  image: DicomImageDescription,
  ts: TransferSyntax,
  consumer: ImagingConsumer,
): InputProblem | null {
  if (consumer === "engine") return engineProblem(image, ts);
  if (consumer === "viewer") return viewerProblem(image, ts);
  return engineProblem(image, ts) ?? viewerProblem(image, ts);
}

/** Throws the ImagingError of imageInputProblem, naming `path`. */
export function checkSupportedImage(
  image: DicomImageDescription,
  ts: TransferSyntax,
  consumer: ImagingConsumer,
  path: string,
): void {
  const problem = imageInputProblem(image, ts, consumer);
  if (problem) throw new ImagingError(problem.code, path, problem.reason);
}
