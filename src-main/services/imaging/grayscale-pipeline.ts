/**
 * The grayscale pipeline of DICOM PS3.4 N.2 applied to one frame of stored values:
 * stored -> pixel padding mask -> modality LUT (rescale or LUT) -> VOI (window or LUT) -> MONOCHROME1 inversion ->
 * 8-bit display values. Pure functions over typed arrays; no I/O.
 */
import type {
  AppliedVoi,
  DecodedImage,
  LookupTable,
  ModalityTransform,
  StoredPixels,
  VoiCandidates,
  WindowSetting,
} from "../../../src-shared/imaging/image-types";

export interface GrayscaleInput {
  readonly stored: StoredPixels;
  readonly modality: ModalityTransform;
  /** Pixel Padding Value and Range Limit, in stored values. */
  readonly padding: { readonly value: number; readonly rangeLimit: number | null } | null;
  readonly voi: VoiCandidates;
  /** MONOCHROME1: minimum value is white; the display output is inverted. */
  readonly invert: boolean;
}

export type GrayscaleOutput = Pick<
  DecodedImage,
  "modalityPixels" | "modalityRange" | "paddingMask" | "paddingCount" | "displayPixels" | "voi"
>;

function lookup(lut: LookupTable, x: number): number {
  const n = lut.entries.length;
  let i = Math.round(x) - lut.firstMapped;
  if (i < 0) i = 0;
  else if (i >= n) i = n - 1;
  return lut.entries[i] ?? 0;
}

/** Why a window cannot be used, or null when it can. */
export function windowProblem(window: { center: number; width: number; function?: string | undefined }): string | null {
  if (!Number.isFinite(window.center)) return `window center ${window.center} is not a finite number`;
  if (!Number.isFinite(window.width)) return `window width ${window.width} is not a finite number`;
  const fn = window.function ?? "LINEAR";
  if (fn === "LINEAR" && window.width < 1) return `window width ${window.width} is below 1 (LINEAR needs >= 1)`;
  if (window.width <= 0) return `window width ${window.width} is not positive`;
  return null;
}

/** Maps a modality value through a window to [0, 255] (not rounded), per PS3.3 C.11.2.1.2 / C.11.2.1.3. */
export function applyWindow(x: number, window: WindowSetting): number {
  const { center: c, width: w } = window;
  switch (window.function) {
    case "LINEAR_EXACT": {
      if (x <= c - w / 2) return 0;
      if (x > c + w / 2) return 255;
      return ((x - c) / w + 0.5) * 255;
    }
    case "SIGMOID":
      return 255 / (1 + Math.exp((-4 * (x - c)) / w));
    default: {
      const lower = c - 0.5 - (w - 1) / 2;
      const upper = c - 0.5 + (w - 1) / 2;
      if (x <= lower) return 0;
      if (x > upper) return 255;
      return ((x - (c - 0.5)) / (w - 1) + 0.5) * 255;
    }
  }
}

/** Largest stored-value range for which the display mapping is tabulated instead of computed per pixel. */
const MAX_TABLE_ENTRIES = 1 << 20;

