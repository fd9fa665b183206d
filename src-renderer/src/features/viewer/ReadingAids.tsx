/**
 * The viewer's reading-aid commands (orientation markers, magnifier, pixel value: ./reading-aids.ts; each viewport
 * draws them, ./ViewportAids.tsx) and the DICOM tag browser of the active viewport's image. The browser reads the
 * image's file as imported (through the image-file transport) with the one DICOM reader, not the viewer's
 * transcoded copy, so transfer syntax and photometric interpretation are the file's own; names and VRs come from
 * dcmjs's data dictionary (loaded on first use).
 */
import { useMemo, useState } from "react";
import { parseDicom } from "../../../../src-shared/imaging/dicom-reader";
import type { ImageSource } from "../../../../src-shared/import-types";
import { HeadedTable } from "../../app/HeadedTable";
import { OverlayPanel } from "../../app/OverlayPanel";
import { useAsync } from "../../app/useAsync";
import { useCommands } from "../../commands/CommandRegistry";
import { imageRequestHeaders, imageUrl } from "../../ipc/transport";
import { readableDicomBytes } from "./dicom-normalize";
import { filterRows, type TagDictionary, type TagRow, tagRows } from "./dicom-tags";
import { toggleReadingAid } from "./reading-aids";

let dictionary: Promise<TagDictionary> | null = null;

/** dcmjs's DicomMetaDictionary as a lookup (keys "(gggg,eeee)"; it resolves repeating groups such as 60xx). */
function loadDictionary(): Promise<TagDictionary> {
  dictionary ??= import("dcmjs").then((dcmjs) => {
    const entries = dcmjs.data.DicomMetaDictionary.dictionary;
    return (tag: string) => entries[tag] ?? entries[tag.toLowerCase()];
  });
  return dictionary;
}

async function readTags(source: ImageSource): Promise<TagRow[]> {
  const response = await fetch(imageUrl(source.imageId), { headers: imageRequestHeaders() });
  if (!response.ok) {
    let message = `HTTP ${response.status}`;
    try {
      message = ((await response.json()) as { error?: { message?: string } }).error?.message ?? message;
    } catch {
      /* not JSON */
    }
    throw new Error(`${source.fileName}: ${message}`);
  }
  const bytes = await readableDicomBytes(await response.arrayBuffer(), source.fileName);
  const parsed = parseDicom(bytes, source.fileName, { consumer: "viewer" });
  return tagRows(parsed.dataSet, await loadDictionary());
}

function TagRows({
  rows,
  open,
  toggle,
  depth,
}: {
  rows: readonly TagRow[];
  open: ReadonlySet<string>;
  toggle: (key: string) => void;
  depth: number;
}) {
  return (
    <>
      {rows.map((row) => (
        <TagRowView key={row.key} row={row} open={open} toggle={toggle} depth={depth} />
      ))}
    </>
  );
}

function TagRowView({
  row,
  open,
  toggle,
  depth,
}: {
  row: TagRow;
  open: ReadonlySet<string>;
  toggle: (key: string) => void;
  depth: number;
}) {
  const isOpen = open.has(row.key);
  return (
    <>
      <tr
        data-tag={row.tag}
        data-depth={depth}
        data-private={row.isPrivate ? "true" : undefined}
        className={row.isPrivate ? "private" : undefined}
      >
        <td className="tag" style={{ paddingLeft: 4 + depth * 16 }}>
          {row.items ? (
            <button
              type="button"
              className="tag-toggle"
              aria-expanded={isOpen}
              aria-label={`${isOpen ? "Collapse" : "Expand"} ${row.name}`}
              onClick={() => toggle(row.key)}
            >
              {isOpen ? "▾" : "▸"}
            </button>
          ) : null}
          {row.tag}
        </td>
        <td className="name">
          {row.isPrivate && <span className="private-badge">Private</span>}
          {row.name}
        </td>
        <td className="vr">{row.vr}</td>
        <td className="value">{row.value}</td>
      </tr>
      {row.items &&
        isOpen &&
        row.items.map((item, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: items have no identity but their position.
          <ItemRows key={i} index={i} rows={item} open={open} toggle={toggle} depth={depth + 1} />
        ))}
    </>
  );
}

