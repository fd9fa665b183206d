/**
 * The viewer's measuring tools, from cornerstone-tools 6 (with cornerstone-math and hammerjs): Length, Angle,
 * EllipticalRoi and Probe as the library draws and edits them, and a cardiothoracic-ratio tool of our own ("Ctr",
 * a cornerstone-tools annotation tool: two horizontal widths, cardiac then thoracic, drawn as one drag and two
 * clicks). The library's text boxes read the pixel spacing from cornerstone's 'imagePlaneModule' metadata: the
 * provider below answers it with the calibration of src-shared/measurements.ts (Pixel Spacing, else Imager Pixel
 * Spacing, else none), the rule main stores each measurement with, so the drawn value and the stored value agree.
 */
import * as cornerstone from "cornerstone-core";
import cornerstoneMath from "cornerstone-math";
import cornerstoneTools, { type ToolData, type ToolEventDetail, type ToolHandle } from "cornerstone-tools";
import Hammer from "hammerjs";
import {
  type Calibration,
  calibrationFromSpacing,
  measurementValues,
  UNCALIBRATED,
} from "../../../../src-shared/measurements";
import { type MeasureTool, pointsOfHandles, TOOL_NAME } from "./measure-tool-data";

let initialised = false;
const calibrations = new Map<string, Calibration>();

/** The calibration of a displayed image, from its header (DICOM) or none (PNG / JPEG). */
export function calibrationOfImage(image: cornerstone.Image): Calibration {
  const data = image.data;
  if (!data) return UNCALIBRATED;
  const numbers = (tag: string) =>
    (data.string(tag) ?? "")
      .split("\\")
      .map((s) => Number.parseFloat(s))
      .filter((n) => !Number.isNaN(n));
  return calibrationFromSpacing(numbers("x00280030"), numbers("x00181164"));
}

/** Called by cornerstone-setup before any element is enabled (cornerstone-tools listens for new elements). */
export function initMeasureTools(): void {
  if (initialised) return;
  initialised = true;
  cornerstoneTools.external.cornerstone = cornerstone;
  cornerstoneTools.external.cornerstoneMath = cornerstoneMath;
  cornerstoneTools.external.Hammer = Hammer;
  // The viewports fit themselves on resize (unless zoomed): the library's own window-resize refit stays off.
  cornerstoneTools.init({ mouseEnabled: true, touchEnabled: false, showSVGCursors: false, autoResizeViewports: false });
  // A handle dragged past the image edge stays on the edge; it never deletes a stored measurement.
  cornerstoneTools.store.state.deleteIfHandleOutsideImage = false;
  cornerstoneTools.store.state.preventHandleOutsideImage = true;
  cornerstone.metaData.addProvider((type, imageId) => {
    if (type !== "imagePlaneModule") return undefined;
    const c = calibrations.get(imageId);
    if (!c) return undefined;
    return { rowPixelSpacing: c.rowSpacingMm, columnPixelSpacing: c.columnSpacingMm };
  }, 1000);
}

/** Registers the calibration cornerstone-tools' text boxes use for an image id. */
export function setImageCalibration(imageId: string, calibration: Calibration): void {
  calibrations.set(imageId, calibration);
}

