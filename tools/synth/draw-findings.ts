/**
 * How each finding looks, in both views. Every finding first samples its own parameters (where, how big) from
 * its own random stream, so the frontal and the lateral agree and no finding moves another. Grades: uncertain
 * findings are drawn subtle (smaller, fainter), positive ones clearly, graded further by the stated severity.
 *
 * Findings that change anatomy itself (cardiomegaly, hyperinflation, elevated hemidiaphragm, scoliosis, ...) are
 * applied in anatomy.ts before drawing; here are the ones drawn on top.
 */

import type { FindingSpec } from "../../src-main/services/language/report-findings";
import type { Lobe, Zone } from "../../src-main/services/language/report-mentions";
import { cpY, diaphragmY, gradeOf, type LungSide, lungAnatomical, lungLateral, spineX, vertebraY } from "./anatomy";
import { type FrontalRenderResult, type FrontalView, SIDES, sideSign } from "./frontal";
import {
  hemidiaphragmY,
  type LateralView,
  lateralHeartGeometry,
  lateralLungAnterior,
  lateralLungPosterior,
} from "./lateral";
import type { Rng } from "./prng";
import { addEllipse, addMask, addStroke, Plane, type Point, polygonMask, smoothstep, spline } from "./raster";

/** Attenuation of metal (saturates white after processing). */
const METAL = 1.4;
/** Normalised units per centimetre (the field of view is about 38 cm). */
const CM = 1 / 38;

export interface LungLocation {
  side: LungSide;
  /** 0 apex .. 1 costophrenic level. */
  t: number;
  /** 0 cardiomediastinal border .. 1 chest wall (negative: behind the heart). */
  m: number;
  /** 0 anterior .. 1 posterior. */
  z: number;
}

type Range = [number, number];
interface Region {
  t: Range;
  m: Range;
  z: Range;
}

const LOBE_REGIONS: Record<Lobe, Region> = {
  RUL: { t: [0.06, 0.36], m: [0.15, 0.85], z: [0.15, 0.6] },
  LUL: { t: [0.06, 0.4], m: [0.15, 0.85], z: [0.15, 0.6] },
  RML: { t: [0.52, 0.8], m: [0.05, 0.45], z: [0.05, 0.35] },
  lingula: { t: [0.48, 0.76], m: [0.05, 0.45], z: [0.05, 0.35] },
  RLL: { t: [0.62, 0.92], m: [0.25, 0.85], z: [0.55, 0.92] },
  LLL: { t: [0.62, 0.92], m: [0.2, 0.85], z: [0.55, 0.92] },
};

const ZONE_REGIONS: Record<Zone, Region> = {
  upper: { t: [0.06, 0.34], m: [0.15, 0.85], z: [0.2, 0.7] },
  middle: { t: [0.36, 0.6], m: [0.1, 0.85], z: [0.2, 0.8] },
  lower: { t: [0.64, 0.92], m: [0.15, 0.85], z: [0.35, 0.9] },
};

function sidesOf(f: FindingSpec, rng: Rng, rightBias = 0.55): LungSide[] {
  if (f.side === "bilateral") return ["right", "left"];
  if (f.side === "left" || f.side === "right") return [f.side];
  if (f.lobes?.length) return [...new Set(f.lobes.map((l): LungSide => (l.startsWith("R") ? "right" : "left")))];
  return [rng.chance(rightBias) ? "right" : "left"];
}

function regionOf(f: FindingSpec, side: LungSide, rng: Rng, fallback: Region): Region {
  const lobes = (f.lobes ?? []).filter((l) => (side === "right" ? l.startsWith("R") : !l.startsWith("R")));
  let region: Region = fallback;
  if (lobes.length > 0) region = { ...LOBE_REGIONS[rng.pick(lobes)] };
  else if (f.zones?.length) region = { ...ZONE_REGIONS[rng.pick(f.zones)] };
  switch (f.position) {
    case "apical":
      region = { ...region, t: [0.02, 0.16] };
      break;
    case "basal":
      region = { ...region, t: [0.76, 0.93] };
      break;
    case "perihilar":
      region = { ...region, t: [0.36, 0.56], m: [0.02, 0.3] };
      break;
    case "medial":
      region = { ...region, m: [0.02, 0.3] };
      break;
    case "lateral":
      region = { ...region, m: [0.65, 0.92] };
      break;
    case "retrocardiac":
      region = { t: [0.66, 0.9], m: [-0.2, 0.05], z: [0.55, 0.85] };
      break;
    default:
      break;
  }
  return region;
}

function sampleIn(region: Region, side: LungSide, rng: Rng): LungLocation {
  return {
    side,
    t: rng.range(region.t[0], region.t[1]),
    m: rng.range(region.m[0], region.m[1]),
    z: rng.range(region.z[0], region.z[1]),
  };
}

const ANYWHERE: Region = { t: [0.12, 0.88], m: [0.15, 0.85], z: [0.15, 0.85] };

/** Frontal pixel position of a lung location. */
function fp(view: FrontalView, loc: LungLocation): [number, number] {
  return view.lungPoint(loc.side, loc.t, loc.m);
}

/** Lateral pixel position of a lung location (same height as on the frontal). */
function lp(view: LateralView, loc: LungLocation): [number, number] {
  const { v } = lungAnatomical(view.a, loc.side, loc.t, loc.m);
  return view.lungPoint(v, loc.z);
}

// ---------------------------------------------------------------------------------------------------------------
// Drawing helpers
// ---------------------------------------------------------------------------------------------------------------

/** A patchy cloud of gaussian puffs (ill-defined opacity) of total extent `radius` pixels. */
function cloud(
  plane: Plane,
  cx: number,
  cy: number,
  rx: number,
  ry: number,
  amplitude: number,
  puffs: number,
  rng: Rng,
): void {
  for (let k = 0; k < puffs; k++) {
    const ang = rng.range(0, Math.PI * 2);
    const r = Math.sqrt(rng.uniform());
    const px = cx + Math.cos(ang) * r * rx;
    const py = cy + Math.sin(ang) * r * ry;
    const size = rng.range(0.35, 0.6);
    addEllipse(plane, px, py, rx * size, ry * size, amplitude * rng.range(0.6, 1), {
      profile: "gauss",
      angle: rng.range(0, Math.PI),
    });
  }
}

/** Adds `temp` (cleared afterwards) into `target`, keeping only pixels inside `keep`. */
function addMasked(target: Plane, temp: Plane, keep: Plane, scale = 1): void {
  const t = temp.data;
  const k = keep.data;
  const d = target.data;
  for (let i = 0; i < t.length; i++) {
    const v = t[i]!;
    if (v === 0) continue;
    d[i] = d[i]! + v * Math.min(1, k[i]!) * scale;
    t[i] = 0;
  }
}

/** A lobulated soft-tissue sphere (nodule or mass) of radius r pixels. */
function lesion(
  plane: Plane,
  cx: number,
  cy: number,
  r: number,
  amplitude: number,
  lobulated: boolean,
  rng: Rng,
): void {
  addEllipse(plane, cx, cy, r, r * rng.range(0.85, 1.1), amplitude, { profile: "dome", soft: Math.max(0.8, r * 0.12) });
  if (lobulated) {
    for (let k = 0; k < 4; k++) {
      const ang = rng.range(0, Math.PI * 2);
      addEllipse(
        plane,
        cx + Math.cos(ang) * r * 0.55,
        cy + Math.sin(ang) * r * 0.55,
        r * 0.5,
        r * 0.45,
        amplitude * 0.3,
        {
          profile: "dome",
          soft: r * 0.15,
          angle: ang,
        },
      );
    }
  }
}

/** A calcified focus: small, dense, sharp. */
function calcification(plane: Plane, cx: number, cy: number, r: number, amplitude: number, rng: Rng): void {
  addEllipse(plane, cx, cy, r, r * rng.range(0.75, 1.05), amplitude, {
    profile: "dome",
    soft: 0.6,
    angle: rng.range(0, 3),
  });
}

