/**
 * Model input preprocessing, identical to training/preprocess.py (MedCLIP's, one grey channel), driven by the
 * constants of the model pack manifest (`preprocessing`):
 *
 * 1. grey in [0, 1] as float64: 8-bit value / 255, 16-bit value / 65535 (`input_scale`);
 * 2. pad to a square of side max(w, h), image centred at floor((side - size) / 2), fill `pad_to_square.fill`;
 * 3. resize to S x S with PIL's antialiased BILINEAR (triangle) coefficients in float64, rows then columns;
 * 4. (x - mean) / std, then float32.
 *
 * The padded square is never materialised: taps that fall outside the image read the fill value. Checked against
 * the Python code on the same files by test/unit/inference/preprocess-parity.test.ts.
 */
import type { DecodedImage } from "../imaging";
import type { PackPreprocessing } from "../model-pack";

export class PreprocessingError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PreprocessingError";
  }
}

/** The preprocessing constants the engine uses, read from a pack manifest. */
export interface PreprocessingSpec {
  /** Output side S (the pack resizes to a square). */
  readonly size: number;
  readonly scaleUint8: number;
  readonly scaleUint16: number;
  readonly fill: number;
  readonly mean: number;
  readonly std: number;
}

/** Reads and checks the manifest's preprocessing block; refuses what this implementation does not do. */
export function preprocessingSpecFrom(p: PackPreprocessing): PreprocessingSpec {
  if (p.resize.width !== p.resize.height)
    throw new PreprocessingError(
      `preprocessing.resize is ${p.resize.width}x${p.resize.height}: only a square output is supported`,
    );
  if (p.resize.order !== "vertical then horizontal")
    throw new PreprocessingError(
      `preprocessing.resize.order "${p.resize.order}" is not supported (expected "vertical then horizontal")`,
    );
  if (!/PIL BILINEAR/.test(p.resize.coefficients))
    throw new PreprocessingError(
      `preprocessing.resize.coefficients "${p.resize.coefficients}" is not supported (expected PIL BILINEAR)`,
    );
  if (!Number.isFinite(p.pad_to_square.fill))
    throw new PreprocessingError("preprocessing.pad_to_square.fill must be a finite number");
  return {
    size: p.resize.width,
    scaleUint8: p.input_scale.uint8,
    scaleUint16: p.input_scale.uint16,
    fill: p.pad_to_square.fill,
    mean: p.normalize.mean,
    std: p.normalize.std,
  };
}

/**
 * A grey image as integer levels and the float64 value of each level (training's value / 255 or / 65535), row-major:
 * value(x, y) = lut[levels[y * width + x]]. The levels stay 8- or 16-bit, so a large radiograph never becomes a
 * float64 copy, and the values are exactly the ones Python computes.
 */
export interface GreyImage {
  readonly width: number;
  readonly height: number;
  readonly levels: Uint8Array | Uint16Array;
  readonly lut: Float64Array;
}

const lutCache = new Map<string, Float64Array>();

function levelTable(levelCount: number, scale: number): Float64Array {
  const key = `${levelCount}:${scale}`;
  let lut = lutCache.get(key);
  if (!lut) {
    lut = new Float64Array(levelCount);
    // Division by 1 / scale (255, 65535), as training/preprocess.py divides, then clipped to [0, 1].
    const divisor = 1 / scale;
    for (let v = 0; v < levelCount; v++) lut[v] = Math.min(Math.max(v / divisor, 0), 1);
    lutCache.set(key, lut);
  }
  return lut;
}

/**
 * The grey image the model sees, from a decoded file, as training reads files with PIL:
 * - 16-bit PNG (grey): the 16-bit samples x `scaleUint16` (PIL mode "I;16" / 65535), clipped to [0, 1];
 * - everything else — 8-bit PNG/JPEG (identity) and DICOM (the 8-bit display rendering: VOI, MONOCHROME1 and
 *   padding applied, docs/imaging.md) — the 8-bit display value x `scaleUint8`.
 */
export function greyFromDecoded(image: DecodedImage, spec: PreprocessingSpec): GreyImage {
  const { width, height } = image;
  const sixteenBitRaster = image.metadata.format !== "dicom" && image.metadata.bitsAllocated === 16;
  if (sixteenBitRaster) {
    const source = image.modalityPixels;
    const levels = new Uint16Array(width * height);
    for (let i = 0; i < levels.length; i++) levels[i] = source[i]!;
    return { width, height, levels, lut: levelTable(65536, spec.scaleUint16) };
  }
  return { width, height, levels: image.displayPixels, lut: levelTable(256, spec.scaleUint8) };
}

/**
 * PIL BILINEAR antialiased resampling coefficients for one axis, exactly as training/preprocess.py's
 * resize_weights: output i reads input taps [start[i], start[i] + count[i]) with weights[i * stride + t].
 */
export interface ResizeWeights {
  readonly inSize: number;
  readonly outSize: number;
  readonly start: Int32Array;
  readonly count: Int32Array;
  readonly stride: number;
  readonly weights: Float64Array;
}

