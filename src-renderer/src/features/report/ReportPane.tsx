/**
 * The report pane: the AI draft's live state, four editable sections with AI and similar-case marks, autosave
 * status, undo/redo, regenerate, history, sign (asks the signer's name once), addenda and exports once signed.
 */

import { useEffect, useMemo, useRef, useState } from "react";
import { credentialOf } from "../../../../src-shared/account-types";
import type { StudyDetail } from "../../../../src-shared/domain";
import type { Macro, MacroList } from "../../../../src-shared/macro-types";
import { computeAiSpans, sentencesFoundInCases } from "../../../../src-shared/report-text";
import {
  COMMUNICATION_METHODS,
  type DraftVersion,
  type ExportFormat,
  type PaperSize,
  type ReportState,
  SECTION_KEYS,
  SECTION_TITLES,
  type SectionKey,
  type Signer,
  type SignOffIssue,
} from "../../../../src-shared/report-types";
import type { ReportCursor } from "../../../../src-shared/templates";

type CommunicationMethod = (typeof COMMUNICATION_METHODS)[number];

/** Now as the value of a datetime-local input (local time, minutes). */
function localDateTimeNow(): string {
  const d = new Date();
  d.setMinutes(d.getMinutes() - d.getTimezoneOffset());
  return d.toISOString().slice(0, 16);
}

import { SCOPE_OUTCOME_WORDS } from "../../../../src-shared/scope/chest-scope";
import { useCommands } from "../../commands/CommandRegistry";
import { chordOf, findCommand } from "../../commands/commands";
import { effectiveCommands, useShortcutHint } from "../../commands/key-bindings";
import { useClient } from "../../ipc/ClientContext";
import { useSignedInAccount } from "../accounts/AccountGate";
import { MacroManager } from "../macros/MacroManager";
import { MacroPicker } from "../macros/MacroPicker";
import { ReportPacsStatus } from "../pacs/ReportPacsStatus";
import { AuditLogPanel } from "./AuditLogPanel";
import { Dialog, DialogInput } from "./Dialog";
import { saveExport } from "./download";
import { findingWarnings, ModelFindings } from "./ModelFindings";
import { setReportInserter } from "./report-insert";
import { type ReportSession, type ReportSnapshot, useReportSession } from "./report-session";
import { SectionEditor, type SectionEditorHandle } from "./SectionEditor";
import "./report.css";

const PLACEHOLDERS: Record<SectionKey, string> = {
  indication: "Clinical question, e.g. cough and fever for one week.",
  comparison: "Prior studies compared, or none.",
  findings: "Findings…",
  impression: "Impression…",
};
const MIN_LINES: Record<SectionKey, number> = { indication: 1, comparison: 1, findings: 6, impression: 2 };

/** The session's actions that replace text the radiologist wrote; each asks first (its method, with `true`, replaces). */
type ReplaceAction = "regenerate" | "suggestImpression";
const REPLACE_CONFIRM: Record<ReplaceAction, { title: string; confirmLabel: string; text: string }> = {
  regenerate: {
    title: "Replace your edits?",
    confirmLabel: "Regenerate and replace",
    text: "Findings or Impression hold text you wrote or changed. Regenerating replaces both sections with a new AI draft. Your current text stays in the draft history.",
  },
  suggestImpression: {
    title: "Replace your impression?",
    confirmLabel: "Suggest and replace",
    text: "Impression holds text you wrote or changed. The suggestion, drafted from the Findings as they are now, replaces it. Your current text stays in the draft history.",
  },
};

const time = (iso: string | null) => (iso ? new Date(iso).toLocaleTimeString([], { hour12: false }) : "");
const dateTime = (iso: string) =>
  new Date(iso).toLocaleString([], { hour12: false, dateStyle: "medium", timeStyle: "short" });

