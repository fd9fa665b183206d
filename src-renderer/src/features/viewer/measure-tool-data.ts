/**
 * Between the case database's measurements (src-shared/measurements.ts: image-pixel points per kind) and
 * cornerstone-tools' tool data (named handles in image-pixel coordinates). Pure, so it is unit-tested in Node; the
 * tools themselves are set up in ./measure-tools.ts.
 */
import type { Measurement, MeasurementKind, Point } from "../../../../src-shared/measurements";

/** What the viewer's measuring tools draw: the stored kinds (the probe too: its reading is stored, migration 16). */
export type MeasureTool = MeasurementKind;

/** cornerstone-tools' tool name of each measuring tool ("Ctr" is ours: ./measure-tools.ts). */
export const TOOL_NAME: Record<MeasureTool, string> = {
  length: "Length",
  angle: "Angle",
  ellipse: "EllipticalRoi",
  ctr: "Ctr",
  probe: "Probe",
};

/** The handle names of each stored kind, in the order of the stored points. */
export const HANDLE_NAMES: Record<MeasurementKind, readonly string[]> = {
  length: ["start", "end"],
  // The vertex is the middle point (src-shared: p[1]).
  angle: ["start", "middle", "end"],
  ellipse: ["start", "end"],
  // Cardiac width, then thoracic width.
  ctr: ["start", "end", "start2", "end2"],
  // cornerstone-tools' ProbeTool keeps its one point as "end".
  probe: ["end"],
};

export function kindOfToolName(name: string): MeasurementKind | null {
  const kind = (Object.keys(HANDLE_NAMES) as MeasurementKind[]).find((k) => TOOL_NAME[k] === name);
  return kind ?? null;
}

interface Handle {
  x: number;
  y: number;
  [key: string]: unknown;
}

/** The stored points of a tool's data (handles named by HANDLE_NAMES); null when a handle is missing or not finite. */
export function pointsOfHandles(kind: MeasurementKind, handles: Record<string, Handle | undefined>): Point[] | null {
  const points: Point[] = [];
  for (const name of HANDLE_NAMES[kind]) {
    const h = handles[name];
    if (!h || !Number.isFinite(h.x) || !Number.isFinite(h.y)) return null;
    points.push({ x: round2(h.x), y: round2(h.y) });
  }
  if (kind === "ctr") {
    // Widths are horizontal: each one's end sits on its start's row.
    points[1] = { x: points[1]!.x, y: points[0]!.y };
    points[3] = { x: points[3]!.x, y: points[2]!.y };
  }
  return points;
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

/** The text box cornerstone-tools' annotation tools draw beside the shape (their own default). */
function textBox() {
  return {
    active: false,
    hasMoved: false,
    movesIndependently: false,
    drawnIndependently: true,
    allowedOutsideImage: true,
    hasBoundingBox: true,
  };
}

/** A stored measurement as cornerstone-tools tool data, carrying its id (`measurementId`). */
export function toolDataOf(m: Pick<Measurement, "id" | "kind" | "points">): {
  visible: boolean;
  active: boolean;
  invalidated: boolean;
  measurementId: number;
  handles: Record<string, Record<string, unknown>>;
} {
  const handles: Record<string, Record<string, unknown>> = {};
  HANDLE_NAMES[m.kind].forEach((name, i) => {
    const p = m.points[i];
    if (p) handles[name] = { x: p.x, y: p.y, highlight: true, active: false };
  });
  handles.textBox = textBox();
  return { visible: true, active: false, invalidated: true, measurementId: m.id, handles };
}

/**
 * Draws the stored measurement `selectedId` of an image's tool state (tool name -> its data) in `colour` and every
 * other stored one in its tool's own colour, in place (cornerstone-tools draws from these objects). True when a
 * colour changed, i.e. when the image needs a redraw for it.
 */
export function colourSelected(
  state: Record<string, { data: Record<string, unknown>[] }>,
  selectedId: number | null,
  colour: string,
): boolean {
  let changed = false;
  for (const { data } of Object.values(state)) {
    for (const d of data) {
      if (typeof d.measurementId !== "number") continue;
      const wanted = d.measurementId === selectedId ? colour : undefined;
      if (d.color === wanted) continue;
      if (wanted) d.color = wanted;
      else delete d.color;
      changed = true;
    }
  }
  return changed;
}
