/**
 * A view being rendered: the attenuation planes that the anatomy and the findings draw into, and the mapping
 * from normalised anatomical coordinates to pixels. The final attenuation is
 *
 *   D = base + vessels * visible - airCoefficient * air * (1 - fill) * (1 + pleuralAir)
 *
 * where `air` is the lung's air path, `fill` the fraction of that air replaced by fluid or tissue (effusion,
 * consolidation), `pleuralAir` marks pneumothorax (no lung tissue, no vessels), and `vessels` are the pulmonary
 * vessels, visible only in aerated lung.
 */
import type { Rng } from "./prng";
import { addMask, Plane, type Point, polygonMask, upsample } from "./raster";

export const AIR_COEFFICIENT = 0.64;

export class View {
  readonly size: number;
  readonly base: Plane;
  readonly air: Plane;
  readonly fill: Plane;
  readonly vessels: Plane;
  readonly pleuralAir: Plane;
  /** Pixel soft-edge width for anatomy (scales with resolution). */
  readonly soft: number;

  constructor(
    size: number,
    readonly zoom: number,
    readonly shiftX: number,
    readonly shiftY: number,
  ) {
    this.size = size;
    this.base = Plane.acquire(size, size);
    this.air = Plane.acquire(size, size);
    this.fill = Plane.acquire(size, size);
    this.vessels = Plane.acquire(size, size);
    this.pleuralAir = Plane.acquire(size, size);
    this.soft = Math.max(0.55, size / 512);
  }

  /** Anatomical x → pixel x. */
  X(u: number): number {
    return ((u - 0.5) * this.zoom + 0.5 + this.shiftX) * this.size;
  }

  /** Anatomical y → pixel y. */
  Y(v: number): number {
    return ((v - 0.5) * this.zoom + 0.5 + this.shiftY) * this.size;
  }

  /** Anatomical length → pixels. */
  L(d: number): number {
    return d * this.zoom * this.size;
  }

  /** Pixel x (centre of column px) → anatomical x. */
  u(px: number): number {
    return ((px + 0.5) / this.size - 0.5 - this.shiftX) / this.zoom + 0.5;
  }

  /** Pixel y (centre of row py) → anatomical y. */
  v(py: number): number {
    return ((py + 0.5) / this.size - 0.5 - this.shiftY) / this.zoom + 0.5;
  }

  P(u: number, v: number): [number, number] {
    return [this.X(u), this.Y(v)];
  }

  /** Planes of this view, returned to the pool by release(). */
  protected planes(): Plane[] {
    return [this.base, this.air, this.fill, this.vessels, this.pleuralAir];
  }

  release(): void {
    Plane.release(...this.planes());
  }

  /** The attenuation map. */
  compose(): Plane {
    const out = Plane.acquire(this.size, this.size, false);
    const o = out.data;
    const b = this.base.data;
    const a = this.air.data;
    const f = this.fill.data;
    const ve = this.vessels.data;
    const p = this.pleuralAir.data;
    for (let i = 0; i < o.length; i++) {
      const fill = Math.min(1, Math.max(0, f[i]!));
      const ptx = Math.min(1, Math.max(0, p[i]!));
      const aerated = (1 - fill) * (1 - ptx);
      o[i] = b[i]! + ve[i]! * aerated - AIR_COEFFICIENT * a[i]! * (1 - fill) * (1 + 0.55 * ptx);
    }
    return out;
  }
}

/**
 * Gastric fundus air under the left hemidiaphragm: a dome of radii (rx, ry) centred at anatomical x `cx`, its top at
 * `top` and its flat fluid level ry below, added to the base plane with `value` (negative: air).
 */
export function addFundusAir(view: View, cx: number, top: number, rx: number, ry: number, value: number): void {
  const pts: Point[] = [];
  for (let k = 0; k <= 16; k++) {
    const ang = Math.PI + (Math.PI * k) / 16;
    pts.push(view.P(cx + rx * Math.cos(ang), top + ry + ry * Math.sin(ang)));
  }
  addMask(view.base, polygonMask(view.base, pts, view.soft * 1.5), value);
}

/**
 * Fine parenchymal texture: uniform noise in [-1.7, 1.7) on a third-resolution grid, upsampled bilinearly to
 * size x size. A pooled plane: release it after use.
 */
export function parenchymalNoise(size: number, rng: Rng): Plane {
  const small = Plane.acquire(Math.ceil(size / 3), Math.ceil(size / 3), false);
  for (let i = 0; i < small.data.length; i++) small.data[i] = rng.uniform() * 3.4 - 1.7;
  const noise = upsample(small, 3, size, size);
  Plane.release(small);
  return noise;
}