function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** The one-line state of the AI draft (fixed height: it never pushes the editor around). */
function AiStrip({ snapshot, session }: { snapshot: ReportSnapshot; session: ReportSession }) {
  const server = snapshot.server;
  if (!server) return <div className="ai-strip muted">{snapshot.loading ? "Loading the report…" : ""}</div>;
  const job = server.job;
  const model = job.model ? `${job.model.name} ${job.model.version} · ${job.model.executionProvider}` : "";
  // A signed report is closed to drafting: only a finished draft's provenance is worth a line.
  if (server.signed && job.state !== "done")
    return <div className="ai-strip muted" data-testid="ai-strip" data-state="signed" />;
  switch (job.state) {
    case "running": {
      const p = snapshot.progress ?? job.progress;
      const fraction = p && p.total > 0 ? p.done / p.total : 0;
      return (
        <div className="ai-strip running" data-testid="ai-strip" data-state="running">
          <span className="ai-dot" />
          <span>
            AI drafting{p && "stage" in p && p.stage ? ` · ${p.stage}` : ""}
            {p ? ` ${p.done}/${p.total}` : "…"}
          </span>
          <span className="ai-progress" role="progressbar" aria-valuenow={Math.round(fraction * 100)}>
            <span style={{ width: `${Math.max(4, fraction * 100)}%` }} />
          </span>
          <button type="button" className="link-button" onClick={() => void session.cancel()}>
            Cancel
          </button>
        </div>
      );
    }
    case "unavailable":
      return (
        <div className="ai-strip unavailable" data-testid="ai-strip" data-state="unavailable" title={job.message ?? ""}>
          No model pack loaded: no AI draft. Write by hand; it is autosaved.
        </div>
      );
    case "failed":
      return (
        <div className="ai-strip failed" data-testid="ai-strip" data-state="failed" title={job.message ?? ""}>
          AI draft failed: {job.message}
        </div>
      );
    case "cancelled":
      return (
        <div className="ai-strip muted" data-testid="ai-strip" data-state="cancelled">
          AI draft stopped ({job.message}). Regenerate to draft again.
        </div>
      );
    case "done":
      return (
        <div className="ai-strip done" data-testid="ai-strip" data-state="done" title={model}>
          <span className="swatch-ai" /> AI draft · {model} · {time(job.finishedAt)}
        </div>
      );
    default:
      return (
        <div className="ai-strip muted" data-testid="ai-strip" data-state="idle">
          No AI draft for this study yet.
        </div>
      );
  }
}

/**
 * The scope gate's decision in words (src-shared/scope): eligible (one quiet line), uncertain (a caution: the draft
 * may not apply; signing asks), not eligible (no AI draft, no similar cases; "Draft anyway" overrides, audited).
 */
function ScopeBanner({ server, onOverride }: { server: ReportState; onOverride: () => void }) {
  const scope = server.scope;
  const others = scope.reasons.filter((r) => r !== scope.headline);
  return (
    <div
      className={`scope-banner scope-${scope.outcome}${scope.override ? " scope-overridden" : ""}`}
      data-testid="scope-banner"
      data-outcome={scope.outcome}
      data-overridden={scope.override ? "true" : "false"}
      role={scope.outcome === "eligible" ? undefined : "note"}
    >
      <strong>{SCOPE_OUTCOME_WORDS[scope.outcome]}</strong>
      <span data-testid="scope-headline">{scope.headline}</span>
      {others.length > 0 && <span className="scope-more">Also: {others.join("; ")}</span>}
      {scope.outcome === "not-eligible" && !scope.override && (
        <>
          <span className="scope-more">
            No AI draft and no similar-case search. View the images and write the report by hand.
          </span>
          {!server.signed && (
            <button type="button" className="btn btn-small" onClick={onOverride}>
              Draft anyway…
            </button>
          )}
        </>
      )}
      {scope.override && (
        <span className="scope-more" data-testid="scope-override">
          Overridden by {scope.override.by} at {dateTime(scope.override.at)}
          {scope.override.reason ? ` (${scope.override.reason})` : ""}: the AI drafted anyway.
        </span>
      )}
      {scope.outcome === "uncertain" && (
        <span className="scope-more">The AI draft may not apply to this study; signing asks you to confirm.</span>
      )}
    </div>
  );
}

function SaveIndicator({ snapshot, session }: { snapshot: ReportSnapshot; session: ReportSession }) {
  const s = snapshot.save;
  const v = snapshot.baseVersion;
  if (snapshot.server?.signed) return null;
  if (s.status === "error")
    return (
      <button
        type="button"
        className="save-state error"
        title={s.error ?? ""}
        onClick={() => void session.flush()}
        data-testid="save-state"
      >
        Not saved — retry
      </button>
    );
  const label =
    s.status === "conflict"
      ? "Not saved — changed elsewhere"
      : s.status === "pending"
        ? "Editing…"
        : s.status === "saving"
          ? "Saving…"
          : v === null
            ? "Nothing saved yet"
            : `Saved · v${v}${s.savedAt ? ` · ${time(s.savedAt)}` : ""}`;
  return (
    <span className={`save-state ${s.status}`} data-testid="save-state" data-status={s.status}>
      {label}
    </span>
  );
}