function ItemRows(props: {
  index: number;
  rows: readonly TagRow[];
  open: ReadonlySet<string>;
  toggle: (key: string) => void;
  depth: number;
}) {
  return (
    <>
      <tr className="item" data-depth={props.depth}>
        <td colSpan={4} style={{ paddingLeft: 4 + props.depth * 16 }}>
          Item {props.index + 1}
        </td>
      </tr>
      <TagRows rows={props.rows} open={props.open} toggle={props.toggle} depth={props.depth} />
    </>
  );
}

function TagBrowser({ source, onClose }: { source: ImageSource | null; onClose: () => void }) {
  const [query, setQuery] = useState("");
  const [opened, setOpened] = useState<ReadonlySet<string>>(new Set());
  const isDicom = source?.format === "dicom" && source.available;
  const tags = useAsync(async () => (source && isDicom ? readTags(source) : null), [source?.imageId, isDicom]);
  const all = tags.status === "ok" ? tags.value : null;
  const filtered = useMemo(() => (all ? filterRows(all, query) : null), [all, query]);
  const open = useMemo(
    () => (filtered && query.trim() ? new Set([...opened, ...filtered.open]) : opened),
    [filtered, opened, query],
  );
  const toggle = (key: string) =>
    setOpened((o) => {
      const next = new Set(o);
      if (next.has(key)) next.delete(key);
      else next.add(key);
      return next;
    });
  return (
    <OverlayPanel
      title={`DICOM tags${source ? ` · ${source.fileName}` : ""}`}
      label="DICOM tags"
      className="tag-browser"
      closeLabel="Close the DICOM tags"
      onClose={onClose}
    >
      {!source && <p className="muted">No image in the active viewport.</p>}
      {source && !isDicom && (
        <p className="muted">
          {source.available
            ? `${source.fileName} is a ${source.format.toUpperCase()} file: it has no DICOM tags.`
            : `${source.fileName}: ${source.problem ?? "the file is not available"}`}
        </p>
      )}
      {isDicom && tags.status === "loading" && <p className="muted">Reading {source?.fileName}…</p>}
      {tags.status === "error" && (
        <p className="tag-error" role="alert">
          {tags.error}
        </p>
      )}
      {filtered && (
        <>
          <input
            type="search"
            className="tag-search"
            aria-label="Search tags by tag or name"
            placeholder='Tag or name: "0020,0020", "PatientOrientation", "window"'
            value={query}
            // biome-ignore lint/a11y/noAutofocus: the panel opens to search.
            autoFocus
            onChange={(e) => setQuery(e.target.value)}
          />
          <p className="muted tag-count" data-testid="tag-count">
            {query.trim()
              ? `${filtered.matches} match${filtered.matches === 1 ? "" : "es"}`
              : `${all?.length ?? 0} top-level elements`}
          </p>
          <HeadedTable className="tag-table" columns={["Tag", "Name", "VR", "Value"]}>
            <TagRows rows={filtered.rows} open={open} toggle={toggle} depth={0} />
          </HeadedTable>
        </>
      )}
    </OverlayPanel>
  );
}

/** The reading-aid commands, and the tag browser of `activeSource` (the active viewport's image). */
export function ReadingAids({ activeSource }: { activeSource: ImageSource | null }) {
  const [tagsOpen, setTagsOpen] = useState(false);
  useCommands({
    "viewer.orientationMarkers": () => toggleReadingAid("markers"),
    "viewer.magnifier": () => toggleReadingAid("magnifier"),
    "viewer.pixelValue": () => toggleReadingAid("pixelValue"),
    "viewer.tags": () => setTagsOpen((o) => !o),
  });
  return tagsOpen ? <TagBrowserOverlay source={activeSource} onClose={() => setTagsOpen(false)} /> : null;
}

/** Registered while open only: the newest overlay.close binding wins. */
function TagBrowserOverlay(props: { source: ImageSource | null; onClose: () => void }) {
  useCommands({ "overlay.close": props.onClose });
  return <TagBrowser {...props} />;
}
