/**
 * The patient model shared by the frontal and the lateral view: body habitus, thorax and lung shape, heart and
 * mediastinum, diaphragm, skeleton, and the exposure/detector settings, all sampled from the study's "patient"
 * random stream, then changed by the findings that alter anatomy (cardiomegaly, hyperinflation, low volumes,
 * elevated hemidiaphragm, scoliosis, kyphosis, tortuous aorta, widened mediastinum, osteopenia, ...).
 *
 * Units: normalised image coordinates of the frontal view before the view transform; x 0..1 left to right of the
 * image (patient's right is image left), y 0..1 top to bottom. Depth z 0..1 runs anterior to posterior and maps
 * to the lateral view's x.
 */
import type { FindingSpec } from "../../src-main/services/language/report-findings";
import type { Severity } from "../../src-main/services/language/report-mentions";
import type { Rng } from "./prng";

export type LungSide = "right" | "left";

export interface Exposure {
  /** Scale from attenuation to log signal (contrast). */
  contrast: number;
  /** Quantum noise in log units at zero attenuation. */
  noise: number;
  /** Mid-frequency edge enhancement gain. */
  unsharp: number;
  /** Low-frequency equalisation (dynamic range compression) gain. */
  equalize: number;
  gamma: number;
  /** Percentile window of the auto-windowing LUT. */
  lowPercentile: number;
  highPercentile: number;
  /** Fraction of the window kept below the low percentile. */
  footroom: number;
  /** Anode heel gradient along y. */
  heel: number;
  /** Blur of the detector's point spread, in pixels at 512. */
  blur: number;
  brightness: number;
}

export interface Anatomy {
  female: boolean;
  /** -1 thin .. +1 heavy. */
  habitus: number;
  age: number;

  // View transform (frontal and lateral share zoom; each has its own shift).
  zoom: number;
  shiftX: number;
  shiftY: number;
  lateralShiftX: number;
  lateralShiftY: number;

  midX: number;
  /** Rotation: the spinous processes shift relative to the midline of the sternum/trachea. */
  rotation: number;
  apexY: number;
  dome: Record<LungSide, number>;
  /** How far below the dome the costophrenic angle lies. */
  cpDepth: Record<LungSide, number>;
  /** Inner thoracic half-width at its widest, per side. */
  halfWidth: Record<LungSide, number>;
  /** Per-patient wobble of the lung outline (multipliers of the control offsets). */
  lungShape: number[];
  /** Heart: extent right and left of the midline, and the level of its top (right atrial/SVC junction). */
  heartRight: number;
  heartLeft: number;
  heartTopY: number;
  /** Cardiothoracic ratio that heartRight + heartLeft realise. */
  ctr: number;
  /** Superior mediastinum half-width, aortic knob offset and level. */
  mediastinumHalf: number;
  knob: number;
  knobY: number;
  /** Descending aorta lateral edge offset (left of midline) and its bulge. */
  aortaEdge: number;
  aortaBulge: number;
  carinaY: number;
  tracheaHalf: number;
  hilumY: Record<LungSide, number>;
  hilumSize: number;
  /** Thoracic vertebrae: T1 centre y and the step per level. */
  t1Y: number;
  vertebraStep: number;
  vertebraWidth: number;
  clavicleY: number;
  clavicleTilt: number;
  clavicleLength: number;
  ribRadius: number;
  ribDroop: number;
  scapulaInset: number;
  /** Skin outside the ribs (soft tissue thickness) and body depth scale. */
  softTissue: number;
  bodyDepth: number;
  breast: number;
  boneDensity: number;
  /** Multiplier of lung air (hyperinflation raises it). */
  lungAir: number;
  vesselScale: number;
  /** Scoliosis: lateral displacement amplitude of the spine (signed, + = convex to the image right). */
  scoliosis: number;
  /** Lateral view thoracic kyphosis (0 normal). */
  kyphosis: number;
  /** Lateral view: anterior chest wall and spine positions (x of lateral image), AP depth. */
  sternumX: number;
  spineFrontX: number;
  apDepthScale: number;
  armsUp: number;
  gastricBubble: number;
  /** A wedge-compressed vertebra (level 1..14) keeping `ratio` of its anterior height. */
  wedge: { level: number; ratio: number } | null;
  /** A focal bulge of one hemidiaphragm (eventration). */
  eventration: { side: LungSide; height: number; center: number } | null;
  exposure: Exposure;
}

