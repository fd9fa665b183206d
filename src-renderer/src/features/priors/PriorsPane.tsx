/**
 * Priors: the open study's patient's earlier studies, on this workstation and on the PACS (`pacs.priors`), newest
 * first with date, description, source and whether a signed report exists. "Report" shows the prior's signed report
 * (a local signed report, or the PACS's SR read in main); "Open beside" retrieves a PACS prior into the cache when it
 * is not there yet (progress, Cancel) and shows it in the comparison viewport with its signed report beside it. The
 * button runs the command `priors.openBeside` for its row; the command's key opens the selected prior (the row that
 * holds, or last held, the focus), else the most recent. The hanging protocol (`viewer.hangPrior`) does that for the
 * most recent prior and goes to 2-up: current frontal beside prior frontal.
 */
import { useEffect, useRef, useState } from "react";
import type { StudyDetail } from "../../../../src-shared/domain";
import type { PriorStudy, PriorsResult } from "../../../../src-shared/pacs-types";
import { SECTION_KEYS, SECTION_TITLES } from "../../../../src-shared/report-types";
import { useCommands, useRunCommand } from "../../commands/CommandRegistry";
import { useShortcutHint } from "../../commands/key-bindings";
import { useClient } from "../../ipc/ClientContext";
import { errorText } from "../pacs/panels";
import { type ComparisonReport, ComparisonReportText } from "../viewer/ComparisonReportText";
import "./priors.css";

interface ShownReport extends ComparisonReport {
  key: string;
}

const keyOf = (p: PriorStudy) => p.studyInstanceUid ?? p.localStudyId ?? "";

function sourceText(p: PriorStudy): string {
  if (p.source === "local") return "local";
  return p.localStudyId ? `${p.connectionName ?? "PACS"} · cached` : (p.connectionName ?? "PACS");
}

/** A prior to show beside the current study, with its signed report (null: none signed). */
export interface OpenPrior {
  studyId: string;
  report: { title: string; sections: Array<{ heading: string; text: string }> } | null;
}