type Detail = ToolEventDetail;
interface AnnotationToolBase {
  name: string;
  configuration: Record<string, unknown>;
  options: Record<string, unknown>;
}
const BaseAnnotationTool = cornerstoneTools.importInternal("base/BaseAnnotationTool") as new (
  props: Record<string, unknown>,
  defaults: Record<string, unknown>,
) => AnnotationToolBase;
const drawing = {
  getNewContext: cornerstoneTools.importInternal("drawing/getNewContext") as (
    canvas: HTMLCanvasElement,
  ) => CanvasRenderingContext2D,
  draw: cornerstoneTools.importInternal("drawing/draw") as (
    ctx: CanvasRenderingContext2D,
    fn: (ctx: CanvasRenderingContext2D) => void,
  ) => void,
  drawLine: cornerstoneTools.importInternal("drawing/drawLine") as (
    ctx: CanvasRenderingContext2D,
    element: HTMLElement,
    start: ToolHandle,
    end: ToolHandle,
    options: Record<string, unknown>,
  ) => void,
  drawHandles: cornerstoneTools.importInternal("drawing/drawHandles") as (
    ctx: CanvasRenderingContext2D,
    detail: Detail,
    handles: Record<string, ToolHandle>,
    options: Record<string, unknown>,
  ) => void,
  drawTextBox: cornerstoneTools.importInternal("drawing/drawTextBox") as (
    ctx: CanvasRenderingContext2D,
    text: string[],
    x: number,
    y: number,
    color: string,
  ) => void,
};
const moveNewHandle = cornerstoneTools.importInternal("manipulators/moveNewHandle") as (
  detail: Detail,
  toolName: string,
  data: ToolData,
  handle: ToolHandle,
  options: Record<string, unknown>,
  interactionType: string,
  done: (success: boolean) => void,
) => void;
const lineSegDistance = cornerstoneTools.importInternal("util/lineSegDistance") as (
  element: HTMLElement,
  a: ToolHandle,
  b: ToolHandle,
  coords: { x: number; y: number },
) => number;
const triggerEvent = cornerstoneTools.importInternal("util/triggerEvent") as (
  el: HTMLElement,
  type: string,
  detail: unknown,
) => void;
const tools = cornerstoneTools as unknown as {
  addToolState(el: HTMLElement, name: string, data: ToolData): void;
  removeToolState(el: HTMLElement, name: string, data: ToolData): void;
  toolColors: { getColorIfActive(data: ToolData): string };
};

/**
 * The cardiothoracic ratio: drag the cardiac width (its end stays on its start's row), then click the two ends of
 * the thoracic width. Its text is the ratio (the widths' x extents: src-shared measurementValues).
 */
export class CtrTool extends BaseAnnotationTool {
  private preventNewMeasurement = false;

  constructor(props: Record<string, unknown> = {}) {
    super(props, {
      name: "Ctr",
      supportedInteractionTypes: ["Mouse"],
      configuration: { drawHandles: true },
    });
  }

  createNewMeasurement(detail: Detail): ToolData {
    const { x, y } = detail.currentPoints.image;
    const handle = (active: boolean) => ({ x, y, highlight: true, active });
    return {
      visible: true,
      active: true,
      invalidated: true,
      handles: { start: handle(false), end: handle(true), start2: handle(false), end2: handle(false) },
      placed: 1,
    };
  }

  pointNearTool(element: HTMLElement, data: ToolData, coords: { x: number; y: number }): boolean {
    if (data.visible === false) return false;
    const h = data.handles;
    if (!h.start || !h.end || !h.start2 || !h.end2) return false;
    return (
      lineSegDistance(element, h.start, h.end, coords) < 25 ||
      ((data.placed as number) >= 3 && lineSegDistance(element, h.start2, h.end2, coords) < 25)
    );
  }

  updateCachedStats(): void {
    /* the ratio is computed when drawn */
  }

  addNewMeasurement(evt: CustomEvent<Detail>, interactionType: string): void {
    if (this.preventNewMeasurement) return;
    this.preventNewMeasurement = true;
    evt.preventDefault();
    evt.stopPropagation();
    const detail = evt.detail;
    const element = detail.element;
    const data = this.createNewMeasurement(detail);
    tools.addToolState(element, this.name, data);
    cornerstone.updateImage(element);
    const fail = () => {
      tools.removeToolState(element, this.name, data);
      this.preventNewMeasurement = false;
      cornerstone.updateImage(element);
    };
    const h = data.handles as Record<"start" | "end" | "start2" | "end2", ToolHandle>;
    // 1: the cardiac width (drag); 2: the thoracic width's first end (click); 3: its second end (click).
    moveNewHandle(detail, this.name, data, h.end, this.options, interactionType, (ok1) => {
      if (!ok1) return fail();
      h.end.y = h.start.y;
      h.start2.x = h.end.x;
      h.start2.y = h.end.y;
      data.placed = 2;
      moveNewHandle(detail, this.name, data, h.start2, this.options, interactionType, (ok2) => {
        if (!ok2) return fail();
        h.end2.x = h.start2.x;
        h.end2.y = h.start2.y;
        data.placed = 3;
        moveNewHandle(detail, this.name, data, h.end2, this.options, interactionType, (ok3) => {
          if (!ok3) return fail();
          h.end2.y = h.start2.y;
          data.active = false;
          this.preventNewMeasurement = false;
          cornerstone.updateImage(element);
          triggerEvent(element, cornerstoneTools.EVENTS.MEASUREMENT_COMPLETED as string, {
            toolName: this.name,
            toolType: this.name,
            element,
            measurementData: data,
          });
        });
      });
    });
  }

