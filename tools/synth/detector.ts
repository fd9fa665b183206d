/**
 * From attenuation to a processed radiograph, the way a DR system does it: log signal with the anode heel
 * gradient, detector blur, quantum noise that grows where fewer photons arrive, multi-frequency processing
 * (edge enhancement and dynamic range equalisation), then an auto-windowed tone curve. Brighter = more
 * attenuating (MONOCHROME2).
 */
import type { Exposure } from "./anatomy";
import type { Rng } from "./prng";
import { Plane, smallBlur, wideBlur } from "./raster";

function percentile(values: Float32Array, mask: Float32Array, threshold: number, p: number[]): number[] {
  let min = Infinity;
  let max = -Infinity;
  let count = 0;
  // Every third pixel is plenty for the window percentiles.
  for (let i = 0; i < values.length; i += 3) {
    if (mask[i]! <= threshold) continue;
    const v = values[i]!;
    if (v < min) min = v;
    if (v > max) max = v;
    count++;
  }
  if (count === 0 || max <= min) return p.map(() => 0);
  const bins = 2048;
  const hist = new Uint32Array(bins);
  const scale = (bins - 1) / (max - min);
  for (let i = 0; i < values.length; i += 3) {
    if (mask[i]! <= threshold) continue;
    hist[Math.floor((values[i]! - min) * scale)]!++;
  }
  return p.map((q) => {
    const target = (q / 100) * count;
    let acc = 0;
    for (let b = 0; b < bins; b++) {
      acc += hist[b]!;
      if (acc >= target) return min + b / scale;
    }
    return max;
  });
}

/** Returns the processed image with values in [0, 1]. */
export function develop(attenuation: Plane, exposure: Exposure, rng: Rng): Plane {
  const S = attenuation.width;
  const scale = S / 512;
  const signal = Plane.acquire(S, attenuation.height, false);
  const p = signal.data;
  const d = attenuation.data;
  // Quantum noise: fewer photons behind more attenuation. Added before the detector blur, which correlates it.
  // Normal deviates come from a table indexed by a xorshift stream seeded from the detector stream.
  const table = new Float32Array(8192);
  for (let i = 0; i < table.length; i++) table[i] = rng.normal();
  let state = rng.nextUint32() | 1;
  const noiseGain = 2.6 * exposure.noise;
  for (let y = 0; y < attenuation.height; y++) {
    const heel = exposure.heel * ((y + 0.5) / attenuation.height - 0.5);
    const row = y * S;
    for (let x = 0; x < S; x++) {
      const i = row + x;
      const v = d[i]! * exposure.contrast + heel * Math.min(1, d[i]! * 3);
      state ^= state << 13;
      state ^= state >>> 17;
      state ^= state << 5;
      // exp(0.6 v) by its Taylor series to 3rd order is ample for v in 0..3 (relative noise amplitude only).
      const e = 0.6 * v;
      p[i] = v + noiseGain * (1 + e + 0.5 * e * e + 0.1667 * e * e * e) * table[(state >>> 0) & 8191]!;
    }
  }
  smallBlur(signal, Math.max(0.55, exposure.blur) * scale);
  // Multi-frequency processing.
  const mid = wideBlur(signal, 5 * scale);
  const low = wideBlur(signal, 40 * scale);
  let lowMean = 0;
  for (let i = 0; i < p.length; i++) lowMean += low.data[i]!;
  lowMean /= p.length;
  const processed = Plane.acquire(S, attenuation.height, false);
  const q = processed.data;
  for (let i = 0; i < p.length; i++) {
    q[i] = p[i]! + exposure.unsharp * (p[i]! - mid.data[i]!) - exposure.equalize * (low.data[i]! - lowMean);
  }
  // Auto-window on the body (attenuation above a threshold), then the tone curve.
  const [pLo, hi] = percentile(q, d, 0.08, [exposure.lowPercentile, exposure.highPercentile]) as [number, number];
  // Keep the darkest lung above black: real processing leaves headroom below the lung parenchyma.
  const lo = pLo - exposure.footroom * (hi - pLo);
  const range = Math.max(1e-6, hi - lo);
  // Tone curve as a lookup table over t in [0, 1.15].
  const k = 1.6;
  const norm = Math.tanh(k / 2);
  const lutSize = 4096;
  const lutMax = 1.15;
  const lut = new Float32Array(lutSize + 1);
  for (let j = 0; j <= lutSize; j++) {
    const t = ((j / lutSize) * lutMax) ** exposure.gamma;
    lut[j] = 0.5 + (0.5 * Math.tanh(k * (t - 0.5))) / norm + exposure.brightness;
  }
  const toIndex = lutSize / lutMax / range;
  for (let i = 0; i < q.length; i++) {
    let j = (q[i]! - lo) * toIndex;
    j = j < 0 ? 0 : Math.min(j, lutSize);
    let v = lut[j | 0]!;
    if (d[i]! < 0.02) v = Math.min(v, 0.02 + d[i]! * 2);
    q[i] = v < 0 ? 0 : Math.min(v, 1);
  }
  Plane.release(signal, mid, low);
  return processed;
}

/** Quantise [0,1] to unsigned integers with `bits` bits. */
export function quantize(image: Plane, bits: 8): Uint8Array;
export function quantize(image: Plane, bits: 12 | 16): Uint16Array;
export function quantize(image: Plane, bits: 8 | 12 | 16): Uint8Array | Uint16Array {
  const max = 2 ** bits - 1;
  const out = bits === 8 ? new Uint8Array(image.data.length) : new Uint16Array(image.data.length);
  for (let i = 0; i < out.length; i++) out[i] = Math.round(Math.min(1, Math.max(0, image.data[i]!)) * max);
  return out;
}