/** A wire, tube or lead: a thin radiopaque polyline. */
function wire(plane: Plane, pts: Point[], radius: number, amplitude: number): void {
  addStroke(plane, pts, radius, amplitude, { profile: "line", soft: 0.7 });
}

/** A tube with two radiopaque walls (endotracheal, chest tube). */
function tube(plane: Plane, pts: Point[], radius: number, wall: number, amplitude: number): void {
  addStroke(plane, pts, radius, amplitude * 0.25, { profile: "flat", soft: 0.8 });
  addStroke(plane, pts, wall, amplitude, { profile: "line", soft: 0.6 });
}

// ---------------------------------------------------------------------------------------------------------------
// Per-finding placement shared by both views
// ---------------------------------------------------------------------------------------------------------------

export interface Placement {
  finding: FindingSpec;
  grade: number;
  /** Parameters sampled once for both views. */
  rng: Rng;
  frontalRng: Rng;
  lateralRng: Rng;
  locations: LungLocation[];
  sizes: number[];
  sides: LungSide[];
  amount: number;
}

export function placeFinding(f: FindingSpec, rng: Rng, frontalRng: Rng, lateralRng: Rng): Placement {
  const grade = gradeOf(f);
  const locations: LungLocation[] = [];
  const sizes: number[] = [];
  let sides: LungSide[] = [];
  let amount = [0.45, 0.7, 1, 1.3][grade]!;
  switch (f.kind) {
    case "lung-nodule":
    case "lung-mass":
    case "calcified-granuloma": {
      sides = sidesOf(f, rng);
      const count = f.count && f.count > 1 ? rng.int(2, f.kind === "calcified-granuloma" ? 5 : 4) : 1;
      for (let k = 0; k < count; k++) {
        const side = sides[k % sides.length]!;
        locations.push(sampleIn(regionOf(f, side, rng, ANYWHERE), side, rng));
        let cm: number;
        if (f.kind === "lung-mass") cm = f.sizeCm && f.sizeCm >= 2.5 ? f.sizeCm : rng.range(3.2, 6.5);
        else if (f.kind === "lung-nodule")
          cm = f.sizeCm && f.sizeCm < 3.5 ? f.sizeCm : f.severity === "mild" ? rng.range(0.6, 1) : rng.range(0.9, 2);
        else cm = f.sizeCm && f.sizeCm < 1.5 ? f.sizeCm : rng.range(0.3, 0.75);
        if (f.certainty === "uncertain") cm *= 0.75;
        sizes.push(cm);
      }
      break;
    }
    case "airspace-opacity":
    case "consolidation":
    case "pneumonia":
    case "scarring":
    case "interstitial-opacity":
    case "atelectasis":
    case "pleural-thickening": {
      const defaults: Record<string, Region> = {
        "airspace-opacity": ZONE_REGIONS.lower,
        consolidation: ZONE_REGIONS.lower,
        pneumonia: ZONE_REGIONS.lower,
        scarring: { t: [0.03, 0.2], m: [0.2, 0.8], z: [0.3, 0.7] },
        "interstitial-opacity": { t: [0.55, 0.9], m: [0.3, 0.9], z: [0.3, 0.9] },
        atelectasis: { t: [0.76, 0.9], m: [0.2, 0.75], z: [0.4, 0.9] },
        "pleural-thickening": { t: [0.0, 0.1], m: [0.3, 0.8], z: [0.3, 0.6] },
      };
      const bilateralDefault = f.kind === "interstitial-opacity" || (f.kind === "pleural-thickening" && !f.side);
      sides = bilateralDefault && !f.side ? ["right", "left"] : sidesOf(f, rng);
      for (const side of sides) locations.push(sampleIn(regionOf(f, side, rng, defaults[f.kind]!), side, rng));
      break;
    }
    case "pleural-effusion":
    case "pneumothorax":
    case "rib-fracture":
    case "clavicle-fracture":
    case "humerus-fracture":
      sides = sidesOf(f, rng, f.kind === "pneumothorax" ? 0.6 : 0.55);
      break;
    case "calcified-lymph-nodes":
      sides =
        f.side === "left" || f.side === "right"
          ? [f.side]
          : rng.chance(0.4)
            ? ["right", "left"]
            : [rng.chance(0.6) ? "right" : "left"];
      break;
    default:
      sides = f.side === "left" || f.side === "right" ? [f.side] : f.side === "bilateral" ? ["right", "left"] : [];
  }
  if (f.kind === "pleural-effusion") amount = [0.35, 0.55, 1, 1.6][grade]!;
  return { finding: f, grade, rng, frontalRng, lateralRng, locations, sizes, sides, amount };
}

// ---------------------------------------------------------------------------------------------------------------
// Frontal
// ---------------------------------------------------------------------------------------------------------------

function effusionFrontal(view: FrontalView, p: Placement): void {
  const a = view.a;
  const S = view.size;
  for (const side of p.sides) {
    const s = sideSign(side);
    // Meniscus: fluid climbs higher along the lateral chest wall than medially.
    const height = [0.024, 0.045, 0.1, 0.2][p.grade]! * p.rng.range(0.85, 1.15);
    const cp = cpY(a, side);
    const w = a.halfWidth[side];
    const fill = view.fill.data;
    const base = view.base.data;
    const soft = view.L(0.01 + 0.01 * p.grade);
    for (let y = 0; y < S; y++) {
      const v = view.v(y);
      if (v < cp - height - 0.12) continue;
      for (let x = 0; x < S; x++) {
        const dx = (view.u(x) - a.midX) * s;
        if (dx <= 0.01) continue;
        const q = Math.min(1, dx / w);
        // Top of the fluid at this x: highest laterally (meniscus), lower medially, never below the diaphragm.
        const dia = diaphragmY(a, side, Math.min(dx, w));
        // Concave-up meniscus: flat medially, curving up along the lateral chest wall.
        const level = cp - height * (0.4 + 0.6 * q ** 2.4);
        const top = Math.min(level, dia - 0.002);
        const d = view.L(v - top);
        if (d <= -soft) continue;
        const k = smoothstep(-soft, soft, d);
        const i = y * S + x;
        fill[i] = fill[i]! + k;
        // Fluid layering posteriorly adds density below the meniscus, increasing toward the base.
        base[i] = base[i]! + 0.08 * k * Math.min(1, (v - top) / 0.08) * Math.min(1, p.amount);
      }
    }
  }
}

