import { type KeyboardEvent, useEffect, useMemo, useRef, useState } from "react";
import type { StudyStatus, StudySummary } from "../../../../src-shared/domain";
import { useAsync } from "../../app/useAsync";
import { useCommands } from "../../commands/CommandRegistry";
import { useShortcutHint } from "../../commands/key-bindings";
import { useClient } from "../../ipc/ClientContext";
import { PacsWorklistSection } from "../pacs/PacsWorklistSection";
import { ImportPanel } from "./ImportPanel";
import "./worklist.css";

const STATUSES: Array<StudyStatus | "all"> = ["all", "new", "drafting", "drafted", "signed"];

/** What the worklist calls a study: the patient, else the description (e.g. an image folder's name), else its id. */
function titleOf(s: StudySummary): string {
  return s.patientName ?? s.patientId ?? s.description ?? s.id;
}

/** The worklist's columns (issue 18.6), in display order; each sorts by clicking its header (or Enter/Space on it). */
const COLUMNS = [
  { key: "patient", label: "Patient" },
  { key: "id", label: "ID" },
  { key: "accession", label: "Accession" },
  { key: "date", label: "Date" },
  { key: "modality", label: "Modality" },
  { key: "description", label: "Description" },
  { key: "status", label: "Status" },
  { key: "priority", label: "Priority" },
] as const;
type ColumnKey = (typeof COLUMNS)[number]["key"];
type Sort = { key: ColumnKey; dir: "asc" | "desc" } | null;

const STATUS_ORDER: Record<StudyStatus, number> = { new: 0, drafting: 1, drafted: 2, signed: 3 };

function sortValue(s: StudySummary, key: ColumnKey): string | number | null {
  switch (key) {
    case "patient":
      return titleOf(s).toLowerCase();
    case "id":
      return s.patientId?.toLowerCase() ?? null;
    case "accession":
      return s.accessionNumber?.toLowerCase() ?? null;
    case "date":
      return s.studyDate;
    case "modality":
      return s.modalities.join(" ") || null;
    case "description":
      return s.description?.toLowerCase() ?? null;
    case "status":
      return STATUS_ORDER[s.status];
    case "priority":
      return s.critical ? 1 : 0;
  }
}

/**
 * The rows in the chosen column's order. Studies with a critical result stay first (issue 18.3) unless the user
 * sorts by priority itself; empty values sort last; ties keep the server's stable worklist order.
 */
export function sortStudies(rows: readonly StudySummary[], sort: Sort): StudySummary[] {
  if (!sort) return [...rows];
  const sign = sort.dir === "asc" ? 1 : -1;
  return rows
    .map((s, i) => ({ s, i }))
    .sort((a, b) => {
      if (sort.key !== "priority" && a.s.critical !== b.s.critical) return a.s.critical ? -1 : 1;
      const va = sortValue(a.s, sort.key);
      const vb = sortValue(b.s, sort.key);
      if (va !== vb) {
        if (va === null) return 1;
        if (vb === null) return -1;
        return (va < vb ? -1 : 1) * sign;
      }
      return a.i - b.i;
    })
    .map((x) => x.s);
}

/** Where a local study came from: "demo", "local" (files) or "PACS · cached" (retrieved from a PACS). */
function sourceOf(s: StudySummary): string {
  return s.pacsConnection ? "PACS · cached" : s.source === "demo" ? "demo" : "local";
}

