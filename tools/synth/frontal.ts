/**
 * The frontal (PA) view: body and soft tissue, lungs with vascular markings, cardiomediastinal silhouette with
 * aortic knob, trachea and main bronchi, hemidiaphragms with costophrenic angles, gastric bubble, ribs
 * (posterior and anterior arcs), clavicles, scapulae, humeral heads, thoracic spine, breast shadows.
 * Patient's right is on the image left.
 */
import {
  type Anatomy,
  cpY,
  diaphragmY,
  interpolate,
  type LungSide,
  lungAnatomical,
  lungLateral,
  lungMedial,
  spineX,
  vertebraY,
} from "./anatomy";
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

export const SIDES: readonly LungSide[] = ["right", "left"];

/** -1 for the patient's right (image left), +1 for the patient's left. */
export function sideSign(side: LungSide): number {
  return side === "right" ? -1 : 1;
}

export class FrontalView extends View {
  readonly a: Anatomy;
  /** Per side: aerated lung coverage (1 in the lung, 0 outside), before findings. */
  readonly lung: Record<LungSide, Plane>;
  /** Combined lung coverage including the retrocardiac part. */
  readonly lungAll: Plane;

  /** Per pixel row: lateral and medial lung border offsets from the midline (anatomical units). */
  readonly rows: { lateral: Record<LungSide, Float32Array>; medial: Record<LungSide, Float32Array> };

  constructor(a: Anatomy, size: number) {
    super(size, a.zoom, a.shiftX, a.shiftY);
    this.a = a;
    this.lung = { right: Plane.acquire(size, size), left: Plane.acquire(size, size) };
    this.lungAll = Plane.acquire(size, size);
    const table = (f: (side: LungSide, v: number) => number): Record<LungSide, Float32Array> => {
      const out = { right: new Float32Array(size), left: new Float32Array(size) };
      for (const side of SIDES) for (let y = 0; y < size; y++) out[side][y] = f(side, this.v(y));
      return out;
    };
    this.rows = {
      lateral: table((side, v) => lungLateral(a, side, v)),
      medial: table((side, v) => lungMedial(a, side, v)),
    };
  }

  protected override planes(): Plane[] {
    return [...super.planes(), this.lung.right, this.lung.left, this.lungAll];
  }

  /** Medial border offset at pixel row y (clamped). */
  medialAt(side: LungSide, y: number): number {
    return this.rows.medial[side][Math.min(this.size - 1, Math.max(0, Math.floor(y)))]!;
  }

  /** Pixel position of a lung point (see lungAnatomical). */
  lungPoint(side: LungSide, t: number, m: number): [number, number] {
    const { u, v } = lungAnatomical(this.a, side, t, m);
    return this.P(u, v);
  }

  /** Lung coverage of one side at pixel (x, y). */
  inLung(side: LungSide, x: number, y: number): number {
    const xi = Math.floor(x);
    const yi = Math.floor(y);
    if (xi < 0 || yi < 0 || xi >= this.size || yi >= this.size) return 0;
    return this.lung[side].data[yi * this.size + xi]!;
  }
}

// ---------------------------------------------------------------------------------------------------------------

/** One row of the torso: path length through an elliptical cross-section, (1 - q^2)^0.375 with a soft edge. */
function bodyRow(
  base: Float32Array,
  row: number,
  us: Float32Array,
  xa: number,
  xb: number,
  inv: number,
  e0: number,
  e1: number,
  depth: number,
): void {
  for (let x = xa; x < xb; x++) {
    const q = Math.abs(us[x]!) * inv;
    if (q >= e0) continue;
    const edge = q <= e1 ? 1 : smoothstep(e0, e1, q);
    const c = Math.sqrt(Math.max(1e-9, 1 - q * q));
    base[row + x] = base[row + x]! + depth * c * Math.sqrt(Math.sqrt(1 / c)) * edge;
  }
}

