/**
 * A cornerstone image loader for PNG and JPEG files ("rdraster:<url>"): fetches the bytes through the image-file
 * transport, decodes them with the browser (createImageBitmap, no colour-space conversion) and hands cornerstone a
 * grayscale image (one value per pixel, 0..255) or, when the file has colour, an RGB image.
 * Browsers decode to 8 bits per channel, so a 16-bit PNG is shown at 8-bit precision.
 * Damaged data is refused with its reason: a file that ends before its EOI marker (JPEG) or IEND chunk (PNG) is refused
 * before decoding, naming the truncation (Chromium's createImageBitmap refuses such files too, but only says "The
 * source image could not be decoded"), and a decoder failure is worded as the engine words it.
 */
import type { Image, ImageLoadObject } from "cornerstone-core";
import { imageRequestHeaders } from "../../ipc/transport";

export const RASTER_SCHEME = "rdraster";

/** The server's error message, or the HTTP status. */
export async function describeFailedResponse(res: Response): Promise<string> {
  try {
    const body = (await res.json()) as { error?: { message?: string } };
    if (body.error?.message) return body.error.message;
  } catch {
    /* not JSON */
  }
  return `HTTP ${res.status}`;
}

const lastIndexOf = (bytes: Uint8Array, pattern: readonly number[]): number => {
  outer: for (let i = bytes.length - pattern.length; i >= 0; i--) {
    for (let j = 0; j < pattern.length; j++) if (bytes[i + j] !== pattern[j]) continue outer;
    return i;
  }
  return -1;
};
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47];
const IDAT = [0x49, 0x44, 0x41, 0x54];
const IEND = [0x49, 0x45, 0x4e, 0x44];

/** Why a PNG or JPEG file is cut short, or null: a JPEG needs an EOI marker after its last scan, a PNG its IEND. */
export function rasterTruncation(bytes: Uint8Array): string | null {
  if (PNG_SIGNATURE.every((b, i) => bytes[i] === b)) {
    return lastIndexOf(bytes, IEND) > lastIndexOf(bytes, IDAT)
      ? null
      : "the PNG file has no IEND chunk after its image data: it is truncated";
  }
  if (bytes[0] === 0xff && bytes[1] === 0xd8) {
    return lastIndexOf(bytes, [0xff, 0xd9]) > lastIndexOf(bytes, [0xff, 0xda])
      ? null
      : "the JPEG file has no EOI marker (FFD9) after its last scan: it is truncated";
  }
  return "the file is neither a PNG nor a JPEG image";
}

async function decode(url: string, imageId: string): Promise<Image> {
  const res = await fetch(url, { headers: imageRequestHeaders(), cache: "no-store" });
  if (!res.ok) throw new Error(await describeFailedResponse(res));
  const bytes = new Uint8Array(await res.arrayBuffer());
  const truncated = rasterTruncation(bytes);
  if (truncated) throw new Error(truncated);
  const format = bytes[0] === 0x89 ? "PNG" : "JPEG";
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(new Blob([bytes]), { colorSpaceConversion: "none", premultiplyAlpha: "none" });
  } catch (err) {
    // The engine's words for the same refusal (src-main/services/imaging/raster-reader.ts).
    throw new Error(`the ${format} image cannot be decoded: ${err instanceof Error ? err.message : String(err)}`);
  }
  const { width, height } = bitmap;
  const canvas = new OffscreenCanvas(width, height);
  const context = canvas.getContext("2d", { willReadFrequently: true });
  if (!context) throw new Error("no 2D canvas to decode the image");
  context.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = context.getImageData(0, 0, width, height).data;
  let color = false;
  for (let i = 0; i < rgba.length; i += 4) {
    if (rgba[i] !== rgba[i + 1] || rgba[i] !== rgba[i + 2]) {
      color = true;
      break;
    }
  }
  let pixels: Uint8Array | Uint8ClampedArray = rgba;
  let min = 255;
  let max = 0;
  if (color) {
    min = 0;
    max = 255;
  } else {
    const gray = new Uint8Array(width * height);
    for (let p = 0, i = 0; p < gray.length; p++, i += 4) {
      const v = rgba[i] as number;
      gray[p] = v;
      if (v < min) min = v;
      if (v > max) max = v;
    }
    pixels = gray;
  }
  return {
    imageId,
    minPixelValue: min,
    maxPixelValue: max,
    slope: 1,
    intercept: 0,
    // The stored values are the display values (as the models read PNG training data): an identity window.
    windowCenter: 128,
    windowWidth: 256,
    getPixelData: () => pixels,
    rows: height,
    columns: width,
    height,
    width,
    color,
    rgba: false,
    columnPixelSpacing: 1,
    rowPixelSpacing: 1,
    invert: false,
    sizeInBytes: pixels.length,
  };
}

export function loadRasterImage(imageId: string): ImageLoadObject {
  const url = imageId.slice(RASTER_SCHEME.length + 1);
  return { promise: decode(url, imageId) };
}