function History({ session, current }: { session: ReportSession; current: number | null }) {
  const client = useClient();
  const [versions, setVersions] = useState<DraftVersion[] | null>(null);
  const [pick, setPick] = useState<DraftVersion | null>(null);
  return (
    <>
      <select
        className="history-select"
        aria-label="Draft history"
        value=""
        onFocus={() => {
          client.reports.versions({ studyId: session.studyId }).then(setVersions, () => setVersions([]));
        }}
        onChange={(e) => {
          const v = versions?.find((x) => String(x.version) === e.target.value);
          if (v) setPick(v);
        }}
      >
        <option value="">History{current ? ` (v${current})` : ""}</option>
        {(versions ?? []).map((v) => (
          <option key={v.id} value={v.version} disabled={v.version === current}>
            v{v.version} · {v.origin} · {time(v.createdAt)} · {v.author}
          </option>
        ))}
      </select>
      {pick && (
        <Dialog
          title={`Restore version ${pick.version}?`}
          confirmLabel="Restore"
          onCancel={() => setPick(null)}
          onConfirm={() => {
            void session.restore(pick.version);
            setPick(null);
          }}
        >
          <p>
            Version {pick.version} ({pick.origin}, {dateTime(pick.createdAt)}, {pick.author}) becomes the newest draft.
            Nothing is lost: the current text stays in the history.
          </p>
          <pre className="version-preview">
            {SECTION_KEYS.map((k) => pick.sections[k] && `${SECTION_TITLES[k]}: ${pick.sections[k]}`)
              .filter(Boolean)
              .join("\n\n")}
          </pre>
        </Dialog>
      )}
    </>
  );
}

function SignedView({ server, session }: { server: ReportState; session: ReportSession }) {
  const client = useClient();
  const signed = server.signed!;
  const [addendum, setAddendum] = useState("");
  // The signed-in account's password or PIN for the addendum (never stored).
  const [addendumSecret, setAddendumSecret] = useState("");
  const [busy, setBusy] = useState<string | null>(null);
  const [message, setMessage] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  const [paper, setPaper] = useState<PaperSize>(() =>
    navigator.language === "en-US" || navigator.language === "en-CA" ? "LETTER" : "A4",
  );
  const exportAs = async (format: ExportFormat) => {
    setBusy(format);
    setMessage(null);
    try {
      const file = await client.reports.export({ studyId: server.studyId, format, paper });
      saveExport(file);
      setMessage({ kind: "ok", text: `Exported ${file.fileName} (${Math.ceil(file.byteLength / 1024)} KB)` });
    } catch (err) {
      setMessage({ kind: "error", text: `Export failed: ${errorText(err)}` });
    } finally {
      setBusy(null);
    }
  };
  return (
    <div className="signed-view" data-testid="signed-report">
      <div className="signed-banner">
        <strong>Signed</strong> by {signed.signedBy} · {dateTime(signed.signedAt)}
        <span className="muted"> · locked; changes as addenda</span>
      </div>
      <ReportPacsStatus studyId={server.studyId} />
      {SECTION_KEYS.filter((k) => signed.sections[k].trim()).map((k) => (
        <section key={k} className="signed-section" data-section={k}>
          <h3>{SECTION_TITLES[k]}</h3>
          <p>{signed.sections[k]}</p>
        </section>
      ))}
      {server.addenda.map((a) => (
        <section key={a.id} className="signed-section addendum" data-testid="addendum">
          <h3>
            Addendum · {dateTime(a.createdAt)} · {a.author}
          </h3>
          <p>{a.text}</p>
        </section>
      ))}
      <div className="addendum-editor">
        <textarea
          aria-label="New addendum"
          placeholder="Add an addendum…"
          rows={2}
          value={addendum}
          onChange={(e) => setAddendum(e.target.value)}
        />
        <input
          type="password"
          className="addendum-secret"
          aria-label="Password or PIN for the addendum"
          placeholder="Password or PIN"
          autoComplete="current-password"
          value={addendumSecret}
          onChange={(e) => setAddendumSecret(e.target.value)}
        />
        <button
          type="button"
          className="btn"
          disabled={!addendum.trim() || addendumSecret === "" || busy !== null}
          onClick={async () => {
            setBusy("addendum");
            setMessage(null);
            try {
              await session.addAddendum(addendum, credentialOf(addendumSecret));
              setAddendum("");
              setAddendumSecret("");
            } catch (err) {
              setMessage({ kind: "error", text: `Addendum not saved: ${errorText(err)}` });
            } finally {
              setBusy(null);
            }
          }}
        >
          Add addendum
        </button>
      </div>
      <fieldset className="export-bar" aria-label="Export">
        <span className="muted">Export</span>
        <button type="button" className="btn" disabled={busy !== null} onClick={() => void exportAs("pdf")}>
          PDF
        </button>
        <select aria-label="Paper size" value={paper} onChange={(e) => setPaper(e.target.value as PaperSize)}>
          <option value="LETTER">Letter</option>
          <option value="A4">A4</option>
        </select>
        <button type="button" className="btn" disabled={busy !== null} onClick={() => void exportAs("dicom-sr")}>
          DICOM SR
        </button>
        <button type="button" className="btn" disabled={busy !== null} onClick={() => void exportAs("fhir")}>
          FHIR
        </button>
        <button type="button" className="btn" disabled={busy !== null} onClick={() => void exportAs("text")}>
          Text
        </button>
      </fieldset>
      {message && (
        <p className={message.kind === "ok" ? "report-message ok" : "report-message error"} role="status">
          {message.text}
        </p>
      )}
    </div>
  );
}

