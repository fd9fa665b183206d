/**
 * The viewer's measuring tools and the case database agree on points (src-renderer measure-tool-data.ts): each
 * stored kind's points become cornerstone-tools handles and back unchanged; a CTR's widths are kept horizontal;
 * the tool names map back to the kinds (the probe is not a stored kind).
 */
import { describe, expect, it } from "vitest";
import {
  HANDLE_NAMES,
  kindOfToolName,
  pointsOfHandles,
  TOOL_NAME,
  toolDataOf,
} from "../../../src-renderer/src/features/viewer/measure-tool-data";
import { MEASUREMENT_KINDS, POINTS_PER_KIND } from "../../../src-shared/measurements";

describe("measurement tool data", () => {
  it("names one handle per stored point of each kind, and maps tool names back", () => {
    for (const kind of MEASUREMENT_KINDS) {
      expect(HANDLE_NAMES[kind]).toHaveLength(POINTS_PER_KIND[kind]);
      expect(kindOfToolName(TOOL_NAME[kind])).toBe(kind);
    }
    expect(kindOfToolName(TOOL_NAME.probe)).toBeNull();
    expect(kindOfToolName("Wwwc")).toBeNull();
  });

  it("round-trips the points of every kind through cornerstone-tools handles", () => {
    const points = {
      length: [
        { x: 10.5, y: 20 },
        { x: 300, y: 400.25 },
      ],
      angle: [
        { x: 0, y: 100 },
        { x: 0, y: 0 },
        { x: 100, y: 0 },
      ],
      ellipse: [
        { x: 5, y: 6 },
        { x: 50, y: 60 },
      ],
      ctr: [
        { x: 400, y: 600 },
        { x: 700, y: 600 },
        { x: 200, y: 700 },
        { x: 900, y: 700 },
      ],
    } as const;
    for (const kind of MEASUREMENT_KINDS) {
      const data = toolDataOf({ id: 7, kind, points: [...points[kind]] });
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
});
