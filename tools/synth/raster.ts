/**
 * A small Float32 rasteriser for the synthetic radiographs: soft-edged polygons, ellipses, gaussian blobs and
 * variable-width strokes with cross-section profiles (tube, cortical bone, flat), plus fast box-approximated
 * gaussian blur and low-resolution smoothing. Every primitive touches only its bounding box.
 *
 * Coordinates are in pixels; (0, 0) is the top-left corner of the top-left pixel, pixel centres are at +0.5.
 */

export class Plane {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;

  constructor(width: number, height: number, data?: Float32Array) {
    this.width = width;
    this.height = height;
    this.data = data ?? new Float32Array(width * height);
    if (this.data.length !== width * height)
      throw new Error(`Plane data length ${this.data.length} != ${width}x${height}`);
  }

  clone(): Plane {
    const copy = Plane.acquire(this.width, this.height, false);
    copy.data.set(this.data);
    return copy;
  }

  private static readonly pool = new Map<number, Float32Array[]>();

  /**
   * A plane from the reuse pool (zero-filled unless zero is false). Rendering allocates many megabyte-sized
   * planes per image; reusing them keeps the garbage collector out of the hot path.
   */
  static acquire(width: number, height: number, zero = true): Plane {
    const free = Plane.pool.get(width * height);
    const data = free?.pop();
    if (data) {
      if (zero) data.fill(0);
      return new Plane(width, height, data);
    }
    return new Plane(width, height);
  }

  /** Return planes to the pool; they must not be used afterwards. */
  static release(...planes: Plane[]): void {
    for (const plane of planes) {
      const list = Plane.pool.get(plane.data.length) ?? [];
      if (list.length < 24 && !list.includes(plane.data)) list.push(plane.data);
      Plane.pool.set(plane.data.length, list);
    }
  }

  fill(value: number): this {
    this.data.fill(value);
    return this;
  }

  /** Bilinear sample at pixel coordinates (x, y) measured like the primitives (centres at +0.5). */
  sample(x: number, y: number): number {
    const fx = Math.min(this.width - 1, Math.max(0, x - 0.5));
    const fy = Math.min(this.height - 1, Math.max(0, y - 0.5));
    const x0 = Math.floor(fx);
    const y0 = Math.floor(fy);
    const x1 = Math.min(this.width - 1, x0 + 1);
    const y1 = Math.min(this.height - 1, y0 + 1);
    const tx = fx - x0;
    const ty = fy - y0;
    const d = this.data;
    const w = this.width;
    const top = d[y0 * w + x0]! * (1 - tx) + d[y0 * w + x1]! * tx;
    const bottom = d[y1 * w + x0]! * (1 - tx) + d[y1 * w + x1]! * tx;
    return top * (1 - ty) + bottom * ty;
  }
}

const scratchBuffers: Float32Array[] = [];

/** A reusable Float32Array of at least `length` elements (contents undefined). Slot 0 is used by the blur. */
function scratch(slot: number, length: number): Float32Array {
  const current = scratchBuffers[slot];
  if (current && current.length >= length) return current;
  const fresh = new Float32Array(Math.max(length, Math.ceil((current?.length ?? 0) * 1.5)));
  scratchBuffers[slot] = fresh;
  return fresh;
}

let strokeQBuffer = new Float32Array(0);

/** The stroke distance buffer: always Infinity outside a running addStroke. */
function strokeQ(length: number): Float32Array {
  if (strokeQBuffer.length < length) {
    strokeQBuffer = new Float32Array(Math.max(length, Math.ceil(strokeQBuffer.length * 1.5))).fill(Infinity);
  }
  return strokeQBuffer;
}

export interface Box {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
}

function clampBox(plane: Plane, x0: number, y0: number, x1: number, y1: number): Box | null {
  const bx0 = Math.max(0, Math.floor(x0));
  const by0 = Math.max(0, Math.floor(y0));
  const bx1 = Math.min(plane.width, Math.ceil(x1));
  const by1 = Math.min(plane.height, Math.ceil(y1));
  if (bx1 <= bx0 || by1 <= by0) return null;
  return { x0: bx0, y0: by0, x1: bx1, y1: by1 };
}

