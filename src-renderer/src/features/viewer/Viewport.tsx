/**
 * One cornerstone viewport: loads an imported image, renders it with its aspect ratio preserved (cornerstone scales
 * both axes by one factor, corrected only by the pixel spacing), and handles the mouse:
 * left drag = window/level (horizontal: width, vertical: level), middle drag or Shift/Ctrl + left drag = pan,
 * right drag or wheel = zoom, double click = maximise / restore (`onMaximise`). The overlay shows patient, study date
 * (with "Current" / "Prior" when a prior is beside it), view and the current W/L. A large compressed image with a
 * reduced-resolution copy in main (ImageSource.preview) is painted from that copy first (`data-state="preview"`, the
 * tools wait) and replaced by the full image when it has loaded.
 */
import type { Viewport as CsViewport, Image } from "cornerstone-core";
import type { ToolData } from "cornerstone-tools";
import { type Ref, useCallback, useEffect, useImperativeHandle, useRef, useState } from "react";
import type { StudyDetail } from "../../../../src-shared/domain";
import type { ImageSource } from "../../../../src-shared/import-types";
import {
  type Calibration,
  calibrationLabel,
  MEASUREMENT_KINDS,
  type Measurement,
  type MeasurementKind,
  type Point,
  type ProbeReading,
  type RoiStats,
} from "../../../../src-shared/measurements";
import { cornerstoneImageId, describeLoadError, initCornerstone, previewImageId } from "./cornerstone-setup";
import {
  colourSelected,
  kindOfToolName,
  type MeasureTool,
  pointsOfHandles,
  TOOL_NAME,
  toolDataOf,
} from "./measure-tool-data";
import {
  addMeasureTools,
  annotationAt,
  calibrationOfImage,
  cornerstoneTools,
  setImageCalibration,
  setMeasureTool,
} from "./measure-tools";
import { PRESETS, type PresetId, presetWindow } from "./presets";
import { ViewportAids } from "./ViewportAids";

export interface ViewportHandle {
  applyPreset(id: PresetId): void;
  invert(): void;
  zoom(factor: number): void;
  fit(): void;
  rotate(degrees: number): void;
  flipHorizontal(): void;
  flipVertical(): void;
  reset(): void;
}

interface ViewState {
  windowWidth: number;
  windowCenter: number;
  scale: number;
  rotation: number;
  hflip: boolean;
  vflip: boolean;
  invert: boolean;
  /** The image's own polarity (MONOCHROME1 displays inverted by default). */
  defaultInvert: boolean;
}

type LoadState =
  | { status: "empty" }
  | { status: "loading" }
  | { status: "preview"; image: Image }
  | { status: "ready"; image: Image }
  | { status: "error"; message: string };

/** The viewer's viewports: the current study's frontal and lateral, and the comparison (prior) study's two. */
export type ViewportSlot = "frontal" | "lateral" | "prior-frontal" | "prior-lateral";

export interface ViewportProps {
  slot: ViewportSlot;
  study: StudyDetail | null;
  source: ImageSource | null;
  /** Position of the image in the study ("2 / 13"). */
  position: string | null;
  active: boolean;
  onActivate: () => void;
  emptyText: string;
  /** "Current" or "Prior" before the study date in the overlay, when a prior is shown; none otherwise. */
  role?: "Current" | "Prior" | null;
  /** Double click: maximise the viewport (or restore the layout). */
  onMaximise?: () => void;
  /** Hidden by the layout: kept mounted (its image and view stay), not drawn. */
  hidden?: boolean;
  ref?: Ref<ViewportHandle>;
  /** The stored measurements of the image shown (drawn by cornerstone-tools, their handles draggable). */
  measurements?: readonly Measurement[];
  /** The measurement selected in the list (drawn in its own colour). */
  selectedMeasurementId?: number | null;
  /** The measuring tool the left button draws with; null: window / level. */
  tool?: MeasureTool | null;
  /** A measurement was drawn (points in image pixels; an ellipse's statistics as cornerstone-tools measured them). */
  onMeasured?: (draft: {
    kind: MeasurementKind;
    points: Point[];
    stats: RoiStats | null;
    reading: ProbeReading | null;
  }) => void;
  /** A stored measurement's handles were moved. */
  onMeasurementEdited?: (id: number, points: Point[], stats: RoiStats | null, reading: ProbeReading | null) => void;
  /** A stored measurement was clicked. */
  onMeasurementSelected?: (id: number) => void;
}