function pneumothoraxFrontal(view: FrontalView, p: Placement): void {
  const a = view.a;
  const S = view.size;
  const f = p.finding;
  for (const side of p.sides) {
    const s = sideSign(side);
    const big = f.severity === "marked" && f.certainty === "positive";
    const apexGap = big ? 0.14 : [0.012, 0.025, 0.045, 0.07][p.grade]!;
    const wallGap = big ? 0.09 : [0.004, 0.01, 0.022, 0.04][p.grade]!;
    const lat = view.rows.lateral[side];
    const med = view.rows.medial[side];
    const line: Point[] = [];
    const top = a.apexY + apexGap;
    const bottom = cpY(a, side) - 0.02;
    const pleural = view.pleuralAir.data;
    const fill = view.fill.data;
    for (let y = 0; y < S; y++) {
      const v = view.v(y);
      if (v < a.apexY - 0.01 || v > bottom + 0.02) continue;
      const t = (v - a.apexY) / (bottom - a.apexY);
      // Gap between chest wall and visceral pleura: widest at the apex, tapering toward the base.
      const gap = wallGap + (apexGap - wallGap) * Math.max(0, 1 - t * 1.6) ** 2;
      const outer = lat[y]!;
      if (outer <= 0) continue;
      const inner = v < top ? -1 : Math.max(med[y]! + 0.01, outer - gap * (big ? 1.8 : 1));
      const xOuter = view.X(a.midX + s * outer);
      const xInner = inner < 0 ? view.X(a.midX + s * (med[y]! + 0.005)) : view.X(a.midX + s * inner);
      if (inner >= 0 && y % 3 === 0) line.push([xInner, y + 0.5]);
      const x0 = Math.max(0, Math.floor(Math.min(xOuter, xInner)) - 1);
      const x1 = Math.min(S, Math.ceil(Math.max(xOuter, xInner)) + 1);
      for (let x = x0; x < x1; x++) {
        const d = (x + 0.5 - xInner) * s;
        if (d <= -1) continue;
        const k = smoothstep(-1, 1, d) * (p.finding.certainty === "uncertain" ? 0.6 : 1);
        pleural[y * S + x] = Math.max(pleural[y * S + x]!, k * view.lung[side].data[y * S + x]!);
      }
      // The collapsed lung is a little denser.
      if (big && inner >= 0) {
        const xm = view.X(a.midX + s * med[y]!);
        for (
          let x = Math.max(0, Math.floor(Math.min(xm, xInner)));
          x < Math.min(S, Math.ceil(Math.max(xm, xInner)));
          x++
        ) {
          fill[y * S + x] = fill[y * S + x]! + 0.25;
        }
      }
    }
    // Apical cap of the line.
    const apexRow = Math.floor(view.Y(top));
    const apexPts: Point[] = [];
    if (apexRow > 0 && apexRow < S) {
      const outer = lat[apexRow]!;
      const m0 = med[apexRow]!;
      for (let k = 0; k <= 8; k++) {
        const dx = m0 + 0.01 + (k / 8) * (outer - (wallGap + apexGap) / 2 - m0 - 0.01);
        apexPts.push(view.P(a.midX + s * dx, top - 0.012 * Math.sin((Math.PI * k) / 8)));
      }
    }
    const amp = p.finding.certainty === "uncertain" ? 0.04 : 0.08;
    if (line.length > 2) addStroke(view.vessels, line, view.L(0.0015), amp, { profile: "line", soft: 0.7 });
    if (apexPts.length > 2) addStroke(view.vessels, apexPts, view.L(0.0015), amp, { profile: "line", soft: 0.7 });
  }
}

/** Turns a sum of puffs into a confluent region with ill-defined borders (0..peak). */
function confluent(plane: Plane, lo: number, hi: number, peak: number): void {
  const d = plane.data;
  for (let i = 0; i < d.length; i++) {
    const v = d[i]!;
    if (v === 0) continue;
    d[i] = v <= lo ? (peak * 0.5 * v) / lo : peak * (0.5 + 0.5 * smoothstep(lo, hi, v));
  }
}

function consolidationFrontal(view: FrontalView, p: Placement): void {
  const f = p.finding;
  const rng = p.frontalRng;
  const S = view.size;
  const temp = Plane.acquire(S, S);
  const dense = f.kind === "consolidation";
  for (const loc of p.locations) {
    const [cx, cy] = fp(view, loc);
    const extent = view.L([0.05, 0.065, 0.085, 0.11][p.grade]! * (dense ? 1.15 : 1));
    cloud(temp, cx, cy, extent, extent * 0.8, 0.5, dense ? 16 : 12, rng);
  }
  const peak = dense ? [0.4, 0.65, 0.85, 0.95][p.grade]! : [0.22, 0.35, 0.5, 0.62][p.grade]!;
  confluent(temp, 0.15, dense ? 0.7 : 1.1, peak);
  for (const loc of p.locations) {
    const [cx, cy] = fp(view, loc);
    const extent = view.L([0.05, 0.065, 0.085, 0.11][p.grade]!);
    if (dense && p.grade >= 2) {
      // Air bronchograms: branching lucencies inside the consolidation.
      for (let k = 0; k < 3; k++) {
        let x = cx + rng.gauss(0, extent * 0.2);
        let y = cy + rng.gauss(0, extent * 0.2);
        let ang = rng.range(0, Math.PI * 2);
        const pts: Point[] = [[x, y]];
        for (let j = 0; j < 5; j++) {
          ang += rng.gauss(0, 0.25);
          x += Math.cos(ang) * extent * 0.15;
          y += Math.sin(ang) * extent * 0.15;
          pts.push([x, y]);
        }
        addStroke(temp, pts, view.L(0.003), -0.35, { profile: "tube" });
      }
    }
    // Upper-lobe consolidation stops sharply at the minor fissure on the right.
    const lobe = f.lobes?.find((l) => (loc.side === "right" ? l.startsWith("R") : !l.startsWith("R")));
    if (lobe === "RUL") {
      const fissureY = view.Y(view.a.hilumY.right + 0.005);
      for (let y = Math.max(0, Math.floor(fissureY)); y < S; y++) {
        const row = y * S;
        for (let x = 0; x < S / 2 + view.L(view.a.shiftX); x++) temp.data[row + x] = 0;
      }
    }
  }
  addMasked(view.fill, temp, view.lungAll);
  Plane.release(temp);
}

function atelectasisFrontal(view: FrontalView, p: Placement): void {
  const f = p.finding;
  const rng = p.frontalRng;
  const temp = Plane.acquire(view.size, view.size);
  for (const loc of p.locations) {
    const [cx, cy] = fp(view, loc);
    if (f.variant === "lobar" && f.certainty === "positive") {
      cloud(temp, cx, cy, view.L(0.06), view.L(0.05), 0.7, 12, rng);
      continue;
    }
    // Plate-like (discoid) atelectasis: thin horizontal bands at the base.
    const bands = f.certainty === "uncertain" ? 1 : rng.int(1, 2 + (p.grade >= 2 ? 1 : 0));
    for (let k = 0; k < bands; k++) {
      const len = view.L(rng.range(0.05, 0.09) * (f.certainty === "uncertain" ? 0.7 : 1));
      const y = cy + k * view.L(0.018) + rng.gauss(0, 2);
      const x = cx + rng.gauss(0, view.L(0.01));
      const tilt = rng.gauss(0, 0.12);
      const pts: Point[] = [];
      for (let j = 0; j <= 6; j++) {
        const u = j / 6 - 0.5;
        pts.push([x + u * len, y + u * len * tilt + Math.sin(u * 6) * 1.2]);
      }
      addStroke(temp, pts, view.L(f.certainty === "uncertain" ? 0.004 : 0.006), [0.3, 0.45, 0.6, 0.7][p.grade]!, {
        profile: "gauss",
        soft: 1.5,
      });
    }
  }
  addMasked(view.fill, temp, view.lungAll);
  Plane.release(temp);
}

function scarringFrontal(view: FrontalView, p: Placement): void {
  const rng = p.frontalRng;
  for (const loc of p.locations) {
    const [cx, cy] = fp(view, loc);
    const n = p.finding.certainty === "uncertain" ? 2 : rng.int(3, 5);
    for (let k = 0; k < n; k++) {
      let x = cx + rng.gauss(0, view.L(0.02));
      let y = cy + rng.gauss(0, view.L(0.015));
      let ang = rng.range(-0.9, 0.9) + (rng.chance(0.5) ? Math.PI : 0);
      const pts: Point[] = [[x, y]];
      for (let j = 0; j < 4; j++) {
        ang += rng.gauss(0, 0.35);
        x += Math.cos(ang) * view.L(0.012);
        y += Math.sin(ang) * view.L(0.012);
        pts.push([x, y]);
      }
      addStroke(view.vessels, pts, view.L(0.0025), [0.05, 0.08, 0.1, 0.12][p.grade]!, { profile: "tube", soft: 1 });
    }
    addEllipse(view.fill, cx, cy, view.L(0.03), view.L(0.022), 0.12 * p.amount, { profile: "gauss" });
  }
}

