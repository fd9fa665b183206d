/**
 * The left lateral (LL) view, anterior on the image left: chest wall and raised arms, both lungs superimposed,
 * the two hemidiaphragms (right higher, left silhouetted anteriorly by the heart) with the posterior costophrenic
 * sulci, heart and retrosternal clear space, ascending aorta, arch and descending aorta, trachea, hila, sternum,
 * thoracic spine with posterior elements, ribs and scapulae, gastric bubble.
 *
 * x runs anterior (0) to posterior (1); y is shared with the frontal view so a finding keeps its height.
 */
import { type Anatomy, interpolate, type LungSide, vertebraY } from "./anatomy";
import type { Rng } from "./prng";
import {
  addEllipse,
  addMask,
  addStroke,
  Plane,
  type Point,
  polygonMask,
  smallBlur,
  smoothstep,
  spline,
} from "./raster";
import { StageTimer, type StageTimes } from "./timing";
import { addFundusAir, parenchymalNoise, View } from "./view";

export class LateralView extends View {
  readonly a: Anatomy;
  /** Lung coverage (both lungs, 0..2 where both overlap). */
  readonly lungAll: Plane;
  /** Per pixel row: anterior and posterior lung borders (anatomical x). */
  readonly anterior: Float32Array;
  readonly posterior: Float32Array;

  constructor(a: Anatomy, size: number) {
    super(size, a.zoom, a.lateralShiftX, a.lateralShiftY);
    this.a = a;
    this.lungAll = Plane.acquire(size, size);
    this.anterior = new Float32Array(size);
    this.posterior = new Float32Array(size);
    for (let y = 0; y < size; y++) {
      const v = this.v(y);
      this.anterior[y] = lateralLungAnterior(a, v);
      this.posterior[y] = lateralLungPosterior(a, v);
    }
  }

  protected override planes(): Plane[] {
    return [...super.planes(), this.lungAll];
  }

  /** Pixel point at height y (anatomical) and depth fraction z (0 anterior lung border, 1 posterior). */
  lungPoint(v: number, z: number): [number, number] {
    const row = Math.min(this.size - 1, Math.max(0, Math.floor(this.Y(v))));
    const ant = this.anterior[row]!;
    const post = this.posterior[row]!;
    const x = ant + z * (post - ant);
    const floor = Math.min(hemidiaphragmY(this.a, "right", x), hemidiaphragmY(this.a, "left", x)) - 0.012;
    return this.P(x, Math.min(v, floor));
  }

  inLung(x: number, y: number): number {
    const xi = Math.floor(x);
    const yi = Math.floor(y);
    if (xi < 0 || yi < 0 || xi >= this.size || yi >= this.size) return 0;
    return this.lungAll.data[yi * this.size + xi]!;
  }
}

/** Anterior lung border (behind the sternum), anatomical x at height y. */
export function lateralLungAnterior(a: Anatomy, y: number): number {
  const t = (y - a.apexY) / (a.dome.right + 0.1 - a.apexY);
  const depth = a.apDepthScale;
  return (
    0.5 -
    (0.5 - a.sternumX - 0.028) *
      depth *
      interpolate(
        [
          [-0.02, 0.05],
          [0, 0.3],
          [0.05, 0.62],
          [0.15, 0.86],
          [0.3, 0.96],
          [0.6, 1],
          [1, 0.98],
        ],
        t,
      )
  );
}

/** Posterior lung border (posterior chest wall), anatomical x at height y. */
export function lateralLungPosterior(a: Anatomy, y: number): number {
  const t = (y - a.apexY) / (a.dome.right + 0.1 - a.apexY);
  const back = 0.865 + 0.02 * a.kyphosis;
  return (
    0.5 +
    (back - 0.5) *
      a.apDepthScale *
      interpolate(
        [
          [-0.02, 0.2],
          [0, 0.45],
          [0.05, 0.7],
          [0.15, 0.88],
          [0.35, 0.97],
          [0.7, 1],
          [1, 1],
        ],
        t,
      )
  );
}

/**
 * Hemidiaphragm height at anatomical x in the lateral view: a dome peaking in front of the middle, falling to
 * the anterior costophrenic angle and, lower, to the posterior costophrenic sulcus.
 */