/** Samples the patient's normal anatomy from the patient stream. */
export function sampleAnatomy(rng: Rng): Anatomy {
  const female = rng.chance(0.5);
  const habitus = rng.gauss(0, 0.45, -1, 1);
  const age = rng.range(25, 85);
  const inspiration = rng.gauss(0, 0.5, -1.2, 1.2);
  const zoom = rng.range(0.97, 1.07) - 0.03 * habitus;
  const apexY = rng.gauss(0.115, 0.012, 0.085, 0.15);
  const domeRight = rng.gauss(0.665, 0.012, 0.63, 0.7) + 0.03 * -inspiration * 0.7;
  const domeLeftGap = rng.gauss(0.022, 0.007, 0.008, 0.04);
  const widthBase = rng.gauss(0.365, 0.012, 0.335, 0.395) + 0.01 * habitus;
  const ctr = rng.gauss(0.44, 0.022, 0.38, 0.485);
  const rightFraction = rng.gauss(0.28, 0.02, 0.23, 0.33);
  const heartWidth = ctr * 2 * widthBase;
  const carinaY = apexY + rng.gauss(0.165, 0.012, 0.14, 0.19);
  const t1Y = apexY + rng.gauss(0.01, 0.008, -0.01, 0.03);
  const lungShape: number[] = [];
  for (let i = 0; i < 8; i++) lungShape.push(rng.gauss(1, 0.035, 0.9, 1.1));
  const exposure: Exposure = {
    contrast: rng.gauss(1, 0.07, 0.82, 1.18),
    noise: rng.gauss(0.0032, 0.001, 0.0015, 0.0065),
    unsharp: rng.gauss(0.9, 0.25, 0.35, 1.5),
    equalize: rng.gauss(0.7, 0.1, 0.45, 0.95),
    gamma: rng.gauss(1, 0.08, 0.82, 1.2),
    lowPercentile: rng.range(0.5, 3),
    highPercentile: rng.range(93, 98.5),
    footroom: rng.range(0.12, 0.3),
    heel: rng.gauss(0, 0.03, -0.06, 0.06),
    blur: rng.range(0.5, 1.1),
    brightness: rng.gauss(0, 0.03, -0.07, 0.07),
  };
  return {
    female,
    habitus,
    age,
    zoom,
    shiftX: rng.gauss(0, 0.012, -0.03, 0.03),
    shiftY: rng.gauss(0, 0.012, -0.03, 0.03),
    lateralShiftX: rng.gauss(0, 0.015, -0.035, 0.035),
    lateralShiftY: rng.gauss(0, 0.012, -0.03, 0.03),
    midX: 0.5,
    rotation: rng.gauss(0, 0.008, -0.02, 0.02),
    apexY,
    dome: { right: domeRight, left: domeRight + domeLeftGap },
    cpDepth: { right: rng.gauss(0.06, 0.008, 0.04, 0.08), left: rng.gauss(0.058, 0.008, 0.04, 0.08) },
    halfWidth: {
      right: widthBase * rng.gauss(1, 0.012, 0.97, 1.03),
      left: widthBase * rng.gauss(1.0, 0.012, 0.97, 1.03),
    },
    lungShape,
    heartRight: heartWidth * rightFraction,
    heartLeft: heartWidth * (1 - rightFraction),
    heartTopY: carinaY + rng.gauss(0.06, 0.01, 0.04, 0.085),
    ctr,
    mediastinumHalf: rng.gauss(0.05, 0.004, 0.042, 0.06),
    knob: rng.gauss(0.068, 0.006, 0.056, 0.082) + 0.0004 * (age - 50),
    knobY: apexY + rng.gauss(0.115, 0.01, 0.095, 0.14),
    aortaEdge: rng.gauss(0.045, 0.004, 0.036, 0.055),
    aortaBulge: 0,
    carinaY,
    tracheaHalf: rng.gauss(0.016, 0.0015, 0.013, 0.019),
    hilumY: {
      right: carinaY + rng.gauss(0.07, 0.008, 0.05, 0.09),
      left: carinaY + rng.gauss(0.05, 0.008, 0.035, 0.07),
    },
    hilumSize: rng.gauss(1, 0.08, 0.8, 1.2),
    t1Y,
    vertebraStep: rng.gauss(0.0555, 0.002, 0.05, 0.061),
    vertebraWidth: rng.gauss(0.06, 0.004, 0.052, 0.07),
    clavicleY: apexY + rng.gauss(0.035, 0.012, 0.005, 0.065),
    clavicleTilt: rng.gauss(0.045, 0.012, 0.015, 0.075),
    clavicleLength: rng.gauss(0.27, 0.012, 0.24, 0.3),
    ribRadius: rng.gauss(0.0105, 0.0008, 0.009, 0.0125),
    ribDroop: rng.gauss(0.1, 0.012, 0.075, 0.125),
    scapulaInset: rng.gauss(0.02, 0.015, -0.02, 0.05),
    softTissue: rng.gauss(0.045, 0.012, 0.025, 0.08) + 0.025 * habitus,
    bodyDepth: rng.gauss(1, 0.06, 0.85, 1.18) + 0.12 * habitus,
    breast: female ? rng.gauss(0.6, 0.25, 0.15, 1) + 0.2 * habitus : 0,
    boneDensity: rng.gauss(1, 0.07, 0.82, 1.15) - 0.002 * (age - 50),
    lungAir: rng.gauss(1, 0.04, 0.9, 1.1),
    vesselScale: rng.gauss(1, 0.08, 0.8, 1.2),
    scoliosis: rng.gauss(0, 0.002, -0.006, 0.006),
    kyphosis: rng.gauss(0, 0.2, -0.4, 0.4),
    sternumX: rng.gauss(0.2, 0.012, 0.17, 0.23) - 0.02 * habitus,
    spineFrontX: rng.gauss(0.7, 0.012, 0.67, 0.73),
    apDepthScale: rng.gauss(1, 0.04, 0.9, 1.1),
    armsUp: rng.range(0, 1),
    gastricBubble: rng.range(0.2, 1),
    wedge: null,
    eventration: null,
    exposure,
  };
}

