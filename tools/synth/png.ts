import sharp from "sharp";
import { quantize } from "./detector";
import type { Plane } from "./raster";

/** 8-bit grayscale PNG of a [0,1] image. */
export function encodePng(image: Plane, compressionLevel = 3): Promise<Buffer> {
  return sharp(Buffer.from(quantize(image, 8)), { raw: { width: image.width, height: image.height, channels: 1 } })
    .toColourspace("b-w")
    .png({ compressionLevel })
    .toBuffer();
}