export function hemidiaphragmY(a: Anatomy, side: LungSide, x: number): number {
  const dome = a.dome[side];
  const ant = lateralLungAnterior(a, dome);
  const post = lateralLungPosterior(a, dome + 0.05);
  const peak = ant + 0.38 * (post - ant);
  if (x <= peak) {
    const u = (peak - x) / (peak - ant);
    return dome + 0.045 * u * u;
  }
  const u = (x - peak) / (post - peak);
  return dome + (a.cpDepth[side] * 1.5 + 0.03) * u ** 1.8;
}

function heartGeometry(a: Anatomy): { cx: number; cy: number; rx: number; ry: number } {
  const size = a.ctr / 0.44;
  const ry = 0.145 * (0.85 + 0.15 * size);
  const rx = 0.16 * size ** 0.9;
  const ant = lateralLungAnterior(a, a.dome.right - 0.05);
  return { cx: ant + rx * 0.62, cy: a.dome.left - ry * 0.42, rx, ry };
}

// ---------------------------------------------------------------------------------------------------------------

function lateralBodyRow(
  base: Float32Array,
  row: number,
  xa: number,
  xb: number,
  front: number,
  back: number,
  depth: number,
  soft: number,
): void {
  const mid = (front + back) / 2;
  const half = (back - front) / 2;
  const inv = 1 / half;
  for (let x = xa; x < xb; x++) {
    const xc = x + 0.5;
    const q = Math.abs(xc - mid) * inv;
    const dEdge = half - Math.abs(xc - mid);
    if (dEdge <= -soft) continue;
    const edge = dEdge >= soft ? 1 : smoothstep(-soft, soft, dEdge);
    // Flatter than an ellipse: the lateral beam crosses the full chest width almost everywhere.
    const c = 1 - q * q * q * q;
    base[row + x] = base[row + x]! + depth * (c > 0 ? Math.sqrt(c) : 0) * edge;
  }
}

function drawLateralBody(view: LateralView): void {
  const a = view.a;
  const S = view.size;
  const base = view.base.data;
  const front = (v: number): number =>
    interpolate(
      [
        [a.apexY - 0.16, 0.36],
        [a.apexY - 0.05, 0.3],
        [a.apexY + 0.03, a.sternumX - 0.03],
        [a.apexY + 0.25, a.sternumX - 0.045 - 0.02 * a.habitus],
        [a.dome.right + 0.02, a.sternumX - 0.05 - 0.035 * a.habitus],
        [1.1, a.sternumX - 0.06 - 0.06 * a.habitus],
      ],
      v,
    );
  const back = (v: number): number =>
    interpolate(
      [
        [a.apexY - 0.16, 0.66],
        [a.apexY - 0.05, 0.74],
        [a.apexY + 0.08, 0.93 + 0.02 * a.kyphosis],
        [a.apexY + 0.35, 0.95 + 0.03 * a.kyphosis],
        [a.dome.right + 0.1, 0.93],
        [1.1, 0.91],
      ],
      v,
    );
  const depth = (v: number): number =>
    a.bodyDepth *
    interpolate(
      [
        [a.apexY - 0.12, 0.7],
        [a.apexY, 1.15],
        [a.apexY + 0.2, 1.25],
        [1.1, 1.3],
      ],
      v,
    );
  for (let y = 0; y < S; y++) {
    const v = view.v(y);
    const f = view.X(front(v));
    const b = view.X(back(v));
    const xa = Math.max(0, Math.floor(f - 3));
    const xb = Math.min(S, Math.ceil(b + 3));
    lateralBodyRow(base, y * S, xa, xb, f, b, depth(v), 1.5 * view.soft);
  }
  // Raised arms over the upper chest, with the humeral shafts.
  const lift = a.armsUp;
  for (const offset of [0, 0.03]) {
    const arm: Point[] = [
      view.P(0.3 + offset, -0.08),
      view.P(0.4 + offset + 0.05 * lift, a.apexY + 0.02),
      view.P(0.5 + offset + 0.05 * lift, a.apexY + 0.14 - 0.04 * lift),
    ];
    addStroke(view.base, spline(arm, 5), view.L(0.09), 0.1 * a.bodyDepth, { profile: "tube", soft: 6 * view.soft });
    const humerus: Point[] = [
      view.P(0.33 + offset, -0.05),
      view.P(0.43 + offset + 0.04 * lift, a.apexY + 0.05 - 0.03 * lift),
    ];
    addStroke(view.base, humerus, view.L(0.016), 0.07 * a.boneDensity, { profile: "cortical", shell: 0.3, core: 0.3 });
  }
  if (a.breast > 0) {
    const [px, py] = view.P(a.sternumX - 0.05, a.dome.right - 0.07);
    addEllipse(view.base, px, py, view.L(0.07 + 0.05 * a.breast), view.L(0.09 + 0.04 * a.breast), 0.12 * a.breast, {
      profile: "gauss",
    });
  }
}

