/**
 * Import of files or folders into the worklist. In Electron the system dialog picks them (import.pickPaths); in a
 * browser (the loopback harness) a page cannot learn real file paths, so the user types paths on the machine that
 * runs the service. Progress comes from the job-progress events of this import; bad files are listed afterwards.
 * Loose images (PNG/JPEG, DICOM without a StudyInstanceUID) become one study per file unless the user ticks "one
 * study": then the import's loose images are one patient's study (src-shared/import-types.ts LooseImagesSchema).
 */
import { useEffect, useRef, useState } from "react";
import type { ImportResult, LooseImages } from "../../../../src-shared/import-types";
import { useJobProgress } from "../../app/useJobProgress";
import { useCommands } from "../../commands/CommandRegistry";
import { useClient } from "../../ipc/ClientContext";
import { detectTransport } from "../../ipc/transport";

type Phase =
  | { kind: "idle" }
  | { kind: "importing"; jobId: string; done: number; total: number; message: string }
  | { kind: "done"; result: ImportResult }
  | { kind: "error"; message: string };

function newJobId(): string {
  return `import-${crypto.randomUUID()}`;
}

function summary(r: ImportResult): string {
  const parts = [`${r.imagesAdded} image${r.imagesAdded === 1 ? "" : "s"} added`];
  if (r.imagesUpdated) parts.push(`${r.imagesUpdated} updated`);
  if (r.imagesUnchanged) parts.push(`${r.imagesUnchanged} already imported`);
  parts.push(r.failures.length ? `${r.failures.length} not imported (below)` : "nothing failed");
  const studies = r.studyIds.length;
  return `${r.filesFound} file${r.filesFound === 1 ? "" : "s"} found: ${parts.join(", ")}${
    studies ? ` · ${studies} ${studies === 1 ? "study" : "studies"} changed` : ""
  }`;
}

export function ImportPanel(props: { onClose: () => void; onImported: (result: ImportResult) => void }) {
  const client = useClient();
  const electron = detectTransport() === "electron";
  const [paths, setPaths] = useState("");
  const [looseImages, setLooseImages] = useState<LooseImages>("per-file");
  const [phase, setPhase] = useState<Phase>({ kind: "idle" });
  const pathsRef = useRef<HTMLTextAreaElement>(null);
  const jobRef = useRef<string | null>(null);

  useEffect(() => pathsRef.current?.focus(), []);
  useJobProgress(jobRef, (e) =>
    setPhase((p) => (p.kind === "importing" ? { ...p, done: e.done, total: e.total, message: e.message ?? "" } : p)),
  );

  const run = async (list: string[]) => {
    const jobId = newJobId();
    jobRef.current = jobId;
    setPhase({ kind: "importing", jobId, done: 0, total: 0, message: "Finding files" });
    try {
      const result = await client.import.paths({ paths: list, jobId, looseImages });
      setPhase({ kind: "done", result });
      props.onImported(result);
    } catch (err) {
      setPhase({ kind: "error", message: err instanceof Error ? err.message : String(err) });
    } finally {
      jobRef.current = null;
    }
  };

  const pick = async (kind: "files" | "folder") => {
    try {
      const picked = await client.import.pickPaths({ kind });
      if (picked.paths.length > 0) await run(picked.paths);
    } catch (err) {
      setPhase({ kind: "error", message: err instanceof Error ? err.message : String(err) });
    }
  };

  const typed = paths
    .split("\n")
    .map((p) => p.trim())
    .filter(Boolean);
  const busy = phase.kind === "importing";
  // Escape (the overlay.close command) closes the panel as its ✕ does; not while an import runs, whose progress the
  // panel shows. Registered while the panel is open only: the newest overlay.close binding wins.
  useCommands({
    "overlay.close": () => {
      if (!busy) props.onClose();
    },
  });

  return (
    <section className="import-panel" aria-label="Import studies">
      <header>
        <h3>Import DICOM, PNG or JPEG</h3>
        <button type="button" className="btn-ghost" onClick={props.onClose} disabled={busy} aria-label="Close import">
          ✕
        </button>
      </header>
      {electron ? (
        <div className="import-actions">
          <button type="button" className="btn" onClick={() => void pick("files")} disabled={busy}>
            Files…
          </button>
          <button type="button" className="btn" onClick={() => void pick("folder")} disabled={busy}>
            Folder…
          </button>
        </div>
      ) : (
        <form
          className="import-form"
          onSubmit={(e) => {
            e.preventDefault();
            if (typed.length > 0 && !busy) void run(typed);
          }}
        >
          <label htmlFor="import-paths" className="hint">
            Files or folders on the workstation's disk, one absolute path per line (folders are read recursively)
          </label>
          <textarea
            id="import-paths"
            ref={pathsRef}
            rows={2}
            value={paths}
            spellCheck={false}
            placeholder="/path/to/studies"
            onChange={(e) => setPaths(e.target.value)}
            onKeyDown={(e) => {
              if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) e.currentTarget.form?.requestSubmit();
            }}
          />
          <button type="submit" className="btn" disabled={busy || typed.length === 0}>
            Import
          </button>
        </form>
      )}
      <label className="import-grouping hint">
        <input
          type="checkbox"
          checked={looseImages === "one-study"}
          disabled={busy}
          onChange={(e) => setLooseImages(e.target.checked ? "one-study" : "per-file")}
        />{" "}
        PNG/JPEG files (and DICOM without a study UID) of this import are one patient's study — otherwise each file is
        its own study (R2Gen folders of 0.png and 1.png stay one study)
      </label>
      {phase.kind === "importing" && (
        <div className="import-progress" role="status" aria-live="polite">
          <progress value={phase.done} max={Math.max(1, phase.total)} />
          <span>
            {phase.total ? `${phase.done} / ${phase.total}` : ""} {phase.message}
          </span>
        </div>
      )}
      {phase.kind === "error" && (
        <p className="error-text" role="alert">
          Import failed: {phase.message}
        </p>
      )}
      {phase.kind === "done" && (
        <div className="import-result" data-testid="import-result">
          <p role="status">{summary(phase.result)}</p>
          {phase.result.failures.length > 0 && (
            <ul className="import-failures" aria-label="Files not imported">
              {phase.result.failures.map((f) => (
                <li key={f.path} title={`${f.path}\n${f.reason}`}>
                  <span className="failure-name">{f.path.split(/[\\/]/).filter(Boolean).pop() ?? f.path}</span>
                  <span className="failure-reason">{f.reason}</span>
                  <span className="failure-path">{f.path}</span>
                </li>
              ))}
            </ul>
          )}
        </div>
      )}
    </section>
  );
}