export function WorklistPane(props: {
  selectedId: string | null;
  onSelect: (id: string) => void;
  refreshKey: number;
  /** Called once, after the first list has been drawn (the frame then loads the viewer: issue 19.4). */
  onFirstList?: () => void;
}) {
  const client = useClient();
  const [search, setSearch] = useState("");
  const [status, setStatus] = useState<StudyStatus | "all">("all");
  const [dateFrom, setDateFrom] = useState("");
  const [dateTo, setDateTo] = useState("");
  const [sort, setSort] = useState<Sort>(null);
  /** The row the arrow keys in the search box point at (Enter opens it); null: the open study. */
  const [cursor, setCursor] = useState<string | null>(null);
  const [changes, setChanges] = useState(0);
  const [importOpen, setImportOpen] = useState(false);
  const searchRef = useRef<HTMLInputElement>(null);
  const studies = useAsync(
    () =>
      client.studies.list({
        search: search || undefined,
        status: status === "all" ? undefined : status,
        dateFrom: dateFrom || undefined,
        dateTo: dateTo || undefined,
      }),
    [client, search, status, dateFrom, dateTo, props.refreshKey, changes],
  );
  // Imports, demo seeding and status changes elsewhere refresh the list.
  useEffect(
    () =>
      client.events.onEvent({
        onData: (e) => {
          if (e.type === "studies-changed") setChanges((n) => n + 1);
        },
      }),
    [client],
  );
  const listed = studies.status !== "loading";
  const { onFirstList } = props;
  const firstListReported = useRef(false);
  useEffect(() => {
    if (!listed || firstListReported.current) return;
    firstListReported.current = true;
    onFirstList?.();
  }, [listed, onFirstList]);
  // Keep showing the last list while a refresh loads (no flicker, no jump).
  const lastRows = useRef<StudySummary[]>([]);
  if (studies.status === "ok") lastRows.current = studies.value;
  const fetched: StudySummary[] = studies.status === "ok" ? studies.value : lastRows.current;
  const rows = useMemo(() => sortStudies(fetched, sort), [fetched, sort]);
  const index = rows.findIndex((s) => s.id === props.selectedId);
  useCommands({
    "worklist.focusSearch": () => searchRef.current?.focus(),
    "worklist.next": () => {
      const next = rows[Math.min(rows.length - 1, index + 1)];
      if (next) props.onSelect(next.id);
    },
    "worklist.previous": () => {
      const prev = rows[Math.max(0, index - 1)];
      if (prev) props.onSelect(prev.id);
    },
    "worklist.import": () => setImportOpen(true),
  });
  const hint = useShortcutHint();
  // Keep the selected (or pointed-at) row in view when moving with the keyboard.
  const listRef = useRef<HTMLUListElement>(null);
  const shown = cursor ?? props.selectedId;
  useEffect(() => {
    if (!shown) return;
    listRef.current
      ?.querySelector<HTMLElement>(`[data-study-id="${CSS.escape(shown)}"]`)
      ?.scrollIntoView({ block: "nearest" });
  }, [shown]);

  const sortBy = (key: ColumnKey) =>
    setSort((s) =>
      s?.key === key
        ? { key, dir: s.dir === "asc" ? "desc" : "asc" }
        : { key, dir: key === "date" || key === "priority" ? "desc" : "asc" },
    );

  // In the search box: Down/Up move through the rows, Enter opens, Escape clears the search, then leaves the box.
  const onSearchKey = (e: KeyboardEvent<HTMLInputElement>) => {
    const at = rows.findIndex((s) => s.id === (cursor ?? props.selectedId));
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      e.preventDefault();
      const next = e.key === "ArrowDown" ? Math.min(rows.length - 1, at + 1) : Math.max(0, at - 1);
      const row = rows[next];
      if (row) setCursor(row.id);
    } else if (e.key === "Enter") {
      e.preventDefault();
      const row = rows[at] ?? rows[0];
      if (row) {
        setCursor(null);
        props.onSelect(row.id);
      }
    } else if (e.key === "Escape") {
      e.preventDefault();
      e.stopPropagation();
      setCursor(null);
      if (search !== "") setSearch("");
      else e.currentTarget.blur();
    }
  };

  return (
    <aside className="pane worklist-pane" aria-label="Worklist">
      <header className="pane-header">
        <h2>Worklist</h2>
        <span className="count">{studies.status === "error" ? "" : rows.length}</span>
        <button
          type="button"
          className="btn import-button"
          onClick={() => setImportOpen((o) => !o)}
          aria-expanded={importOpen}
          title={hint("Import files or a folder", "worklist.import")}
        >
          Import
        </button>
      </header>
      {importOpen && (
        <ImportPanel
          onClose={() => setImportOpen(false)}
          onImported={(result) => {
            setChanges((n) => n + 1);
            const first = result.studyIds[0];
            if (first) props.onSelect(first);
          }}
        />
      )}
      <div className="worklist-filters">
        <input
          ref={searchRef}
          type="search"
          placeholder={hint("Search patient, ID, accession, description", "worklist.focusSearch")}
          value={search}
          onChange={(e) => {
            setSearch(e.target.value);
            setCursor(null);
          }}
          onKeyDown={onSearchKey}
          onBlur={() => setCursor(null)}
          aria-label="Search studies"
          aria-controls="worklist-studies"
          aria-activedescendant={cursor ? `worklist-row-${cursor}` : undefined}
        />
        <select value={status} onChange={(e) => setStatus(e.target.value as StudyStatus | "all")} aria-label="Status">
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s === "all" ? "All statuses" : s}
            </option>
          ))}
        </select>
      </div>
      <div className="worklist-dates">
        <label>
          From{" "}
          <input
            type="date"
            value={dateFrom}
            onChange={(e) => setDateFrom(e.target.value)}
            aria-label="Study date from"
          />
        </label>
        <label>
          to <input type="date" value={dateTo} onChange={(e) => setDateTo(e.target.value)} aria-label="Study date to" />
        </label>
      </div>
      <div className="worklist-columns" role="toolbar" aria-label="Sort studies by column">
        {COLUMNS.map((c) => {
          const active = sort?.key === c.key;
          return (
            <button
              key={c.key}
              type="button"
              className={`column-header${active ? " sorted" : ""}`}
              data-column={c.key}
              aria-pressed={active}
              aria-label={`Sort by ${c.label}${active ? (sort.dir === "asc" ? ", ascending" : ", descending") : ""}`}
              onClick={() => sortBy(c.key)}
            >
              {c.label}
              {active ? (sort.dir === "asc" ? " ▲" : " ▼") : ""}
            </button>
          );
        })}
      </div>
      {studies.status === "error" && <p className="error-text">Could not load the worklist: {studies.error}</p>}
      {studies.status === "ok" && rows.length === 0 && (
        <div className="empty-state" data-testid="worklist-empty">
          <p>
            No studies
            {search || status !== "all" || dateFrom || dateTo ? " match this filter" : " in the case database yet"}.
          </p>
          <p className="hint">Imported and demo studies appear here.</p>
        </div>
      )}
      <ul className="worklist" aria-label="Studies" ref={listRef} id="worklist-studies">
        {rows.map((s) => (
          <li
            key={s.id}
            className={
              [s.id === props.selectedId ? "selected" : "", s.id === cursor ? "cursor" : ""].join(" ").trim() ||
              undefined
            }
          >
            <button
              type="button"
              onClick={() => props.onSelect(s.id)}
              className="worklist-row"
              aria-current={s.id === props.selectedId ? "true" : undefined}
              data-study-id={s.id}
              data-cursor={s.id === cursor ? "true" : undefined}
              id={`worklist-row-${s.id}`}
            >
              <span className="patient">{titleOf(s)}</span>
              <span
                className={`source-badge source-${s.pacsConnection ? "pacs" : s.source === "demo" ? "demo" : "local"}`}
              >
                {sourceOf(s)}
              </span>
              <span className={`status status-${s.status}`} data-column="status">
                {s.status}
              </span>
              <span className="priority" data-column="priority">
                {s.critical && (
                  <span className="critical-badge" title="The report holds a critical result">
                    critical
                  </span>
                )}
              </span>
              <span className="meta">
                <span data-column="id">{s.patientId ? `ID ${s.patientId}` : "no ID"}</span>
                {" · "}
                <span data-column="accession">{s.accessionNumber ? `Acc ${s.accessionNumber}` : "no accession"}</span>
                {" · "}
                <span data-column="date">{s.studyDate ?? "no date"}</span>
                {" · "}
                <span data-column="modality">{s.modalities.join("/") || "—"}</span>
                {" · "}
                {s.imageCount} image{s.imageCount === 1 ? "" : "s"}
              </span>
              <span className="meta" data-column="description">
                {s.description ?? ""}
              </span>
            </button>
          </li>
        ))}
      </ul>
      <PacsWorklistSection onSelect={props.onSelect} />
    </aside>
  );
}