function lateralLungRow(
  all: Float32Array,
  air: Float32Array,
  row: number,
  yc: number,
  x0: number,
  x1: number,
  xAnt: number,
  xPost: number,
  diaR: Float32Array,
  diaL: Float32Array,
  soft: number,
  top: number,
  ramp: number,
  rowFactor: number,
): void {
  const invRamp = 1 / ramp;
  for (let x = x0; x < x1; x++) {
    const xc = x + 0.5;
    const dA = xc - xAnt;
    const dP = xPost - xc;
    if (dA <= -soft || dP <= -6 * soft) continue;
    const h =
      (dA >= soft ? 1 : smoothstep(-soft, soft, dA)) * (dP >= 6 * soft ? 1 : smoothstep(-6 * soft, 6 * soft, dP));
    const dr = diaR[x]! - yc;
    const dl = diaL[x]! - yc;
    const cr = dr >= soft ? 1 : dr <= -soft ? 0 : smoothstep(-soft, soft, dr);
    const cl = dl >= soft ? 1 : dl <= -soft ? 0 : smoothstep(-soft, soft, dl);
    const cov = h * top * (cr + cl) * 0.5;
    if (cov <= 0) continue;
    const i = row + x;
    all[i] = cov;
    let e = Math.min(dA, dP);
    const ev = Math.max(dr, dl) * 0.7;
    if (ev < e) e = ev;
    e *= invRamp;
    e = e < 0 ? 0 : Math.min(e, 1);
    air[i] = cov * (0.4 + 0.6 * Math.sqrt(e)) * rowFactor;
  }
}

function drawLateralLungs(view: LateralView): void {
  const a = view.a;
  const S = view.size;
  const soft = view.soft;
  const diaR = new Float32Array(S);
  const diaL = new Float32Array(S);
  for (let x = 0; x < S; x++) {
    const u = view.u(x);
    diaR[x] = view.Y(hemidiaphragmY(a, "right", u));
    diaL[x] = view.Y(hemidiaphragmY(a, "left", u));
  }
  const apexPx = view.Y(a.apexY + 0.01);
  const fadePx = view.L(0.04);
  const ramp = view.L(0.2);
  for (let y = 0; y < S; y++) {
    const v = view.v(y);
    if (v < a.apexY - 0.03 || v > a.dome.left + 0.2) continue;
    const xAnt = view.X(view.anterior[y]!);
    const xPost = view.X(view.posterior[y]!);
    if (xPost <= xAnt) continue;
    const dTop = y + 0.5 - apexPx;
    const top = dTop >= fadePx ? 1 : dTop <= -fadePx ? 0 : smoothstep(-fadePx, fadePx, dTop);
    const rowFactor = (0.55 + 0.45 * smoothstep(a.apexY, a.apexY + 0.22, v)) * a.lungAir;
    lateralLungRow(
      view.lungAll.data,
      view.air.data,
      y * S,
      y + 0.5,
      Math.max(0, Math.floor(xAnt - 2)),
      Math.min(S, Math.ceil(xPost + 3)),
      xAnt,
      xPost,
      diaR,
      diaL,
      soft,
      top,
      ramp,
      rowFactor,
    );
  }
}

