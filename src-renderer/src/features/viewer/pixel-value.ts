/**
 * The pixel under the cursor: its stored value(s) and, for grey images, the modality value (Modality LUT Sequence
 * when the loader applied one, else rescale slope / intercept, PS3.3 C.11.1). Coordinates are cornerstone's pixel
 * coordinates (continuous; pixel (i, j) covers [i, i + 1) × [j, j + 1)), as `pageToPixel` returns them.
 */

/** The parts of a cornerstone image this reads (cornerstone-core's Image and the wado loader's additions). */
export interface PixelSource {
  readonly columns: number;
  readonly rows: number;
  readonly color: boolean;
  readonly slope: number;
  readonly intercept: number;
  readonly modalityLUT?: { readonly firstValueMapped: number; readonly lut: ArrayLike<number> } | undefined;
  getPixelData(): ArrayLike<number>;
}

export interface PixelReading {
  /** Column and row of the pixel (integers, from 0). */
  readonly x: number;
  readonly y: number;
  /** Stored value; for colour images the R, G, B values. */
  readonly stored: readonly number[];
  /** Modality value of a grey pixel (the stored value itself where slope 1 / intercept 0); null for colour. */
  readonly modality: number | null;
  /** How the modality value was computed. */
  readonly transform: "rescale" | "lut" | null;
}

/** The pixel at cornerstone pixel coordinates; null outside the image. */
export function pixelAt(image: PixelSource, px: number, py: number): PixelReading | null {
  const x = Math.floor(px);
  const y = Math.floor(py);
  if (!Number.isFinite(x) || !Number.isFinite(y) || x < 0 || y < 0 || x >= image.columns || y >= image.rows) {
    return null;
  }
  const data = image.getPixelData();
  const index = y * image.columns + x;
  if (image.color) {
    // The loaders give colour as RGBA (4 values a pixel) or RGB (3).
    const channels = Math.round(data.length / (image.columns * image.rows)) >= 4 ? 4 : 3;
    const at = index * channels;
    return { x, y, stored: [data[at]!, data[at + 1]!, data[at + 2]!], modality: null, transform: null };
  }
  const stored = data[index]!;
  const lut = image.modalityLUT;
  if (lut && lut.lut.length > 0) {
    const i = Math.min(lut.lut.length - 1, Math.max(0, stored - lut.firstValueMapped));
    return { x, y, stored: [stored], modality: lut.lut[i]!, transform: "lut" };
  }
  const slope = image.slope || 1;
  return { x, y, stored: [stored], modality: stored * slope + (image.intercept || 0), transform: "rescale" };
}

/** A modality value for the overlay: integers as they are, others to 4 significant digits. */
export function formatModalityValue(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(4)));
}
