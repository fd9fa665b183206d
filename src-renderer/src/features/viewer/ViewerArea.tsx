/**
 * The viewer: frontal and lateral side by side (or 1-up, or 2×2 with the study beside it, a prior or a similar
 * case; any viewport can be maximised), a toolbar (data: ./viewer-toolbar.ts) whose buttons run the same commands as
 * the hotkeys, and a strip of thumbnails of the study's images and of the study beside it (./ThumbnailStrip.tsx:
 * pick one to show it in the active viewport; the view can be corrected there). The viewer loads images only through
 * the image-file transport.
 */
import { useEffect, useRef, useState } from "react";
import type { StudyDetail, View } from "../../../../src-shared/domain";
import type { ImageSource } from "../../../../src-shared/import-types";
import { type Measurement, measurementSentence } from "../../../../src-shared/measurements";
import { useAsync } from "../../app/useAsync";
import { useCommands, useRunCommand } from "../../commands/CommandRegistry";
import { useEffectiveCommands, useShortcutHint } from "../../commands/key-bindings";
import { useClient } from "../../ipc/ClientContext";
import { fileChannelUrl, imageRequestHeaders } from "../../ipc/transport";
import { insertIntoReport } from "../report/report-insert";
import { type ComparisonReport, ComparisonReportText } from "./ComparisonReportText";
import { MeasurementsPanel } from "./MeasurementsPanel";
import type { MeasureTool } from "./measure-tool-data";
import type { PresetId } from "./presets";
import { ReadingAids } from "./ReadingAids";
import { ThumbnailStrip, type ThumbnailStripHandle } from "./ThumbnailStrip";
import { Viewport, type ViewportHandle, type ViewportSlot } from "./Viewport";
import { TOOL_BUTTONS, toolOfCommand, VIEWER_TOOLBAR } from "./viewer-toolbar";
import "./viewer.css";

type Slot = ViewportSlot;
const SLOTS: readonly Slot[] = ["frontal", "lateral", "prior-frontal", "prior-lateral"];

/** 1-up (the active viewport), 2-up (side by side) or 2×2 (the current study's two views over the prior's two). */
export type ViewerLayout = "1x1" | "1x2" | "2x2";

/**
 * A study opened beside the current one: a prior of the same patient (Priors pane or the hanging protocol) or a
 * similar case. In 2-up its frontal image replaces the lateral viewport; in 2×2 its two views are the lower row.
 * A similar case the workstation has no images of shows its thumbnail, enlarged and labelled "thumbnail only".
 */
export interface ComparisonCase {
  studyId: string;
  kind: "prior" | "similar";
  /** The case's thumbnail on the file channel (similar cases), shown when the workstation has no images of it. */
  thumbnailUrl?: string | undefined;
  /** The prior's signed report (or PACS SR), shown beside its images; null when it has none. */
  report?: ComparisonReport | null;
}

/** Which viewports a layout shows (all stay mounted, so each keeps its image and view). */
function visibleSlots(layout: ViewerLayout, maximised: boolean, active: Slot, comparing: boolean): Slot[] {
  if (maximised || layout === "1x1") return [active];
  if (layout === "2x2") return [...SLOTS];
  return comparing ? ["frontal", "prior-frontal"] : ["frontal", "lateral"];
}

/** The thumbnail's bytes from the file channel as an object URL (an <img> cannot send the harness's token). */
function useFileObjectUrl(fileUrl: string | undefined | null): "loading" | "none" | { url: string } {
  const [state, setState] = useState<"loading" | "none" | { url: string }>(fileUrl ? "loading" : "none");
  useEffect(() => {
    if (!fileUrl) return setState("none");
    let made: string | null = null;
    let live = true;
    setState("loading");
    fetch(fileChannelUrl(fileUrl), { headers: imageRequestHeaders(), cache: "no-store" })
      .then((res) => (res.ok ? res.blob() : null))
      .then((blob) => {
        if (!live) return;
        if (!blob) return setState("none");
        made = URL.createObjectURL(blob);
        setState({ url: made });
      })
      .catch(() => live && setState("none"));
    return () => {
      live = false;
      if (made) URL.revokeObjectURL(made);
    };
  }, [fileUrl]);
  return state;
}