function drawLateralHeart(view: LateralView): void {
  const a = view.a;
  const S = view.size;
  const h = heartGeometry(a);
  // The heart displaces the medial lung: in the lateral projection the beam still crosses lung on both sides of
  // it, so the heart is a moderately dense oval, not a white one.
  const [cx, cy] = view.P(h.cx, h.cy);
  const heartMask = Plane.acquire(S, S);
  addEllipse(heartMask, cx, cy, view.L(h.rx), view.L(h.ry), 1, { angle: -0.45, soft: view.soft * 4, profile: "dome" });
  // Left atrium bulge posteriorly-superiorly.
  addEllipse(
    heartMask,
    cx + view.L(h.rx * 0.45),
    cy - view.L(h.ry * 0.45),
    view.L(h.rx * 0.5),
    view.L(h.ry * 0.42),
    0.7,
    {
      soft: view.soft * 4,
      profile: "dome",
    },
  );
  // The heart's anterior surface lies against the lower sternum: no lung in between.
  const front: Point[] = [];
  const back: Point[] = [];
  for (let k = 0; k <= 8; k++) {
    const v = h.cy - h.ry * 0.35 + (k / 8) * h.ry * 1.2;
    front.push(view.P(lateralLungAnterior(a, v) - 0.01, v));
    back.push(view.P(h.cx - h.rx * 0.2, v));
  }
  addMask(heartMask, polygonMask(heartMask, [...front, ...back.reverse()], view.soft * 4), 1);
  const m = heartMask.data;
  const air = view.air.data;
  const base = view.base.data;
  for (let i = 0; i < m.length; i++) {
    const k = Math.min(m[i]!, 1);
    if (k <= 0) continue;
    air[i] = air[i]! * (1 - 0.42 * k);
    base[i] = base[i]! + 0.01 * k;
  }
  Plane.release(heartMask);
  // Ascending aorta, arch and descending aorta.
  const top = h.cy - h.ry * 0.8;
  const aorta: Point[] = spline(
    [
      view.P(h.cx + h.rx * 0.15, top + 0.02),
      view.P(h.cx + h.rx * 0.2, a.knobY + 0.02),
      view.P(0.5, a.knobY - 0.035),
      view.P(a.spineFrontX - 0.035, a.knobY - 0.005),
      view.P(a.spineFrontX - 0.022, a.knobY + 0.12),
      view.P(a.spineFrontX - 0.018 + a.aortaBulge, a.dome.left - 0.02),
    ],
    5,
  );
  const radii = aorta.map((_, i, all) => view.L(0.03 - (0.008 * i) / all.length));
  addStroke(view.base, aorta, radii, 0.03, { profile: "gauss", soft: view.soft * 3 });
}

function drawLateralAirways(view: LateralView): void {
  const a = view.a;
  const carina: [number, number] = [0.555, a.carinaY];
  const trachea: Point[] = spline(
    [view.P(0.47, -0.05), view.P(0.5, a.apexY), view.P(0.53, a.knobY), view.P(carina[0], carina[1])],
    5,
  );
  addStroke(view.base, trachea, view.L(0.013), -0.09, { profile: "tube", soft: view.soft * 1.5 });
  // Upper lobe bronchi seen end-on and the hilar vessels.
  const [bx, by] = view.P(carina[0] + 0.005, carina[1] + 0.03);
  addEllipse(view.base, bx, by, view.L(0.01), view.L(0.011), -0.06, { profile: "dome", soft: view.soft });
  const [rx, ry] = view.P(carina[0] - 0.04, a.hilumY.right + 0.005);
  addEllipse(view.vessels, rx, ry, view.L(0.028 * a.hilumSize), view.L(0.022 * a.hilumSize), 0.08, {
    profile: "gauss",
  });
  const leftPa: Point[] = spline(
    [
      view.P(carina[0] - 0.02, a.hilumY.left - 0.01),
      view.P(carina[0] + 0.03, a.hilumY.left - 0.03),
      view.P(carina[0] + 0.07, a.hilumY.left + 0.02),
    ],
    5,
  );
  addStroke(view.vessels, leftPa, view.L(0.013 * a.hilumSize), 0.07, { profile: "tube", soft: view.soft * 2 });
}