/** An ellipse's statistics as cornerstone-tools computed them (modality values inside the ellipse). */
function ellipseStats(el: HTMLElement, image: Image, data: ToolData): RoiStats | null {
  const tool = cornerstoneTools.getToolForElement(el, TOOL_NAME.ellipse);
  tool?.updateCachedStats?.(image, el, data);
  const s = data.cachedStats;
  if (!s?.count || !Number.isFinite(s.mean) || !Number.isFinite(s.stdDev)) return null;
  return { mean: s.mean as number, sd: s.stdDev as number, pixels: s.count as number };
}

/** A probe's reading at its point (cornerstone-tools' ProbeTool: stored value, × slope + intercept); null on a colour image or off the image. */
function probeReading(el: HTMLElement, image: Image, data: ToolData): ProbeReading | null {
  const tool = cornerstoneTools.getToolForElement(el, TOOL_NAME.probe);
  tool?.updateCachedStats?.(image, el, data);
  const s = data.cachedStats;
  if (!s || !Number.isFinite(s.sp) || !Number.isFinite(s.mo)) return null;
  return { stored: s.sp as number, modality: s.mo as number };
}

const SELECTED_COLOR = "rgb(255, 196, 0)";

const VIEW_LABEL: Record<string, string> = { frontal: "Frontal", lateral: "Lateral", unknown: "View unknown" };

/** The view's reason, short enough for the overlay (the tooltip and the image strip keep the full text). */
function shortReason(reason: string | null): string {
  if (!reason) return "view not stated";
  if (reason === "user") return "view set by the user";
  return reason.replace(/ \([0-9A-F]{4},[0-9A-F]{4}\)/gi, "").replace(/:.*$/, "");
}

function round(value: number): string {
  return Math.abs(value) >= 100 ? String(Math.round(value)) : value.toFixed(1).replace(/\.0$/, "");
}