export function ViewerArea({
  study,
  comparison = null,
  layout = "1x2",
  maximised = false,
  onToggleMaximise,
  protocolRun = 0,
}: {
  study: StudyDetail | null;
  comparison?: ComparisonCase | null;
  layout?: ViewerLayout;
  maximised?: boolean;
  onToggleMaximise?: () => void;
  /** Counts the runs of the hanging protocol: each one hangs the current frontal beside the prior frontal. */
  protocolRun?: number;
}) {
  const client = useClient();
  const commands = useEffectiveCommands();
  const hint = useShortcutHint();
  const [refresh, setRefresh] = useState(0);
  const studyId = study?.id ?? null;
  const sourcesState = useAsync(
    async () => (studyId ? client.files.imageSources({ studyId }) : []),
    [client, studyId, refresh],
  );
  // While a changed study's sources reload, the strip and the viewports keep what they show (no flicker, and
  // an image the user picked is not replaced by the study's first image). useAsync reports "loading" from the
  // render in which the study changes, so another study's sources are never labelled with this study's id.
  const shownSources = useRef<{ studyId: string | null; sources: ImageSource[] }>({ studyId: null, sources: [] });
  if (sourcesState.status === "ok") shownSources.current = { studyId, sources: sourcesState.value };
  const sources: ImageSource[] = shownSources.current.studyId === studyId ? shownSources.current.sources : [];
  const compareId = comparison?.studyId ?? null;
  // A case is shown with its images only when this workstation has the study (asked through the worklist search,
  // which answers an empty list rather than a 404 for a gallery case); else its thumbnail.
  const compareState = useAsync(async () => {
    if (!compareId) return null;
    const listed = await client.studies.list({ search: compareId });
    if (!listed.some((s) => s.id === compareId)) return { local: false as const };
    const [detail, compareSources] = await Promise.all([
      client.studies.get({ studyId: compareId }),
      client.files.imageSources({ studyId: compareId }),
    ]);
    return { local: true as const, detail, sources: compareSources };
  }, [client, compareId]);
  const compareLoaded = compareState.status === "ok" ? compareState.value : null;
  const compareSources = compareLoaded?.local ? compareLoaded.sources : [];
  const compareDetail = compareLoaded?.local ? compareLoaded.detail : null;
  const thumbnailOnly = comparison !== null && compareLoaded !== null && !compareLoaded.local;
  const thumbnail = useFileObjectUrl(thumbnailOnly ? comparison?.thumbnailUrl : null);
  const [assigned, setAssigned] = useState<Record<Slot, string | null>>({
    frontal: null,
    lateral: null,
    "prior-frontal": null,
    "prior-lateral": null,
  });
  const [activeSlot, setActiveSlot] = useState<Slot>("frontal");
  const viewports: Record<Slot, React.RefObject<ViewportHandle | null>> = {
    frontal: useRef<ViewportHandle>(null),
    lateral: useRef<ViewportHandle>(null),
    "prior-frontal": useRef<ViewportHandle>(null),
    "prior-lateral": useRef<ViewportHandle>(null),
  };
  const strip = useRef<ThumbnailStripHandle>(null);

  // Measurements (issue 17.2): the open study's, from the case database; the viewports draw those of their image.
  const [measureRefresh, setMeasureRefresh] = useState(0);
  const measurementsState = useAsync(
    async () => (studyId ? client.measurements.list({ studyId }) : []),
    [client, studyId, measureRefresh],
  );
  // While they reload after a change, the last list stays drawn (no flicker).
  const shownMeasurements = useRef<{ studyId: string | null; list: Measurement[] }>({ studyId: null, list: [] });
  if (measurementsState.status === "ok") shownMeasurements.current = { studyId, list: measurementsState.value };
  const measurements = shownMeasurements.current.studyId === studyId ? shownMeasurements.current.list : [];
  const [tool, setTool] = useState<MeasureTool | null>(null);
  const [selectedMeasurement, setSelectedMeasurement] = useState<number | null>(null);
  const [measureNotice, setMeasureNotice] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const measureError = (what: string) => (err: unknown) => {
    setMeasureNotice({ kind: "error", text: `${what}: ${err instanceof Error ? err.message : String(err)}` });
    setMeasureRefresh((n) => n + 1);
  };
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new study starts with nothing selected.
  useEffect(() => {
    setSelectedMeasurement(null);
    setMeasureNotice(null);
  }, [studyId]);
  const selected = measurements.find((m) => m.id === selectedMeasurement) ?? null;
  const deleteMeasurement = (id: number) =>
    client.measurements.delete({ id }).then(() => {
      setSelectedMeasurement((s) => (s === id ? null : s));
      setMeasureNotice({ kind: "ok", text: `Measurement ${id} deleted` });
      setMeasureRefresh((n) => n + 1);
    }, measureError("Not deleted"));
  const insertMeasurement = (id: number) => {
    const m = measurements.find((x) => x.id === id);
    if (!m) return;
    const result = insertIntoReport(measurementSentence(m));
    setMeasureNotice(
      result === "inserted"
        ? { kind: "ok", text: "Inserted into the report" }
        : { kind: "error", text: result === "read-only" ? "The report cannot be edited" : "No report open" },
    );
  };
  const visible = visibleSlots(layout, maximised, activeSlot, comparison !== null);

  useEffect(
    () =>
      client.events.onEvent({
        onData: (e) => {
          if (e.type === "studies-changed" && studyId && e.studyIds.includes(studyId)) {
            setRefresh((n) => n + 1);
            // Signing locks the measurements: the list shows them signed.
            setMeasureRefresh((n) => n + 1);
          }
        },
      }),
    [client, studyId],
  );

  // A new study (or a changed one) shows its first frontal and first lateral image; a study with no frontal image
  // shows its first image of unknown view on the left (a loose PNG's view is never guessed: its badge stays "?").
  const sourceKey = sources.map((s) => `${s.imageId}:${s.view}`).join(",");
  // biome-ignore lint/correctness/useExhaustiveDependencies: sourceKey stands for the sources' ids and views.
  useEffect(() => {
    setAssigned((current) => {
      const ids = new Set(sources.map((s) => s.imageId));
      const keep = (slot: Slot) => (current[slot] && ids.has(current[slot]) ? current[slot] : null);
      return {
        ...current,
        frontal: keep("frontal") ?? firstFrontal(sources),
        lateral: keep("lateral") ?? sources.find((s) => s.view === "lateral")?.imageId ?? null,
      };
    });
  }, [sourceKey]);
  // The study beside it: its first frontal (the hanging protocol's "prior frontal") and its first lateral.
  const compareKey = `${compareId}|${compareSources.map((s) => `${s.imageId}:${s.view}`).join(",")}`;
  // biome-ignore lint/correctness/useExhaustiveDependencies: compareKey stands for the comparison's sources.
  useEffect(() => {
    setAssigned((current) => ({
      ...current,
      "prior-frontal": firstFrontal(compareSources),
      "prior-lateral": compareSources.find((s) => s.view === "lateral")?.imageId ?? null,
    }));
  }, [compareKey]);
  // The hanging protocol: the current study's frontal on the left, the prior's frontal beside it (set above when
  // the prior's images arrive), the left one active.
  // biome-ignore lint/correctness/useExhaustiveDependencies: runs once per run of the protocol.
  useEffect(() => {
    if (protocolRun === 0) return;
    setAssigned((current) => ({
      ...current,
      frontal: firstFrontal(sources),
      "prior-frontal": firstFrontal(compareSources) ?? current["prior-frontal"],
    }));
    setActiveSlot("frontal");
  }, [protocolRun]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new study starts with the frontal viewport active.
  useEffect(() => {
    setAssigned((current) => ({ ...current, frontal: null, lateral: null }));
    setActiveSlot("frontal");
  }, [studyId]);
  // A viewport the layout no longer shows is not left active (keys would act on an invisible image).
  const visibleKey = visible.join(",");
  // biome-ignore lint/correctness/useExhaustiveDependencies: visibleKey stands for the visible viewports.
  useEffect(() => {
    if (!visible.includes(activeSlot)) setActiveSlot(visible[0] ?? "frontal");
  }, [visibleKey]);

  const allSources = [...sources, ...compareSources];
  const sourceOf = (slot: Slot) => allSources.find((s) => s.imageId === assigned[slot]) ?? null;
  const isPriorImage = (imageId: string | null) => !!imageId && compareSources.some((s) => s.imageId === imageId);
  const active = () => viewports[activeSlot].current;
  const step = (delta: number) => {
    // The active viewport steps through the images of the study it shows.
    const list = isPriorImage(assigned[activeSlot]) ? compareSources : sources;
    if (list.length === 0) return;
    const index = list.findIndex((s) => s.imageId === assigned[activeSlot]);
    const next = list[(index + delta + list.length) % list.length];
    if (next) setAssigned((a) => ({ ...a, [activeSlot]: next.imageId }));
  };

  const preset = (id: PresetId) => () => active()?.applyPreset(id);
  // The viewer's commands, one entry each; keys, toolbar buttons and the help overlay run them by id.
  useCommands({
    "viewer.preset.default": preset("default"),
    "viewer.preset.lung": preset("lung"),
    "viewer.preset.mediastinum": preset("mediastinum"),
    "viewer.preset.bone": preset("bone"),
    "viewer.invert": () => active()?.invert(),
    "viewer.zoomIn": () => active()?.zoom(1.25),
    "viewer.zoomOut": () => active()?.zoom(0.8),
    "viewer.fit": () => active()?.fit(),
    "viewer.rotateRight": () => active()?.rotate(90),
    "viewer.rotateLeft": () => active()?.rotate(-90),
    "viewer.flipHorizontal": () => active()?.flipHorizontal(),
    "viewer.flipVertical": () => active()?.flipVertical(),
    "viewer.reset": () => active()?.reset(),
    "viewer.switchViewport": () =>
      setActiveSlot((s) => visible[(visible.indexOf(s) + 1) % visible.length] ?? "frontal"),
    "viewer.nextImage": () => step(1),
    "viewer.previousImage": () => step(-1),
    "viewer.focusStrip": () => strip.current?.focus(assigned[activeSlot]),
    // A tool's command toggles it; W/L's picks none (the table: TOOL_BUTTONS).
    ...Object.fromEntries(
      TOOL_BUTTONS.map(({ command, tool: picked }) => [
        command,
        () => setTool((t) => (picked === null || t === picked ? null : picked)),
      ]),
    ),
    "viewer.measurement.delete": () => {
      if (selected) void deleteMeasurement(selected.id);
    },
    "viewer.measurement.insert": () => {
      const m = selected ?? measurements[measurements.length - 1];
      if (m) insertMeasurement(m.id);
    },
  });
  /** The measuring props of a viewport: the current study's images only (a prior's image is not measured here). */
  const measuringProps = (source: ImageSource | null) => {
    if (!source || !studyId || isPriorImage(source.imageId)) return {};
    const imageId = source.imageId;
    return {
      measurements: measurements.filter((m) => m.imageId === imageId),
      selectedMeasurementId: selectedMeasurement,
      tool,
      onMeasured: (draft: {
        kind: Measurement["kind"];
        points: Measurement["points"];
        stats: Measurement["stats"];
        reading: Measurement["reading"];
      }) =>
        client.measurements.create({ studyId, imageId, ...draft }).then((m) => {
          setSelectedMeasurement(m.id);
          setMeasureNotice(null);
          setMeasureRefresh((n) => n + 1);
        }, measureError("Not stored")),
      onMeasurementEdited: (
        id: number,
        points: Measurement["points"],
        stats: Measurement["stats"],
        reading: Measurement["reading"],
      ) =>
        client.measurements
          .update({ id, points, ...(stats ? { stats } : {}), ...(reading ? { reading } : {}) })
          .then(() => {
            setSelectedMeasurement(id);
            setMeasureRefresh((n) => n + 1);
          }, measureError("Not saved")),
      onMeasurementSelected: (id: number) => setSelectedMeasurement(id),
    };
  };
  const runCommand = useRunCommand();

  const setView = (imageId: string, view: View) => {
    client.import.setView({ imageId, view }).then(
      () => setRefresh((n) => n + 1),
      (err: unknown) => console.warn("view not changed:", err),
    );
  };

  // A viewport may show an image of either study (picked from the strip): its overlay names that image's study.
  const studyOf = (source: ImageSource | null) => (source && isPriorImage(source.imageId) ? compareDetail : study);
  const positionOf = (source: ImageSource | null) => {
    if (!source) return null;
    const list = isPriorImage(source.imageId) ? compareSources : sources;
    return `${list.findIndex((s) => s.imageId === source.imageId) + 1} / ${list.length}`;
  };

  return (
    <main className="viewer-area" aria-label="Viewer" data-study-id={studyId ?? undefined}>
      <div className="viewer-toolbar" role="toolbar" aria-label="Viewer tools">
        {VIEWER_TOOLBAR.map((group) => (
          <div className="tool-group" key={group.map((b) => b.command).join()}>
            {group.map((button) => {
              const label = commands.find((c) => c.id === button.command)?.label ?? button.text;
              const picks = toolOfCommand(button.command);
              return (
                <button
                  type="button"
                  key={button.command}
                  className="tool"
                  data-command={button.command}
                  aria-pressed={picks === undefined ? undefined : picks === tool}
                  title={hint(label, button.command)}
                  onClick={() => runCommand(button.command)}
                  // Keep the keyboard focus where it was: a focused button would take Space / Enter.
                  onMouseDown={(e) => e.preventDefault()}
                  disabled={!study}
                >
                  {button.text}
                </button>
              );
            })}
          </div>
        ))}
        <span className="tool-hint">
          Drag: W/L · Shift/middle drag: pan · Right drag/wheel: zoom · Double click: maximise
        </span>
      </div>
      <div className="viewports" data-layout={maximised ? "maximised" : layout} data-visible={visible.join(" ")}>
        {SLOTS.map((slot) => {
          const hidden = !visible.includes(slot);
          const prior = slot === "prior-frontal" || slot === "prior-lateral";
          if (prior) {
            const banner = comparison && (
              <div className="comparison-banner">
                <span>
                  {comparison.kind === "prior" ? "Prior study" : "Similar prior case"} {comparison.studyId}
                  {compareDetail?.studyDate ? ` · ${compareDetail.studyDate}` : ""}
                  {slot === "prior-lateral" ? " · lateral" : ""}
                </span>
                <button
                  type="button"
                  className="tool"
                  data-command="viewer.closeComparison"
                  title={hint("Close the comparison", "viewer.closeComparison")}
                  onClick={() => runCommand("viewer.closeComparison")}
                >
                  Close comparison
                </button>
              </div>
            );
            const onlyThumbnail = comparison !== null && thumbnailOnly;
            return (
              <div
                className="comparison-slot"
                key={slot}
                hidden={hidden}
                data-testid={slot === "prior-frontal" ? "comparison-viewport" : undefined}
                data-state={onlyThumbnail ? "thumbnail-only" : undefined}
              >
                {banner}
                {comparison && onlyThumbnail ? (
                  <ThumbnailOnly studyId={comparison.studyId} state={thumbnail} lateral={slot === "prior-lateral"} />
                ) : (
                  <div className="comparison-body">
                    <Viewport
                      ref={viewports[slot]}
                      slot={slot}
                      study={sourceOf(slot) ? studyOf(sourceOf(slot)) : compareDetail}
                      source={sourceOf(slot)}
                      position={positionOf(sourceOf(slot))}
                      role={isPriorImage(assigned[slot]) ? "Prior" : comparison ? "Current" : null}
                      active={activeSlot === slot && (comparison !== null || layout === "2x2")}
                      onActivate={() => setActiveSlot(slot)}
                      onMaximise={onToggleMaximise}
                      {...measuringProps(sourceOf(slot))}
                      emptyText={
                        !comparison
                          ? `No prior beside this study: ${hint("hanging protocol", "viewer.hangPrior")}, or ${hint("Open beside", "priors.openBeside")} in Priors`
                          : compareState.status === "loading"
                            ? "Loading the study beside it…"
                            : compareState.status === "error"
                              ? `The study beside it cannot be shown: ${compareState.error}`
                              : `No ${slot === "prior-frontal" ? "frontal" : "lateral"} image in ${comparison.studyId}`
                      }
                    />
                    {comparison?.report && slot === "prior-frontal" && (
                      <aside className="comparison-report" data-testid="comparison-report" aria-label="Prior report">
                        <ComparisonReportText report={comparison.report} />
                      </aside>
                    )}
                  </div>
                )}
              </div>
            );
          }
          const source = sourceOf(slot);
          return (
            <Viewport
              key={slot}
              ref={viewports[slot]}
              slot={slot}
              study={studyOf(source)}
              source={source}
              position={positionOf(source)}
              role={isPriorImage(source?.imageId ?? null) ? "Prior" : comparison ? "Current" : null}
              active={activeSlot === slot && study !== null}
              onActivate={() => setActiveSlot(slot)}
              onMaximise={onToggleMaximise}
              hidden={hidden}
              {...measuringProps(source)}
              emptyText={
                study === null
                  ? "No study open"
                  : sourcesState.status === "loading"
                    ? "Loading…"
                    : sourcesState.status === "error"
                      ? `Images not available: ${sourcesState.error}`
                      : `No ${slot} image in this study${sources.length ? ": pick one below" : ""}`
              }
            />
          );
        })}
      </div>
      <ReadingAids activeSource={sourceOf(activeSlot)} />
      {study && !maximised && (
        <MeasurementsPanel
          measurements={measurements}
          selectedId={selectedMeasurement}
          fileNameOf={(imageId) => sources.find((s) => s.imageId === imageId)?.fileName ?? imageId}
          notice={measureNotice}
          onSelect={setSelectedMeasurement}
          onDelete={(id) => void deleteMeasurement(id)}
          onInsert={insertMeasurement}
          onLabel={(id, label) =>
            client.measurements
              .update({ id, label })
              .then(() => setMeasureRefresh((n) => n + 1), measureError("Not saved"))
          }
          hint={hint}
        />
      )}
      {study && sources.length > 0 && !maximised && (
        <ThumbnailStrip
          ref={strip}
          rows={[
            {
              key: "current",
              studyId: shownSources.current.studyId ?? studyId ?? "",
              label: study.studyDate ?? "current",
              sources,
              canSetView: true,
            },
            ...(compareDetail && compareSources.length > 0
              ? [
                  {
                    key: "prior" as const,
                    studyId: compareDetail.id,
                    label: `${comparison?.kind === "prior" ? "Prior" : "Similar"} · ${compareDetail.studyDate ?? compareDetail.id}`,
                    sources: compareSources,
                    canSetView: false,
                  },
                ]
              : []),
          ]}
          shownIn={(imageId) => visible.filter((slot) => assigned[slot] === imageId)}
          onPick={(imageId) => setAssigned((a) => ({ ...a, [activeSlot]: imageId }))}
          onSetView={setView}
        />
      )}
    </main>
  );
}

/** A study's first frontal image, else its first image of unknown view. */
function firstFrontal(list: readonly ImageSource[]): string | null {
  return list.find((s) => s.view === "frontal")?.imageId ?? list.find((s) => s.view === "unknown")?.imageId ?? null;
}

/** A similar case without images on this workstation: its thumbnail, enlarged, said to be only that. */
function ThumbnailOnly({
  studyId,
  state,
  lateral,
}: {
  studyId: string;
  state: "loading" | "none" | { url: string };
  lateral: boolean;
}) {
  if (lateral)
    return <div className="viewport-message">Thumbnail only: the workstation has no lateral image of {studyId}.</div>;
  return (
    <div className="thumbnail-only">
      {typeof state === "object" ? (
        <img src={state.url} alt={`Thumbnail of ${studyId} (frontal view)`} draggable={false} />
      ) : null}
      <div className="thumbnail-only-label" role="note">
        {state === "loading"
          ? "Loading the thumbnail…"
          : state === "none"
            ? `No images of ${studyId} on this workstation and no thumbnail: the retrieval index holds its report only.`
            : "Thumbnail only — the workstation has no images of this case (a retrieval-index case carries its report, labels and a small frontal thumbnail)."}
      </div>
    </div>
  );
}
