/**
 * The worklist's PACS rows: the studies of the PACS search (the PACS studies panel's last filters, else the first
 * connection's CR/DX studies) that are not on this workstation yet, beside the local ones, with their source.
 * Clicking one retrieves it with WADO-RS into the cache (progress, Cancel; resumable) and opens it like a local
 * study; cached studies are in the local list above (source "PACS · cached") and open without the network.
 */
import { useEffect, useState } from "react";
import type { PacsStudy, PacsStudyPage } from "../../../../src-shared/pacs-types";
import { useShortcutHint } from "../../commands/key-bindings";
import { useClient } from "../../ipc/ClientContext";
import { usePacsWorklistQuery } from "./pacs-worklist";
import { errorText, formatDate, formatName, openPanel } from "./panels";

type Retrieval = { uid: string; jobId: string; done: number; total: number } | { uid: string; error: string } | null;

export function PacsWorklistSection({ onSelect }: { onSelect: (studyId: string) => void }) {
  const client = useClient();
  const chosen = usePacsWorklistQuery();
  const hint = useShortcutHint();
  const [connections, setConnections] = useState<Array<{ id: string; name: string }>>([]);
  const [page, setPage] = useState<PacsStudyPage | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [changes, setChanges] = useState(0);
  const [retrieval, setRetrieval] = useState<Retrieval>(null);
  const jobId = retrieval && "jobId" in retrieval ? retrieval.jobId : null;
  useEffect(
    () =>
      client.events.onEvent({
        onData: (e) => {
          if (e.type === "pacs-changed" && e.area !== "outbox") setChanges((n) => n + 1);
          if (e.type === "job-progress" && jobId && e.jobId === jobId)
            setRetrieval((r) => (r && "jobId" in r ? { ...r, done: e.done, total: e.total } : r));
        },
      }),
    [client, jobId],
  );
  // biome-ignore lint/correctness/useExhaustiveDependencies: reload on connection and cache changes.
  useEffect(() => {
    let live = true;
    client.pacs.connections().then(
      (r) => live && setConnections(r.connections.map((c) => ({ id: c.id, name: c.name }))),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [client, changes]);
  const first = connections[0]?.id ?? null;
  const query = chosen ?? (first ? { connectionId: first, limit: 25 } : null);
  const queryKey = JSON.stringify(query);
  // biome-ignore lint/correctness/useExhaustiveDependencies: queryKey stands for the query.
  useEffect(() => {
    if (!query) {
      setPage(null);
      return;
    }
    let live = true;
    client.pacs.searchStudies(query).then(
      (p) => {
        if (!live) return;
        setPage(p);
        setError(null);
      },
      (err: unknown) => live && setError(errorText(err)),
    );
    return () => {
      live = false;
    };
  }, [client, queryKey, changes]);
  if (!query) return null;
  const name = connections.find((c) => c.id === query.connectionId)?.name ?? "PACS";
  const rows = (page?.studies ?? []).filter((s) => s.cached !== "complete");

  const open = async (s: PacsStudy) => {
    if (retrieval && "jobId" in retrieval) return;
    const id = `pacs-${crypto.randomUUID()}`;
    setRetrieval({ uid: s.studyInstanceUid, jobId: id, done: 0, total: 0 });
    try {
      const result = await client.pacs.retrieveStudy({
        connectionId: query.connectionId,
        studyInstanceUid: s.studyInstanceUid,
        jobId: id,
      });
      setRetrieval(null);
      onSelect(result.studyId);
    } catch (err) {
      setRetrieval({ uid: s.studyInstanceUid, error: errorText(err) });
    }
  };

  return (
    <section className="pacs-worklist" aria-label={`On ${name}`}>
      <header className="pacs-worklist-head">
        <span>
          On {name}
          {page?.more ? " (first page)" : ""}
        </span>
        <button
          type="button"
          className="btn-ghost"
          onClick={() => openPanel("pacs-studies")}
          title={hint("Change the PACS search filters", "pacs.studies")}
        >
          Filters…
        </button>
      </header>
      {error && <p className="error-text">{error}</p>}
      {page && rows.length === 0 && !error && (
        <p className="hint">Every study of this search is on this workstation.</p>
      )}
      <ul className="worklist" aria-label={`Studies on ${name}`}>
        {rows.map((s) => {
          const mine = retrieval?.uid === s.studyInstanceUid ? retrieval : null;
          return (
            <li key={s.studyInstanceUid}>
              <button
                type="button"
                className="worklist-row pacs-row"
                data-study-uid={s.studyInstanceUid}
                onClick={() => void open(s)}
                disabled={retrieval !== null && "jobId" in retrieval}
                title="Retrieve from the PACS and open"
              >
                <span className="patient">{formatName(s.patientName)}</span>
                <span className="source-badge source-pacs">{s.cached === "partial" ? "PACS · partial" : "PACS"}</span>
                <span className="meta">
                  {formatDate(s.studyDate)} · {s.modalities.join(", ")}
                  {s.description ? ` · ${s.description}` : ""}
                  {s.patientId ? ` · ID ${s.patientId}` : ""}
                </span>
              </button>
              {mine && "jobId" in mine && (
                <span className="pacs-row-progress" role="status">
                  Retrieving{mine.total ? ` ${mine.done}/${mine.total}` : "…"}
                  <button
                    type="button"
                    className="btn-ghost"
                    onClick={() => void client.pacs.cancelRetrieve({ jobId: mine.jobId })}
                  >
                    Cancel
                  </button>
                </span>
              )}
              {mine && "error" in mine && (
                <span className="error-text" role="status">
                  {mine.error}
                </span>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
