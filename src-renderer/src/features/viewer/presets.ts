/**
 * Window presets. "Default" is the file's own window (Window Center / Width, or its VOI LUT; for PNG/JPEG the
 * identity mapping). Radiographs, unlike CT, have no calibrated units (no Hounsfield scale), so the lung,
 * mediastinum and bone presets are defined on each image's own histogram: a window placed on the 1st–99th
 * percentile range of its modality values (after rescale), counted in display terms (0 = black, 1 = white), so that
 * MONOCHROME1 and MONOCHROME2 images behave the same.
 * - Lung: the dark part widened (parenchyma and vessels; the mediastinum saturates).
 * - Mediastinum: the bright part widened (heart borders, lines and tubes; the lungs go black).
 * - Bone: a narrow, high-contrast window on the middle of the range, where ribs and clavicles overlie the lungs
 *   (cortical edges stand out; lungs go dark, the mediastinum white).
 */
import type { Image, VOI } from "cornerstone-core";

export type PresetId = "default" | "lung" | "mediastinum" | "bone";

export interface PresetDef {
  id: PresetId;
  label: string;
  /** Window centre and width as fractions of the image's 1st–99th percentile range, in display terms. */
  center: number;
  width: number;
}

export const PRESETS: readonly PresetDef[] = [
  { id: "default", label: "Default", center: 0.5, width: 1 },
  { id: "lung", label: "Lung", center: 0.4, width: 0.7 },
  { id: "mediastinum", label: "Mediastinum", center: 0.72, width: 0.56 },
  { id: "bone", label: "Bone", center: 0.5, width: 0.4 },
];

export interface ImageRange {
  low: number;
  high: number;
}

const rangeCache = new WeakMap<Image, ImageRange>();

/** 1st and 99th percentile of the image's modality values (rescale applied), from at most ~262k samples. */
export function percentileRange(image: Image): ImageRange {
  const cached = rangeCache.get(image);
  if (cached) return cached;
  const pixels = image.getPixelData();
  const channels = image.color ? 4 : 1;
  const count = Math.floor(pixels.length / channels);
  const stride = Math.max(1, Math.floor(count / 262_144));
  const samples = new Float32Array(Math.ceil(count / stride));
  let n = 0;
  for (let p = 0; p < count; p += stride) {
    const i = p * channels;
    const stored = image.color
      ? 0.299 * (pixels[i] as number) + 0.587 * (pixels[i + 1] as number) + 0.114 * (pixels[i + 2] as number)
      : (pixels[i] as number);
    samples[n++] = stored * image.slope + image.intercept;
  }
  const sorted = samples.subarray(0, n).sort();
  const at = (q: number) => sorted[Math.min(n - 1, Math.max(0, Math.round(q * (n - 1))))] ?? 0;
  let low = at(0.01);
  let high = at(0.99);
  if (high <= low) {
    low = image.minPixelValue * image.slope + image.intercept;
    high = Math.max(low + 1, image.maxPixelValue * image.slope + image.intercept);
  }
  const range = { low, high };
  rangeCache.set(image, range);
  return range;
}

/** The file's own window (first value when the file lists several). */
export function fileWindow(image: Image): VOI {
  const first = (v: number | number[]) => (Array.isArray(v) ? (v[0] ?? Number.NaN) : v);
  const windowWidth = first(image.windowWidth);
  const windowCenter = first(image.windowCenter);
  if (Number.isFinite(windowWidth) && windowWidth >= 1 && Number.isFinite(windowCenter)) {
    return { windowWidth, windowCenter };
  }
  const low = image.minPixelValue * image.slope + image.intercept;
  const high = image.maxPixelValue * image.slope + image.intercept;
  return { windowWidth: Math.max(1, high - low), windowCenter: (high + low) / 2 };
}

/** The window of a preset for this image; `inverted` is whether high values display dark (MONOCHROME1). */
export function presetWindow(image: Image, preset: PresetDef, inverted: boolean): VOI {
  if (preset.id === "default") return fileWindow(image);
  const { low, high } = percentileRange(image);
  const span = high - low;
  const center = inverted ? high - preset.center * span : low + preset.center * span;
  return { windowCenter: center, windowWidth: Math.max(1, preset.width * span) };
}