/** The sign dialog: the signed-in account signs, confirmed with its password or PIN (docs/security.md). */
type SignStep = { step: "confirm"; signer: Signer } | null;

export function ReportPane({ study }: { study: StudyDetail | null }) {
  const client = useClient();
  const { session, snapshot } = useReportSession(client, study?.id ?? null);
  const editors = useRef<Partial<Record<SectionKey, SectionEditorHandle | null>>>({});
  // Regenerating, or suggesting the impression, over text the radiologist wrote asks first (REPLACE_CONFIRM).
  const [confirmReplace, setConfirmReplace] = useState<ReplaceAction | null>(null);
  const [overrideOpen, setOverrideOpen] = useState(false);
  const [overrideReason, setOverrideReason] = useState("");
  const [scopeConfirmed, setScopeConfirmed] = useState(false);
  const [aiAttested, setAiAttested] = useState(false);
  // The communication record a critical result needs before signing: to whom, how, when (local date-time input).
  const [told, setTold] = useState<{ recipient: string; method: CommunicationMethod; at: string }>({
    recipient: "",
    method: "phone",
    at: "",
  });
  // What keeps the draft from being signed (sign-off safeguards, checked by the reports service on every save).
  const [signOffIssues, setSignOffIssues] = useState<SignOffIssue[]>([]);
  const [signStep, setSignStep] = useState<SignStep>(null);
  // The signed-in account's password or PIN (the account signs, docs/security.md); never stored.
  const [secret, setSecret] = useState("");
  const [notice, setNotice] = useState<{ kind: "ok" | "error"; text: string } | null>(null);
  // Templates and macros (issue 18.4): the list (built-ins and the account's), the search box, the manager, and
  // where the cursor goes once a macro is in the text.
  const [macroList, setMacroList] = useState<MacroList | null>(null);
  const [macroPane, setMacroPane] = useState<"picker" | "manager" | null>(null);
  const [macroCursor, setMacroCursor] = useState<ReportCursor | null>(null);
  const [auditOpen, setAuditOpen] = useState(false);
  // Macros are per account: another account signed in reads its own list (issue 18.4's known gap).
  const accountId = useSignedInAccount()?.id ?? null;
  // A notice (signed, exported, failed) belongs to the study it was about: another study starts without it.
  const studyId = study?.id ?? null;
  // biome-ignore lint/correctness/useExhaustiveDependencies: reset when the open study changes.
  useEffect(() => {
    setNotice(null);
    setConfirmReplace(null);
    setSignStep(null);
    setOverrideOpen(false);
    setSignOffIssues([]);
    setAuditOpen(false);
  }, [studyId]);

  const server = snapshot?.server ?? null;
  const sections = snapshot?.sections;
  const marks = useMemo(() => {
    if (!sections || !server) return null;
    const ai = computeAiSpans(sections, server.aiSections);
    return Object.fromEntries(
      SECTION_KEYS.map((k) => [
        k,
        {
          ai: ai.filter((s) => s.section === k),
          match: sentencesFoundInCases(sections[k], server.similarCases),
        },
      ]),
    ) as Record<SectionKey, { ai: typeof ai; match: ReturnType<typeof sentencesFoundInCases> }>;
  }, [sections, server]);

  const running = server?.job.state === "running";
  const signed = server?.signed != null;
  const canSign =
    !!server &&
    !signed &&
    !running &&
    !!sections &&
    (sections.findings.trim() !== "" || sections.impression.trim() !== "");

  // Untouched AI sentences need the signer's explicit attestation (the reports service refuses without it).
  const untouchedAi = server?.draft?.aiSpans.length ?? 0;
  // Critical results in the draft: signing needs the communication record.
  const criticalTermsShown = [...new Set((server?.critical.findings ?? []).map((f) => f.term))];
  const communicationComplete =
    told.recipient.trim().length >= 2 && told.at !== "" && !Number.isNaN(new Date(told.at).getTime());
  // Signing an AI-assisted report of an uncertain or overridden study asks for an explicit confirmation.
  const scopeNeedsConfirmation = !!server?.aiSections && server.scope.signNeedsConfirmation;

  const regenerate = () => {
    if (!session || !server || signed || !server.engine.available || !server.scope.draftAllowed) return;
    if (server.hasUserEdits || (snapshot && snapshot.save.status === "pending")) setConfirmReplace("regenerate");
    else void session.regenerate(false);
  };

  const suggestImpression = () => {
    if (!session || !server || signed || running || !sections) return;
    if (!sections.findings.trim()) {
      setNotice({ kind: "error", text: "Findings are empty: an impression is drafted from the findings." });
      return;
    }
    const impression = sections.impression.trim();
    if (impression !== "" && impression !== (server.aiSections?.impression ?? "").trim())
      setConfirmReplace("suggestImpression");
    else void session.suggestImpression(false);
  };

  /** Puts the cursor on what a sign-off issue asks to fix. */
  const goToIssue = (issue: SignOffIssue) => editors.current[issue.section]?.select(issue.start, issue.end);

  /** After a save, the server's sign-off issues: listed above the report, the cursor on the first one. */
  const refuseIfIssues = (): boolean => {
    const issues = session?.getSnapshot().server?.signOffIssues ?? [];
    setSignOffIssues(issues);
    if (issues[0]) goToIssue(issues[0]);
    return issues.length > 0;
  };

  const startSign = async () => {
    if (!session || !canSign) return;
    // The model-findings check and the sign-off safeguards read the saved draft: save what was typed first.
    await session.flush();
    setNotice(null);
    if (refuseIfIssues()) return;
    try {
      const signer = await client.reports.signer();
      setScopeConfirmed(false);
      setAiAttested(false);
      setSecret("");
      setTold({ recipient: "", method: "phone", at: localDateTimeNow() });
      setSignStep({ step: "confirm", signer });
    } catch (err) {
      setNotice({ kind: "error", text: errorText(err) });
    }
  };

  /** "Draft anyway…": the override is recorded under the signed-in account (refused with none, or when locked). */
  const startOverride = async () => {
    setNotice(null);
    try {
      await client.reports.signer();
      setOverrideOpen(true);
    } catch (err) {
      setNotice({ kind: "error", text: errorText(err) });
    }
  };

  const doSign = async () => {
    if (!session) return;
    setSignStep(null);
    try {
      const result = await session.sign(
        scopeNeedsConfirmation && scopeConfirmed,
        untouchedAi > 0 && aiAttested,
        criticalTermsShown.length > 0
          ? { recipient: told.recipient.trim(), method: told.method, communicatedAt: new Date(told.at).toISOString() }
          : undefined,
        credentialOf(secret),
      );
      setSecret("");
      setNotice({
        kind: "ok",
        text: `Signed by ${result.state.signed?.signedBy}. ${result.retrieval.message[0]?.toUpperCase()}${result.retrieval.message.slice(1)}.`,
      });
    } catch (err) {
      setNotice({ kind: "error", text: `Not signed: ${errorText(err)}` });
      refuseIfIssues();
    }
  };

  const reloadMacros = () =>
    client.macros.list().then(setMacroList, (err: unknown) => setNotice({ kind: "error", text: errorText(err) }));
  // Read again for every study and whenever the search box or manager opens or closes (the account may have changed).
  // biome-ignore lint/correctness/useExhaustiveDependencies: those are the moments to read the list again.
  useEffect(() => {
    void reloadMacros();
  }, [client, macroPane, studyId, accountId]);

  const editable = !!session && !!server && !signed && !snapshot?.loading;
  const insertMacro = (macro: Macro) => {
    if (!session || !editable) return;
    const section = session.getSnapshot().lastFocused;
    const at = editors.current[section]?.selection() ?? { start: 0, end: 0 };
    const cursor = session.insertMacro(macro.text, { section, ...at });
    setMacroPane(null);
    if (cursor) setMacroCursor(cursor);
  };
  // "Insert measurement" (the viewer's command): the sentence at the cursor of the last focused section.
  const inserterState = useRef({ session, editable });
  inserterState.current = { session, editable };
  useEffect(() => {
    setReportInserter((text) => {
      const { session: s, editable: canEdit } = inserterState.current;
      if (!s || !canEdit) return "read-only";
      const section = s.getSnapshot().lastFocused;
      const length = s.getSnapshot().sections[section].length;
      const at = editors.current[section]?.selection() ?? { start: length, end: length };
      const cursor = s.insertText(text, { section, ...at });
      if (!cursor) return "read-only";
      setMacroCursor(cursor);
      return "inserted";
    });
    return () => setReportInserter(null);
  }, []);
  // Once the inserted text has rendered (and the search box has given the focus back): the cursor on its first slot.
  useEffect(() => {
    if (!macroCursor || macroPane) return;
    editors.current[macroCursor.section]?.select(macroCursor.start, macroCursor.end);
    setMacroCursor(null);
  }, [macroCursor, macroPane]);

  // A macro's own hotkey inserts it; the command table's keys come first.
  const macroByKey = useRef<{ macros: readonly Macro[]; insert: (m: Macro) => void }>({ macros: [], insert: () => {} });
  macroByKey.current = { macros: editable ? (macroList?.macros ?? []) : [], insert: insertMacro };
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const chord = chordOf(e);
      if (!/^(Ctrl|Alt)\+/.test(chord) || findCommand(chord, effectiveCommands())) return;
      if (document.querySelector(".overlay")) return;
      const macro = macroByKey.current.macros.find((m) => m.hotkey === chord);
      if (!macro) return;
      e.preventDefault();
      macroByKey.current.insert(macro);
    };
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, []);

  const hint = useShortcutHint();
  useCommands({
    "report.macros": () => {
      if (editable) setMacroPane("picker");
    },
    "report.manageMacros": () => setMacroPane("manager"),
    "report.undo": () => session?.undo(),
    "report.redo": () => session?.redo(),
    "report.save": () => void session?.flush(),
    "report.regenerate": regenerate,
    "report.suggestImpression": suggestImpression,
    "report.sign": () => void startSign(),
    "report.focusIndication": () => editors.current.indication?.focus(),
    "report.focusComparison": () => editors.current.comparison?.focus(),
    "report.focusFindings": () => editors.current.findings?.focus(),
    "report.focusImpression": () => editors.current.impression?.focus(),
  });

  return (
    <section className="pane report-pane" aria-label="Report">
      <header className="pane-header">
        <h2>Report</h2>
        {study && (
          <span className={`status status-${server?.status ?? study.status}`}>{server?.status ?? study.status}</span>
        )}
        <span className="header-spacer" />
        {study && (
          <button
            type="button"
            className="btn"
            onClick={() => setAuditOpen(true)}
            title="Every edit, signature and addendum of this report, with the account"
          >
            Audit
          </button>
        )}
        {session && server && !signed && (
          <>
            <History session={session} current={snapshot?.baseVersion ?? null} />
            <button
              type="button"
              className="btn"
              onClick={() => setMacroPane("picker")}
              disabled={!editable}
              title={hint("Insert a macro or template at the cursor", "report.macros")}
            >
              Macros
            </button>
            <button
              type="button"
              className="btn"
              onClick={regenerate}
              disabled={!server.engine.available || running || !server.scope.draftAllowed}
              title={
                !server.scope.draftAllowed
                  ? `${server.scope.headline}: no AI draft`
                  : server.engine.available
                    ? hint("Draft Findings and Impression again", "report.regenerate")
                    : (server.job.message ?? "")
              }
            >
              Regenerate
            </button>
            <button
              type="button"
              className="btn"
              onClick={suggestImpression}
              disabled={running}
              title={hint("Draft the Impression from the Findings as they are now", "report.suggestImpression")}
            >
              Suggest impression
            </button>
            <button
              type="button"
              className="btn btn-sign"
              onClick={() => void startSign()}
              disabled={!canSign}
              title={hint("Sign and lock the report", "report.sign")}
            >
              Sign
            </button>
          </>
        )}
      </header>
      {study === null || !snapshot || !session ? (
        <div className="empty-state" data-testid="report-empty">
          <p>Open a study to see its AI-drafted report.</p>
        </div>
      ) : (
        <>
          <AiStrip snapshot={snapshot} session={session} />
          {server && <ScopeBanner server={server} onOverride={() => void startOverride()} />}
          {snapshot.error && (
            <p className="report-message error" role="alert">
              {snapshot.error}{" "}
              <button type="button" className="link-button" onClick={() => session.dismissError()}>
                Dismiss
              </button>
            </p>
          )}
          {signOffIssues.length > 0 && !signed && (
            <div className="report-message error" role="alert" data-testid="sign-off-issues">
              <p>
                Not signed: {signOffIssues.length === 1 ? "1 thing to fix" : `${signOffIssues.length} things to fix`}{" "}
                first.
              </p>
              <ul>
                {signOffIssues.map((issue) => (
                  <li key={`${issue.code}:${issue.section}:${issue.start}`} data-testid="sign-off-issue">
                    {issue.message}{" "}
                    <button type="button" className="link-button" onClick={() => goToIssue(issue)}>
                      Go there
                    </button>
                  </li>
                ))}
              </ul>
              <button type="button" className="link-button" onClick={() => setSignOffIssues([])}>
                Dismiss
              </button>
            </div>
          )}
          {snapshot.conflict && !signed && (
            <div className="report-message error" role="alert" data-testid="draft-conflict">
              <p>
                The draft changed elsewhere (another tab or window): version {snapshot.conflict.version} by{" "}
                {snapshot.conflict.author} at {time(snapshot.conflict.updatedAt)}. Your text here is not saved yet.
              </p>
              <button type="button" className="btn" onClick={() => session.loadNewer()}>
                Load newer
              </button>{" "}
              <button type="button" className="btn" onClick={() => void session.keepMine()}>
                Keep mine as new revision
              </button>
            </div>
          )}
          {notice && (
            <p className={`report-message ${notice.kind}`} role="status" data-testid="report-notice">
              {notice.text}
            </p>
          )}
          <div className="report-body">
            {signed && server ? (
              <SignedView server={server} session={session} />
            ) : (
              SECTION_KEYS.map((k) => (
                <SectionEditor
                  key={k}
                  ref={(h) => {
                    editors.current[k] = h;
                  }}
                  section={k}
                  title={SECTION_TITLES[k]}
                  value={snapshot.sections[k]}
                  aiRanges={marks?.[k].ai ?? []}
                  matchRanges={marks?.[k].match ?? []}
                  readOnly={snapshot.loading}
                  placeholder={PLACEHOLDERS[k]}
                  minLines={MIN_LINES[k]}
                  drafting={
                    running && (k === "findings" || k === "impression") ? (
                      <span className="skeleton" title="The AI is drafting this section">
                        {Array.from({ length: Math.min(3, MIN_LINES[k]) }, (_, i) => (
                          // biome-ignore lint/suspicious/noArrayIndexKey: fixed placeholder lines.
                          <span key={i} />
                        ))}
                      </span>
                    ) : null
                  }
                  onChange={(v) => session.edit(k, v)}
                  onFocus={() => session.focused(k)}
                  onBlur={() => void session.flush()}
                  onUndo={() => session.undo(k)}
                  onRedo={() => session.redo(k)}
                />
              ))
            )}
          </div>
          {!signed && server && (
            <ModelFindings
              review={server.findingReview}
              sections={snapshot.sections}
              onSelect={(section, start, end) => editors.current[section]?.select(start, end)}
            />
          )}
          {!signed && (
            <footer className="report-legend">
              <SaveIndicator snapshot={snapshot} session={session} />
              <span className="header-spacer" />
              <span title="Sentences the AI wrote that you have not changed">
                <span className="swatch-ai" /> AI, untouched
              </span>
              <span title="Sentences that also occur in a similar prior case">
                <span className="swatch-match" /> in a prior case
              </span>
            </footer>
          )}
        </>
      )}
      {macroPane === "picker" && editable && (
        <MacroPicker
          macros={macroList?.macros ?? []}
          note={macroList?.owner.kind === "none" ? macroList.owner.reason : null}
          onInsert={insertMacro}
          onManage={() => setMacroPane("manager")}
          onClose={() => setMacroPane(null)}
        />
      )}
      {auditOpen && studyId && <AuditLogPanel studyId={studyId} onClose={() => setAuditOpen(false)} />}
      {macroPane === "manager" && (
        <MacroManager list={macroList} onChanged={() => void reloadMacros()} onClose={() => setMacroPane(null)} />
      )}
      {confirmReplace && session && (
        <Dialog
          title={REPLACE_CONFIRM[confirmReplace].title}
          confirmLabel={REPLACE_CONFIRM[confirmReplace].confirmLabel}
          confirmKind="danger"
          onCancel={() => setConfirmReplace(null)}
          onConfirm={() => {
            setConfirmReplace(null);
            void session[confirmReplace](true);
          }}
        >
          <p>{REPLACE_CONFIRM[confirmReplace].text}</p>
        </Dialog>
      )}
      {overrideOpen && session && server && (
        <Dialog
          title="Draft this study anyway?"
          confirmLabel="Draft anyway"
          confirmKind="danger"
          onCancel={() => setOverrideOpen(false)}
          onConfirm={() => {
            setOverrideOpen(false);
            void session.overrideScope(overrideReason.trim());
            setOverrideReason("");
          }}
        >
          <p>
            {server.scope.headline}. The model was made for chest radiographs; its draft of this study is likely wrong.
            The override is recorded in the audit log and printed in every export of the report.
          </p>
          <DialogInput
            label="Reason for the override"
            placeholder="Reason (optional)"
            value={overrideReason}
            onChange={setOverrideReason}
            maxLength={500}
          />
        </Dialog>
      )}
      {signStep?.step === "confirm" && (
        <Dialog
          title="Sign this report?"
          confirmLabel={`Sign as ${signStep.signer.name}`}
          confirmKind="sign"
          confirmDisabled={
            (scopeNeedsConfirmation && !scopeConfirmed) ||
            (untouchedAi > 0 && !aiAttested) ||
            (criticalTermsShown.length > 0 && !communicationComplete) ||
            secret === ""
          }
          onCancel={() => setSignStep(null)}
          onConfirm={() => void doSign()}
        >
          {scopeNeedsConfirmation && server && (
            <label className="scope-confirm warn-text">
              <input type="checkbox" checked={scopeConfirmed} onChange={(e) => setScopeConfirmed(e.target.checked)} />{" "}
              {server.scope.override ? "The scope check was overridden" : "The scope check is uncertain"} (
              {server.scope.headline}). I confirm that this AI-assisted report applies to this study.
            </label>
          )}
          <DialogInput
            label="Password or PIN"
            secret
            placeholder={`Password or PIN of ${signStep.signer.name}`}
            value={secret}
            onChange={setSecret}
            maxLength={256}
          />
          <p>
            The report of <strong>{study?.patientName?.replace(/\^/g, " ") ?? study?.id}</strong> is locked once signed;
            later changes are addenda. Signed version: v{snapshot?.baseVersion ?? "—"}.
          </p>
          {server &&
            findingWarnings(server.findingReview).map((w) => (
              <p key={w} className="warn-text" data-testid="sign-finding-warning">
                {w}
              </p>
            ))}
          {criticalTermsShown.length > 0 && (
            <fieldset className="critical-communication" data-testid="critical-communication">
              <legend className="warn-text">
                Critical result: {criticalTermsShown.join(", ")}. Record to whom, how and when it was communicated.
              </legend>
              <DialogInput
                label="Communicated to"
                placeholder="Communicated to (name, role)"
                value={told.recipient}
                onChange={(recipient) => setTold({ ...told, recipient })}
                maxLength={200}
              />
              <select
                aria-label="Communicated how"
                value={told.method}
                onChange={(e) => setTold({ ...told, method: e.target.value as CommunicationMethod })}
              >
                {COMMUNICATION_METHODS.map((m) => (
                  <option key={m} value={m}>
                    {m}
                  </option>
                ))}
              </select>
              <input
                aria-label="Communicated at"
                type="datetime-local"
                value={told.at}
                onChange={(e) => setTold({ ...told, at: e.target.value })}
              />
            </fieldset>
          )}
          {untouchedAi > 0 && (
            <label className="scope-confirm warn-text">
              <input
                type="checkbox"
                checked={aiAttested}
                onChange={(e) => setAiAttested(e.target.checked)}
                aria-label="Attest the unchanged AI sentences"
              />{" "}
              {untouchedAi === 1 ? "1 sentence the AI drafted is" : `${untouchedAi} sentences the AI drafted are`}{" "}
              unchanged. I have reviewed {untouchedAi === 1 ? "it" : "each of them"} and attest that the report
              describes this study.
            </label>
          )}
        </Dialog>
      )}
    </section>
  );
}