function drawLateralSpine(view: LateralView): void {
  const a = view.a;
  const dens = a.boneDensity;
  for (let n = -1; n <= 15; n++) {
    const y = vertebraY(a, n);
    const t = (n - 1) / 11;
    // Thoracic kyphosis: mid-thoracic bodies sit more posteriorly.
    const curve = Math.sin(Math.PI * Math.min(1, Math.max(0, t))) * (0.025 + 0.025 * a.kyphosis);
    const front = a.spineFrontX + curve - 0.01 * Math.max(0, -t);
    const depth = 0.075 + 0.012 * Math.min(n, 14) ** 0.5;
    const h = a.vertebraStep * 0.76;
    const tilt = Math.cos(Math.PI * Math.min(1, Math.max(0, t))) * 0.12 * (1 + a.kyphosis * 0.5);
    // A wedge compression fracture loses anterior height; its endplates become sclerotic.
    const wedged = a.wedge?.level === n;
    const frontH = wedged ? h * a.wedge!.ratio : h;
    const corners: Array<[number, number]> = [
      [front, y + h / 2 - frontH],
      [front + depth, y - h / 2 - tilt * depth],
      [front + depth, y + h / 2 - tilt * depth],
      [front, y + h / 2],
    ];
    const pts = corners.map(([x, yy]) => view.P(x, yy));
    const bodyMask = polygonMask(view.base, pts, view.soft * 1.2);
    // Lower vertebrae look more lucent on a normal lateral (less overlapping shoulder soft tissue).
    const fade = 1 - 0.25 * Math.min(1, Math.max(0, t));
    addMask(view.base, bodyMask, (wedged ? 0.07 : 0.045) * dens * fade);
    addStroke(view.base, [...pts, pts[0]!], view.L(0.0025), 0.03 * dens * fade, { profile: "tube", soft: view.soft });
    // Pedicle, lamina and spinous process behind the body.
    const [px, py] = view.P(front + depth + 0.02, y - h * 0.15);
    addEllipse(view.base, px, py, view.L(0.018), view.L(0.012), 0.05 * dens * fade, {
      profile: "sphere-shell",
      angle: 0.3,
    });
    const spinous: Point[] = [view.P(front + depth + 0.035, y - h * 0.1), view.P(front + depth + 0.1, y + h * 0.9)];
    addStroke(view.base, spinous, view.L(0.006), 0.05 * dens * fade, { profile: "cortical", shell: 0.35, core: 0.4 });
  }
}

function drawLateralBones(view: LateralView): void {
  const a = view.a;
  const dens = a.boneDensity;
  // Sternum: manubrium and body, gently convex anteriorly.
  const top = a.clavicleY - 0.005;
  const bottom = a.dome.right - 0.015;
  const sternum: Point[] = spline(
    [
      view.P(a.sternumX + 0.012, top),
      view.P(a.sternumX - 0.002, top + (bottom - top) * 0.35),
      view.P(a.sternumX + 0.003, top + (bottom - top) * 0.75),
      view.P(a.sternumX + 0.018, bottom),
    ],
    6,
  );
  const sternumRadii = sternum.map((_, i, all) => view.L(i < all.length * 0.22 ? 0.015 : 0.011));
  addStroke(view.base, sternum, sternumRadii, 0.12 * dens, { profile: "cortical", shell: 0.3, core: 0.35 });
  // Ribs of both sides as oblique arcs, the far side magnified and offset.
  for (let n = 2; n <= 10; n++) {
    for (const [scale, offset, amp] of [[n % 2 === 0 ? 1 : 1.05, n % 2 === 0 ? 0 : 0.03, 0.05]] as const) {
      const y0 = vertebraY(a, n) + offset;
      const post = 0.86 + 0.01 * a.kyphosis;
      const pts: Point[] = spline(
        [
          view.P(a.spineFrontX + 0.06, y0),
          view.P(post, y0 + 0.02 * scale),
          view.P(0.72, y0 + 0.1 * scale),
          view.P(0.5, y0 + 0.17 * scale),
          view.P(a.sternumX + 0.06, y0 + 0.2 * scale),
        ],
        4,
      );
      const weights = pts.map((_, i, all) => 1 - 0.7 * (i / (all.length - 1)));
      addStroke(view.base, pts, view.L(0.008), amp * dens, {
        profile: "cortical",
        shell: 0.3,
        core: 0.25,
        weights,
      });
    }
  }
  // Scapulae: faint blades with their lateral borders over the upper posterior chest.
  for (const shift of [0, 0.025]) {
    const border: Point[] = spline(
      [view.P(0.72 + shift, a.apexY - 0.02), view.P(0.7 + shift, a.apexY + 0.12), view.P(0.74 + shift, a.apexY + 0.28)],
      5,
    );
    addStroke(view.base, border, view.L(0.005), 0.045 * dens, { profile: "tube" });
    const blade = polygonMask(
      view.base,
      [
        view.P(0.72 + shift, a.apexY - 0.02),
        view.P(0.86 + shift, a.apexY - 0.03),
        view.P(0.84 + shift, a.apexY + 0.2),
        view.P(0.74 + shift, a.apexY + 0.28),
      ],
      view.soft * 3,
    );
    addMask(view.base, blade, 0.025 * dens);
  }
}