function interstitialFrontal(view: FrontalView, p: Placement, kerley: boolean): void {
  const rng = p.frontalRng;
  const a = view.a;
  const amp = [0.03, 0.042, 0.055, 0.07][p.grade]!;
  for (const loc of p.locations) {
    // Reticular net over the region: many short crossing lines.
    const [cx, cy] = fp(view, loc);
    const rx = view.L(0.1);
    const ry = view.L(0.12);
    const lines = Math.round([40, 60, 90, 120][p.grade]! * (view.size / 512) ** 0.5);
    for (let k = 0; k < lines; k++) {
      const x = cx + rng.gauss(0, rx * 0.55);
      const y = cy + rng.gauss(0, ry * 0.55);
      const ang = rng.range(0, Math.PI);
      const len = view.L(rng.range(0.008, 0.02));
      addStroke(
        view.vessels,
        [
          [x, y],
          [x + Math.cos(ang) * len, y + Math.sin(ang) * len],
        ],
        view.L(0.0014),
        amp,
        { profile: "tube", soft: 0.8 },
      );
    }
    addEllipse(view.fill, cx, cy, rx, ry, 0.08 * p.amount, { profile: "gauss" });
  }
  if (kerley) {
    // Kerley B lines: short horizontal lines reaching the pleura at both bases.
    for (const side of SIDES) {
      const s = sideSign(side);
      const n = [2, 4, 6, 8][p.grade]!;
      for (let k = 0; k < n; k++) {
        const v = cpY(a, side) - 0.03 - k * 0.012 - rng.range(0, 0.006);
        const outer = lungLateral(a, side, v);
        const len = rng.range(0.02, 0.035);
        addStroke(
          view.vessels,
          [view.P(a.midX + s * (outer - 0.002), v), view.P(a.midX + s * (outer - len), v + rng.gauss(0, 0.002))],
          view.L(0.0015),
          amp * 1.4,
          { profile: "tube", soft: 0.7 },
        );
      }
    }
  }
}

function edemaFrontal(view: FrontalView, p: Placement): void {
  const a = view.a;
  const alveolar = p.finding.variant === "alveolar" && p.finding.certainty === "positive";
  // Perihilar haze (bat-wing when alveolar).
  for (const side of SIDES) {
    const s = sideSign(side);
    const hy = a.hilumY[side];
    const [x, y] = view.P(a.midX + s * (view.medialAt(side, view.Y(hy)) + 0.06), hy + 0.03);
    const amp = alveolar ? [0.3, 0.45, 0.6, 0.75][p.grade]! : [0.1, 0.15, 0.22, 0.28][p.grade]!;
    addEllipse(view.fill, x, y, view.L(alveolar ? 0.12 : 0.1), view.L(alveolar ? 0.13 : 0.12), amp, {
      profile: "gauss",
    });
    if (alveolar) cloud(view.fill, x, y, view.L(0.09), view.L(0.1), 0.25, 10, p.frontalRng);
  }
  // Vascular congestion: upper-zone vessels enlarge (cephalisation), all vessels blur.
  const v = view.vessels.data;
  const S = view.size;
  for (let y = 0; y < S; y++) {
    const upper = 1 + (0.5 + 0.2 * p.grade) * (1 - smoothstep(a.apexY + 0.1, a.carinaY + 0.08, view.v(y)));
    for (let x = 0; x < S; x++) v[y * S + x] = v[y * S + x]! * upper;
  }
  const locs: LungLocation[] = [
    { side: "right", t: 0.72, m: 0.55, z: 0.5 },
    { side: "left", t: 0.72, m: 0.55, z: 0.5 },
  ];
  interstitialFrontal(view, { ...p, locations: locs, grade: Math.max(0, p.grade - 1) }, true);
}

function pleuralThickeningFrontal(view: FrontalView, p: Placement): void {
  const a = view.a;
  const rng = p.frontalRng;
  const plaques = p.finding.variant === "calcified-plaques";
  for (const loc of p.locations) {
    const s = sideSign(loc.side);
    const t0 = Math.max(0, loc.t - 0.12);
    const t1 = Math.min(0.95, loc.t + 0.12);
    const pts: Point[] = [];
    for (let k = 0; k <= 10; k++) {
      const t = t0 + ((t1 - t0) * k) / 10;
      const v = a.apexY + t * (cpY(a, loc.side) - a.apexY);
      const lat = lungLateral(a, loc.side, v);
      if (lat <= 0.01) continue;
      pts.push(view.P(a.midX + s * (lat - 0.004), v + (t < 0.04 ? 0.006 : 0)));
    }
    if (pts.length < 2) continue;
    const thick = view.L([0.004, 0.006, 0.008, 0.011][p.grade]!);
    addStroke(view.fill, pts, thick, 1, { profile: "flat", soft: 1.5 });
    if (plaques) {
      for (let k = 0; k < 3; k++) {
        const q = pts[rng.int(0, pts.length - 1)]!;
        addEllipse(view.base, q[0], q[1], view.L(0.012), view.L(0.004), 0.25, { angle: rng.range(0, 3), soft: 1 });
      }
    }
  }
}

function nodulesFrontal(view: FrontalView, p: Placement): void {
  const f = p.finding;
  const rng = p.frontalRng;
  p.locations.forEach((loc, k) => {
    const [x, y] = fp(view, loc);
    const cm = p.sizes[k]!;
    const r = view.L((cm / 2) * CM);
    if (f.kind === "calcified-granuloma") {
      calcification(view.base, x, y, Math.max(0.9, r), (f.certainty === "uncertain" ? 0.12 : 0.22) + 0.1 * cm, rng);
    } else {
      // Path length through a sphere of soft tissue replacing aerated lung: about a tenth per centimetre.
      const amp = (0.03 + 0.028 * Math.min(cm, 6)) * (f.certainty === "uncertain" ? 0.6 : 1);
      lesion(view.base, x, y, r, amp, f.kind === "lung-mass", rng);
    }
  });
}

function ribFractureFrontal(view: FrontalView, p: Placement, result: FrontalRenderResult): void {
  const f = p.finding;
  const rng = p.frontalRng;
  const count = f.count && f.count > 1 ? rng.int(2, 3) : 1;
  for (const side of p.sides) {
    const first = f.ribNumber ?? rng.int(4, 8);
    for (let k = 0; k < count; k++) {
      const rib = result.ribs[side][Math.min(10, first - 1 + k)];
      if (!rib) continue;
      // Lateral arc of the posterior rib (where most rib fractures are seen on a PA film).
      const path = rib.posterior;
      const i = Math.max(2, Math.min(path.length - 2, Math.round(path.length * rng.range(0.6, 0.85))));
      const [x, y] = path[i]!;
      const [x2, y2] = path[i + 1]!;
      const ang = Math.atan2(y2 - y, x2 - x);
      const nx = -Math.sin(ang);
      const ny = Math.cos(ang);
      const r = view.L(view.a.ribRadius) * 1.3;
      if (f.healed) {
        addEllipse(view.base, x, y, r * 1.1, r * 1.6, 0.06 * p.amount, {
          profile: "sphere-shell",
          angle: ang,
          shell: 0.3,
          core: 0.6,
        });
      } else {
        // Cortical break: a lucent line across the rib with a small step-off.
        addStroke(
          view.base,
          [
            [x - nx * r * 1.3, y - ny * r * 1.3],
            [x + nx * r * 1.3, y + ny * r * 1.3],
          ],
          Math.max(0.8, view.L(0.0018)),
          -0.09 * Math.min(1, p.amount),
          { profile: "flat", soft: 0.6 },
        );
        const step = r * 0.35 * (f.certainty === "uncertain" ? 0.5 : 1);
        addStroke(
          view.base,
          [
            [x + Math.cos(ang) * 1.5, y + Math.sin(ang) * 1.5 + step],
            [x + Math.cos(ang) * r * 2, y + Math.sin(ang) * r * 2 + step],
          ],
          r * 0.8,
          0.04,
          { profile: "cortical", shell: 0.3, core: 0.2 },
        );
      }
    }
  }
}

