/**
 * The viewer: frontal and lateral side by side, a toolbar (data: ./viewer-toolbar.ts) whose buttons run the same
 * commands as the hotkeys, and a strip of the study's images (click one to show it in the active viewport; the
 * view can be corrected there). The viewer loads images only through the image-file transport.
 */
import { useEffect, useRef, useState } from "react";
import type { StudyDetail, View } from "../../../../src-shared/domain";
import type { ImageSource } from "../../../../src-shared/import-types";
import { useAsync } from "../../app/useAsync";
import { useCommands, useRunCommand } from "../../commands/CommandRegistry";
import { useEffectiveCommands, useShortcutHint } from "../../commands/key-bindings";
import { useClient } from "../../ipc/ClientContext";
import type { PresetId } from "./presets";
import { ReadingAids } from "./ReadingAids";
import { Viewport, type ViewportHandle } from "./Viewport";
import { VIEWER_TOOLBAR } from "./viewer-toolbar";
import "./viewer.css";

type Slot = "frontal" | "lateral";
const SLOTS: readonly Slot[] = ["frontal", "lateral"];
const VIEW_SHORT: Record<View, string> = { frontal: "F", lateral: "L", unknown: "?" };

/** A similar prior case opened beside the current study: its frontal image replaces the lateral viewport. */
export interface ComparisonCase {
  studyId: string;
  onClose: () => void;
}

