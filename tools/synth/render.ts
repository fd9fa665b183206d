/**
 * Renders one study: both views from the RenderSpec alone (study id → patient variation; findings → what is
 * drawn). The report text never reaches this module.
 */

import type { Certainty, FindingKind, FindingSpec, RenderSpec } from "../../src-main/services/language/report-findings";
import type { Severity, Side } from "../../src-main/services/language/report-mentions";
import { type Anatomy, applyAnatomicFindings, sampleAnatomy } from "./anatomy";
import { develop } from "./detector";
import { drawFrontalFindings, drawLateralFindings, type Placement, placeFinding } from "./draw-findings";
import { drawFrontalAnatomy, type FrontalRenderResult } from "./frontal";
import { drawLateralAnatomy, type LateralView } from "./lateral";
import { type Rng, rngFor } from "./prng";
import { Plane } from "./raster";
import { StageTimer, type StageTimes } from "./timing";
import type { View } from "./view";

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

/** The name of a finding's random streams: its kind and its index among the study's findings of that kind. */
function findingStreamName(spec: RenderSpec, f: FindingSpec): string {
  const index = spec.findings.filter((g) => g.kind === f.kind).indexOf(f);
  return `finding:${f.kind}:${index}`;
}

export function findingStream(spec: RenderSpec, f: FindingSpec): Rng {
  return rngFor(spec.id, findingStreamName(spec, f));
}

interface Prepared {
  anatomy: Anatomy;
  placements: Placement[];
}

function prepare(spec: RenderSpec): Prepared {
  const anatomy = sampleAnatomy(rngFor(spec.id, "patient"));
  applyAnatomicFindings(anatomy, spec.findings, (f) => findingStream(spec, f));
  const placements = spec.findings.map((f) => {
    const stream = findingStreamName(spec, f);
    return placeFinding(
      f,
      rngFor(spec.id, `${stream}:place`),
      rngFor(spec.id, `${stream}:frontal`),
      rngFor(spec.id, `${stream}:lateral`),
    );
  });
  return { anatomy, placements };
}

/** How one view is drawn: its normal anatomy, then the findings into the same planes. */
interface ViewRenderer<Drawn> {
  name: "frontal" | "lateral";
  anatomy(a: Anatomy, size: number, rng: Rng, times?: StageTimes): Drawn;
  findings(drawn: Drawn, placements: readonly Placement[]): void;
  view(drawn: Drawn): View;
}

const FRONTAL: ViewRenderer<FrontalRenderResult> = {
  name: "frontal",
  anatomy: drawFrontalAnatomy,
  findings: drawFrontalFindings,
  view: (drawn) => drawn.view,
};

const LATERAL: ViewRenderer<LateralView> = {
  name: "lateral",
  anatomy: drawLateralAnatomy,
  findings: drawLateralFindings,
  view: (drawn) => drawn,
};

/**
 * One view as an image: its anatomy (from the view's own random stream), then the findings drawn into it, composed
 * and developed by the detector; the view's planes go back to the pool.
 */
function viewImage<Drawn>(
  renderer: ViewRenderer<Drawn>,
  spec: RenderSpec,
  prepared: Prepared,
  size: number,
  timer: StageTimer,
  times?: StageTimes,
): Plane {
  const { name } = renderer;
  const drawn = renderer.anatomy(prepared.anatomy, size, rngFor(spec.id, `${name}-anatomy`), times);
  timer.mark(`${name} anatomy`);
  renderer.findings(drawn, prepared.placements);
  timer.mark(`${name} findings`);
  const view = renderer.view(drawn);
  const composed = view.compose();
  const image = develop(composed, prepared.anatomy.exposure, rngFor(spec.id, `${name}-detector`));
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
  const frontal = viewImage(FRONTAL, spec, prepared, size, timer, times);
  const lateral = viewImage(LATERAL, spec, prepared, size, timer, times);
  const drawn = spec.findings.map((f, i) => drawnFinding(f, prepared.placements[i]!));
  return { frontal, lateral, anatomy: prepared.anatomy, drawn };
}

/** The frontal view only (identical to renderStudy's frontal). */
export function renderFrontal(spec: RenderSpec, size = 512): Plane {
  const timer = new StageTimer(undefined);
  return viewImage(FRONTAL, spec, prepare(spec), size, timer);
}
