import { useRef, useState } from "react";
import type { StudyStatus, StudySummary } from "../../../../src-shared/domain";
import { useAsync } from "../../app/useAsync";
import { useCommand } from "../../commands/CommandRegistry";
import { useClient } from "../../ipc/ClientContext";

const STATUSES: Array<StudyStatus | "all"> = ["all", "new", "drafting", "drafted", "signed"];

export function WorklistPane(props: { selectedId: string | null; onSelect: (id: string) => void; refreshKey: number }) {
  const client = useClient();
  const [search, setSearch] = useState("");
  const [status, setStatus] = useState<StudyStatus | "all">("all");
  const searchRef = useRef<HTMLInputElement>(null);
  const studies = useAsync(
    () => client.studies.list({ search: search || undefined, status: status === "all" ? undefined : status }),
    [client, search, status, props.refreshKey],
  );
  const rows: StudySummary[] = studies.status === "ok" ? studies.value : [];
  const index = rows.findIndex((s) => s.id === props.selectedId);
  useCommand("worklist.focusSearch", () => searchRef.current?.focus());
  useCommand("worklist.next", () => {
    const next = rows[Math.min(rows.length - 1, index + 1)];
    if (next) props.onSelect(next.id);
  });
  useCommand("worklist.previous", () => {
    const prev = rows[Math.max(0, index - 1)];
    if (prev) props.onSelect(prev.id);
  });

  return (
    <aside className="pane worklist-pane" aria-label="Worklist">
      <header className="pane-header">
        <h2>Worklist</h2>
        <span className="count">{studies.status === "ok" ? rows.length : ""}</span>
      </header>
      <div className="worklist-filters">
        <input
          ref={searchRef}
          type="search"
          placeholder="Search patient, ID, description  ( / )"
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
      <ul className="worklist" aria-label="Studies">
        {rows.map((s) => (
          <li key={s.id} className={s.id === props.selectedId ? "selected" : undefined}>
            <button
              type="button"
              onClick={() => props.onSelect(s.id)}
              className="worklist-row"
              aria-current={s.id === props.selectedId ? "true" : undefined}
            >
              <span className="patient">{s.patientName ?? s.patientId ?? s.id}</span>
              <span className={`status status-${s.status}`}>{s.status}</span>
              <span className="meta">
                {s.studyDate ?? "no date"} · {s.imageCount} image{s.imageCount === 1 ? "" : "s"}
              </span>
            </button>
          </li>
        ))}
      </ul>
    </aside>
  );
}