export function ViewerArea({
  study,
  comparison = null,
}: {
  study: StudyDetail | null;
  comparison?: ComparisonCase | null;
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
  const compareState = useAsync(async () => {
    if (!compareId) return null;
    const [detail, compareSources] = await Promise.all([
      client.studies.get({ studyId: compareId }),
      client.files.imageSources({ studyId: compareId }),
    ]);
    return { detail, source: compareSources.find((c) => c.view === "frontal") ?? compareSources[0] ?? null };
  }, [client, compareId]);
  const [assigned, setAssigned] = useState<Record<Slot, string | null>>({ frontal: null, lateral: null });
  const [activeSlot, setActiveSlot] = useState<Slot>("frontal");
  const viewports = { frontal: useRef<ViewportHandle>(null), lateral: useRef<ViewportHandle>(null) };

  useEffect(
    () =>
      client.events.onEvent({
        onData: (e) => {
          if (e.type === "studies-changed" && studyId && e.studyIds.includes(studyId)) setRefresh((n) => n + 1);
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
        frontal:
          keep("frontal") ??
          sources.find((s) => s.view === "frontal")?.imageId ??
          sources.find((s) => s.view === "unknown")?.imageId ??
          null,
        lateral: keep("lateral") ?? sources.find((s) => s.view === "lateral")?.imageId ?? null,
      };
    });
  }, [sourceKey]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: a new study starts with the frontal viewport active.
  useEffect(() => {
    setAssigned({ frontal: null, lateral: null });
    setActiveSlot("frontal");
  }, [studyId]);

  const sourceOf = (slot: Slot) => sources.find((s) => s.imageId === assigned[slot]) ?? null;
  const active = () => viewports[activeSlot].current;
  const step = (delta: number) => {
    if (sources.length === 0) return;
    const index = sources.findIndex((s) => s.imageId === assigned[activeSlot]);
    const next = sources[(index + delta + sources.length) % sources.length];
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
    "viewer.switchViewport": () => setActiveSlot((s) => (s === "frontal" ? "lateral" : "frontal")),
    "viewer.nextImage": () => step(1),
    "viewer.previousImage": () => step(-1),
  });
  const runCommand = useRunCommand();

  const setView = (imageId: string, view: View) => {
    client.import.setView({ imageId, view }).then(
      () => setRefresh((n) => n + 1),
      (err: unknown) => console.warn("view not changed:", err),
    );
  };

  const positionOf = (source: ImageSource | null) =>
    source ? `${sources.findIndex((s) => s.imageId === source.imageId) + 1} / ${sources.length}` : null;

  return (
    <main className="viewer-area" aria-label="Viewer" data-study-id={studyId ?? undefined}>
      <div className="viewer-toolbar" role="toolbar" aria-label="Viewer tools">
        {VIEWER_TOOLBAR.map((group) => (
          <div className="tool-group" key={group.map((b) => b.command).join()}>
            {group.map((button) => {
              const label = commands.find((c) => c.id === button.command)?.label ?? button.text;
              return (
                <button
                  type="button"
                  key={button.command}
                  className="tool"
                  data-command={button.command}
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
          Drag: W/L · Shift/middle drag: pan · Right drag/wheel: zoom · Double click: fit
        </span>
      </div>
      <div className="viewports">
        {SLOTS.map((slot) => {
          if (slot === "lateral" && comparison) {
            const loaded = compareState.status === "ok" ? compareState.value : null;
            return (
              <div className="comparison-slot" key="comparison" data-testid="comparison-viewport">
                <div className="comparison-banner">
                  <span>Similar prior case {comparison.studyId}</span>
                  <button type="button" className="tool" onClick={comparison.onClose}>
                    Close comparison
                  </button>
                </div>
                <Viewport
                  ref={viewports.lateral}
                  slot="lateral"
                  study={loaded?.detail ?? null}
                  source={loaded?.source ?? null}
                  position={null}
                  active={activeSlot === "lateral"}
                  onActivate={() => setActiveSlot("lateral")}
                  emptyText={
                    compareState.status === "loading"
                      ? "Loading the prior case…"
                      : compareState.status === "error"
                        ? `No images of ${comparison.studyId} on this workstation: gallery cases from the model pack carry a report and an embedding only; signed and imported cases have images.`
                        : "The prior case has no images."
                  }
                />
              </div>
            );
          }
          const source = sourceOf(slot);
          return (
            <Viewport
              key={slot}
              ref={viewports[slot]}
              slot={slot}
              study={study}
              source={source}
              position={positionOf(source)}
              active={activeSlot === slot && study !== null}
              onActivate={() => setActiveSlot(slot)}
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
      <ReadingAids
        activeSource={
          activeSlot === "lateral" && comparison
            ? compareState.status === "ok"
              ? (compareState.value?.source ?? null)
              : null
            : sourceOf(activeSlot)
        }
      />
      {study && sources.length > 0 && (
        <ol
          className="image-strip"
          aria-label="Images of the study"
          data-study-id={shownSources.current.studyId ?? undefined}
        >
          {sources.map((s, i) => {
            const shownIn = SLOTS.filter((slot) => assigned[slot] === s.imageId);
            return (
              <li key={s.imageId} className={shownIn.length ? "shown" : undefined}>
                <button
                  type="button"
                  className="strip-image"
                  data-image-id={s.imageId}
                  data-file-name={s.fileName}
                  title={`${s.fileName} · ${s.encoding}${s.viewReason ? ` · view: ${s.viewReason}` : ""}${
                    s.problem ? ` · ${s.problem}` : ""
                  }\nClick: show in the active viewport`}
                  onClick={() => setAssigned((a) => ({ ...a, [activeSlot]: s.imageId }))}
                >
                  <span className={`view-badge view-${s.view}`}>{VIEW_SHORT[s.view]}</span>
                  <span className="strip-index">{i + 1}</span>
                  <span className="strip-name">{s.fileName}</span>
                  <span className="strip-encoding">{s.available ? s.encoding : "missing"}</span>
                </button>
                <select
                  className="strip-view"
                  value={s.view}
                  aria-label={`View of ${s.fileName}`}
                  onChange={(e) => setView(s.imageId, e.target.value as View)}
                >
                  <option value="frontal">Frontal</option>
                  <option value="lateral">Lateral</option>
                  <option value="unknown">Unknown</option>
                </select>
              </li>
            );
          })}
        </ol>
      )}
    </main>
  );
}
