/**
 * The strip of thumbnails under the viewports: every image of the open study and, when a prior (or a similar case
 * with images) is beside it, every image of that study. Each thumbnail is the image itself, rendered by cornerstone
 * (the same loader and cache as the viewports, so MONOCHROME1 is shown with its polarity and a picked image opens at
 * once). Click, Enter or Space shows the image in the active viewport; ← / → (Home / End) move between thumbnails,
 * ↑ / ↓ between the two studies' rows. The view of an image of the open study can be corrected here.
 */
import { type Ref, useEffect, useImperativeHandle, useRef, useState } from "react";
import { type View, ViewSchema } from "../../../../src-shared/domain";
import type { ImageSource } from "../../../../src-shared/import-types";
import { Options } from "../../app/Options";
import { cornerstoneImageId, initCornerstone } from "./cornerstone-setup";

const VIEW_SHORT: Record<View, string> = { frontal: "F", lateral: "L", unknown: "?" };
const VIEW_NAME: Record<View, string> = { frontal: "Frontal", lateral: "Lateral", unknown: "Unknown" };
const THUMB_SIZE = 64;

/** Thumbnails render one at a time, so they never crowd out the viewports' own loads. */
let queue: Promise<void> = Promise.resolve();
function enqueue(task: () => Promise<void>): void {
  queue = queue.then(task, task);
}

function Thumbnail({ source }: { source: ImageSource }) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [state, setState] = useState<"loading" | "ready" | "failed">(source.available ? "loading" : "failed");
  const key = `${source.imageId}|${source.format}|${source.available}`;
  // biome-ignore lint/correctness/useExhaustiveDependencies: key stands for the source's identity.
  useEffect(() => {
    if (!source.available) return setState("failed");
    let live = true;
    setState("loading");
    const cs = initCornerstone();
    enqueue(async () => {
      if (!live) return;
      try {
        const image = await cs.loadAndCacheImage(cornerstoneImageId(source.imageId, source.format));
        const el = canvas.current;
        if (!live || !el) return;
        // The canvas takes the image's aspect ratio within the square, so nothing is distorted.
        const ratio = image.width / image.height;
        el.width = Math.max(8, Math.round(ratio >= 1 ? THUMB_SIZE : THUMB_SIZE * ratio));
        el.height = Math.max(8, Math.round(ratio >= 1 ? THUMB_SIZE / ratio : THUMB_SIZE));
        cs.renderToCanvas(el, image);
        setState("ready");
      } catch {
        // The viewport names the reason when the image is shown; the thumbnail only says it has none.
        if (live) setState("failed");
      }
    });
    return () => {
      live = false;
    };
  }, [key]);
  return (
    <span className="strip-thumb" data-state={state}>
      <canvas ref={canvas} width={THUMB_SIZE} height={THUMB_SIZE} hidden={state !== "ready"} />
      {state === "loading" && <span className="strip-thumb-note">…</span>}
      {state === "failed" && <span className="strip-thumb-note">no image</span>}
    </span>
  );
}

export interface StripRow {
  /** "current" for the open study, "prior" for the study beside it. */
  key: "current" | "prior";
  studyId: string;
  label: string;
  sources: ImageSource[];
  /** Whether the view of its images can be corrected here (the open study's). */
  canSetView: boolean;
}

export interface ThumbnailStripHandle {
  /** Focuses the thumbnail of this image (else the first one). */
  focus(imageId: string | null): void;
}

export function ThumbnailStrip({
  rows,
  shownIn,
  onPick,
  onSetView,
  ref,
}: {
  rows: StripRow[];
  /** The viewports an image is shown in ("frontal", "prior-frontal", …). */
  shownIn: (imageId: string) => string[];
  onPick: (imageId: string) => void;
  onSetView: (imageId: string, view: View) => void;
  ref?: Ref<ThumbnailStripHandle>;
}) {
  const container = useRef<HTMLDivElement>(null);
  const buttons = () => Array.from(container.current?.querySelectorAll<HTMLButtonElement>(".strip-image") ?? []);
  useImperativeHandle(ref, () => ({
    focus(imageId) {
      const all = buttons();
      (all.find((b) => b.dataset.imageId === imageId) ?? all[0])?.focus();
    },
  }));
  const onKeyDown = (e: React.KeyboardEvent<HTMLDivElement>) => {
    const target = e.target as HTMLElement;
    if (!target.classList.contains("strip-image") || e.altKey || e.ctrlKey || e.metaKey) return;
    const all = buttons();
    const index = all.indexOf(target as HTMLButtonElement);
    let next: HTMLButtonElement | undefined;
    if (e.key === "ArrowRight") next = all[Math.min(all.length - 1, index + 1)];
    else if (e.key === "ArrowLeft") next = all[Math.max(0, index - 1)];
    else if (e.key === "Home") next = all[0];
    else if (e.key === "End") next = all[all.length - 1];
    else if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      // The same position in the other study's row.
      const row = target.closest("ol");
      const rowsEls = Array.from(container.current?.querySelectorAll("ol") ?? []);
      const other = rowsEls[rowsEls.indexOf(row as HTMLOListElement) + (e.key === "ArrowDown" ? 1 : -1)];
      if (other) {
        const inRow = Array.from(row?.querySelectorAll<HTMLButtonElement>(".strip-image") ?? []);
        const there = Array.from(other.querySelectorAll<HTMLButtonElement>(".strip-image"));
        next = there[Math.min(there.length - 1, inRow.indexOf(target as HTMLButtonElement))];
      } else next = target as HTMLButtonElement;
    } else return;
    // Handled here: the arrows must not also move the worklist.
    e.preventDefault();
    e.stopPropagation();
    next?.focus();
  };
  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: the key handler moves the focus between its buttons.
    <div className="image-strips" ref={container} onKeyDown={onKeyDown}>
      {rows.map((row) => (
        <ol
          key={row.key}
          className={`image-strip strip-${row.key}`}
          aria-label={row.key === "current" ? "Images of the study" : `Images of the prior study ${row.label}`}
          data-study-id={row.studyId}
        >
          {row.key === "prior" && (
            <li className="strip-row-label" aria-hidden="true">
              {row.label}
            </li>
          )}
          {row.sources.map((s, i) => {
            const shown = shownIn(s.imageId);
            return (
              <li key={s.imageId} className={shown.length ? "shown" : undefined} data-shown-in={shown.join(" ")}>
                <button
                  type="button"
                  className="strip-image"
                  data-image-id={s.imageId}
                  data-file-name={s.fileName}
                  title={`${s.fileName} · ${s.encoding}${s.viewReason ? ` · view: ${s.viewReason}` : ""}${
                    s.problem ? ` · ${s.problem}` : ""
                  }\nClick or Enter: show in the active viewport · ←/→: next thumbnail`}
                  onClick={() => onPick(s.imageId)}
                >
                  <Thumbnail source={s} />
                  <span className={`view-badge view-${s.view}`}>{VIEW_SHORT[s.view]}</span>
                  <span className="strip-index">{i + 1}</span>
                  <span className="strip-name">{s.fileName}</span>
                  <span className="strip-encoding">{s.available ? s.encoding : "missing"}</span>
                </button>
                {row.canSetView && (
                  <select
                    className="strip-view"
                    value={s.view}
                    aria-label={`View of ${s.fileName}`}
                    onChange={(e) => onSetView(s.imageId, e.target.value as View)}
                  >
                    <Options values={ViewSchema.options} labels={VIEW_NAME} />
                  </select>
                )}
              </li>
            );
          })}
        </ol>
      ))}
    </div>
  );
}