export function resizeWeights(inSize: number, outSize: number): ResizeWeights {
  if (!Number.isInteger(inSize) || inSize < 1 || !Number.isInteger(outSize) || outSize < 1)
    throw new PreprocessingError(`resize from ${inSize} to ${outSize}: sizes must be positive integers`);
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1.0);
  const support = 1.0 * filterScale;
  const stride = Math.ceil(support) * 2 + 2;
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * stride);
  const taps = new Float64Array(stride);
  for (let i = 0; i < outSize; i++) {
    const center = (i + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize);
    const n = xmax - xmin;
    for (let t = 0; t < n; t++) taps[t] = Math.max(0.0, 1.0 - Math.abs((xmin + t - center + 0.5) / filterScale));
    const total = numpySum(taps, n);
    start[i] = xmin;
    count[i] = n;
    if (total > 0) for (let t = 0; t < n; t++) weights[i * stride + t] = taps[t]! / total;
  }
  return { inSize, outSize, start, count, stride, weights };
}

/**
 * numpy's float64 sum of a contiguous array (pairwise summation: blocks of up to 128 summed with 8 running
 * partial sums, larger arrays split in halves), so the weight normalisation matches the Python code to the bit.
 */
function numpySum(values: Float64Array, n: number): number {
  return pairwiseSum(values, 0, n);
}

function pairwiseSum(a: Float64Array, offset: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[offset + i]!;
    return res;
  }
  if (n <= 128) {
    const r = [
      a[offset]!,
      a[offset + 1]!,
      a[offset + 2]!,
      a[offset + 3]!,
      a[offset + 4]!,
      a[offset + 5]!,
      a[offset + 6]!,
      a[offset + 7]!,
    ];
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j] = r[j]! + a[offset + i + j]!;
    let res = r[0]! + r[1]! + (r[2]! + r[3]!) + (r[4]! + r[5]! + (r[6]! + r[7]!));
    for (; i < n; i++) res += a[offset + i]!;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, offset, n2) + pairwiseSum(a, offset + n2, n - n2);
}

const weightsCache = new Map<string, ResizeWeights>();

function cachedWeights(inSize: number, outSize: number): ResizeWeights {
  const key = `${inSize}:${outSize}`;
  let w = weightsCache.get(key);
  if (!w) {
    if (weightsCache.size > 64) weightsCache.clear();
    w = resizeWeights(inSize, outSize);
    weightsCache.set(key, w);
  }
  return w;
}

/**
 * Pad to square, resize to S x S, normalise: the model input of one view, S * S float32 values (row-major).
 * `out` (optional) receives the values at `outOffset`, e.g. one view's slot of a [views, 1, S, S] batch.
 */
export function preprocessGrey(
  grey: GreyImage,
  spec: PreprocessingSpec,
  out: Float32Array = new Float32Array(spec.size * spec.size),
  outOffset = 0,
): Float32Array {
  const { width: w, height: h, levels, lut } = grey;
  if (!Number.isInteger(w) || !Number.isInteger(h) || w < 1 || h < 1 || levels.length !== w * h)
    throw new PreprocessingError(`grey image ${w}x${h} with ${levels.length} values is not a valid image`);
  const size = spec.size;
  if (out.length < outOffset + size * size)
    throw new PreprocessingError(`output holds ${out.length} values, needs ${outOffset + size * size}`);
  const side = Math.max(w, h);
  const y0 = Math.floor((side - h) / 2);
  const x0 = Math.floor((side - w) / 2);
  const weights = cachedWeights(side, size);
  const { start, count, stride, weights: coeff } = weights;
  const fill = spec.fill;

  // Vertical pass: rows [size, side]. Only the image's columns are computed; the padding columns are constant
  // (fill x sum of the row's weights) and handled in the horizontal pass.
  const vertical = new Float64Array(size * w);
  const paddedColumn = new Float64Array(size);
  for (let i = 0; i < size; i++) {
    const first = start[i]!;
    const n = count[i]!;
    const rowOut = i * w;
    // Python sums in tap order over the padded square: image rows and fill rows interleave only at the edges.
    for (let t = 0; t < n; t++) {
      const wt = coeff[i * stride + t]!;
      const y = first + t - y0;
      if (y < 0 || y >= h) {
        if (fill !== 0) for (let x = 0; x < w; x++) vertical[rowOut + x] = vertical[rowOut + x]! + wt * fill;
        continue;
      }
      const rowIn = y * w;
      for (let x = 0; x < w; x++) vertical[rowOut + x] = vertical[rowOut + x]! + wt * lut[levels[rowIn + x]!]!;
    }
    // A padding column holds the fill value on every row.
    let padValue = 0;
    if (fill !== 0) for (let t = 0; t < n; t++) padValue += coeff[i * stride + t]! * fill;
    paddedColumn[i] = padValue;
  }

  // Horizontal pass, then normalisation and the float32 cast.
  const { mean, std } = spec;
  for (let i = 0; i < size; i++) {
    const rowIn = i * w;
    const padValue = paddedColumn[i]!;
    const rowOut = outOffset + i * size;
    for (let o = 0; o < size; o++) {
      const first = start[o]!;
      const n = count[o]!;
      let acc = 0;
      for (let t = 0; t < n; t++) {
        const x = first + t - x0;
        const v = x < 0 || x >= w ? padValue : vertical[rowIn + x]!;
        acc += coeff[o * stride + t]! * v;
      }
      out[rowOut + o] = (acc - mean) / std;
    }
  }
  return out;
}