export function PriorsPane({
  study,
  onOpenBeside,
}: {
  study: StudyDetail | null;
  /** `hang`: from the hanging protocol (the viewer goes to 2-up). */
  onOpenBeside: (prior: OpenPrior, hang: boolean) => void;
}) {
  const hint = useShortcutHint();
  const runCommand = useRunCommand();
  const client = useClient();
  const studyId = study?.id ?? null;
  const [result, setResult] = useState<PriorsResult | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [changes, setChanges] = useState(0);
  const [report, setReport] = useState<ShownReport | null>(null);
  const [busy, setBusy] = useState<{ key: string; jobId: string | null; text: string } | null>(null);
  // The selected prior: the row that holds, or last held, the focus (a ref, so a button's click sees it at once).
  const selectedKey = useRef<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const select = (key: string) => {
    selectedKey.current = key;
    setSelected(key);
  };
  useEffect(
    () =>
      client.events.onEvent({
        onData: (e) => {
          if (e.type === "pacs-changed" && e.area === "cache") setChanges((n) => n + 1);
          if (e.type === "job-progress" && busy?.jobId && e.jobId === busy.jobId)
            setBusy((b) => (b ? { ...b, text: `Retrieving ${e.done}/${e.total}…` } : b));
        },
      }),
    [client, busy?.jobId],
  );
  // Another study: no prior selected.
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset when the open study changes.
  useEffect(() => {
    selectedKey.current = null;
    setSelected(null);
    // Another patient's priors must never stay listed (or be opened by a key) while this study's are searched.
    setResult(null);
    setError(null);
  }, [studyId]);
  // The study open now: an open-beside that finishes (PACS retrieve, report read) after a switch is dropped.
  const openStudy = useRef(studyId);
  openStudy.current = studyId;
  // biome-ignore lint/correctness/useExhaustiveDependencies: reload when the cache changes.
  useEffect(() => {
    setReport(null);
    if (!studyId) return;
    let live = true;
    setLoading(true);
    client.pacs.priors({ studyId }).then(
      (r) => {
        if (!live) return;
        setResult(r);
        setError(null);
        setLoading(false);
      },
      (err: unknown) => {
        if (!live) return;
        setError(errorText(err));
        setLoading(false);
      },
    );
    return () => {
      live = false;
    };
  }, [client, studyId, changes]);

  /** The prior's signed report (local, or the PACS's SR); null when it has none. */
  const loadReport = async (p: PriorStudy): Promise<ShownReport | null> => {
    const key = keyOf(p);
    if (p.report === "local" && p.localStudyId) {
      const state = await client.reports.state({ studyId: p.localStudyId });
      const signed = state.signed;
      if (!signed) throw new Error("the local report is not signed");
      return {
        key,
        title: `Signed by ${signed.signedBy} · ${signed.signedAt.slice(0, 10)}`,
        sections: [
          ...SECTION_KEYS.filter((k) => signed.sections[k].trim()).map((k) => ({
            heading: SECTION_TITLES[k],
            text: signed.sections[k],
          })),
          ...state.addenda.map((a) => ({ heading: `Addendum · ${a.author}`, text: a.text })),
        ],
      };
    }
    if (p.report === "pacs-sr" && p.connectionId && p.studyInstanceUid) {
      const sr = await client.pacs.studyReport({
        connectionId: p.connectionId,
        studyInstanceUid: p.studyInstanceUid,
      });
      return {
        key,
        title: `${sr.verified ? "Verified" : "Not verified"}${sr.verifiedBy ? ` by ${sr.verifiedBy}` : ""} · SR on ${p.connectionName ?? "the PACS"}`,
        sections: sr.sections,
      };
    }
    return null;
  };

  const showReport = async (p: PriorStudy) => {
    const key = keyOf(p);
    if (report?.key === key) return setReport(null);
    setBusy({ key, jobId: null, text: "Loading the report…" });
    try {
      setReport(await loadReport(p));
      setError(null);
    } catch (err) {
      setError(`Report: ${errorText(err)}`);
    } finally {
      setBusy(null);
    }
  };

  const openBeside = async (p: PriorStudy, hang = false) => {
    const key = keyOf(p);
    const startedFor = studyId;
    let targetId = p.localStudyId;
    const jobId = targetId ? null : `prior-${crypto.randomUUID()}`;
    setBusy({ key, jobId, text: targetId ? "Opening…" : "Retrieving…" });
    try {
      if (!targetId) {
        if (!p.connectionId || !p.studyInstanceUid) throw new Error("the prior is neither local nor on a PACS");
        const got = await client.pacs.retrieveStudy({
          connectionId: p.connectionId,
          studyInstanceUid: p.studyInstanceUid,
          jobId: jobId as string,
        });
        targetId = got.studyId;
      }
      // Its signed report goes beside its images; a report that cannot be read does not keep the images away.
      let shown: ShownReport | null = null;
      try {
        shown = await loadReport(p);
      } catch (err) {
        setError(`Report: ${errorText(err)}`);
      }
      if (openStudy.current !== startedFor) return;
      onOpenBeside(
        { studyId: targetId, report: shown ? { title: shown.title, sections: shown.sections } : null },
        hang,
      );
      if (shown) setError(null);
    } catch (err) {
      setError(`Open beside: ${errorText(err)}`);
    } finally {
      setBusy(null);
    }
  };

  /** Opens `p` beside, or says why there is none (no study open: nothing). */
  const openOrSay = (what: string, p: PriorStudy | undefined, hang: boolean) => {
    if (!studyId) return;
    if (loading) {
      setError(`${what}: the priors are still being searched.`);
      return;
    }
    if (!p) {
      setError(
        loading ? `${what}: the priors are still being searched.` : `${what}: no earlier study of this patient.`,
      );
      return;
    }
    if (busy === null) void openBeside(p, hang);
  };
  useCommands({
    // The hanging protocol: the most recent prior (newest first; the viewer takes its first frontal image).
    "viewer.hangPrior": () => openOrSay("Hanging protocol", result?.priors[0], true),
    // The selected prior while it is listed, else the most recent.
    "priors.openBeside": () => {
      const listed = result?.priors ?? [];
      openOrSay("Open beside", listed.find((p) => keyOf(p) === selectedKey.current) ?? listed[0], false);
    },
  });

  const priors = result?.priors ?? [];
  return (
    <section className="pane priors-pane" aria-label="Priors">
      <header className="pane-header">
        <h2>Priors</h2>
        <span className="count">{studyId && !loading ? priors.length : ""}</span>
        {loading && <span className="muted">searching…</span>}
        {priors.length > 0 && (
          <button
            type="button"
            className="btn-ghost"
            data-command="viewer.hangPrior"
            disabled={busy !== null}
            title={hint("Current frontal beside the most recent prior frontal", "viewer.hangPrior")}
            onClick={() => runCommand("viewer.hangPrior")}
          >
            Hang newest prior
          </button>
        )}
      </header>
      {!studyId && <p className="hint">Open a study to see the patient's earlier studies.</p>}
      {error && <p className="error-text">{error}</p>}
      {result?.warnings.map((w) => (
        <p key={w} className="hint priors-warning">
          {w}
        </p>
      ))}
      {studyId && result && priors.length === 0 && !loading && (
        <p className="hint" data-testid="priors-empty">
          No earlier study of this patient.
        </p>
      )}
      <ul className="priors" aria-label="Prior studies">
        {priors.map((p) => {
          const key = keyOf(p);
          return (
            <li
              key={key}
              data-study-uid={p.studyInstanceUid ?? undefined}
              className={selected === key ? "selected" : undefined}
              aria-current={selected === key ? "true" : undefined}
              onFocus={() => select(key)}
            >
              <div className="prior-head">
                <strong>{p.studyDate ?? "no date"}</strong>
                <span>{p.description ?? "(no description)"}</span>
                <span className="muted">{p.modalities.join(", ")}</span>
                <span className={`prior-source prior-source-${p.source}`}>{sourceText(p)}</span>
                <span className="muted">
                  {p.report === "local" ? "report (local)" : p.report === "pacs-sr" ? "report (SR)" : "no report"}
                </span>
              </div>
              <div className="prior-actions">
                {p.report !== "none" && (
                  <button
                    type="button"
                    className="btn-ghost"
                    disabled={busy !== null}
                    onClick={() => void showReport(p)}
                  >
                    {report?.key === key ? "Hide report" : "Report"}
                  </button>
                )}
                <button
                  type="button"
                  className="btn-ghost"
                  disabled={busy !== null}
                  title={hint("Show this prior beside the current study, with its report", "priors.openBeside")}
                  onClick={() => {
                    select(key);
                    runCommand("priors.openBeside");
                  }}
                >
                  Open beside
                </button>
                {busy?.key === key && (
                  <span className="muted" role="status">
                    {busy.text}
                    {busy.jobId && (
                      <button
                        type="button"
                        className="btn-ghost"
                        onClick={() => void client.pacs.cancelRetrieve({ jobId: busy.jobId as string })}
                      >
                        Cancel
                      </button>
                    )}
                  </span>
                )}
              </div>
              {report?.key === key && (
                <div className="prior-report" data-testid="prior-report">
                  <ComparisonReportText report={report} />
                </div>
              )}
            </li>
          );
        })}
      </ul>
    </section>
  );
}