export function Viewport(props: ViewportProps) {
  const {
    slot,
    study,
    source,
    position,
    active,
    onActivate,
    emptyText,
    role = null,
    onMaximise,
    hidden = false,
    ref,
    measurements = [],
    selectedMeasurementId = null,
    tool = null,
  } = props;
  const callbacks = useRef(props);
  callbacks.current = props;
  const element = useRef<HTMLDivElement>(null);
  const [load, setLoad] = useState<LoadState>({ status: "empty" });
  const [view, setView] = useState<ViewState | null>(null);
  const [preset, setPreset] = useState<PresetId | "custom">("default");
  /** Whether the image is fitted (a resize refits it) or was zoomed / panned by the user (a resize keeps that). */
  const fitted = useRef(true);
  const cs = initCornerstone();

  const withViewport = useCallback(
    (change: (vp: CsViewport, image: Image, el: HTMLDivElement) => Partial<CsViewport> | null) => {
      const el = element.current;
      if (!el || load.status !== "ready") return;
      const vp = cs.getViewport(el);
      if (!vp) return;
      const next = change(vp, load.image, el);
      if (next) cs.setViewport(el, { ...vp, ...next });
    },
    [cs, load],
  );

  // Enable the element once; cornerstone draws into a canvas it adds.
  useEffect(() => {
    const el = element.current;
    if (!el) return;
    cs.enable(el);
    addMeasureTools(el);
    // cornerstone-tools' events: a new measurement is stored; a moved one is saved when the mouse button is released.
    const onCompleted = (e: Event) => {
      const d = (e as CustomEvent<{ toolName?: string; measurementData?: ToolData }>).detail;
      const kind = kindOfToolName(d.toolName ?? "");
      const data = d.measurementData;
      const image = cs.getImage(el);
      if (!kind || !data || !image || typeof data.measurementId === "number" || data.pending) return;
      const points = pointsOfHandles(kind, data.handles);
      if (!points) return;
      data.pending = true;
      callbacks.current.onMeasured?.({
        kind,
        points,
        stats: kind === "ellipse" ? ellipseStats(el, image, data) : null,
        reading: kind === "probe" ? probeReading(el, image, data) : null,
      });
    };
    // When a mouse button is released, each drawn measurement whose handles no longer sit on its stored points was
    // moved (cornerstone-tools edits its objects in place): its new points are saved.
    const sent = new Map<number, string>();
    const onRelease = () =>
      setTimeout(() => {
        const image = cs.getImage(el);
        if (!image) return;
        const storedById = new Map((callbacks.current.measurements ?? []).map((m) => [m.id, m]));
        for (const kind of MEASUREMENT_KINDS) {
          for (const data of cornerstoneTools.getToolState(el, TOOL_NAME[kind])?.data ?? []) {
            const stored = typeof data.measurementId === "number" ? storedById.get(data.measurementId) : undefined;
            const points = stored ? pointsOfHandles(kind, data.handles) : null;
            if (!stored || !points) continue;
            const key = JSON.stringify(points);
            if (key === JSON.stringify(stored.points) || sent.get(stored.id) === key) continue;
            sent.set(stored.id, key);
            const stats = kind === "ellipse" ? ellipseStats(el, image, data) : null;
            const reading = kind === "probe" ? probeReading(el, image, data) : null;
            callbacks.current.onMeasurementEdited?.(stored.id, points, stats, reading);
          }
        }
      }, 0);
    const EV = cornerstoneTools.EVENTS;
    el.addEventListener(EV.MEASUREMENT_COMPLETED as string, onCompleted);
    window.addEventListener("mouseup", onRelease);
    const onRendered = () => {
      const vp = cs.getViewport(el);
      const image = cs.getImage(el);
      if (!vp || !image) return;
      setView({
        windowWidth: vp.voi.windowWidth,
        windowCenter: vp.voi.windowCenter,
        scale: vp.scale,
        rotation: ((vp.rotation % 360) + 360) % 360,
        hflip: vp.hflip,
        vflip: vp.vflip,
        invert: vp.invert,
        defaultInvert: image.invert,
      });
    };
    el.addEventListener(cs.EVENTS.IMAGE_RENDERED, onRendered);
    const resize = new ResizeObserver(() => {
      if (el.clientWidth > 0 && el.clientHeight > 0 && cs.getImage(el)) cs.resize(el, fitted.current);
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      el.removeEventListener(cs.EVENTS.IMAGE_RENDERED, onRendered);
      el.removeEventListener(EV.MEASUREMENT_COMPLETED as string, onCompleted);
      window.removeEventListener("mouseup", onRelease);
      cs.disable(el);
    };
  }, [cs]);

  // Load the image when another image is assigned (not when the same one is listed again).
  const sourceRef = useRef(source);
  sourceRef.current = source;
  const sourceKey = source ? `${source.imageId}|${source.format}|${source.available}` : "";
  // biome-ignore lint/correctness/useExhaustiveDependencies: sourceKey stands for the source's identity.
  useEffect(() => {
    const el = element.current;
    const source = sourceRef.current;
    if (!el) return;
    if (!source) {
      setLoad({ status: "empty" });
      setView(null);
      return;
    }
    if (!source.available) {
      setLoad({ status: "error", message: source.problem ?? "the file is not available" });
      setView(null);
      return;
    }
    let live = true;
    let full = false;
    setLoad({ status: "loading" });
    const imageId = cornerstoneImageId(source.imageId, source.format);
    // The reduced-resolution copy first, unless the full image has loaded already (issue 19.3). (It may be loading:
    // the image strip asks for the same image.)
    if (source.preview && !cs.imageCache.imageCache[imageId]?.loaded) {
      // Ahead of the full images in the loader's decode queue.
      cs.loadAndCacheImage(previewImageId(source.imageId), { priority: 10 }).then(
        (preview) => {
          if (!live || full) return;
          cs.displayImage(el, preview, cs.getDefaultViewportForImage(el, preview));
          cs.resize(el, true);
          setLoad({ status: "preview", image: preview });
        },
        () => {
          /* the full image follows; its failure is the one shown */
        },
      );
    }
    cs.loadAndCacheImage(imageId).then(
      (image) => {
        if (!live) return;
        full = true;
        // Before it is drawn: cornerstone-tools' text boxes read the spacing through the metadata provider.
        setImageCalibration(image.imageId, calibrationOfImage(image));
        const viewport = cs.getDefaultViewportForImage(el, image);
        cs.displayImage(el, image, viewport);
        cs.resize(el, true);
        fitted.current = true;
        setPreset("default");
        setLoad({ status: "ready", image });
      },
      (err: unknown) => {
        full = true;
        // The message names the file: the reason alone would not say which image of the study failed.
        if (live) setLoad({ status: "error", message: `${source.fileName}: ${describeLoadError(err)}` });
      },
    );
    return () => {
      live = false;
    };
  }, [cs, sourceKey]);

  // The measuring tool draws on a fully loaded image only (not on the reduced-resolution preview).
  const ready = load.status === "ready";
  useEffect(() => {
    const el = element.current;
    if (el) setMeasureTool(el, ready ? tool : null);
  }, [ready, tool]);

  // The image's tool state is rebuilt from the stored measurements whenever they change (the database is the
  // truth: a drawing main refused disappears; an edit elsewhere shows here), and the selected one is drawn in its own
  // colour, set on the drawn objects, not by rebuilding them (a press that selects a measurement is the start of
  // cornerstone-tools' drag of that very object). One effect does both and asks cornerstone for one redraw, only
  // when it changed what is drawn (two effects used to ask for it on every change of the measurements).
  const measurementsKey = measurements.map((m) => `${m.id}:${m.updatedAt}:${m.label}`).join(",");
  const readyImageId = load.status === "ready" ? load.image.imageId : null;
  const drawnMeasurements = useRef<string | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: measurementsKey stands for the measurements.
  useEffect(() => {
    const el = element.current;
    // An image that is ready again (reloaded) is rebuilt from the stored measurements again.
    if (!readyImageId) drawnMeasurements.current = null;
    if (!el || !readyImageId) return;
    const manager = cornerstoneTools.globalImageIdSpecificToolStateManager;
    const drawnKey = `${readyImageId}|${measurementsKey}`;
    const rebuilt = drawnMeasurements.current !== drawnKey;
    if (rebuilt) {
      const next: Record<string, { data: ToolData[] }> = {};
      for (const kind of MEASUREMENT_KINDS) next[TOOL_NAME[kind]] = { data: [] };
      for (const m of measurements) next[TOOL_NAME[m.kind]]?.data.push(toolDataOf(m) as unknown as ToolData);
      manager.restoreImageIdToolState(readyImageId, next);
      drawnMeasurements.current = drawnKey;
    }
    const state = manager.saveImageIdToolState(readyImageId) ?? {};
    const recoloured = colourSelected(state, selectedMeasurementId, SELECTED_COLOR);
    if (rebuilt || recoloured) cs.updateImage(el);
  }, [cs, readyImageId, measurementsKey, selectedMeasurementId]);

  const applyPreset = useCallback(
    (id: PresetId) => {
      const def = PRESETS.find((p) => p.id === id);
      if (!def) return;
      withViewport((vp, image) => {
        const voi = presetWindow(image, def, vp.invert);
        // The default restores the file's VOI LUT where it has one; the other presets are plain windows.
        const voiLUT = id === "default" ? cs.getDefaultViewportForImage(element.current!, image).voiLUT : undefined;
        return { voi, voiLUT };
      });
      setPreset(id);
    },
    [cs, withViewport],
  );

  const fit = useCallback(() => {
    const el = element.current;
    if (!el || load.status !== "ready") return;
    cs.fitToWindow(el);
    fitted.current = true;
  }, [cs, load]);

  useImperativeHandle(
    ref,
    (): ViewportHandle => ({
      applyPreset,
      invert: () => withViewport((vp) => ({ invert: !vp.invert })),
      zoom: (factor) => {
        fitted.current = false;
        withViewport((vp) => ({ scale: Math.min(40, Math.max(0.05, vp.scale * factor)) }));
      },
      fit,
      rotate: (degrees) => withViewport((vp) => ({ rotation: (((vp.rotation + degrees) % 360) + 360) % 360 })),
      flipHorizontal: () => withViewport((vp) => ({ hflip: !vp.hflip })),
      flipVertical: () => withViewport((vp) => ({ vflip: !vp.vflip })),
      reset: () => {
        const el = element.current;
        if (!el || load.status !== "ready") return;
        cs.setViewport(el, cs.getDefaultViewportForImage(el, load.image));
        cs.fitToWindow(el);
        fitted.current = true;
        setPreset("default");
      },
    }),
    [applyPreset, cs, fit, load, withViewport],
  );

  // Mouse: window/level, pan, zoom.
  const drag = useRef<{ mode: "wl" | "pan" | "zoom"; x: number; y: number } | null>(null);
  const onPointerDown = (e: React.PointerEvent<HTMLDivElement>) => {
    onActivate();
    if (load.status !== "ready") return;
    if (e.button === 0 && !e.shiftKey && !e.ctrlKey) {
      // On a drawn measurement (or with a measuring tool), cornerstone-tools takes the press: it needs the mouse
      // events this handler would cancel.
      // Canvas coordinates as cornerstone-tools computes them (page → image → canvas).
      const at = cs.pixelToCanvas(e.currentTarget, cs.pageToPixel(e.currentTarget, e.pageX, e.pageY));
      const hit = annotationAt(e.currentTarget, at);
      if (hit && typeof hit.measurementId === "number") callbacks.current.onMeasurementSelected?.(hit.measurementId);
      if (hit || tool) return;
    }
    const mode =
      e.button === 1 || (e.button === 0 && (e.shiftKey || e.ctrlKey)) ? "pan" : e.button === 2 ? "zoom" : "wl";
    drag.current = { mode, x: e.clientX, y: e.clientY };
    e.currentTarget.setPointerCapture(e.pointerId);
    e.preventDefault();
  };
  const onPointerMove = (e: React.PointerEvent<HTMLDivElement>) => {
    const d = drag.current;
    if (!d) return;
    const dx = e.clientX - d.x;
    const dy = e.clientY - d.y;
    d.x = e.clientX;
    d.y = e.clientY;
    if (dx === 0 && dy === 0) return;
    withViewport((vp, image) => {
      if (d.mode === "wl") {
        const range = Math.max(1, (image.maxPixelValue - image.minPixelValue) * Math.abs(image.slope || 1));
        const perPixel = range / 600;
        setPreset("custom");
        return {
          voi: {
            windowWidth: Math.max(1, vp.voi.windowWidth + dx * perPixel),
            windowCenter: vp.voi.windowCenter + dy * perPixel,
          },
          voiLUT: undefined,
        };
      }
      fitted.current = false;
      if (d.mode === "pan") {
        // cornerstone applies the translation in screen axes (un-rotated, before flips), scaled by the zoom.
        return { translation: { x: vp.translation.x + dx / vp.scale, y: vp.translation.y + dy / vp.scale } };
      }
      return { scale: Math.min(40, Math.max(0.05, vp.scale * Math.exp(-dy / 200))) };
    });
  };
  const onPointerUp = (e: React.PointerEvent<HTMLDivElement>) => {
    drag.current = null;
    if (e.currentTarget.hasPointerCapture(e.pointerId)) e.currentTarget.releasePointerCapture(e.pointerId);
  };

  // Wheel zoom needs a non-passive listener to stop the page from scrolling.
  useEffect(() => {
    const el = element.current;
    if (!el) return;
    const onWheel = (e: WheelEvent) => {
      if (!cs.getImage(el)) return;
      e.preventDefault();
      const vp = cs.getViewport(el);
      if (!vp) return;
      fitted.current = false;
      cs.setViewport(el, { ...vp, scale: Math.min(40, Math.max(0.05, vp.scale * Math.exp(-e.deltaY / 500))) });
    };
    el.addEventListener("wheel", onWheel, { passive: false });
    return () => el.removeEventListener("wheel", onWheel);
  }, [cs]);

  const image = ready ? load.image : null;
  const calibration: Calibration | null = image ? calibrationOfImage(image) : null;
  const flags = view
    ? [
        view.invert !== view.defaultInvert ? "Inverted" : null,
        view.rotation ? `Rot ${view.rotation}°` : null,
        view.hflip ? "Flip H" : null,
        view.vflip ? "Flip V" : null,
      ].filter(Boolean)
    : [];
  const presetLabel = preset === "custom" ? "Custom" : (PRESETS.find((p) => p.id === preset)?.label ?? "");

  return (
    <section
      className={`viewport${active ? " active" : ""}`}
      hidden={hidden}
      aria-label={`${slot} view`}
      data-view={slot}
      data-state={load.status}
      data-image-id={source?.imageId ?? ""}
      data-file-name={source?.fileName ?? ""}
      data-image-width={image?.width ?? ""}
      data-image-height={image?.height ?? ""}
      data-ww={view ? view.windowWidth.toFixed(2) : ""}
      data-wc={view ? view.windowCenter.toFixed(2) : ""}
      data-scale={view ? view.scale.toFixed(4) : ""}
      data-rotation={view?.rotation ?? ""}
      data-hflip={view?.hflip ? "true" : "false"}
      data-vflip={view?.vflip ? "true" : "false"}
      data-invert={view ? String(view.invert) : ""}
      data-preset={preset}
      data-tool={tool ?? "windowLevel"}
      data-measurements={measurements.length}
    >
      <div
        ref={element}
        role="application"
        aria-label={`${slot} image: drag for window/level, wheel to zoom`}
        className={`viewport-canvas${load.status === "ready" || load.status === "preview" ? "" : " hidden"}`}
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
        onDoubleClick={tool ? undefined : (onMaximise ?? fit)}
        onContextMenu={(e) => e.preventDefault()}
      />
      <ViewportAids
        slot={slot}
        element={element}
        image={image}
        transform={view ? { rotation: view.rotation, hflip: view.hflip, vflip: view.vflip } : null}
      />
      {load.status === "empty" && <div className="viewport-message">{emptyText}</div>}
      {load.status === "loading" && <div className="viewport-message">Loading {source?.fileName}…</div>}
      {load.status === "error" && (
        <div className="viewport-message viewport-error" role="alert">
          <strong>{source?.fileName}</strong>
          <span>{load.message}</span>
        </div>
      )}
      {study && source && (
        <div className="viewport-overlay" aria-hidden={!ready}>
          <div className="corner top-left">
            <div className="strong">{study.patientName ?? "Unnamed patient"}</div>
            <div>{study.patientId ? `ID ${study.patientId}` : "No patient ID"}</div>
            <div>{study.description ?? ""}</div>
          </div>
          <div className="corner top-right">
            <div className="strong" data-testid={`${slot}-view-label`}>
              {VIEW_LABEL[source.view]}
              {position ? ` · ${position}` : ""}
            </div>
            <div data-testid={`${slot}-date`}>
              {role ? `${role} · ` : ""}
              {study.studyDate ?? "No study date"}
            </div>
            <div title={source.viewReason ?? undefined}>{shortReason(source.viewReason)}</div>
          </div>
          <div className="corner bottom-left">
            {view && (
              <>
                <div className="strong" data-testid={`${slot}-wl`}>
                  W {round(view.windowWidth)} · L {round(view.windowCenter)}
                </div>
                <div>
                  {presetLabel} · Zoom {Math.round(view.scale * 100)}%{flags.length ? ` · ${flags.join(" · ")}` : ""}
                </div>
              </>
            )}
          </div>
          <div className="corner bottom-right">
            {image && (
              <div>
                {image.width} × {image.height}
              </div>
            )}
            {load.status === "preview" && (
              <div data-testid={`${slot}-preview`}>
                Reduced resolution ({load.image.width} × {load.image.height}) · loading the full image
              </div>
            )}
            {calibration && (
              <div data-testid={`${slot}-calibration`} data-calibration={calibration.source}>
                {calibration.source === "none" ? "Uncalibrated: no pixel spacing" : calibrationLabel(calibration)}
              </div>
            )}
            <div>{source.encoding}</div>
            <div className="file-name">{source.fileName}</div>
          </div>
        </div>
      )}
    </section>
  );
}
