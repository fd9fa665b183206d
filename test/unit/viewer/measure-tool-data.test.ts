/**
 * The viewer's measuring tools and the case database agree on points (src-renderer measure-tool-data.ts): each
 * stored kind's points become cornerstone-tools handles and back unchanged; a CTR's widths are kept horizontal;
 * the tool names map back to the kinds (the probe too: a stored kind since migration 16, one handle "end"); the
 * selected measurement is coloured in place, and a redraw is asked for only when a colour changed.
 */
import { describe, expect, it } from "vitest";
import {
  colourSelected,
  HANDLE_NAMES,
  kindOfToolName,
  pointsOfHandles,
  TOOL_NAME,
  toolDataOf,
} from "../../../src-renderer/src/features/viewer/measure-tool-data";
import { MEASUREMENT_KINDS, POINTS_PER_KIND, type Point } from "../../../src-shared/measurements";

/** Image-pixel points from a flat x, y, x, y, … list. */
function xy(...coordinates: number[]): Point[] {
  const points: Point[] = [];
  for (let i = 0; i < coordinates.length; i += 2) points.push({ x: coordinates[i]!, y: coordinates[i + 1]! });
  return points;
}

describe("measurement tool data", () => {
  it("names one handle per stored point of each kind, and maps tool names back", () => {
    for (const kind of MEASUREMENT_KINDS) {
      expect(HANDLE_NAMES[kind]).toHaveLength(POINTS_PER_KIND[kind]);
      expect(kindOfToolName(TOOL_NAME[kind])).toBe(kind);
    }
    expect(kindOfToolName(TOOL_NAME.probe)).toBe("probe");
    expect(HANDLE_NAMES.probe).toEqual(["end"]);
    expect(kindOfToolName("Wwwc")).toBeNull();
  });

  it("round-trips the points of every kind through cornerstone-tools handles", () => {
    const points = {
      length: xy(10.5, 20, 300, 400.25),
      angle: xy(0, 100, 0, 0, 100, 0),
      ellipse: xy(5, 6, 50, 60),
      ctr: xy(400, 600, 700, 600, 200, 700, 900, 700),
      probe: xy(123.45, 678),
    };
    for (const kind of MEASUREMENT_KINDS) {
      const data = toolDataOf({ id: 7, kind, points: points[kind] });
      expect(data.measurementId).toBe(7);
      expect(data.handles.textBox).toMatchObject({ hasMoved: false });
      expect(pointsOfHandles(kind, data.handles as never)).toEqual(points[kind]);
    }
  });

  it("keeps a CTR's widths horizontal, rounds to 1/100 pixel and refuses missing handles", () => {
    const handles = {
      start: { x: 100, y: 50 },
      end: { x: 200.123, y: 58 },
      start2: { x: 20, y: 90 },
      end2: { x: 300, y: 95 },
    };
    expect(pointsOfHandles("ctr", handles)).toEqual([
      { x: 100, y: 50 },
      { x: 200.12, y: 50 },
      { x: 20, y: 90 },
      { x: 300, y: 90 },
    ]);
    expect(pointsOfHandles("angle", { start: { x: 0, y: 0 }, end: { x: 1, y: 1 } })).toBeNull();
    expect(pointsOfHandles("length", { start: { x: Number.NaN, y: 0 }, end: { x: 1, y: 1 } })).toBeNull();
  });

  it("colours the selected measurement in place and says whether that needs a redraw (once per change)", () => {
    // An image's tool state as the viewport rebuilds it from the stored measurements (tool name -> data).
    const state: Record<string, { data: Record<string, unknown>[] }> = {
      Length: { data: [toolDataOf({ id: 1, kind: "length", points: xy(0, 0, 10, 0) })] },
      Angle: { data: [toolDataOf({ id: 2, kind: "angle", points: xy(0, 10, 0, 0, 10, 0) })] },
      // A drawing not stored yet (no measurement id) keeps the tool's colour.
      Probe: { data: [{ color: "green" }] },
    };
    const colours = () => [state.Length!.data[0]!.color, state.Angle!.data[0]!.color, state.Probe!.data[0]!.color];
    let redraws = 0;
    const select = (id: number | null) => {
      if (colourSelected(state, id, "gold")) redraws++;
    };
    // Nothing selected on a rebuilt state: nothing to recolour (the rebuild's own redraw is the only one).
    select(null);
    expect(redraws).toBe(0);
    select(2);
    expect(colours()).toEqual([undefined, "gold", "green"]);
    expect(redraws).toBe(1);
    // The same selection again (e.g. the list reloaded with the same measurements): no second redraw.
    select(2);
    expect(redraws).toBe(1);
    select(1);
    expect(colours()).toEqual(["gold", undefined, "green"]);
    expect(redraws).toBe(2);
    select(null);
    expect(colours()).toEqual([undefined, undefined, "green"]);
    expect(redraws).toBe(3);
  });
});