const SEVERITY_RANK: Record<Severity, number> = { mild: 0, moderate: 1, marked: 2 };

/** 0 for uncertain (subtle), 1 mild, 2 moderate/unspecified, 3 marked. */
export function gradeOf(f: FindingSpec, defaultSeverity: Severity = "moderate"): number {
  if (f.certainty === "uncertain") return 0;
  return 1 + SEVERITY_RANK[f.severity ?? defaultSeverity];
}

function setCtr(a: Anatomy, ctr: number): void {
  const width = ctr * (a.halfWidth.right + a.halfWidth.left);
  const rightFraction = a.heartRight / (a.heartRight + a.heartLeft);
  a.heartRight = width * rightFraction;
  a.heartLeft = width * (1 - rightFraction);
  a.ctr = ctr;
}

/** Findings that change the anatomy itself rather than adding something to it. */
export function applyAnatomicFindings(
  a: Anatomy,
  findings: readonly FindingSpec[],
  rngOf: (f: FindingSpec) => Rng,
): void {
  for (const f of findings) {
    const rng = rngOf(f);
    const grade = gradeOf(f);
    switch (f.kind) {
      case "hyperinflation": {
        const k = [0.45, 0.7, 1, 1.3][grade]!;
        a.dome.right += 0.05 * k;
        a.dome.left = a.dome.right + Math.max(0.008, a.dome.left - a.dome.right - 0.01);
        a.cpDepth.right *= 1 - 0.35 * k;
        a.cpDepth.left *= 1 - 0.35 * k;
        a.lungAir *= 1 + 0.12 * k;
        a.vesselScale *= 1 - 0.2 * k;
        a.apDepthScale *= 1 + 0.1 * k;
        a.heartRight *= 1 - 0.08 * k;
        a.heartLeft *= 1 - 0.1 * k;
        a.ctr = (a.heartRight + a.heartLeft) / (a.halfWidth.right + a.halfWidth.left);
        break;
      }
      case "low-lung-volumes": {
        const k = [0.5, 0.75, 1, 1.25][grade]!;
        a.dome.right -= 0.05 * k;
        a.dome.left -= 0.045 * k;
        a.vesselScale *= 1 + 0.12 * k;
        a.lungAir *= 1 - 0.1 * k;
        a.heartRight *= 1 + 0.05 * k;
        a.heartLeft *= 1 + 0.05 * k;
        a.ctr = (a.heartRight + a.heartLeft) / (a.halfWidth.right + a.halfWidth.left);
        break;
      }
      case "cardiomegaly": {
        const ctr =
          f.certainty === "uncertain"
            ? rng.range(0.5, 0.525)
            : f.severity === "mild"
              ? rng.range(0.53, 0.56)
              : f.severity === "marked"
                ? rng.range(0.64, 0.7)
                : rng.range(0.57, 0.62);
        if (ctr > a.ctr) setCtr(a, ctr);
        a.heartTopY -= 0.01 * grade;
        break;
      }
      case "widened-mediastinum": {
        const k = [0.35, 0.7, 1, 1.35][grade]!;
        a.mediastinumHalf *= 1 + 0.45 * k;
        a.knob *= 1 + 0.2 * k;
        break;
      }
      case "tortuous-aorta": {
        const k = [0.4, 0.7, 1, 1.3][grade]!;
        a.knob *= 1 + 0.18 * k;
        a.knobY -= 0.008 * k;
        a.aortaBulge = 0.02 * k;
        break;
      }
      case "elevated-hemidiaphragm": {
        const side: LungSide =
          f.side === "left" ? "left" : f.side === "right" ? "right" : rng.chance(0.5) ? "left" : "right";
        const k = [0.45, 0.7, 1, 1.3][grade]!;
        a.dome[side] -= 0.055 * k;
        if (f.side === "bilateral") a.dome[side === "left" ? "right" : "left"] -= 0.04 * k;
        break;
      }
      case "scoliosis": {
        const k = [0.4, 0.7, 1, 1.4][grade]!;
        // Dextroscoliosis is convex to the patient's right = image left.
        const sign = f.side === "right" ? -1 : f.side === "left" ? 1 : rng.chance(0.6) ? -1 : 1;
        a.scoliosis = sign * 0.03 * k;
        break;
      }
      case "kyphosis": {
        a.kyphosis = [0.6, 0.9, 1.2, 1.6][grade]!;
        a.apDepthScale *= 1.05;
        break;
      }
      case "osteopenia": {
        a.boneDensity *= [0.85, 0.75, 0.66, 0.58][grade]!;
        break;
      }
      case "vertebral-compression": {
        const level = f.zones?.includes("upper")
          ? rng.int(4, 7)
          : f.zones?.includes("middle")
            ? rng.int(6, 9)
            : rng.int(8, 13);
        a.wedge = { level, ratio: [0.82, 0.72, 0.6, 0.48][grade]! };
        break;
      }
      case "diaphragm-eventration": {
        const side: LungSide =
          f.side === "left" ? "left" : f.side === "right" ? "right" : rng.chance(0.6) ? "right" : "left";
        a.eventration = { side, height: [0.015, 0.022, 0.03, 0.04][grade]!, center: rng.range(0.25, 0.5) };
        break;
      }
      case "hilar-enlargement": {
        a.hilumSize *= [1.2, 1.35, 1.5, 1.7][grade]!;
        break;
      }
      case "atelectasis": {
        if (f.variant === "lobar" && f.certainty === "positive") {
          const lower = !f.zones || f.zones.includes("lower") || f.lobes?.some((l) => l.endsWith("LL"));
          if (lower) {
            const side: LungSide = f.side === "left" ? "left" : "right";
            a.dome[side] -= 0.015 * grade;
          }
        }
        break;
      }
      default:
        break;
    }
  }
  if (a.dome.left - a.dome.right > 0.09) a.dome.left = a.dome.right + 0.09;
}