  renderToolData(evt: CustomEvent<Detail>): void {
    const detail = evt.detail;
    const state = cornerstoneTools.getToolState(evt.currentTarget as HTMLElement, this.name);
    if (!state) return;
    const context = drawing.getNewContext(detail.canvasContext.canvas);
    for (const data of state.data) {
      if (data.visible === false) continue;
      const h = data.handles as Record<"start" | "end" | "start2" | "end2", ToolHandle>;
      const placed = (data.placed as number | undefined) ?? 3;
      // Keep each width horizontal while it is drawn or edited.
      h.end.y = h.start.y;
      if (placed >= 3) h.end2.y = h.start2.y;
      const color = tools.toolColors.getColorIfActive(data);
      drawing.draw(context, (ctx) => {
        drawing.drawLine(ctx, detail.element, h.start, h.end, { color });
        if (placed >= 3) drawing.drawLine(ctx, detail.element, h.start2, h.end2, { color, lineDash: [4, 4] });
        const shown: Record<string, ToolHandle> =
          placed >= 3 ? { start: h.start, end: h.end, start2: h.start2, end2: h.end2 } : { start: h.start, end: h.end };
        if (placed === 2) shown.start2 = h.start2;
        drawing.drawHandles(ctx, detail, shown, { color });
        const points = pointsOfHandles("ctr", h);
        let text = placed >= 3 ? "CTR" : "CTR: click the thoracic width's ends";
        if (placed >= 3 && points) {
          try {
            text = `CTR ${measurementValues("ctr", points, UNCALIBRATED).value.toFixed(2)}`;
          } catch {
            text = "CTR: thoracic width 0";
          }
        }
        const at = cornerstone.pixelToCanvas(detail.element, placed >= 3 ? h.end2 : h.end);
        drawing.drawTextBox(ctx, [text], at.x + 10, at.y - 10, color);
      });
    }
  }
}

/** The tools of a viewport's element, all passive (drawn, their handles draggable) until one is made active. */
export function addMeasureTools(element: HTMLElement): void {
  cornerstoneTools.addToolForElement(element, cornerstoneTools.LengthTool);
  cornerstoneTools.addToolForElement(element, cornerstoneTools.AngleTool);
  cornerstoneTools.addToolForElement(element, cornerstoneTools.EllipticalRoiTool);
  cornerstoneTools.addToolForElement(element, cornerstoneTools.ProbeTool);
  cornerstoneTools.addToolForElement(element, CtrTool as unknown as typeof cornerstoneTools.LengthTool);
  setMeasureTool(element, null);
}

/** Makes one tool draw with the left button (null: none, the viewer's own W/L drag); the others stay passive. */
export function setMeasureTool(element: HTMLElement, tool: MeasureTool | null): void {
  for (const [kind, name] of Object.entries(TOOL_NAME) as [MeasureTool, string][]) {
    if (kind === tool) cornerstoneTools.setToolActiveForElement(element, name, { mouseButtonMask: 1 });
    else cornerstoneTools.setToolPassiveForElement(element, name);
  }
}

/** Whether a point of the element (canvas coordinates) is on a drawn measurement or its handle. */
export function annotationAt(element: HTMLElement, coords: { x: number; y: number }): ToolData | null {
  for (const name of Object.values(TOOL_NAME)) {
    const state = cornerstoneTools.getToolState(element, name);
    const tool = cornerstoneTools.getToolForElement(element, name);
    if (!state || !tool) continue;
    for (const data of state.data) {
      const nearHandle = Object.entries(data.handles).some(([key, h]) => {
        if (key === "textBox" || !Number.isFinite(h.x)) return false;
        const c = cornerstone.pixelToCanvas(element, h);
        return Math.hypot(c.x - coords.x, c.y - coords.y) < 8;
      });
      if (nearHandle || tool.pointNearTool?.(element, data, coords, "mouse")) return data;
    }
  }
  return null;
}

export { cornerstoneTools };