/** Runs the whole pipeline on one frame. */
export function renderGrayscale(input: GrayscaleInput): GrayscaleOutput {
  const { stored, modality, padding, voi, invert } = input;
  const count = stored.length;

  // Pixel padding, on stored values (PS3.3 C.7.5.1.1.2).
  let paddingMask: Uint8Array | null = null;
  let paddingCount = 0;
  if (padding) {
    const lo = padding.rangeLimit === null ? padding.value : Math.min(padding.value, padding.rangeLimit);
    const hi = padding.rangeLimit === null ? padding.value : Math.max(padding.value, padding.rangeLimit);
    paddingMask = new Uint8Array(count);
    for (let i = 0; i < count; i++) {
      const s = stored[i] as number;
      if (s >= lo && s <= hi) {
        paddingMask[i] = 1;
        paddingCount++;
      }
    }
  }

  // Modality LUT, and the range of stored and modality values (modality range over non-padding pixels).
  const toModality: (s: number) => number =
    modality.kind === "rescale"
      ? (
          (slope, intercept) => (s: number) =>
            s * slope + intercept
        )(modality.slope, modality.intercept)
      : (
          (lut) => (s: number) =>
            lookup(lut, s)
        )(modality.lut);
  const modalityPixels = new Float32Array(count);
  if (modality.kind === "rescale") {
    const { slope, intercept } = modality;
    if (slope === 1 && intercept === 0) modalityPixels.set(stored);
    else for (let i = 0; i < count; i++) modalityPixels[i] = (stored[i] as number) * slope + intercept;
  } else {
    for (let i = 0; i < count; i++) modalityPixels[i] = toModality(stored[i] as number);
  }
  let storedMin = Number.POSITIVE_INFINITY;
  let storedMax = Number.NEGATIVE_INFINITY;
  let min = Number.POSITIVE_INFINITY;
  let max = Number.NEGATIVE_INFINITY;
  let allMin = Number.POSITIVE_INFINITY;
  let allMax = Number.NEGATIVE_INFINITY;
  if (modality.kind === "rescale" && paddingMask === null) {
    // No padding and a monotone rescale (float32 rounding keeps the order): the modality range is the rescaled
    // stored range, so one pass over the stored values does (the common case: PNG/JPEG and most DICOM).
    for (let i = 0; i < count; i++) {
      const s = stored[i] as number;
      if (s < storedMin) storedMin = s;
      if (s > storedMax) storedMax = s;
    }
    if (count > 0) {
      const a = Math.fround(storedMin * modality.slope + modality.intercept);
      const b = Math.fround(storedMax * modality.slope + modality.intercept);
      min = Math.min(a, b);
      max = Math.max(a, b);
    }
  } else {
    for (let i = 0; i < count; i++) {
      const s = stored[i] as number;
      if (s < storedMin) storedMin = s;
      if (s > storedMax) storedMax = s;
      const v = modalityPixels[i] as number;
      if (v < allMin) allMin = v;
      if (v > allMax) allMax = v;
      if (paddingMask !== null && paddingMask[i] === 1) continue;
      if (v < min) min = v;
      if (v > max) max = v;
    }
  }
  if (min > max) {
    // Every pixel is padding (or there are none): report the range of all values.
    min = count ? allMin : 0;
    max = count ? allMax : 0;
  }

  const applied = chooseVoi(voi, min, max);
  const mapper = displayMapper(applied.voi, applied.lut);
  const toDisplay = (s: number): number => {
    let y = Math.round(mapper(Math.fround(toModality(s))));
    if (y < 0) y = 0;
    else if (y > 255) y = 255;
    return invert ? 255 - y : y;
  };
  const displayPixels = new Uint8Array(count);
  const tabulate =
    count > 0 &&
    stored instanceof Int32Array &&
    storedMax - storedMin < MAX_TABLE_ENTRIES &&
    storedMax - storedMin < count;
  if (tabulate) {
    const table = new Uint8Array(storedMax - storedMin + 1);
    let identity = true;
    for (let s = storedMin; s <= storedMax; s++) {
      table[s - storedMin] = toDisplay(s);
      if (table[s - storedMin] !== s) identity = false;
    }
    // An identity mapping (8-bit PNG/JPEG): the stored values are the display values, one native copy.
    if (identity) displayPixels.set(stored);
    else for (let i = 0; i < count; i++) displayPixels[i] = table[(stored[i] as number) - storedMin] as number;
    if (paddingMask !== null) for (let i = 0; i < count; i++) if (paddingMask[i] === 1) displayPixels[i] = 0;
  } else {
    for (let i = 0; i < count; i++) {
      displayPixels[i] = paddingMask && paddingMask[i] === 1 ? 0 : toDisplay(stored[i] as number);
    }
  }

  return { modalityPixels, modalityRange: { min, max }, paddingMask, paddingCount, displayPixels, voi: applied.voi };
}

function displayMapper(voi: AppliedVoi, lut: LookupTable | undefined): (x: number) => number {
  if (voi.source === "voi-lut" && lut) {
    const scale = 255 / (2 ** lut.bitsPerEntry - 1);
    return (x) => lookup(lut, x) * scale;
  }
  if (voi.source === "identity") return (x) => x;
  const window = voi.window;
  if (!window) throw new Error("internal: window VOI without a window");
  return (x) => applyWindow(x, window);
}

function chooseVoi(voi: VoiCandidates, min: number, max: number): { voi: AppliedVoi; lut?: LookupTable } {
  const notes: string[] = [];
  if (voi.user) {
    // Validated by the caller; checked again so a bad window can never divide by zero here.
    const problem = windowProblem(voi.user);
    if (problem) throw new RangeError(`user ${problem}`);
    const window: WindowSetting = {
      center: voi.user.center,
      width: voi.user.width,
      function: voi.user.function ?? "LINEAR",
      explanation: "user window",
    };
    return { voi: { source: "user", window, lutExplanation: null, note: null } };
  }
  if (voi.lut) {
    if (voi.lut.entries.length > 0 && voi.lut.bitsPerEntry >= 1 && voi.lut.bitsPerEntry <= 16) {
      return {
        voi: { source: "voi-lut", window: null, lutExplanation: voi.lut.explanation, note: null },
        lut: voi.lut,
      };
    }
    notes.push(`VOI LUT ignored (${voi.lut.entries.length} entries, ${voi.lut.bitsPerEntry} bits per entry)`);
  }
  for (const window of voi.fileWindows) {
    const problem = windowProblem(window);
    if (!problem) {
      return { voi: { source: "window", window, lutExplanation: null, note: notes.length ? notes.join("; ") : null } };
    }
    notes.push(`file window ignored: ${problem}`);
  }
  const note = notes.length ? notes.join("; ") : null;
  if (voi.identityWhenNoVoi) return { voi: { source: "identity", window: null, lutExplanation: null, note } };
  const window: WindowSetting = {
    center: (min + max) / 2,
    width: max > min ? max - min : 1,
    function: "LINEAR_EXACT",
    explanation: "min-max of the image",
  };
  return { voi: { source: "min-max", window, lutExplanation: null, note } };
}