function clavicleFractureFrontal(view: FrontalView, p: Placement, result: FrontalRenderResult): void {
  const f = p.finding;
  for (const side of p.sides) {
    const path = result.shoulders[side].clavicle;
    const frac = f.zones?.includes("middle") || !f.zones ? 0.5 : 0.8;
    const i = Math.min(path.length - 2, Math.round(path.length * frac));
    const [x, y] = path[i]!;
    const [x2, y2] = path[i + 1]!;
    const ang = Math.atan2(y2 - y, x2 - x);
    const r = view.L(0.012);
    if (f.healed) {
      addEllipse(view.base, x, y, r * 1.6, r * 1.3, 0.09, {
        profile: "sphere-shell",
        angle: ang,
        shell: 0.3,
        core: 0.6,
      });
    } else {
      const nx = -Math.sin(ang + 0.3);
      const ny = Math.cos(ang + 0.3);
      addStroke(
        view.base,
        [
          [x - nx * r * 1.4, y - ny * r * 1.4],
          [x + nx * r * 1.4, y + ny * r * 1.4],
        ],
        Math.max(0.9, view.L(0.0025)),
        -0.14,
        { profile: "flat", soft: 0.6 },
      );
      // Displaced distal fragment overlapping.
      addStroke(
        view.base,
        [
          [x + Math.cos(ang) * r * 0.5, y + r * 0.6],
          [x + Math.cos(ang) * r * 2.5, y + Math.sin(ang) * r * 2.5 + r * 0.6],
        ],
        r * 0.8,
        0.08 * p.amount,
        { profile: "cortical", shell: 0.3, core: 0.4 },
      );
    }
  }
}

function humerusFractureFrontal(view: FrontalView, p: Placement, result: FrontalRenderResult): void {
  for (const side of p.sides) {
    const [hx, hy] = result.shoulders[side].humeralHead;
    const y = hy + view.L(0.055);
    addStroke(
      view.base,
      [
        [hx - view.L(0.03), y - view.L(0.006)],
        [hx + view.L(0.03), y + view.L(0.006)],
      ],
      Math.max(0.9, view.L(0.0025)),
      -0.12,
      { profile: "flat", soft: 0.6 },
    );
  }
}

