/**
 * PACS studies: a QIDO-RS search of one DICOMweb connection (date range, modality CR / DX by default, patient name
 * or ID, accession number), paged, shown beside the local worklist with its source; "Open" retrieves the study with
 * WADO-RS into the local cache (progress, Cancel; a cancelled or broken retrieval resumes where it stopped) and opens
 * it like a local study. A study already cached opens without the network. The last search here is also what the
 * worklist shows of the PACS (pacs-worklist.ts).
 */
import { useRef, useState } from "react";
import type { PacsStudy, PacsStudyPage } from "../../../../src-shared/pacs-types";
import { HeadedTable } from "../../app/HeadedTable";
import { OverlayPanel } from "../../app/OverlayPanel";
import { useAsync } from "../../app/useAsync";
import { useJobProgress } from "../../app/useJobProgress";
import { useCommands } from "../../commands/CommandRegistry";
import { useClient } from "../../ipc/ClientContext";
import { setPacsWorklistQuery } from "./pacs-worklist";
import { errorText, formatDate, formatName, openPanel, togglePanel, useOpenPanel } from "./panels";
import "./pacs.css";

const PAGE = 25;
const MODALITIES = ["CR", "DX"] as const;
/** The result table's column headings; the last, without one, holds each row's Open button. */
const RESULT_COLUMNS = ["Patient", "ID", "Date", "Description", "Accession", "Mod.", "Images", "Source", ""] as const;

interface Filters {
  dateFrom: string;
  dateTo: string;
  modalities: string[];
  patientName: string;
  patientId: string;
  accessionNumber: string;
}

type Retrieval =
  | { kind: "running"; uid: string; jobId: string; done: number; total: number; message: string }
  | { kind: "error"; uid: string; message: string }
  | null;

export function PacsStudiesPanel(props: { onOpenStudy: (studyId: string) => void }) {
  const open = useOpenPanel() === "pacs-studies";
  useCommands({
    "pacs.studies": () => togglePanel("pacs-studies"),
  });
  if (!open) return null;
  return <PacsStudiesDialog onOpenStudy={props.onOpenStudy} />;
}