// ---------------------------------------------------------------------------------------------------------------
// Geometry shared by the views
// ---------------------------------------------------------------------------------------------------------------

/** Monotone-ish piecewise cubic (Catmull-Rom) interpolation through (t, value) knots, clamped at the ends. */
export function interpolate(knots: readonly (readonly [number, number])[], t: number): number {
  if (t <= knots[0]![0]) return knots[0]![1];
  const last = knots[knots.length - 1]!;
  if (t >= last[0]) return last[1];
  let i = 0;
  while (i + 1 < knots.length && knots[i + 1]![0] < t) i++;
  const p1 = knots[i]!;
  const p2 = knots[i + 1]!;
  const p0 = knots[Math.max(0, i - 1)]!;
  const p3 = knots[Math.min(knots.length - 1, i + 2)]!;
  const u = (t - p1[0]) / (p2[0] - p1[0]);
  const m1 = ((p2[1] - p0[1]) / (p2[0] - p0[0])) * (p2[0] - p1[0]);
  const m2 = ((p3[1] - p1[1]) / (p3[0] - p1[0])) * (p2[0] - p1[0]);
  const u2 = u * u;
  const u3 = u2 * u;
  return (2 * u3 - 3 * u2 + 1) * p1[1] + (u3 - 2 * u2 + u) * m1 + (-2 * u3 + 3 * u2) * p2[1] + (u3 - u2) * m2;
}