function drawBody(view: FrontalView): void {
  const a = view.a;
  const S = view.size;
  const base = view.base.data;
  const shoulderY = a.clavicleY - a.clavicleTilt - 0.01;
  const torso = (v: number): number =>
    interpolate(
      [
        [shoulderY - 0.14, 0.075 + 0.02 * a.habitus],
        [shoulderY - 0.07, 0.09 + 0.02 * a.habitus],
        [shoulderY - 0.03, 0.2],
        [shoulderY + 0.01, 0.4],
        [shoulderY + 0.06, 0.47 + a.softTissue * 0.5],
        [shoulderY + 0.14, 0.45 + a.softTissue * 0.5],
        [a.apexY + 0.25, Math.max(a.halfWidth.right, a.halfWidth.left) + 0.015 + a.softTissue],
        [a.dome.right + 0.1, Math.max(a.halfWidth.right, a.halfWidth.left) + 0.01 + a.softTissue * 1.1],
        [1.1, Math.max(a.halfWidth.right, a.halfWidth.left) + 0.02 + a.softTissue * 1.3],
      ],
      v,
    );
  const depth = (v: number): number =>
    a.bodyDepth *
    interpolate(
      [
        [shoulderY - 0.1, 0.45],
        [shoulderY, 0.7],
        [a.apexY + 0.12, 0.95],
        [a.dome.right, 1],
        [1.1, 1.06],
      ],
      v,
    );
  const us = new Float32Array(S);
  for (let x = 0; x < S; x++) us[x] = view.u(x) - a.midX;
  for (let y = 0; y < S; y++) {
    const v = view.v(y);
    const half = torso(v);
    const d = depth(v);
    const inv = 1 / half;
    const e0 = 1.0 + 0.6 / (S * half);
    const e1 = 1.0 - 0.6 / (S * half);
    const xa = Math.max(0, Math.floor(view.X(a.midX - half * 1.03)));
    const xb = Math.min(S, Math.ceil(view.X(a.midX + half * 1.03)));
    bodyRow(base, y * S, us, xa, xb, inv, e0, e1, d);
  }
  // Upper arms along the sides (hands on hips), partly outside the field.
  for (const side of SIDES) {
    const s = sideSign(side);
    const w = a.halfWidth[side];
    const armX = a.midX + s * (w + a.softTissue + 0.14 + 0.02 * a.habitus);
    const arm: Point[] = [
      view.P(armX - s * 0.03, shoulderY + 0.02),
      view.P(armX, shoulderY + 0.25),
      view.P(armX + s * 0.025, shoulderY + 0.6),
    ];
    addStroke(view.base, spline(arm, 6), view.L(0.06 + 0.012 * a.habitus), 0.38 * a.bodyDepth, {
      profile: "tube",
      soft: 3 * view.soft,
    });
  }
  // Breasts (female) or pectoral soft tissue.
  for (const side of SIDES) {
    const s = sideSign(side);
    const w = a.halfWidth[side];
    if (a.breast > 0) {
      const cy = a.dome[side] - 0.05 - 0.02 * a.breast;
      const cx = a.midX + s * w * 0.6;
      const rx = view.L(0.11 + 0.06 * a.breast);
      const ry = view.L(0.085 + 0.05 * a.breast);
      const [px, py] = view.P(cx, cy);
      // The breast has a sharp inferolateral margin and blends superiorly.
      addEllipse(view.base, px, py, rx, ry, 0.22 * a.breast, {
        profile: "dome",
        soft: 1.5 * view.soft,
        angle: s * 0.25,
        rowWeight: (y) => 0.25 + 0.75 * smoothstep(py - ry * 1.1, py + ry * 0.1, y),
      });
    } else {
      const [px, py] = view.P(a.midX + s * w * 0.65, a.apexY + 0.14);
      addEllipse(view.base, px, py, view.L(0.14), view.L(0.09), 0.06, { profile: "gauss" });
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------

/** One row of one lung: coverage between chest wall and cardiomediastinal border, above the diaphragm; the
 * retrocardiac part (medial of the heart border, lateral of the paraspinal line) counts 0.4. The air path is
 * thinner near the chest wall, the mediastinum and the diaphragm (ramp in pixels) and scaled by rowFactor. */
function lungRow(
  mask: Float32Array,
  all: Float32Array,
  air: Float32Array,
  dia: Float32Array,
  y: number,
  S: number,
  x0: number,
  x1: number,
  s: number,
  xLat: number,
  xMed: number,
  xRetro: number,
  soft: number,
  top: number,
  ramp: number,
  rowFactor: number,
): void {
  const latSoft = soft * 1.4;
  const yc = y + 0.5;
  const invRamp = 1 / ramp;
  for (let x = x0; x < x1; x++) {
    const xc = x + 0.5;
    const dLat = (xc - xLat) * -s; // > 0 inside the chest wall
    if (dLat <= -latSoft) continue;
    const dMed = (xc - xMed) * s; // > 0 lateral of the cardiomediastinal border
    const dRetro = (xc - xRetro) * s; // > 0 lateral of the paraspinal line
    if (dRetro <= -2 * soft) continue;
    const yd = dia[x]!;
    if (yd < 0) continue;
    const dv = yd - yc;
    if (dv <= -soft) continue;
    const vcov = dv >= soft ? top : top * smoothstep(-soft, soft, dv);
    const hLat = dLat >= latSoft ? 1 : smoothstep(-latSoft, latSoft, dLat);
    const hMed = dMed >= soft ? 1 : dMed <= -soft ? 0 : smoothstep(-soft, soft, dMed);
    const hRetro = (dRetro >= 2 * soft ? 1 : smoothstep(-2 * soft, 2 * soft, dRetro)) * (1 - hMed);
    const cov = hLat * (hMed + 0.22 * hRetro) * vcov;
    if (cov <= 0) continue;
    const i = y * S + x;
    const lungCov = hLat * hMed * vcov;
    const m = mask[i]! + lungCov;
    mask[i] = Math.min(m, 1);
    const c = all[i]! + cov;
    all[i] = Math.min(c, 1.2);
    // distance to the nearest border, as a fraction of the ramp
    let e = Math.min(dLat, dMed);
    if (hMed < 0.5) e = Math.min(dLat, dRetro);
    const ev = dv * 0.6;
    if (ev < e) e = ev;
    e *= invRamp;
    e = e < 0 ? 0 : Math.min(e, 1);
    air[i] = air[i]! + cov * (0.45 + 0.55 * Math.sqrt(e)) * rowFactor;
  }
}

function drawLungs(view: FrontalView): void {
  const a = view.a;
  const S = view.size;
  const soft = view.soft;
  const all = view.lungAll.data;
  const air = view.air.data;
  const ramp = view.L(0.11);
  for (const side of SIDES) {
    const s = sideSign(side);
    const mask = view.lung[side].data;
    const dia = new Float32Array(S);
    for (let x = 0; x < S; x++) {
      const dx = (view.u(x) - a.midX) * s;
      dia[x] = dx <= 0 ? -1 : view.Y(diaphragmY(a, side, dx));
    }
    const bottom = cpY(a, side) + 0.01;
    const yApexPx = view.Y(a.apexY);
    const lat = view.rows.lateral[side];
    const med = view.rows.medial[side];
    for (let y = 0; y < S; y++) {
      const v = view.v(y);
      if (v < a.apexY - 0.01 || v > bottom || lat[y]! <= 0) continue;
      const medial = Math.min(med[y]!, lat[y]!);
      // Retrocardiac lung reaches the paraspinal line behind the heart.
      const paraspinal = side === "right" ? 0.032 : a.aortaEdge + a.aortaBulge * 0.5;
      const retro = v > a.hilumY[side] ? Math.min(medial, paraspinal) : medial;
      const xLat = view.X(a.midX + s * lat[y]!);
      const xMed = view.X(a.midX + s * medial);
      const xRetro = view.X(a.midX + s * retro);
      const x0 = Math.max(0, Math.floor(Math.min(xLat, xRetro) - 2));
      const x1 = Math.min(S, Math.ceil(Math.max(xLat, xRetro) + 2));
      const yTop = y + 0.5 - yApexPx;
      const top = yTop >= soft ? 1 : yTop <= -soft ? 0 : smoothstep(-soft, soft, yTop);
      const rowFactor = (0.72 + 0.28 * smoothstep(a.apexY, a.apexY + 0.3, v)) * a.lungAir;
      lungRow(mask, all, air, dia, y, S, x0, x1, s, xLat, xMed, xRetro, soft, top, ramp, rowFactor);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------

function drawMediastinum(view: FrontalView): void {
  const a = view.a;
  const S = view.size;
  const base = view.base.data;
  // Extra density of the heart between the cardiac borders (the heart is thicker than the superior mediastinum).
  for (let y = 0; y < S; y++) {
    const v = view.v(y);
    if (v < a.heartTopY - 0.03 || v > a.dome.left + 0.08) continue;
    const r = view.rows.medial.right[y]!;
    const l = view.rows.medial.left[y]!;
    const xa = view.X(a.midX - r);
    const xb = view.X(a.midX + l);
    const fadeTop = smoothstep(a.heartTopY - 0.06, a.heartTopY + 0.1, v);
    const fadeBottom = smoothstep(a.dome.left + 0.08, a.dome.right, v);
    for (let x = Math.max(0, Math.floor(xa)); x < Math.min(S, Math.ceil(xb)); x++) {
      const q = ((x + 0.5 - xa) / (xb - xa)) * 2 - 1;
      base[y * S + x] = base[y * S + x]! + 0.14 * Math.sqrt(Math.max(0, 1 - q * q)) * fadeTop * fadeBottom;
    }
  }
  // Descending aorta: a soft band left of the spine, from the knob to the diaphragm.
  const aorta: Point[] = [];
  const radii: number[] = [];
  for (let k = 0; k <= 12; k++) {
    const v = a.knobY + (k / 12) * (a.dome.left + 0.02 - a.knobY);
    const bulge = a.aortaBulge * Math.sin((Math.PI * k) / 12);
    aorta.push(view.P(a.midX + a.aortaEdge - 0.013 + bulge, v));
    radii.push(view.L(0.013 + (k === 0 ? 0.004 : 0)));
  }
  addStroke(view.base, aorta, radii, 0.06, { profile: "tube", soft: view.soft * 1.5 });
  // Aortic arch seen end-on at the knob.
  const [kx, ky] = view.P(a.midX + a.knob - 0.018, a.knobY);
  addEllipse(view.base, kx, ky, view.L(0.02), view.L(0.022), 0.05, { profile: "dome", soft: view.soft });
}

function drawAirways(view: FrontalView): void {
  const a = view.a;
  const carina: [number, number] = [a.midX + 0.004, a.carinaY];
  const trachea: Point[] = [
    view.P(a.midX + 0.0, -0.05),
    view.P(a.midX - 0.002, a.apexY),
    view.P(a.midX - 0.004, a.knobY),
    view.P(carina[0], carina[1] - 0.01),
  ];
  addStroke(view.base, spline(trachea, 6), view.L(a.tracheaHalf), -0.13, { profile: "tube", soft: view.soft * 1.5 });
  const right: Point[] = [
    view.P(carina[0] - 0.012, carina[1] + 0.012),
    view.P(a.midX - 0.035, a.carinaY + 0.03),
    view.P(a.midX - 0.06, a.carinaY + 0.065),
  ];
  const left: Point[] = [
    view.P(carina[0] + 0.012, carina[1] + 0.01),
    view.P(a.midX + 0.04, a.carinaY + 0.028),
    view.P(a.midX + 0.075, a.carinaY + 0.06),
  ];
  addStroke(
    view.base,
    spline(right, 5),
    [view.L(0.012), view.L(0.011), view.L(0.008)].flatMap((r) => [r, r, r, r, r]).slice(0, 11),
    -0.1,
    {
      profile: "tube",
      soft: view.soft,
    },
  );
  addStroke(
    view.base,
    spline(left, 5),
    [view.L(0.011), view.L(0.01), view.L(0.007)].flatMap((r) => [r, r, r, r, r]).slice(0, 11),
    -0.1,
    {
      profile: "tube",
      soft: view.soft,
    },
  );
}

function drawAbdomen(view: FrontalView): void {
  const a = view.a;
  // Gastric fundus air under the left hemidiaphragm, with a flat fluid level.
  const w = a.halfWidth.left;
  const cx = a.midX + w * 0.5;
  const top = diaphragmY(a, "left", w * 0.5) + 0.018;
  const rx = 0.035 + 0.03 * a.gastricBubble;
  const ry = 0.018 + 0.02 * a.gastricBubble;
  addFundusAir(view, cx, top, rx, ry, -0.22 * a.gastricBubble);
}

// ---------------------------------------------------------------------------------------------------------------

function drawSpine(view: FrontalView): void {
  const a = view.a;
  const bone = view.base;
  const dens = a.boneDensity;
  for (let n = -1; n <= 15; n++) {
    const y = vertebraY(a, n);
    const sx = spineX(a, y);
    const width = a.vertebraWidth * (n <= 0 ? 0.85 : 1 + 0.022 * Math.min(n, 14));
    const wedged = a.wedge?.level === n;
    const h = a.vertebraStep * 0.74 * (wedged ? 0.6 + 0.4 * a.wedge!.ratio : 1);
    const [cx, cy] = view.P(sx, y);
    const hw = view.L(width / 2);
    const hh = view.L(h / 2);
    const r = Math.min(hw, hh) * 0.35;
    // Vertebral body: rounded rectangle with a brighter cortical rim.
    const pts: Point[] = [];
    const corners: Array<[number, number, number]> = [
      [cx + hw - r, cy - hh + r, -Math.PI / 2],
      [cx + hw - r, cy + hh - r, 0],
      [cx - hw + r, cy + hh - r, Math.PI / 2],
      [cx - hw + r, cy - hh + r, Math.PI],
    ];
    for (const [ox, oy, start] of corners) {
      for (let k = 0; k <= 4; k++) {
        const ang = start + (k / 4) * (Math.PI / 2);
        pts.push([ox + r * Math.cos(ang), oy + r * Math.sin(ang)]);
      }
    }
    const body = polygonMask(bone, pts, view.soft * 1.2);
    addMask(bone, body, (wedged ? 0.05 : 0.02) * dens);
    const rimPts = [...pts, pts[0]!];
    addStroke(bone, rimPts, view.L(0.0025), 0.016 * dens, { profile: "tube", soft: view.soft * 1.5 });
    // Pedicles: small cortical ovals at the upper lateral corners.
    for (const s of [-1, 1]) {
      addEllipse(bone, cx + s * hw * 0.72, cy - hh * 0.25, view.L(0.0065), view.L(0.009), 0.06 * dens, {
        profile: "sphere-shell",
        shell: 0.35,
        core: 0.2,
        soft: view.soft,
      });
      // Transverse processes
      addStroke(
        bone,
        [
          [cx + s * hw * 0.8, cy - hh * 0.3],
          [cx + s * (hw + view.L(0.014)), cy - hh * 0.45],
        ],
        view.L(0.0045),
        0.03 * dens,
        { profile: "tube", soft: view.soft },
      );
    }
    // Spinous process: teardrop in the midline, projecting over the lower half of the body.
    addEllipse(bone, cx - view.L(a.rotation) * 1.5, cy + hh * 0.55, view.L(0.0045), view.L(0.011), 0.04 * dens, {
      profile: "sphere-shell",
      shell: 0.4,
      core: 0.3,
      soft: view.soft,
    });
  }
}

function ribPath(view: FrontalView, side: LungSide, n: number): { posterior: Point[]; anterior: Point[] } {
  const a = view.a;
  const s = sideSign(side);
  const yHead = vertebraY(a, n) - 0.006;
  const sx = spineX(a, yHead);
  // The posterior rib rises briefly from the costovertebral joint, arches, and descends to the lateral wall.
  const drop = n === 1 ? 0.035 : 0.07 + 0.005 * n;
  const yLat = yHead + drop;
  const lat = Math.max(view.rows.lateral[side][Math.min(view.size - 1, Math.max(0, Math.floor(view.Y(yLat))))]!, 0.08);
  const yPeak = yHead - 0.026 - 0.0015 * n;
  const posterior: Point[] = spline(
    [
      view.P(sx + s * 0.018, yHead + 0.008),
      view.P(sx + s * 0.055, yHead - 0.01),
      view.P(a.midX + s * lat * 0.45, yPeak),
      view.P(a.midX + s * lat * 0.82, yHead + drop * 0.1),
      view.P(a.midX + s * (lat - 0.001), yLat),
    ],
    4,
  );
  const antEndY = yLat + a.ribDroop * (0.9 + 0.05 * n) * (n === 1 ? 0.45 : 1);
  const antEndX = n === 1 ? 0.085 : 0.1 + 0.012 * n;
  const anterior: Point[] = spline(
    [
      view.P(a.midX + s * (lat - 0.002), yLat),
      view.P(a.midX + s * (lat - 0.012), yLat + 0.035),
      view.P(a.midX + s * (lat * 0.7), yLat + (antEndY - yLat) * 0.6),
      view.P(a.midX + s * antEndX, antEndY),
    ],
    4,
  );
  return { posterior, anterior };
}

function drawRibs(view: FrontalView): Record<LungSide, Array<{ posterior: Point[]; anterior: Point[] }>> {
  const a = view.a;
  const dens = a.boneDensity;
  const out: Record<LungSide, Array<{ posterior: Point[]; anterior: Point[] }>> = { right: [], left: [] };
  for (const side of SIDES) {
    for (let n = 1; n <= 11; n++) {
      const path = ribPath(view, side, n);
      out[side].push(path);
      const r = view.L(a.ribRadius * (n === 1 ? 0.9 : 1 + 0.01 * n));
      // Lower ribs project over the abdomen where they are much less conspicuous.
      const lower = n >= 10 ? 0.45 : n === 9 ? 0.75 : 1;
      addStroke(view.base, path.posterior, r, 0.1 * dens * lower, {
        profile: "cortical",
        shell: 0.25,
        core: 0.15,
        soft: view.soft,
      });
      const fade = path.anterior.map((_, i, all) => 1 - 0.75 * (i / (all.length - 1)) ** 1.5);
      addStroke(view.base, path.anterior, r * 1.2, 0.07 * dens * (n >= 8 ? 0.4 : 1), {
        profile: "cortical",
        shell: 0.22,
        core: 0.2,
        soft: view.soft,
        weights: fade,
      });
    }
  }
  return out;
}

export interface ShoulderGeometry {
  clavicle: Point[];
  humeralHead: [number, number];
  humeralShaft: Point[];
}

function drawShoulderGirdle(view: FrontalView): Record<LungSide, ShoulderGeometry> {
  const a = view.a;
  const dens = a.boneDensity;
  const out = {} as Record<LungSide, ShoulderGeometry>;
  for (const side of SIDES) {
    const s = sideSign(side);
    const w = a.halfWidth[side];
    const y0 = a.clavicleY;
    const len = a.clavicleLength;
    const clavicle: Point[] = spline(
      [
        view.P(a.midX + s * 0.028, y0 + 0.006),
        view.P(a.midX + s * 0.09, y0 - a.clavicleTilt * 0.2),
        view.P(a.midX + s * (len * 0.62), y0 - a.clavicleTilt * 0.62),
        view.P(a.midX + s * (len * 0.88), y0 - a.clavicleTilt * 0.85),
        view.P(a.midX + s * len, y0 - a.clavicleTilt - 0.012),
      ],
      7,
    );
    const radii = clavicle.map((_, i, all) => {
      const t = i / (all.length - 1);
      return view.L(0.009 + 0.005 * (1 - t) ** 3 + 0.003 * t ** 4);
    });
    addStroke(view.base, clavicle, radii, 0.13 * dens, {
      profile: "cortical",
      shell: 0.3,
      core: 0.45,
      soft: view.soft,
    });
    // Humeral head and glenoid at the top corner.
    const hx = a.midX + s * (w + 0.08 + 0.02 * a.habitus);
    const hy = y0 - a.clavicleTilt + 0.045;
    const [px, py] = view.P(hx, hy);
    addEllipse(view.base, px, py, view.L(0.048), view.L(0.052), 0.13 * dens, {
      profile: "sphere-shell",
      shell: 0.1,
      core: 0.35,
    });
    const shaft: Point[] = [view.P(hx, hy + 0.03), view.P(hx + s * 0.01, hy + 0.3)];
    out[side] = { clavicle, humeralHead: [px, py], humeralShaft: shaft };
    addStroke(view.base, shaft, view.L(0.026), 0.12 * dens, { profile: "cortical", shell: 0.25, core: 0.3 });
    // Scapula: a thin triangular plate over the upper lateral chest wall with a cortical medial border.
    const inset = a.scapulaInset;
    const scap: Point[] = [
      view.P(a.midX + s * (w + 0.03), hy - 0.005),
      view.P(a.midX + s * (w - 0.03 - inset), y0 + 0.02),
      view.P(a.midX + s * (w - 0.055 - inset), y0 + 0.12),
      view.P(a.midX + s * (w - 0.02 - inset * 0.5), y0 + 0.27),
      view.P(a.midX + s * (w + 0.035), y0 + 0.15),
    ];
    const mask = polygonMask(view.base, scap, view.soft * 2);
    addMask(view.base, mask, 0.05 * dens);
    addStroke(view.base, spline([scap[1]!, scap[2]!, scap[3]!, scap[4]!], 5), view.L(0.004), 0.05 * dens, {
      profile: "tube",
      soft: view.soft,
    });
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------

interface Branch {
  x: number;
  y: number;
  angle: number;
  radius: number;
  depth: number;
}

/** Pulmonary vessels: branching trees from each hilum, tapering to the periphery, confined to the lung. */
function drawVessels(view: FrontalView, rng: Rng): void {
  const a = view.a;
  const scale = view.size / 512;
  const rMin = 0.5 * scale;
  for (const side of SIDES) {
    const s = sideSign(side);
    const hy = a.hilumY[side];
    const med = view.medialAt(side, view.Y(hy));
    const [hx, hyPx] = view.P(a.midX + s * (med + 0.01), hy);
    // Main trunks: ascending to the apex, lateral, descending (largest) to the base; angle from lateral, + down.
    const trunks: Array<[number, number, number]> = [
      [-82, 0.0075, -14],
      [-58, 0.007, -9],
      [-30, 0.0065, -3],
      [0, 0.0068, 4],
      [28, 0.008, 10],
      [50, 0.009, 16],
      [70, 0.0095, 22],
      [86, 0.0085, 26],
    ];
    const stack: Branch[] = [];
    for (const [deg, radius, dy] of trunks) {
      const ang = ((deg + rng.gauss(0, 5)) * Math.PI) / 180;
      stack.push({
        x: hx + rng.gauss(0, 3) * scale - s * 2 * scale,
        y: hyPx + dy * scale * 1.6 + rng.gauss(0, 4) * scale,
        angle: s > 0 ? ang : Math.PI - ang,
        radius: view.L(radius) * a.vesselScale * a.hilumSize,
        depth: 0,
      });
    }
    let guard = 0;
    while (stack.length > 0 && guard++ < 3000) {
      const b = stack.pop()!;
      const pts: Point[] = [[b.x, b.y]];
      const radii: number[] = [b.radius];
      let { x, y, angle, radius } = b;
      for (let step = 0; step < 30 && radius > rMin; step++) {
        const len = radius * 2.2 + 3 * scale;
        angle += rng.gauss(0, 0.1);
        x += Math.cos(angle) * len;
        y += Math.sin(angle) * len;
        if (view.inLung(side, x, y) < 0.5 && step > 1) break;
        radius *= 0.93;
        pts.push([x, y]);
        radii.push(radius);
        if (rng.chance(0.38) && radius > 0.85 * scale && b.depth < 8) {
          const split = (rng.range(20, 38) * Math.PI) / 180;
          const dir = rng.chance(0.5) ? 1 : -1;
          stack.push({ x, y, angle: angle + dir * split, radius: radius * 0.72, depth: b.depth + 1 });
          angle -= dir * split * 0.3;
          radius *= 0.88;
        }
      }
      if (pts.length >= 2) {
        // Path length through a vessel is proportional to its diameter.
        const weights = radii.map((r) => Math.min(1.3, Math.sqrt(r / (3.2 * scale))));
        addStroke(view.vessels, pts, radii, 0.075, { profile: "tube", soft: view.soft * 1.2, weights });
      }
    }
    // Hilar pulmonary arteries.
    const [px, py] = view.P(a.midX + s * (med + 0.018), hy + (side === "right" ? 0.02 : -0.005));
    addEllipse(view.vessels, px, py, view.L(0.016 * a.hilumSize), view.L(0.03 * a.hilumSize), 0.07, {
      profile: "gauss",
      angle: s * 0.35,
    });
  }
  smallBlur(view.vessels, 0.9 * scale);
  // Confine to aerated lung.
  const v = view.vessels.data;
  const lung = view.lungAll.data;
  for (let i = 0; i < v.length; i++) v[i] = v[i]! * Math.min(1, lung[i]! * 1.1);
}

/** Fine parenchymal texture inside the lungs. */
function drawTexture(view: FrontalView, rng: Rng): void {
  const noise = parenchymalNoise(view.size, rng);
  const n = noise.data;
  const lung = view.lungAll.data;
  const v = view.vessels.data;
  for (let i = 0; i < v.length; i++) v[i] = v[i]! + 0.006 * n[i]! * Math.min(1, lung[i]!);
  Plane.release(noise);
}

export interface FrontalRenderResult {
  view: FrontalView;
  ribs: Record<LungSide, Array<{ posterior: Point[]; anterior: Point[] }>>;
  shoulders: Record<LungSide, ShoulderGeometry>;
}

/** Normal anatomy of the frontal view (findings are drawn afterwards into the same view). */
export function drawFrontalAnatomy(a: Anatomy, size: number, rng: Rng, times?: StageTimes): FrontalRenderResult {
  const timer = new StageTimer(times);
  const view = new FrontalView(a, size);
  drawBody(view);
  timer.mark("frontal body");
  drawLungs(view);
  timer.mark("frontal lungs");
  drawMediastinum(view);
  drawAirways(view);
  drawAbdomen(view);
  timer.mark("frontal mediastinum");
  drawSpine(view);
  timer.mark("frontal spine");
  const ribs = drawRibs(view);
  timer.mark("frontal ribs");
  const shoulders = drawShoulderGirdle(view);
  timer.mark("frontal shoulders");
  drawVessels(view, rng);
  timer.mark("frontal vessels");
  drawTexture(view, rng);
  timer.mark("frontal texture");
  return { view, ribs, shoulders };
}