function drawLateralAbdomen(view: LateralView): void {
  const a = view.a;
  const x = lateralLungAnterior(a, a.dome.left) + 0.1;
  const topY = hemidiaphragmY(a, "left", x) + 0.016;
  const rx = 0.03 + 0.025 * a.gastricBubble;
  const ry = 0.016 + 0.016 * a.gastricBubble;
  addFundusAir(view, x, topY, rx, ry, -0.2 * a.gastricBubble);
}

function drawLateralVessels(view: LateralView, rng: Rng): void {
  const a = view.a;
  const scale = view.size / 512;
  const [hx, hy] = view.P(0.53, (a.hilumY.left + a.hilumY.right) / 2);
  for (let k = 0; k < 16; k++) {
    let angle = rng.range(0, Math.PI * 2);
    let x = hx + rng.gauss(0, 6) * scale;
    let y = hy + rng.gauss(0, 6) * scale;
    let r = view.L(rng.range(0.004, 0.006));
    const pts: Point[] = [[x, y]];
    const radii = [r];
    for (let step = 0; step < 18 && r > 0.5 * scale; step++) {
      angle += rng.gauss(0, 0.12);
      const len = r * 2.4 + 3 * scale;
      x += Math.cos(angle) * len;
      y += Math.sin(angle) * len;
      if (view.inLung(x, y) < 0.3) break;
      r *= 0.9;
      pts.push([x, y]);
      radii.push(r);
    }
    if (pts.length > 1) {
      const weights = radii.map((rr) => Math.min(1.2, Math.sqrt(rr / (3 * scale))));
      addStroke(view.vessels, pts, radii, 0.06, { profile: "tube", weights, soft: view.soft * 1.2 });
    }
  }
  smallBlur(view.vessels, 0.9 * scale);
  // Parenchymal texture.
  const noise = parenchymalNoise(view.size, rng);
  const n = noise.data;
  const v = view.vessels.data;
  const lung = view.lungAll.data;
  for (let i = 0; i < v.length; i++) v[i] = (v[i]! + 0.005 * n[i]!) * Math.min(1, lung[i]! * 1.2);
  Plane.release(noise);
}

export function drawLateralAnatomy(a: Anatomy, size: number, rng: Rng, times?: StageTimes): LateralView {
  const timer = new StageTimer(times);
  const view = new LateralView(a, size);
  drawLateralBody(view);
  timer.mark("lateral body");
  drawLateralLungs(view);
  timer.mark("lateral lungs");
  drawLateralHeart(view);
  drawLateralAirways(view);
  drawLateralAbdomen(view);
  timer.mark("lateral mediastinum");
  drawLateralSpine(view);
  drawLateralBones(view);
  timer.mark("lateral bones");
  drawLateralVessels(view, rng);
  timer.mark("lateral vessels");
  return view;
}

export { heartGeometry as lateralHeartGeometry };
