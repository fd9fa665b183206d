/**
 * Renders one study: both views from the RenderSpec alone (study id → patient variation; findings → what is
 * drawn). The report text never reaches this module.
 */
import { type Anatomy, applyAnatomicFindings, sampleAnatomy } from "./anatomy";
import { develop } from "./detector";
import { drawFrontalFindings, drawLateralFindings, type Placement, placeFinding } from "./draw-findings";
import type { Certainty, FindingKind, FindingSpec, RenderSpec } from "./findings";
import { drawFrontalAnatomy } from "./frontal";
import { drawLateralAnatomy } from "./lateral";
import { type Rng, rngFor } from "./prng";
import { Plane } from "./raster";
import type { Severity, Side } from "./report-text";
import { StageTimer, type StageTimes } from "./timing";

export interface RenderedStudy {
  frontal: Plane;
  lateral: Plane;
  /** The patient (after the anatomic findings), e.g. for the DICOM patient sex. */
  anatomy: Anatomy;
  /** What was drawn, one entry per finding (the truth of the image; written to the dataset's findings.json). */
  drawn: DrawnFinding[];
}

/**
 * One finding as drawn: its kind, grade (positive = clearly visible, uncertain = subtle), the side it was drawn on
 * (the renderer's choice when the report states none; absent for findings without a side, e.g. cardiomegaly) and
 * the stated severity (absent when the report states none).
 */
export interface DrawnFinding {
  kind: FindingKind;
  certainty: Certainty;
  side?: Side;
  severity?: Severity;
}

function drawnFinding(f: FindingSpec, placement: Placement): DrawnFinding {
  const sides = new Set(placement.sides);
  const side: Side | undefined =
    sides.size === 2 ? "bilateral" : sides.size === 1 ? [...sides][0]! : (f.side ?? undefined);
  return {
    kind: f.kind,
    certainty: f.certainty,
    ...(side ? { side } : {}),
    ...(f.severity ? { severity: f.severity } : {}),
  };
}

export function findingStream(spec: RenderSpec, f: FindingSpec): Rng {
  const index = spec.findings.filter((g) => g.kind === f.kind).indexOf(f);
  return rngFor(spec.id, `finding:${f.kind}:${index}`);
}

interface Prepared {
  anatomy: Anatomy;
  placements: Placement[];
}

function prepare(spec: RenderSpec): Prepared {
  const anatomy = sampleAnatomy(rngFor(spec.id, "patient"));
  applyAnatomicFindings(anatomy, spec.findings, (f) => findingStream(spec, f));
  const placements = spec.findings.map((f) => {
    const index = spec.findings.filter((g) => g.kind === f.kind).indexOf(f);
    const stream = `finding:${f.kind}:${index}`;
    return placeFinding(
      f,
      rngFor(spec.id, `${stream}:place`),
      rngFor(spec.id, `${stream}:frontal`),
      rngFor(spec.id, `${stream}:lateral`),
    );
  });
  return { anatomy, placements };
}

function frontalImage(
  spec: RenderSpec,
  prepared: Prepared,
  size: number,
  timer: StageTimer,
  times?: StageTimes,
): Plane {
  const frontal = drawFrontalAnatomy(prepared.anatomy, size, rngFor(spec.id, "frontal-anatomy"), times);
  timer.mark("frontal anatomy");
  drawFrontalFindings(frontal, prepared.placements);
  timer.mark("frontal findings");
  const composed = frontal.view.compose();
  const image = develop(composed, prepared.anatomy.exposure, rngFor(spec.id, "frontal-detector"));
  frontal.view.release();
  Plane.release(composed);
  timer.mark("develop");
  return image;
}

function lateralImage(
  spec: RenderSpec,
  prepared: Prepared,
  size: number,
  timer: StageTimer,
  times?: StageTimes,
): Plane {
  const view = drawLateralAnatomy(prepared.anatomy, size, rngFor(spec.id, "lateral-anatomy"), times);
  timer.mark("lateral anatomy");
  drawLateralFindings(view, prepared.placements);
  timer.mark("lateral findings");
  const composed = view.compose();
  const image = develop(composed, prepared.anatomy.exposure, rngFor(spec.id, "lateral-detector"));
  view.release();
  Plane.release(composed);
  timer.mark("develop");
  return image;
}

/** Both views of a study, values in [0, 1]. */
export function renderStudy(spec: RenderSpec, size = 512, times?: StageTimes): RenderedStudy {
  const timer = new StageTimer(times);
  const prepared = prepare(spec);
  timer.mark("anatomy");
  const frontal = frontalImage(spec, prepared, size, timer, times);
  const lateral = lateralImage(spec, prepared, size, timer, times);
  const drawn = spec.findings.map((f, i) => drawnFinding(f, prepared.placements[i]!));
  return { frontal, lateral, anatomy: prepared.anatomy, drawn };
}

/** The frontal view only (identical to renderStudy's frontal). */
export function renderFrontal(spec: RenderSpec, size = 512): Plane {
  const timer = new StageTimer(undefined);
  return frontalImage(spec, prepare(spec), size, timer);
}
