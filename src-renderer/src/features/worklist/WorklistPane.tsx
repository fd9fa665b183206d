import { useEffect, useRef, useState } from "react";
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

/** Where a local study came from: "demo", "local" (files) or "PACS · cached" (retrieved from a PACS). */
function sourceOf(s: StudySummary): string {
  return s.pacsConnection ? "PACS · cached" : s.source === "demo" ? "demo" : "local";
}

export function WorklistPane(props: { selectedId: string | null; onSelect: (id: string) => void; refreshKey: number }) {
  const client = useClient();
  const [search, setSearch] = useState("");
  const [status, setStatus] = useState<StudyStatus | "all">("all");
  const [changes, setChanges] = useState(0);
  const [importOpen, setImportOpen] = useState(false);
  const searchRef = useRef<HTMLInputElement>(null);
  const studies = useAsync(
    () => client.studies.list({ search: search || undefined, status: status === "all" ? undefined : status }),
    [client, search, status, props.refreshKey, changes],
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
  // Keep showing the last list while a refresh loads (no flicker, no jump).
  const lastRows = useRef<StudySummary[]>([]);
  if (studies.status === "ok") lastRows.current = studies.value;
  const rows: StudySummary[] = studies.status === "ok" ? studies.value : lastRows.current;
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
  // Keep the selected row in view when moving with the keyboard.
  const listRef = useRef<HTMLUListElement>(null);
  useEffect(() => {
    if (!props.selectedId) return;
    listRef.current?.querySelector<HTMLElement>('[aria-current="true"]')?.scrollIntoView({ block: "nearest" });
  }, [props.selectedId]);

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
          placeholder={hint("Search patient, ID, description", "worklist.focusSearch")}
          value={search}
          onChange={(e) => setSearch(e.target.value)}
          aria-label="Search studies"
        />
        <select value={status} onChange={(e) => setStatus(e.target.value as StudyStatus | "all")} aria-label="Status">
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s === "all" ? "All statuses" : s}
            </option>
          ))}
        </select>
      </div>
      {studies.status === "error" && <p className="error-text">Could not load the worklist: {studies.error}</p>}
      {studies.status === "ok" && rows.length === 0 && (
        <div className="empty-state" data-testid="worklist-empty">
          <p>No studies{search || status !== "all" ? " match this filter" : " in the case database yet"}.</p>
          <p className="hint">Imported and demo studies appear here.</p>
        </div>
      )}
      <ul className="worklist" aria-label="Studies" ref={listRef}>
        {rows.map((s) => (
          <li key={s.id} className={s.id === props.selectedId ? "selected" : undefined}>
            <button
              type="button"
              onClick={() => props.onSelect(s.id)}
              className="worklist-row"
              aria-current={s.id === props.selectedId ? "true" : undefined}
              data-study-id={s.id}
            >
              <span className="patient">{titleOf(s)}</span>
              <span
                className={`source-badge source-${s.pacsConnection ? "pacs" : s.source === "demo" ? "demo" : "local"}`}
              >
                {sourceOf(s)}
              </span>
              <span className={`status status-${s.status}`}>{s.status}</span>
              {s.critical && (
                <span className="critical-badge" title="The report holds a critical result">
                  critical
                </span>
              )}
              <span className="meta">
                {s.studyDate ?? "no date"} · {s.imageCount} image{s.imageCount === 1 ? "" : "s"}
                {s.patientName && s.description ? ` · ${s.description}` : ""}
                {s.patientName && s.patientId ? ` · ID ${s.patientId}` : ""}
              </span>
            </button>
          </li>
        ))}
      </ul>
      <PacsWorklistSection onSelect={props.onSelect} />
    </aside>
  );
}