/** y of the lowest point of the lung on this side (the costophrenic angle). */
export function cpY(a: Anatomy, side: LungSide): number {
  return a.dome[side] + a.cpDepth[side];
}

/** Lateral lung border: distance from the midline at height y (0 above the apex). */
export function lungLateral(a: Anatomy, side: LungSide, y: number): number {
  const top = a.apexY + (side === "left" ? 0.004 : 0);
  const bottom = cpY(a, side);
  const t = (y - top) / (bottom - top);
  if (t < 0) return 0;
  const w = a.halfWidth[side];
  const s = a.lungShape;
  const k = side === "left" ? 4 : 0;
  return (
    w *
    interpolate(
      [
        [0, 0.37],
        [0.015, 0.5],
        [0.05, 0.62],
        [0.12, 0.74 * s[k]!],
        [0.25, 0.86 * s[k + 1]!],
        [0.45, 0.955],
        [0.7, 1],
        [0.9, 0.995 * s[k + 2]!],
        [1, 0.975],
      ],
      t,
    )
  );
}

/** Apical medial border of the lung (before the mediastinal contours take over). */
function lungMedialApex(a: Anatomy, side: LungSide, y: number): number {
  const top = a.apexY + (side === "left" ? 0.004 : 0);
  const t = (y - top) / (cpY(a, side) - top);
  const w = a.halfWidth[side];
  return (
    w *
    interpolate(
      [
        [0, 0.37],
        [0.015, 0.25],
        [0.05, 0.18],
        [0.1, 0.15],
        [0.2, 0.13],
      ],
      t,
    )
  );
}

function bump(y: number, center: number, halfHeight: number): number {
  const u = (y - center) / halfHeight;
  return u <= -1 || u >= 1 ? 0 : Math.sqrt(1 - u * u);
}

function smoothMax(a: number, b: number, k: number): number {
  const h = Math.max(k - Math.abs(a - b), 0) / k;
  return Math.max(a, b) + (h * h * k) / 4;
}

/**
 * Medial lung border (the cardiomediastinal contour on this side): distance from the midline at height y.
 * Right: SVC then the right atrium. Left: left subclavian, aortic knob, pulmonary trunk, left ventricle.
 */