/** Cubic smoothstep from 0 at edge0 to 1 at edge1 (edge0 may exceed edge1 for a falling step). */
export function smoothstep(edge0: number, edge1: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - edge0) / (edge1 - edge0)));
  return t * t * (3 - 2 * t);
}

export type Point = readonly [number, number];

// ---------------------------------------------------------------------------------------------------------------
// Polygons
// ---------------------------------------------------------------------------------------------------------------

/**
 * Coverage mask of a polygon (even-odd fill) with a smooth edge of half-width `soft` pixels, cropped to its
 * bounding box. Inside is found by scanline crossings, the edge band by exact point-segment distances.
 */
export class Mask {
  constructor(
    readonly box: Box,
    readonly data: Float32Array,
  ) {}

  get width(): number {
    return this.box.x1 - this.box.x0;
  }

  /** Coverage at absolute pixel (x, y), 0 outside the box. */
  at(x: number, y: number): number {
    const { x0, y0, x1, y1 } = this.box;
    if (x < x0 || x >= x1 || y < y0 || y >= y1) return 0;
    return this.data[(y - y0) * (x1 - x0) + (x - x0)]!;
  }
}

export function polygonMask(plane: Plane, points: readonly Point[], soft: number): Mask | null {
  if (points.length < 3) return null;
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  for (const [x, y] of points) {
    if (x < minX) minX = x;
    if (y < minY) minY = y;
    if (x > maxX) maxX = x;
    if (y > maxY) maxY = y;
  }
  const pad = soft + 1;
  const box = clampBox(plane, minX - pad, minY - pad, maxX + pad, maxY + pad);
  if (!box) return null;
  const bw = box.x1 - box.x0;
  const bh = box.y1 - box.y0;
  const inside = new Uint8Array(bw * bh);
  const n = points.length;
  const crossings: number[] = [];
  for (let row = 0; row < bh; row++) {
    const yc = box.y0 + row + 0.5;
    crossings.length = 0;
    for (let i = 0; i < n; i++) {
      const [ax, ay] = points[i]!;
      const [bx, by] = points[(i + 1) % n]!;
      if (ay <= yc === by <= yc) continue;
      crossings.push(ax + ((yc - ay) / (by - ay)) * (bx - ax));
    }
    crossings.sort((a, b) => a - b);
    for (let k = 0; k + 1 < crossings.length; k += 2) {
      const xa = Math.max(box.x0, Math.ceil(crossings[k]! - 0.5));
      const xb = Math.min(box.x1 - 1, Math.floor(crossings[k + 1]! - 0.5));
      for (let x = xa; x <= xb; x++) inside[row * bw + (x - box.x0)] = 1;
    }
  }
  const data = new Float32Array(bw * bh);
  for (let i = 0; i < data.length; i++) data[i] = inside[i]!;
  if (soft <= 0) return new Mask(box, data);
  const dist = scratch(4, bw * bh).fill(Infinity, 0, bw * bh);
  for (let i = 0; i < n; i++) {
    const [ax, ay] = points[i]!;
    const [bx, by] = points[(i + 1) % n]!;
    const sx0 = Math.max(box.x0, Math.floor(Math.min(ax, bx) - soft - 1));
    const sx1 = Math.min(box.x1, Math.ceil(Math.max(ax, bx) + soft + 1));
    const sy0 = Math.max(box.y0, Math.floor(Math.min(ay, by) - soft - 1));
    const sy1 = Math.min(box.y1, Math.ceil(Math.max(ay, by) + soft + 1));
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy || 1e-12;
    for (let y = sy0; y < sy1; y++) {
      const py = y + 0.5 - ay;
      const rowOff = (y - box.y0) * bw - box.x0;
      for (let x = sx0; x < sx1; x++) {
        const px = x + 0.5 - ax;
        let t = (px * dx + py * dy) / len2;
        t = t < 0 ? 0 : Math.min(t, 1);
        const ex = px - t * dx;
        const ey = py - t * dy;
        const d2 = ex * ex + ey * ey;
        const idx = rowOff + x;
        if (d2 < dist[idx]!) dist[idx] = d2;
      }
    }
  }
  for (let i = 0; i < data.length; i++) {
    const d2 = dist[i]!;
    if (d2 >= soft * soft) continue;
    const d = Math.sqrt(d2);
    const sd = inside[i] ? -d : d;
    const t = Math.min(1, Math.max(0, (soft - sd) / (2 * soft)));
    data[i] = t * t * (3 - 2 * t);
  }
  return new Mask(box, data);
}