function devicesFrontal(view: FrontalView, p: Placement, result: FrontalRenderResult): void {
  const a = view.a;
  const f = p.finding;
  const rng = p.frontalRng;
  const plane = view.base;
  const thin = Math.max(0.7, view.L(0.0017));
  switch (f.kind) {
    case "sternotomy-wires": {
      const n = rng.int(5, 7);
      const top = a.clavicleY + 0.03;
      const bottom = a.dome.right - 0.06;
      for (let k = 0; k < n; k++) {
        const v = top + ((bottom - top) * k) / (n - 1) + rng.gauss(0, 0.004);
        const [x, y] = view.P(a.midX + rng.gauss(0.004, 0.003), v);
        const w = view.L(rng.range(0.011, 0.016));
        const h = view.L(rng.range(0.006, 0.009));
        // A twisted loop: an ellipse outline plus the twist.
        const loop: Point[] = [];
        for (let j = 0; j <= 12; j++) {
          const ang = (Math.PI * 2 * j) / 12;
          loop.push([x + Math.cos(ang) * w, y + Math.sin(ang) * h]);
        }
        wire(plane, loop, thin, METAL * 0.8);
        wire(
          plane,
          [
            [x - w * 0.2, y],
            [x - w * 0.2, y - h * 2],
          ],
          thin * 1.3,
          METAL * 0.8,
        );
      }
      break;
    }
    case "pacemaker": {
      const side: LungSide = f.side === "right" ? "right" : "left";
      const s = sideSign(side);
      const [gx, gy] = view.P(a.midX + s * rng.range(0.17, 0.24), a.clavicleY + rng.range(0.04, 0.07));
      const gw = view.L(0.055);
      const gh = view.L(0.045);
      const box: Point[] = [];
      for (let j = 0; j < 20; j++) {
        const ang = (Math.PI * 2 * j) / 20;
        const c = Math.cos(ang);
        const sn = Math.sin(ang);
        // Rounded rectangle (superellipse).
        box.push([gx + Math.sign(c) * Math.abs(c) ** 0.4 * gw, gy + Math.sign(sn) * Math.abs(sn) ** 0.4 * gh]);
      }
      addMask(plane, polygonMask(plane, box, 1.2), METAL * 0.9);
      // Leads through the subclavian vein and SVC into the right atrium and right ventricle.
      const svc = view.P(a.midX - 0.03, a.heartTopY - 0.04);
      const ra = view.P(a.midX - a.heartRight * 0.6, a.dome.right - 0.07);
      const rv = view.P(a.midX + a.heartLeft * 0.55, a.dome.left - 0.025);
      const leads = [ra, rv];
      if (rng.chance(0.4)) leads.push(view.P(a.midX + a.heartLeft * 0.8, a.dome.left - 0.08));
      for (const tip of leads) {
        const path = spline(
          [
            [gx - s * gw * 0.6, gy],
            view.P(a.midX + s * 0.08, a.clavicleY + 0.03),
            svc,
            view.P(a.midX - 0.02, a.heartTopY + 0.05),
            tip,
          ],
          6,
        );
        wire(plane, path, thin * 1.3, METAL * 0.7);
      }
      break;
    }
    case "central-line": {
      const side: LungSide =
        f.side === "left" ? "left" : f.side === "right" ? "right" : rng.chance(0.7) ? "right" : "left";
      const s = sideSign(side);
      const variant =
        f.variant === "unspecified" || !f.variant ? rng.pick(["jugular", "subclavian", "picc"]) : f.variant;
      const tip = view.P(a.midX - 0.025, a.heartTopY + rng.range(-0.01, 0.03));
      let path: Point[];
      if (variant === "jugular" || variant === "dialysis") {
        path = spline(
          [
            view.P(a.midX + s * 0.06, -0.02),
            view.P(a.midX + s * 0.045, a.clavicleY),
            view.P(a.midX - 0.03, a.carinaY),
            tip,
          ],
          6,
        );
      } else if (variant === "picc") {
        path = spline(
          [
            view.P(a.midX + s * (a.halfWidth[side] + 0.14), a.clavicleY + 0.12),
            view.P(a.midX + s * (a.halfWidth[side] + 0.02), a.clavicleY + 0.01),
            view.P(a.midX + s * 0.12, a.clavicleY + 0.02),
            view.P(a.midX - 0.03, a.carinaY),
            tip,
          ],
          6,
        );
      } else {
        path = spline(
          [
            view.P(a.midX + s * 0.2, a.clavicleY + 0.025),
            view.P(a.midX + s * 0.08, a.clavicleY + 0.02),
            view.P(a.midX - 0.03, a.carinaY),
            tip,
          ],
          6,
        );
      }
      if (variant === "port") {
        const [px, py] = view.P(a.midX + s * 0.2, a.clavicleY + 0.07);
        addEllipse(plane, px, py, view.L(0.02), view.L(0.018), METAL * 0.5, {
          profile: "sphere-shell",
          shell: 0.3,
          core: 0.3,
        });
        path = spline(
          [[px, py], view.P(a.midX + s * 0.12, a.clavicleY + 0.015), view.P(a.midX - 0.03, a.carinaY), tip],
          6,
        );
      }
      const radius = variant === "dialysis" ? view.L(0.004) : thin * 1.4;
      wire(plane, path, radius, variant === "dialysis" ? 0.4 : 0.3);
      break;
    }
    case "endotracheal-tube": {
      const path = [view.P(a.midX - 0.002, -0.02), view.P(a.midX - 0.003, a.carinaY - rng.range(0.05, 0.08))];
      tube(plane, path, view.L(0.011), thin, 0.5);
      break;
    }
    case "tracheostomy-tube": {
      const y0 = a.apexY - 0.03;
      const path = spline([view.P(a.midX, y0 - 0.03), view.P(a.midX, y0 + 0.02), view.P(a.midX, y0 + 0.06)], 4);
      tube(plane, path, view.L(0.012), thin, 0.5);
      wire(plane, [view.P(a.midX - 0.05, y0 - 0.028), view.P(a.midX + 0.05, y0 - 0.028)], view.L(0.004), METAL * 0.4);
      break;
    }
    case "enteric-tube": {
      const stomach = view.P(a.midX + a.halfWidth.left * 0.45, a.dome.left + 0.08);
      const path = spline(
        [
          view.P(a.midX + 0.004, -0.02),
          view.P(a.midX + 0.012, a.carinaY),
          view.P(a.midX + 0.025, a.dome.left + 0.01),
          stomach,
        ],
        6,
      );
      wire(plane, path, thin * 1.5, 0.5);
      break;
    }
    case "chest-tube": {
      const side: LungSide = f.side === "left" ? "left" : "right";
      const s = sideSign(side);
      const w = a.halfWidth[side];
      const path = spline(
        [
          view.P(a.midX + s * (w + 0.06), a.dome[side] - 0.02),
          view.P(a.midX + s * (w - 0.02), a.dome[side] - 0.08),
          view.P(a.midX + s * (w * 0.6), a.apexY + 0.2),
          view.P(a.midX + s * (w * 0.45), a.apexY + 0.07),
        ],
        6,
      );
      tube(plane, path, view.L(0.007), thin, 0.6);
      break;
    }
    case "surgical-clips": {
      const site = f.variant || rng.pick(["cholecystectomy", "axillary", "mediastinal", "neck"]);
      const side: LungSide =
        f.side === "left" ? "left" : f.side === "right" ? "right" : rng.chance(0.5) ? "right" : "left";
      const s = sideSign(side);
      let center: [number, number];
      let spread: number;
      if (site === "cholecystectomy") {
        center = view.P(a.midX - a.halfWidth.right * 0.45, a.dome.right + 0.09);
        spread = 0.02;
      } else if (site === "axillary") {
        center = view.P(a.midX + s * (a.halfWidth[side] + 0.02), a.clavicleY + 0.1);
        spread = 0.025;
      } else if (site === "neck") {
        center = view.P(a.midX + s * 0.03, a.apexY - 0.03);
        spread = 0.02;
      } else if (site === "breast") {
        center = view.P(a.midX + s * a.halfWidth[side] * 0.6, a.dome[side] - 0.1);
        spread = 0.03;
      } else {
        center = view.P(a.midX + 0.04, a.heartTopY + 0.02);
        spread = 0.045;
      }
      const n = rng.int(3, 7);
      for (let k = 0; k < n; k++) {
        const x = center[0] + rng.gauss(0, view.L(spread));
        const y = center[1] + rng.gauss(0, view.L(spread));
        const ang = rng.range(0, Math.PI);
        const len = view.L(0.008);
        wire(
          plane,
          [
            [x - Math.cos(ang) * len, y - Math.sin(ang) * len],
            [x, y],
            [x - Math.cos(ang + 0.5) * len, y - Math.sin(ang + 0.5) * len],
          ],
          thin * 1.2,
          METAL,
        );
      }
      break;
    }
    case "coronary-stent": {
      const n = rng.int(1, 2);
      for (let k = 0; k < n; k++) {
        const [x, y] = view.P(a.midX + rng.range(0.02, a.heartLeft * 0.6), a.heartTopY + rng.range(0.06, 0.14));
        const ang = rng.range(0.6, 1.4);
        const len = view.L(0.015);
        const pts: Point[] = [
          [x, y],
          [x + Math.cos(ang) * len, y + Math.sin(ang) * len],
        ];
        addStroke(plane, pts, view.L(0.0028), 0.35, { profile: "flat", soft: 0.7 });
      }
      break;
    }
    case "valve-prosthesis": {
      const [x, y] = view.P(a.midX + rng.range(0, 0.03), a.heartTopY + rng.range(0.08, 0.12));
      const ring: Point[] = [];
      const ang = rng.range(0.3, 0.9);
      for (let j = 0; j <= 24; j++) {
        const t = (Math.PI * 2 * j) / 24;
        const cx = Math.cos(t) * view.L(0.014);
        const cy = Math.sin(t) * view.L(0.009);
        ring.push([x + cx * Math.cos(ang) - cy * Math.sin(ang), y + cx * Math.sin(ang) + cy * Math.cos(ang)]);
      }
      wire(plane, ring, thin * 1.8, METAL * 0.8);
      break;
    }
    case "spinal-hardware": {
      if (f.variant === "cervical") {
        const [x, y] = view.P(spineX(a, a.t1Y - 0.1), a.t1Y - 0.1);
        addStroke(
          plane,
          [
            [x, y - view.L(0.04)],
            [x, y + view.L(0.04)],
          ],
          view.L(0.01),
          METAL * 0.6,
          { profile: "flat", soft: 1 },
        );
        for (const dy of [-0.03, 0.03]) {
          addStroke(
            plane,
            [
              [x - view.L(0.012), y + view.L(dy)],
              [x + view.L(0.012), y + view.L(dy)],
            ],
            view.L(0.003),
            METAL,
            {
              profile: "flat",
            },
          );
        }
      } else if (f.variant === "vertebroplasty") {
        const level = rng.int(8, 12);
        const v = vertebraY(a, level);
        const [x, y] = view.P(spineX(a, v), v);
        addEllipse(plane, x, y, view.L(0.022), view.L(0.016), METAL * 0.45, { profile: "dome" });
      } else {
        const from = rng.int(3, 6);
        const to = rng.int(10, 13);
        for (const s of [-1, 1]) {
          const pts: Point[] = [];
          for (let n = from; n <= to; n++) {
            const v = vertebraY(a, n);
            pts.push(view.P(spineX(a, v) + s * 0.02, v));
          }
          addStroke(plane, spline(pts, 3), view.L(0.0035), METAL * 0.8, { profile: "flat" });
        }
      }
      break;
    }
    case "shoulder-hardware": {
      for (const side of p.sides.length ? p.sides : (["right"] as LungSide[])) {
        const g = result.shoulders[side];
        addEllipse(plane, g.humeralHead[0], g.humeralHead[1], view.L(0.042), view.L(0.045), METAL * 0.7, {
          profile: "dome",
        });
        addStroke(plane, g.humeralShaft, view.L(0.008), METAL * 0.7, { profile: "flat" });
      }
      break;
    }
    default:
      break;
  }
}

function textFindingsFrontal(view: FrontalView, p: Placement): void {
  const a = view.a;
  const f = p.finding;
  const rng = p.frontalRng;
  switch (f.kind) {
    case "calcified-lymph-nodes": {
      for (const side of p.sides) {
        const s = sideSign(side);
        const n = rng.int(1, 3);
        for (let k = 0; k < n; k++) {
          const hy = a.hilumY[side] + rng.gauss(0, 0.02);
          const x = a.midX + s * (view.medialAt(side, view.Y(hy)) + rng.range(-0.005, 0.02));
          const [px, py] = view.P(x, hy);
          calcification(view.base, px, py, view.L(rng.range(0.004, 0.008)), 0.2 * p.amount, rng);
        }
      }
      break;
    }
    case "degenerative-spine": {
      const levels = [3, 4, 6, 8][p.grade]!;
      for (let k = 0; k < levels; k++) {
        const n = rng.int(5, 12);
        const v = vertebraY(a, n);
        const hw = (a.vertebraWidth * (1 + 0.022 * n)) / 2;
        for (const s of [-1, 1]) {
          if (rng.chance(0.35)) continue;
          const corner = view.P(spineX(a, v) + s * hw, v + (rng.chance(0.5) ? 1 : -1) * a.vertebraStep * 0.37);
          const len = view.L(rng.range(0.006, 0.012) * (0.6 + 0.2 * p.grade));
          addStroke(
            view.base,
            [corner, [corner[0] + s * len, corner[1] + (corner[1] > view.Y(v) ? len * 0.6 : -len * 0.6)]],
            view.L(0.003),
            0.05,
            { profile: "tube" },
          );
        }
      }
      break;
    }
    case "hiatal-hernia": {
      const [x, y] = view.P(a.midX + 0.015, a.dome.left - 0.045);
      const rx = view.L([0.04, 0.05, 0.065, 0.085][p.grade]!);
      const ry = rx * 0.8;
      addEllipse(view.base, x, y, rx, ry, 0.07, { profile: "dome", soft: 1.5 });
      // Air cap with a flat air-fluid level.
      const pts: Point[] = [];
      for (let k = 0; k <= 12; k++) {
        const ang = Math.PI + (Math.PI * k) / 12;
        pts.push([x + Math.cos(ang) * rx * 0.7, y - ry * 0.1 + Math.sin(ang) * ry * 0.6]);
      }
      addMask(view.base, polygonMask(view.base, pts, 1.2), -0.12 * Math.min(1, p.amount));
      break;
    }
    case "aortic-calcification": {
      const cx = a.midX + a.knob - 0.012;
      const arc: Point[] = [];
      for (let k = 0; k <= 8; k++) {
        const ang = -1.2 + (k / 8) * 2.0;
        arc.push(view.P(cx + Math.cos(ang) * 0.011, a.knobY + Math.sin(ang) * 0.018));
      }
      addStroke(view.base, arc, view.L(0.0018), 0.12 * p.amount, { profile: "line", soft: 0.7 });
      break;
    }
    default:
      break;
  }
}