function PacsStudiesDialog(props: { onOpenStudy: (studyId: string) => void }) {
  // Registered while the dialog is open only: the newest overlay.close binding wins.
  useCommands({
    "overlay.close": () => openPanel(null),
  });
  const client = useClient();
  const connections = useAsync(() => client.pacs.connections(), [client]);
  const [connectionId, setConnectionId] = useState<string | null>(null);
  const [filters, setFilters] = useState<Filters>({
    dateFrom: "",
    dateTo: "",
    modalities: [...MODALITIES],
    patientName: "",
    patientId: "",
    accessionNumber: "",
  });
  const [offset, setOffset] = useState(0);
  const [page, setPage] = useState<PacsStudyPage | null>(null);
  const [searchError, setSearchError] = useState<string | null>(null);
  const [searching, setSearching] = useState(false);
  const [retrieval, setRetrieval] = useState<Retrieval>(null);
  const jobRef = useRef<string | null>(null);
  const list = connections.status === "ok" ? connections.value.connections : [];
  const active = connectionId ?? list[0]?.id ?? null;

  useJobProgress(jobRef, (e) =>
    setRetrieval((r) =>
      r?.kind === "running" ? { ...r, done: e.done, total: e.total, message: e.message ?? r.message } : r,
    ),
  );

  const search = async (at: number) => {
    if (!active) return;
    setSearching(true);
    setSearchError(null);
    try {
      const f = filters;
      const query = {
        connectionId: active,
        modalities: f.modalities,
        limit: PAGE,
        offset: at,
        ...(f.dateFrom ? { dateFrom: f.dateFrom } : {}),
        ...(f.dateTo ? { dateTo: f.dateTo } : {}),
        ...(f.patientName.trim() ? { patientName: f.patientName.trim() } : {}),
        ...(f.patientId.trim() ? { patientId: f.patientId.trim() } : {}),
        ...(f.accessionNumber.trim() ? { accessionNumber: f.accessionNumber.trim() } : {}),
      };
      const result = await client.pacs.searchStudies(query);
      setPage(result);
      setOffset(at);
      // The worklist's PACS studies follow the last search made here.
      setPacsWorklistQuery(query);
    } catch (err) {
      setSearchError(errorText(err));
    } finally {
      setSearching(false);
    }
  };

  const openStudy = async (s: PacsStudy) => {
    if (!active || retrieval?.kind === "running") return;
    const jobId = `pacs-${crypto.randomUUID()}`;
    jobRef.current = jobId;
    setRetrieval({ kind: "running", uid: s.studyInstanceUid, jobId, done: 0, total: 0, message: "Starting" });
    try {
      const result = await client.pacs.retrieveStudy({
        connectionId: active,
        studyInstanceUid: s.studyInstanceUid,
        jobId,
      });
      setRetrieval(null);
      openPanel(null);
      props.onOpenStudy(result.studyId);
    } catch (err) {
      setRetrieval({ kind: "error", uid: s.studyInstanceUid, message: errorText(err) });
    } finally {
      jobRef.current = null;
    }
  };

  const cancel = () => {
    if (retrieval?.kind === "running") void client.pacs.cancelRetrieve({ jobId: retrieval.jobId });
  };

  const setF = (patch: Partial<Filters>) => setFilters((f) => ({ ...f, ...patch }));
  const toggleModality = (m: string) =>
    setF({
      modalities: filters.modalities.includes(m)
        ? filters.modalities.filter((x) => x !== m)
        : [...filters.modalities, m],
    });

  return (
    <OverlayPanel
      title="PACS studies"
      closeLabel="Close PACS studies"
      onClose={() => openPanel(null)}
      className="dept-panel dept-panel-wide"
    >
      {connections.status === "ok" && list.length === 0 && (
        <p className="hint">
          No PACS connection yet.{" "}
          <button type="button" className="btn" onClick={() => openPanel("settings")}>
            Add one in Settings
          </button>
        </p>
      )}
      {list.length > 0 && (
        <form
          className="pacs-search"
          aria-label="Search the PACS"
          onSubmit={(e) => {
            e.preventDefault();
            void search(0);
          }}
        >
          <label>
            PACS
            <select value={active ?? ""} onChange={(e) => setConnectionId(e.target.value)}>
              {list.map((c) => (
                <option key={c.id} value={c.id}>
                  {c.name}
                </option>
              ))}
            </select>
          </label>
          <label>
            Patient name
            <input
              value={filters.patientName}
              onChange={(e) => setF({ patientName: e.target.value })}
              placeholder="Doe^John or Doe"
            />
          </label>
          <label>
            Patient ID
            <input value={filters.patientId} onChange={(e) => setF({ patientId: e.target.value })} />
          </label>
          <label>
            Accession
            <input value={filters.accessionNumber} onChange={(e) => setF({ accessionNumber: e.target.value })} />
          </label>
          <label>
            From
            <input type="date" value={filters.dateFrom} onChange={(e) => setF({ dateFrom: e.target.value })} />
          </label>
          <label>
            To
            <input type="date" value={filters.dateTo} onChange={(e) => setF({ dateTo: e.target.value })} />
          </label>
          <fieldset className="pacs-modalities">
            <legend>Modality</legend>
            {MODALITIES.map((m) => (
              <label key={m}>
                <input type="checkbox" checked={filters.modalities.includes(m)} onChange={() => toggleModality(m)} />
                {m}
              </label>
            ))}
          </fieldset>
          <button type="submit" className="btn btn-primary" disabled={searching || !active}>
            {searching ? "Searching…" : "Search"}
          </button>
        </form>
      )}
      {searchError && (
        <p className="error-text" role="alert">
          Search failed: {searchError}
        </p>
      )}
      {retrieval?.kind === "running" && (
        <div className="pacs-retrieval" role="status" aria-live="polite">
          <progress value={retrieval.done} max={Math.max(1, retrieval.total)} />
          <span>
            Retrieving {retrieval.total ? `${retrieval.done} / ${retrieval.total}` : ""} {retrieval.message}
          </span>
          <button type="button" className="btn" onClick={cancel}>
            Cancel
          </button>
        </div>
      )}
      {retrieval?.kind === "error" && (
        <p className="error-text" role="alert">
          Retrieval failed: {retrieval.message}
        </p>
      )}
      {page && (
        <>
          <HeadedTable className="pacs-results" aria-label="PACS search results" columns={RESULT_COLUMNS}>
            {page.studies.length === 0 && (
              <tr>
                <td colSpan={RESULT_COLUMNS.length} className="hint">
                  No study matches.
                </td>
              </tr>
            )}
            {page.studies.map((s) => (
              <tr key={s.studyInstanceUid} data-study-uid={s.studyInstanceUid}>
                <td>{formatName(s.patientName)}</td>
                <td>{s.patientId ?? ""}</td>
                <td>{formatDate(s.studyDate)}</td>
                <td>{s.description ?? ""}</td>
                <td>{s.accessionNumber ?? ""}</td>
                <td>{s.modalities.join(", ")}</td>
                <td>{s.instanceCount ?? ""}</td>
                <td className={`pacs-source pacs-cached-${s.cached}`}>
                  {s.cached === "complete" ? "PACS · cached" : s.cached === "partial" ? "PACS · partly cached" : "PACS"}
                </td>
                <td>
                  <button
                    type="button"
                    className="btn"
                    disabled={retrieval?.kind === "running"}
                    onClick={() => void openStudy(s)}
                  >
                    Open
                  </button>
                </td>
              </tr>
            ))}
          </HeadedTable>
          <div className="pacs-paging">
            <button
              type="button"
              className="btn"
              disabled={offset === 0 || searching}
              onClick={() => void search(Math.max(0, offset - PAGE))}
            >
              Previous
            </button>
            <span>
              {page.studies.length ? `${offset + 1}–${offset + page.studies.length}` : "0"}
              {page.more ? " (more)" : ""}
            </span>
            <button
              type="button"
              className="btn"
              disabled={!page.more || searching}
              onClick={() => void search(offset + PAGE)}
            >
              Next
            </button>
          </div>
        </>
      )}
    </OverlayPanel>
  );
}