/** plane += value * mask (optionally times a per-pixel weight plane). */
export function addMask(plane: Plane, mask: Mask | null, value: number, weight?: Plane): void {
  if (!mask) return;
  const { x0, y0, x1, y1 } = mask.box;
  const bw = x1 - x0;
  const d = plane.data;
  const wd = weight?.data;
  for (let y = y0; y < y1; y++) {
    const mo = (y - y0) * bw - x0;
    const po = y * plane.width;
    for (let x = x0; x < x1; x++) {
      const m = mask.data[mo + x]!;
      if (m === 0) continue;
      d[po + x] = d[po + x]! + value * m * (wd ? wd[po + x]! : 1);
    }
  }
}

/** plane = max(plane, value * mask). */
export function maxMask(plane: Plane, mask: Mask | null, value = 1): void {
  if (!mask) return;
  const { x0, y0, x1, y1 } = mask.box;
  const bw = x1 - x0;
  const d = plane.data;
  for (let y = y0; y < y1; y++) {
    const mo = (y - y0) * bw - x0;
    const po = y * plane.width;
    for (let x = x0; x < x1; x++) {
      const v = mask.data[mo + x]! * value;
      if (v > d[po + x]!) d[po + x] = v;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Ellipses and gaussians
// ---------------------------------------------------------------------------------------------------------------

export type EllipseProfile = "flat" | "dome" | "sphere-shell" | "gauss";

export interface EllipseOptions {
  angle?: number;
  soft?: number;
  profile?: EllipseProfile;
  /** For "sphere-shell": shell thickness as a fraction of the radius. */
  shell?: number;
  /** For "sphere-shell": relative density of the interior. */
  core?: number;
  /** Multiplies the value row by row (pixel y → weight). */
  rowWeight?: (y: number) => number;
}

/**
 * plane += value * profile over an ellipse. "flat": uniform with a soft edge; "dome": sqrt(1 - r^2) (the path
 * length through an ellipsoid); "sphere-shell": a hollow sphere (cortex brighter than its core); "gauss": a
 * gaussian with sigma = radius / 2.
 */
export function addEllipse(
  plane: Plane,
  cx: number,
  cy: number,
  rx: number,
  ry: number,
  value: number,
  options: EllipseOptions = {},
): void {
  const angle = options.angle ?? 0;
  const soft = options.soft ?? 1;
  const profile = options.profile ?? "flat";
  const reach = profile === "gauss" ? 1.6 : 1;
  const r = Math.max(rx, ry) * reach + soft + 1;
  const box = clampBox(plane, cx - r, cy - r, cx + r, cy + r);
  if (!box || rx <= 0 || ry <= 0) return;
  const cos = Math.cos(angle);
  const sin = Math.sin(angle);
  const irx = 1 / rx;
  const iry = 1 / ry;
  const minR = Math.min(rx, ry);
  const shell = options.shell ?? 0.2;
  const core = options.core ?? 0.35;
  const inner = 1 - shell;
  const d = plane.data;
  for (let y = box.y0; y < box.y1; y++) {
    const py = y + 0.5 - cy;
    const po = y * plane.width;
    const rowValue = options.rowWeight ? value * options.rowWeight(y + 0.5) : value;
    for (let x = box.x0; x < box.x1; x++) {
      const px = x + 0.5 - cx;
      const u = (px * cos + py * sin) * irx;
      const v = (-px * sin + py * cos) * iry;
      const q2 = u * u + v * v;
      let f: number;
      if (profile === "gauss") {
        if (q2 > reach * reach) continue;
        f = Math.exp(-2 * q2);
      } else {
        const q = Math.sqrt(q2);
        const sd = (q - 1) * minR;
        if (sd > soft) continue;
        const edge = soft > 0 ? smoothstep(soft, -soft, sd) : sd <= 0 ? 1 : 0;
        if (profile === "flat") f = edge;
        else if (profile === "dome") f = Math.sqrt(Math.max(0, 1 - q2)) * 0.85 + 0.15 * edge;
        else {
          const outer = Math.sqrt(Math.max(0, 1 - q2));
          const innerLen = Math.sqrt(Math.max(0, inner * inner - q2));
          f = (outer - innerLen + core * innerLen) * 0.9 + 0.1 * edge * (1 - inner);
        }
      }
      d[po + x] = d[po + x]! + rowValue * f;
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Strokes
// ---------------------------------------------------------------------------------------------------------------

export type StrokeProfile = "tube" | "cortical" | "flat" | "gauss" | "line";

export interface StrokeOptions {
  profile?: StrokeProfile;
  /** Edge softness in pixels. */
  soft?: number;
  /** Cortical shell thickness as a fraction of the radius, and the relative density of the marrow. */
  shell?: number;
  core?: number;
  /** Multiply the value along the stroke (same length as points), e.g. to fade a rib medially. */
  weights?: readonly number[];
}

/**
 * plane += value * profile across a polyline whose radius varies along it (radii per point). The profile is
 * evaluated on the normalised distance to the nearest point of the polyline, so joints do not double up.
 */
export function addStroke(
  plane: Plane,
  points: readonly Point[],
  radii: readonly number[] | number,
  value: number,
  options: StrokeOptions = {},
): void {
  const n = points.length;
  if (n < 2) return;
  const radiusAt = (i: number): number => (typeof radii === "number" ? radii : radii[i]!);
  const soft = options.soft ?? 0.8;
  const profile = options.profile ?? "tube";
  const reach = profile === "gauss" ? 1.8 : 1;
  let minX = Infinity;
  let minY = Infinity;
  let maxX = -Infinity;
  let maxY = -Infinity;
  let maxR = 0;
  for (let i = 0; i < n; i++) {
    const [x, y] = points[i]!;
    const r = radiusAt(i);
    minX = Math.min(minX, x);
    minY = Math.min(minY, y);
    maxX = Math.max(maxX, x);
    maxY = Math.max(maxY, y);
    maxR = Math.max(maxR, r);
  }
  const pad = maxR * reach + soft + 1;
  const box = clampBox(plane, minX - pad, minY - pad, maxX + pad, maxY + pad);
  if (!box) return;
  const bw = box.x1 - box.x0;
  const bh = box.y1 - box.y0;
  // Per pixel of the box: q = distance / radius at the nearest point of the polyline, r and weight there.
  // qBuf is kept filled with Infinity between calls: every pixel written here is reset in the final pass.
  const qBuf = strokeQ(bw * bh);
  const rBuf = scratch(2, bw * bh);
  const wBuf = scratch(3, bw * bh);
  const segBoxes: number[] = [];
  const weights = options.weights;
  // Pixels further than this (normalised, squared) from the line contribute nothing.
  const minR = typeof radii === "number" ? radii : Math.min(...radii);
  const limit2 = (reach + (soft + 1) / Math.max(minR, 0.25)) ** 2;
  for (let i = 0; i + 1 < n; i++) {
    const [ax, ay] = points[i]!;
    const [bx, by] = points[i + 1]!;
    const ra = radiusAt(i);
    const rb = radiusAt(i + 1);
    const wa = weights ? weights[i]! : 1;
    const wb = weights ? weights[i + 1]! : 1;
    const segPad = Math.max(ra, rb) * reach + soft + 1;
    const sx0 = Math.max(box.x0, Math.floor(Math.min(ax, bx) - segPad));
    const sx1 = Math.min(box.x1, Math.ceil(Math.max(ax, bx) + segPad));
    const sy0 = Math.max(box.y0, Math.floor(Math.min(ay, by) - segPad));
    const sy1 = Math.min(box.y1, Math.ceil(Math.max(ay, by) + segPad));
    if (sx1 <= sx0 || sy1 <= sy0) continue;
    segBoxes.push(sx0, sy0, sx1, sy1);
    const dx = bx - ax;
    const dy = by - ay;
    const len2 = dx * dx + dy * dy || 1e-12;
    for (let y = sy0; y < sy1; y++) {
      const py = y + 0.5 - ay;
      const rowOff = (y - box.y0) * bw - box.x0;
      for (let x = sx0; x < sx1; x++) {
        const px = x + 0.5 - ax;
        let t = (px * dx + py * dy) / len2;
        t = t < 0 ? 0 : Math.min(t, 1);
        const ex = px - t * dx;
        const ey = py - t * dy;
        const r = ra + (rb - ra) * t;
        if (r <= 0) continue;
        // squared normalised distance; the square root is taken once per pixel in the final pass
        const q2 = (ex * ex + ey * ey) / (r * r);
        if (q2 > limit2) continue;
        const idx = rowOff + x;
        if (q2 < qBuf[idx]!) {
          qBuf[idx] = q2;
          rBuf[idx] = r;
          wBuf[idx] = wa + (wb - wa) * t;
        }
      }
    }
  }
  const shell = options.shell ?? 0.22;
  const core = options.core ?? 0.3;
  const inner = 1 - shell;
  const d = plane.data;
  for (let k = 0; k < segBoxes.length; k += 4) {
    const sx0 = segBoxes[k]!;
    const sy0 = segBoxes[k + 1]!;
    const sx1 = segBoxes[k + 2]!;
    const sy1 = segBoxes[k + 3]!;
    for (let y = sy0; y < sy1; y++) {
      const rowOff = (y - box.y0) * bw - box.x0;
      const po = y * plane.width;
      for (let x = sx0; x < sx1; x++) {
        const idx = rowOff + x;
        const q2 = qBuf[idx]!;
        if (q2 === Infinity) continue;
        qBuf[idx] = Infinity;
        const q = Math.sqrt(q2);
        const r = rBuf[idx]!;
        const e = soft / r;
        if (q > reach + e) continue;
        let f: number;
        switch (profile) {
          case "gauss":
            f = Math.exp(-2 * q * q);
            break;
          case "flat":
            f = smoothstep(1 + e, 1 - e, q);
            break;
          case "line":
            // Thin radiopaque line: flat core with a soft edge.
            f = smoothstep(1 + e, Math.max(0, 1 - e), q);
            break;
          case "cortical": {
            const qq = Math.min(q, 1);
            const outer = Math.sqrt(1 - qq * qq);
            const in2 = inner * inner - qq * qq;
            const innerLen = in2 > 0 ? Math.sqrt(in2) : 0;
            f = (outer - innerLen + core * innerLen) * (q < 1 - e ? 1 : smoothstep(1 + e, 1 - e, q));
            break;
          }
          default: {
            const qq = Math.min(q, 1);
            f = Math.sqrt(1 - qq * qq) * 0.9 + 0.1 * (q < 1 - e ? 1 : smoothstep(1 + e, 1 - e, q));
          }
        }
        d[po + x] = d[po + x]! + value * f * wBuf[idx]!;
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Curves
// ---------------------------------------------------------------------------------------------------------------

/** Points along a cubic Bezier. */
export function bezier(p0: Point, p1: Point, p2: Point, p3: Point, segments: number): Point[] {
  const out: Point[] = [];
  for (let i = 0; i <= segments; i++) {
    const t = i / segments;
    const u = 1 - t;
    const a = u * u * u;
    const b = 3 * u * u * t;
    const c = 3 * u * t * t;
    const d = t * t * t;
    out.push([a * p0[0] + b * p1[0] + c * p2[0] + d * p3[0], a * p0[1] + b * p1[1] + c * p2[1] + d * p3[1]]);
  }
  return out;
}

/** Catmull-Rom spline through the points (open). */
export function spline(points: readonly Point[], perSegment: number): Point[] {
  if (points.length < 3) return points.slice();
  const out: Point[] = [];
  for (let i = 0; i + 1 < points.length; i++) {
    const p0 = points[Math.max(0, i - 1)]!;
    const p1 = points[i]!;
    const p2 = points[i + 1]!;
    const p3 = points[Math.min(points.length - 1, i + 2)]!;
    for (let s = 0; s < perSegment; s++) {
      const t = s / perSegment;
      const t2 = t * t;
      const t3 = t2 * t;
      const f = (a: number, b: number, c: number, d: number): number =>
        0.5 * (2 * b + (-a + c) * t + (2 * a - 5 * b + 4 * c - d) * t2 + (-a + 3 * b - 3 * c + d) * t3);
      out.push([f(p0[0], p1[0], p2[0], p3[0]), f(p0[1], p1[1], p2[1], p3[1])]);
    }
  }
  out.push(points[points.length - 1]!);
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Blur and resampling
// ---------------------------------------------------------------------------------------------------------------

function boxBlurRows(src: Float32Array, dst: Float32Array, w: number, h: number, r: number): void {
  // Running-sum box filter of radius r along each row, clamped edges.
  const inv = 1 / (2 * r + 1);
  for (let y = 0; y < h; y++) {
    const o = y * w;
    let acc = src[o]! * (r + 1);
    for (let i = 1; i <= r; i++) acc += src[o + Math.min(i, w - 1)]!;
    for (let i = 0; i < w; i++) {
      dst[o + i] = acc * inv;
      acc += src[o + Math.min(i + r + 1, w - 1)]! - src[o + Math.max(i - r, 0)]!;
    }
  }
}

function boxBlurColumns(
  src: Float32Array,
  dst: Float32Array,
  w: number,
  h: number,
  r: number,
  acc: Float64Array,
): void {
  // The same along columns, sweeping rows so that memory is read in order.
  const inv = 1 / (2 * r + 1);
  for (let x = 0; x < w; x++) acc[x] = src[x]! * (r + 1);
  for (let i = 1; i <= r; i++) {
    const o = Math.min(i, h - 1) * w;
    for (let x = 0; x < w; x++) acc[x] = acc[x]! + src[o + x]!;
  }
  for (let y = 0; y < h; y++) {
    const o = y * w;
    const add = Math.min(y + r + 1, h - 1) * w;
    const sub = Math.max(y - r, 0) * w;
    for (let x = 0; x < w; x++) {
      dst[o + x] = acc[x]! * inv;
      acc[x] = acc[x]! + src[add + x]! - src[sub + x]!;
    }
  }
}

/** Box radii whose three passes approximate a gaussian of the given sigma. */
function boxRadii(sigma: number): number[] {
  const n = 3;
  const wIdeal = Math.sqrt((12 * sigma * sigma) / n + 1);
  let wl = Math.floor(wIdeal);
  if (wl % 2 === 0) wl--;
  const wu = wl + 2;
  const mIdeal = (12 * sigma * sigma - n * wl * wl - 4 * n * wl - 3 * n) / (-4 * wl - 4);
  const m = Math.round(mIdeal);
  const radii: number[] = [];
  for (let i = 0; i < n; i++) radii.push(((i < m ? wl : wu) - 1) / 2);
  return radii;
}

/** In-place gaussian blur (three box passes per axis). */
export function gaussianBlur(plane: Plane, sigma: number): void {
  if (sigma < 0.3) return;
  const { width: w, height: h } = plane;
  const a = plane.data;
  const b = scratch(0, w * h);
  const acc = new Float64Array(w);
  for (const r of boxRadii(sigma)) {
    if (r < 1) continue;
    boxBlurRows(a, b, w, h, r);
    boxBlurColumns(b, a, w, h, r, acc);
  }
}

/** Average-pool by an integer factor. */
export function downsample(plane: Plane, factor: number): Plane {
  const w = Math.ceil(plane.width / factor);
  const h = Math.ceil(plane.height / factor);
  const out = Plane.acquire(w, h, false);
  const src = plane.data;
  const o = out.data;
  const rowSums = new Float32Array(w);
  for (let by = 0; by < h; by++) {
    rowSums.fill(0);
    const yEnd = Math.min(plane.height, (by + 1) * factor);
    for (let y = by * factor; y < yEnd; y++) {
      const row = y * plane.width;
      for (let bx = 0, x = 0; bx < w; bx++) {
        const xEnd = Math.min(plane.width, x + factor);
        let acc = 0;
        for (; x < xEnd; x++) acc += src[row + x]!;
        rowSums[bx] = rowSums[bx]! + acc;
      }
    }
    const rows = yEnd - by * factor;
    for (let bx = 0; bx < w; bx++) {
      const cols = Math.min(plane.width, (bx + 1) * factor) - bx * factor;
      o[by * w + bx] = rowSums[bx]! / (rows * cols);
    }
  }
  return out;
}

/** Small separable blur (5 taps) for sigma below ~1.2 pixels, in place; edges clamp. */
export function smallBlur(plane: Plane, sigma: number): void {
  if (sigma < 0.25) return;
  const k1 = Math.exp(-1 / (2 * sigma * sigma));
  const k2 = Math.exp(-4 / (2 * sigma * sigma));
  const norm = 1 + 2 * k1 + 2 * k2;
  const c0 = 1 / norm;
  const c1 = k1 / norm;
  const c2 = k2 / norm;
  const { width: w, height: h } = plane;
  const a = plane.data;
  const b = scratch(0, w * h);
  const clampX = (x: number): number => (x < 0 ? 0 : Math.min(x, w - 1));
  for (let y = 0; y < h; y++) {
    const o = y * w;
    for (const x of [0, 1, w - 2, w - 1]) {
      b[o + x] =
        c0 * a[o + x]! +
        c1 * (a[o + clampX(x - 1)]! + a[o + clampX(x + 1)]!) +
        c2 * (a[o + clampX(x - 2)]! + a[o + clampX(x + 2)]!);
    }
    for (let x = 2; x < w - 2; x++) {
      const i = o + x;
      b[i] = c0 * a[i]! + c1 * (a[i - 1]! + a[i + 1]!) + c2 * (a[i - 2]! + a[i + 2]!);
    }
  }
  for (let y = 0; y < h; y++) {
    const o = y * w;
    const om1 = (y > 0 ? y - 1 : 0) * w;
    const om2 = (y > 1 ? y - 2 : 0) * w;
    const op1 = (y < h - 1 ? y + 1 : h - 1) * w;
    const op2 = (y < h - 2 ? y + 2 : h - 1) * w;
    for (let x = 0; x < w; x++) {
      a[o + x] = c0 * b[o + x]! + c1 * (b[om1 + x]! + b[op1 + x]!) + c2 * (b[om2 + x]! + b[op2 + x]!);
    }
  }
}

/** Bilinear upsampling of a pooled plane back to width x height (horizontal pass per source row, then rows). */
export function upsample(small: Plane, factor: number, width: number, height: number): Plane {
  const out = Plane.acquire(width, height, false);
  const sw = small.width;
  const sh = small.height;
  const wide = new Float32Array(sh * width);
  const s = small.data;
  for (let x = 0; x < width; x++) {
    const sx = Math.min(sw - 1, Math.max(0, (x + 0.5) / factor - 0.5));
    const x0 = Math.floor(sx);
    const x1 = Math.min(sw - 1, x0 + 1);
    const tx = sx - x0;
    for (let y = 0; y < sh; y++) {
      const a = s[y * sw + x0]!;
      wide[y * width + x] = a + (s[y * sw + x1]! - a) * tx;
    }
  }
  const o = out.data;
  for (let y = 0; y < height; y++) {
    const sy = Math.min(sh - 1, Math.max(0, (y + 0.5) / factor - 0.5));
    const y0 = Math.floor(sy);
    const y1 = Math.min(sh - 1, y0 + 1);
    const ty = sy - y0;
    const r0 = y0 * width;
    const r1 = y1 * width;
    const row = y * width;
    for (let x = 0; x < width; x++) {
      const a = wide[r0 + x]!;
      o[row + x] = a + (wide[r1 + x]! - a) * ty;
    }
  }
  return out;
}

/** A wide gaussian blur done at low resolution (fast for large sigma). */
export function wideBlur(plane: Plane, sigma: number): Plane {
  const factor = Math.max(1, Math.min(8, Math.floor(sigma / 2.5)));
  if (factor === 1) {
    const copy = plane.clone();
    gaussianBlur(copy, sigma);
    return copy;
  }
  const small = downsample(plane, factor);
  gaussianBlur(small, sigma / factor);
  const out = upsample(small, factor, plane.width, plane.height);
  Plane.release(small);
  return out;
}