/** Draws every non-anatomic finding into the frontal view. */
export function drawFrontalFindings(result: FrontalRenderResult, placements: readonly Placement[]): void {
  const view = result.view;
  for (const p of placements) {
    switch (p.finding.kind) {
      case "pleural-effusion":
        effusionFrontal(view, p);
        break;
      case "pneumothorax":
        pneumothoraxFrontal(view, p);
        break;
      case "consolidation":
      case "pneumonia":
      case "airspace-opacity":
        consolidationFrontal(view, p);
        break;
      case "atelectasis":
        atelectasisFrontal(view, p);
        break;
      case "scarring":
        scarringFrontal(view, p);
        break;
      case "interstitial-opacity":
        interstitialFrontal(view, p, false);
        break;
      case "edema":
        edemaFrontal(view, p);
        break;
      case "pleural-thickening":
        pleuralThickeningFrontal(view, p);
        break;
      case "lung-nodule":
      case "lung-mass":
      case "calcified-granuloma":
        nodulesFrontal(view, p);
        break;
      case "rib-fracture":
        ribFractureFrontal(view, p, result);
        break;
      case "clavicle-fracture":
        clavicleFractureFrontal(view, p, result);
        break;
      case "humerus-fracture":
        humerusFractureFrontal(view, p, result);
        break;
      case "widened-mediastinum":
      case "cardiomegaly":
        break;
      default:
        devicesFrontal(view, p, result);
        textFindingsFrontal(view, p);
    }
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Lateral
// ---------------------------------------------------------------------------------------------------------------

function effusionLateral(view: LateralView, p: Placement): void {
  const a = view.a;
  const S = view.size;
  const fill = view.fill.data;
  const base = view.base.data;
  // Fluid gathers in the posterior costophrenic sulcus first; the meniscus rises posteriorly.
  for (const side of p.sides) {
    const height = [0.03, 0.05, 0.11, 0.22][p.grade]!;
    const soft = view.L(0.012);
    for (let x = 0; x < S; x++) {
      const u = view.u(x);
      const ant = lateralLungAnterior(a, a.dome[side]);
      const post = lateralLungPosterior(a, a.dome[side] + 0.05);
      if (u < ant || u > post + 0.02) continue;
      const q = (u - ant) / (post - ant);
      const dia = hemidiaphragmY(a, side, u);
      const sulcus = hemidiaphragmY(a, side, post);
      const level = sulcus - height * (0.2 + 0.8 * q ** 1.5);
      const top = Math.min(level, dia - 0.002);
      for (let y = Math.max(0, Math.floor(view.Y(top) - soft)); y < S; y++) {
        const d = view.L(view.v(y) - top);
        const k = smoothstep(-soft, soft, d) * 0.5;
        const i = y * S + x;
        fill[i] = fill[i]! + k;
        base[i] = base[i]! + 0.04 * k;
      }
    }
  }
}

function regionLateral(view: LateralView, p: Placement, peak: number, extent: number): void {
  const temp = Plane.acquire(view.size, view.size);
  for (const loc of p.locations) {
    const [x, y] = lp(view, loc);
    cloud(temp, x, y, view.L(extent), view.L(extent * 0.85), 0.5, 10, p.lateralRng);
  }
  confluent(temp, 0.15, 1, peak);
  addMasked(view.fill, temp, view.lungAll, 0.6);
  Plane.release(temp);
}

function devicesLateral(view: LateralView, p: Placement): void {
  const a = view.a;
  const f = p.finding;
  const rng = p.lateralRng;
  const plane = view.base;
  const thin = Math.max(0.7, view.L(0.0017));
  const heart = lateralHeartGeometry(a);
  switch (f.kind) {
    case "sternotomy-wires": {
      const n = rng.int(5, 7);
      for (let k = 0; k < n; k++) {
        const v = a.clavicleY + 0.03 + ((a.dome.right - 0.09 - a.clavicleY) * k) / (n - 1);
        const [x, y] = view.P(a.sternumX + 0.012, v);
        wire(
          plane,
          [
            [x - view.L(0.012), y],
            [x + view.L(0.012), y + view.L(0.003)],
          ],
          thin * 1.4,
          METAL * 0.8,
        );
      }
      break;
    }
    case "pacemaker": {
      const [gx, gy] = view.P(a.sternumX + 0.02, a.clavicleY + 0.06);
      addEllipse(plane, gx, gy, view.L(0.02), view.L(0.045), METAL * 0.9, { soft: 1.2 });
      const tip = view.P(heart.cx - heart.rx * 0.3, heart.cy + heart.ry * 0.5);
      wire(
        plane,
        spline(
          [[gx, gy], view.P(0.45, a.carinaY - 0.03), view.P(heart.cx + heart.rx * 0.2, heart.cy - heart.ry * 0.7), tip],
          6,
        ),
        thin * 1.3,
        METAL * 0.7,
      );
      break;
    }
    case "central-line":
    case "enteric-tube":
    case "endotracheal-tube":
    case "tracheostomy-tube": {
      const tipY =
        f.kind === "enteric-tube"
          ? a.dome.left + 0.07
          : f.kind === "central-line"
            ? a.heartTopY + 0.01
            : a.carinaY - 0.06;
      const xs =
        f.kind === "enteric-tube"
          ? [0.52, 0.6, a.spineFrontX - 0.04, 0.4]
          : f.kind === "central-line"
            ? [0.45, 0.47, 0.46, 0.45]
            : [0.47, 0.5, 0.53, 0.54];
      const ys = [-0.02, a.apexY, (a.apexY + tipY) / 2, tipY];
      if (f.kind === "tracheostomy-tube") ys[0] = a.apexY - 0.06;
      const pts = spline(
        xs.map((x, i) => view.P(x, ys[i]!)),
        6,
      );
      if (f.kind === "endotracheal-tube" || f.kind === "tracheostomy-tube") tube(plane, pts, view.L(0.01), thin, 0.45);
      else wire(plane, pts, thin * 1.2, 0.3);
      break;
    }
    case "surgical-clips":
    case "coronary-stent":
    case "valve-prosthesis": {
      const [x, y] =
        f.kind === "surgical-clips"
          ? f.variant === "cholecystectomy"
            ? view.P(0.35, a.dome.right + 0.09)
            : view.P(0.4, a.heartTopY + 0.02)
          : view.P(heart.cx, heart.cy - heart.ry * 0.2);
      if (f.kind === "valve-prosthesis") {
        addEllipse(plane, x, y, view.L(0.012), view.L(0.016), METAL * 0.6, {
          profile: "sphere-shell",
          shell: 0.25,
          core: 0,
        });
      } else {
        const n = f.kind === "coronary-stent" ? 1 : rng.int(3, 6);
        for (let k = 0; k < n; k++) {
          const cx = x + rng.gauss(0, view.L(0.02));
          const cy = y + rng.gauss(0, view.L(0.02));
          const ang = rng.range(0, Math.PI);
          const len = view.L(f.kind === "coronary-stent" ? 0.015 : 0.008);
          addStroke(
            plane,
            [
              [cx, cy],
              [cx + Math.cos(ang) * len, cy + Math.sin(ang) * len],
            ],
            thin * (f.kind === "coronary-stent" ? 1.8 : 1.2),
            f.kind === "coronary-stent" ? 0.35 : METAL,
            { profile: "flat" },
          );
        }
      }
      break;
    }
    case "spinal-hardware": {
      if (f.variant === "rods" || !f.variant) {
        const pts: Point[] = [
          view.P(a.spineFrontX + 0.13, vertebraY(a, 4)),
          view.P(a.spineFrontX + 0.14, vertebraY(a, 12)),
        ];
        addStroke(plane, pts, view.L(0.004), METAL * 0.8, { profile: "flat" });
      } else if (f.variant === "cervical") {
        const [x, y] = view.P(a.spineFrontX - 0.01, a.t1Y - 0.1);
        addStroke(
          plane,
          [
            [x, y - view.L(0.04)],
            [x, y + view.L(0.04)],
          ],
          view.L(0.004),
          METAL * 0.8,
          { profile: "flat" },
        );
      } else {
        const v = vertebraY(a, 10);
        const [x, y] = view.P(a.spineFrontX + 0.04, v);
        addEllipse(plane, x, y, view.L(0.03), view.L(0.018), METAL * 0.45, { profile: "dome" });
      }
      break;
    }
    case "chest-tube": {
      const pts = spline([view.P(0.55, a.dome.right + 0.02), view.P(0.5, a.carinaY), view.P(0.45, a.apexY + 0.05)], 6);
      tube(plane, pts, view.L(0.007), thin, 0.5);
      break;
    }
    default:
      break;
  }
}

function textFindingsLateral(view: LateralView, p: Placement): void {
  const a = view.a;
  const f = p.finding;
  const rng = p.lateralRng;
  switch (f.kind) {
    case "degenerative-spine": {
      const levels = [3, 4, 6, 8][p.grade]!;
      for (let k = 0; k < levels; k++) {
        const n = rng.int(5, 12);
        const v = vertebraY(a, n);
        const tt = (n - 1) / 11;
        const front = a.spineFrontX + Math.sin(Math.PI * tt) * (0.025 + 0.025 * a.kyphosis);
        const dir = rng.chance(0.5) ? 1 : -1;
        const corner = view.P(front, v + dir * a.vertebraStep * 0.37);
        const len = view.L(rng.range(0.007, 0.014) * (0.6 + 0.2 * p.grade));
        addStroke(view.base, [corner, [corner[0] - len, corner[1] + dir * len * 0.8]], view.L(0.0035), 0.06, {
          profile: "tube",
        });
      }
      break;
    }
    case "hiatal-hernia": {
      const [x, y] = view.P(a.spineFrontX - 0.07, a.dome.left - 0.04);
      const rx = view.L([0.04, 0.05, 0.065, 0.085][p.grade]!);
      addEllipse(view.base, x, y, rx, rx * 0.85, 0.06, { profile: "dome", soft: 1.5 });
      const pts: Point[] = [];
      for (let k = 0; k <= 12; k++) {
        const ang = Math.PI + (Math.PI * k) / 12;
        pts.push([x + Math.cos(ang) * rx * 0.7, y - rx * 0.1 + Math.sin(ang) * rx * 0.5]);
      }
      addMask(view.base, polygonMask(view.base, pts, 1.2), -0.1);
      break;
    }
    case "aortic-calcification": {
      const arc: Point[] = [];
      for (let k = 0; k <= 10; k++) {
        const ang = Math.PI * (1.05 + (0.9 * k) / 10);
        arc.push(view.P(0.55 + Math.cos(ang) * 0.06, a.knobY + 0.01 + Math.sin(ang) * 0.04));
      }
      addStroke(view.base, arc, view.L(0.0018), 0.1 * p.amount, { profile: "line", soft: 0.7 });
      break;
    }
    case "calcified-lymph-nodes": {
      const n = rng.int(1, 3);
      for (let k = 0; k < n; k++) {
        const [x, y] = view.P(0.52 + rng.gauss(0, 0.02), (a.hilumY.left + a.hilumY.right) / 2 + rng.gauss(0, 0.02));
        calcification(view.base, x, y, view.L(rng.range(0.004, 0.008)), 0.18 * p.amount, rng);
      }
      break;
    }
    default:
      break;
  }
}

/** Draws every non-anatomic finding into the lateral view. */
export function drawLateralFindings(view: LateralView, placements: readonly Placement[]): void {
  const a = view.a;
  for (const p of placements) {
    const f = p.finding;
    switch (f.kind) {
      case "pleural-effusion":
        effusionLateral(view, p);
        break;
      case "consolidation":
        regionLateral(view, p, [0.4, 0.65, 0.85, 0.95][p.grade]!, 0.09);
        break;
      case "pneumonia":
      case "airspace-opacity":
        regionLateral(view, p, [0.22, 0.35, 0.5, 0.62][p.grade]!, 0.075);
        break;
      case "atelectasis":
        regionLateral(view, p, f.variant === "lobar" ? 0.6 : 0.3, 0.03);
        break;
      case "scarring":
      case "interstitial-opacity":
        regionLateral(view, p, 0.12 * p.amount, 0.06);
        break;
      case "edema": {
        const [x, y] = view.P(0.52, (a.hilumY.left + a.hilumY.right) / 2 + 0.03);
        addEllipse(view.fill, x, y, view.L(0.14), view.L(0.13), (f.variant === "alveolar" ? 0.35 : 0.12) * p.amount, {
          profile: "gauss",
        });
        // Thickened major fissure.
        addStroke(
          view.vessels,
          [view.P(0.72, a.hilumY.right - 0.08), view.P(0.32, a.dome.right + 0.01)],
          view.L(0.0018),
          0.04,
          {
            profile: "line",
          },
        );
        break;
      }
      case "pneumothorax": {
        if (f.severity === "marked" || p.grade >= 2) {
          const [x, y] = view.P(lateralLungAnterior(a, a.apexY + 0.1) + 0.04, a.apexY + 0.1);
          addEllipse(view.pleuralAir, x, y, view.L(0.05), view.L(0.09), 0.5, { profile: "gauss" });
        }
        break;
      }
      case "lung-nodule":
      case "lung-mass":
      case "calcified-granuloma":
        p.locations.forEach((loc, k) => {
          const [x, y] = lp(view, loc);
          const cm = p.sizes[k]!;
          const r = view.L((cm / 2) * CM);
          if (f.kind === "calcified-granuloma")
            calcification(view.base, x, y, Math.max(0.9, r), 0.2 + 0.1 * cm, p.lateralRng);
          else
            lesion(
              view.base,
              x,
              y,
              r,
              (0.025 + 0.025 * Math.min(cm, 6)) * (f.certainty === "uncertain" ? 0.6 : 1),
              f.kind === "lung-mass",
              p.lateralRng,
            );
        });
        break;
      case "widened-mediastinum": {
        const [x, y] = view.P(lateralLungAnterior(a, a.knobY + 0.04) + 0.05, a.knobY + 0.04);
        addEllipse(view.air, x, y, view.L(0.05), view.L(0.08), -0.2 * p.amount, { profile: "gauss" });
        break;
      }
      case "pleural-thickening": {
        const [x, y] = view.P(0.6, a.apexY + 0.01);
        addEllipse(view.fill, x, y, view.L(0.08), view.L(0.015), 0.4 * p.amount, { profile: "gauss" });
        break;
      }
      default:
        devicesLateral(view, p);
        textFindingsLateral(view, p);
    }
  }
}