export function lungMedial(a: Anatomy, side: LungSide, y: number): number {
  const apex = lungMedialApex(a, side, y);
  const dome = a.dome[side];
  if (side === "right") {
    const svc = a.mediastinumHalf * (0.92 + 0.08 * bump(y, a.carinaY, 0.05));
    const raCenter = a.heartTopY + 0.72 * (dome - a.heartTopY);
    const raHalf = (dome - a.heartTopY) * 0.6;
    const ra = a.heartRight * bump(y, raCenter, raHalf) ** 0.55;
    return Math.max(apex, smoothMax(svc, ra, 0.01));
  }
  const above = a.mediastinumHalf * 0.85;
  const knob = a.knob * bump(y, a.knobY, 0.028) ** 0.6;
  const trunk = (a.knob * 0.95 + 0.004) * bump(y, a.knobY + 0.062, 0.026) ** 0.8;
  const lvTop = a.knobY + 0.075;
  const lvMaxY = dome - 0.035;
  let lv = 0;
  if (y >= lvTop) {
    if (y >= lvMaxY) lv = a.heartLeft * (1 - 0.35 * ((y - lvMaxY) / 0.1) ** 2);
    else {
      // Elliptical arc from the left atrial appendage down and out to the ventricle's widest point.
      const start = a.knob * 0.95;
      const u = (lvMaxY - y) / (lvMaxY - lvTop);
      lv = start + (a.heartLeft - start) * Math.max(0, 1 - u ** 1.7) ** 0.75;
    }
  }
  return Math.max(apex, smoothMax(smoothMax(above, knob, 0.012), smoothMax(trunk, lv, 0.02), 0.015));
}

/** Height of the diaphragm (top of the lung's lower border) at horizontal offset dx from the midline (>= 0). */
export function diaphragmY(a: Anatomy, side: LungSide, dx: number): number {
  const w = a.halfWidth[side];
  const peak = w * 0.48;
  const dome = a.dome[side];
  let y: number;
  if (dx >= peak) {
    const u = (dx - peak) / (w - peak);
    y = dome + a.cpDepth[side] * u ** 1.9;
  } else {
    const u = (peak - dx) / peak;
    y = dome + 0.035 * u ** 2;
  }
  const ev = a.eventration;
  if (ev && ev.side === side) {
    const c = ev.center * w;
    const q = (dx - c) / (0.22 * w);
    if (q > -1 && q < 1) y -= ev.height * (1 - q * q) ** 1.5;
  }
  return y;
}

/**
 * A point in the lung from (t, m): t 0 at the apex to 1 at the costophrenic level, m 0 at the
 * cardiomediastinal border to 1 at the chest wall (negative reaches behind the heart). Kept above the diaphragm.
 */
export function lungAnatomical(a: Anatomy, side: LungSide, t: number, m: number): { u: number; v: number } {
  const y0 = a.apexY + Math.min(1, Math.max(0, t)) * (cpY(a, side) - a.apexY);
  const lat = lungLateral(a, side, y0);
  const med = Math.min(lungMedial(a, side, y0), lat - 0.01);
  const floorMed = side === "right" ? 0.035 : a.aortaEdge;
  const dx = m >= 0 ? med + m * (lat - med) : Math.max(floorMed, med + m * (med - floorMed) * 4);
  const y = Math.min(y0, diaphragmY(a, side, dx) - 0.015);
  return { u: a.midX + (side === "right" ? -dx : dx), v: Math.max(a.apexY + 0.012, y) };
}

/** The spine's centre line x at height y (scoliosis and rotation). */
export function spineX(a: Anatomy, y: number): number {
  const t = (y - a.t1Y) / 0.65;
  const curve = t > 0 && t < 1 ? Math.sin(Math.PI * t) : 0;
  return a.midX + a.rotation + a.scoliosis * curve;
}

/** y of the centre of thoracic vertebra n (1..12), lumbar continue at 13+. */
export function vertebraY(a: Anatomy, n: number): number {
  return a.t1Y + (n - 1) * a.vertebraStep * (1 + 0.012 * (n - 1));
}
