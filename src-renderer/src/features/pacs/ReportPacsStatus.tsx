/**
 * Where a signed report stands on its way to the PACS (the STOW-RS outbox entries of the study, newest first):
 * "Stored on Department PACS · 10:42", "Queued for …", "Waiting for …: <why> (retry 3 at 10:45)", "Refused by …:
 * <why> [Retry]". Refreshed on every `pacs-changed` event; shows nothing for a study that has no PACS to go to.
 */
import { useEffect, useState } from "react";
import type { OutboxEntry } from "../../../../src-shared/pacs-types";
import { useClient } from "../../ipc/ClientContext";
import { errorText } from "./panels";
import "./pacs.css";
import { usePacsChanges } from "./use-pacs-changes";

const time = (iso: string | null) =>
  iso ? new Date(iso).toLocaleTimeString([], { hour12: false, hour: "2-digit", minute: "2-digit" }) : "";

function line(entry: OutboxEntry, name: string): string {
  switch (entry.state) {
    case "stored":
      return `Stored on ${name} · ${time(entry.storedAt)}`;
    case "sending":
      return `Sending to ${name}…`;
    case "failed":
      return `Refused by ${name}: ${entry.lastError ?? "no reason given"}`;
    case "pending":
      return entry.lastError
        ? `Waiting for ${name}: ${entry.lastError} (retry ${entry.attempts + 1} at ${time(entry.nextAttemptAt)})`
        : `Queued for ${name}`;
  }
}

export function ReportPacsStatus({ studyId }: { studyId: string }) {
  const client = useClient();
  const [entries, setEntries] = useState<OutboxEntry[]>([]);
  const [names, setNames] = useState<Map<string, string>>(new Map());
  const [changes] = usePacsChanges();
  const [error, setError] = useState<string | null>(null);
  // biome-ignore lint/correctness/useExhaustiveDependencies: reload on PACS changes.
  useEffect(() => {
    let live = true;
    Promise.all([client.pacs.outbox({ studyId }), client.pacs.connections()]).then(
      ([list, connections]) => {
        if (!live) return;
        setEntries(list);
        setNames(new Map(connections.connections.map((c) => [c.id, c.name])));
      },
      (err: unknown) => live && setError(errorText(err)),
    );
    return () => {
      live = false;
    };
  }, [client, studyId, changes]);
  if (entries.length === 0 && !error) return null;
  // Per kind, the oldest is the signed report, each later one an addendum's.
  const label = (e: OutboxEntry) => {
    const older = entries.filter((x) => x.kind === e.kind && x.id < e.id).length;
    return `${older === 0 ? "Report" : `Addendum ${older}`}${e.kind === "pdf" ? " (PDF)" : ""}`;
  };
  return (
    <ul className="report-pacs-status" data-testid="report-pacs-status">
      {error && <li className="status-warning">{error}</li>}
      {entries.map((e) => (
        <li key={e.id} data-state={e.state} className={e.state === "failed" ? "status-warning" : undefined}>
          <span className="muted">{label(e)}: </span>
          {line(e, names.get(e.connectionId) ?? "the PACS")}
          {(e.state === "failed" || (e.state === "pending" && e.lastError)) && (
            <button
              type="button"
              className="btn-ghost"
              onClick={() => client.pacs.retryOutbox({ id: e.id }).catch((err: unknown) => setError(errorText(err)))}
            >
              Retry now
            </button>
          )}
        </li>
      ))}
    </ul>
  );
}
