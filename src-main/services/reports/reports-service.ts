/**
 * Reports: the AI draft of a study (drafted in the background when the study is opened), every edit autosaved as a
 * new draft version, regenerate and cancel, signing (locks the report, audit log, retrieval index), addenda, and
 * exports. Knows nothing of Electron; the IPC router calls it.
 */
import os from "node:os";
import type { Account, Credential } from "../../../src-shared/account-types";
import {
  computeAiSpans,
  hasUserEditsToAiSections,
  mergeSections,
  sectionsEqual,
} from "../../../src-shared/report-text";
import {
  type AuditEntry,
  type CriticalCommunication,
  type CriticalCommunicationInput,
  CriticalCommunicationInputSchema,
  type DraftJob,
  type DraftOrigin,
  type DraftVersion,
  EMPTY_SECTIONS,
  type ExportFormat,
  type ExportResult,
  type LabelVector,
  OBSERVATIONS,
  type PaperSize,
  type ReportSections,
  type ReportState,
  SECTION_KEYS,
  type Signer,
  type SignResult,
} from "../../../src-shared/report-types";
import type { CaseDatabase } from "../../db/database";
import type { AccountsService } from "../accounts/accounts-service";
import { crashPoint } from "../crash-points";
import type { EventBus } from "../events/event-bus";
import { formatReportBody, type ReportDocument, sha256Hex } from "../export/report-document";
import { exportReport, toExportResult } from "../export/report-export";
import { criticalFindingsIn, criticalTerms, DEFAULT_CRITICAL_FINDINGS } from "../language/critical-findings";
import { checkSignOff } from "../language/sign-off-checks";
import type { MeasurementsService } from "../measurements/measurements-service";
import { StudyScopeGate } from "../scope/scope-gate";
import { NotFoundError } from "../studies/studies-service";
import type {
  DraftEngine,
  DraftEngineProvider,
  DraftEngineResult,
  DraftProgress,
  SignedCaseSink,
} from "./draft-engine";
import { DraftConflictError, ReportConflictError } from "./errors";
import { reviewFindings } from "./finding-review";
import { ReportRecords } from "./report-records";
import {
  comparisonFromPriors,
  indicationFromRequests,
  MAX_COMPARISON_STUDIES,
  type PriorStudy,
} from "./request-sections";

/** The configurable list of critical findings (issue 18.3); DEFAULT_CRITICAL_FINDINGS until set. */
export const CRITICAL_FINDINGS_SETTING = "reports.criticalFindings";

/** Message prefix of runs stopped by a crash or by closing the application (redrafted on the next open). */
const INTERRUPTED = "interrupted";

/**
 * History coalesces: the user's autosaves go into the newest version while they keep typing; a save after a pause
 * of at least this long starts a new version, as does every explicit step (AI draft, regenerate, restore, insert
 * from a prior case, sign). Every save is still committed at once (crash-safe).
 */
export const VERSION_PAUSE_MS = 60_000;

export const NO_ENGINE_MESSAGE =
  "No model pack loaded: the AI draft is unavailable. Write the report by hand; every change is autosaved.";

export const NO_IMPRESSION_MESSAGE =
  "No impression pack loaded: Suggest impression is unavailable. Write the impression by hand.";

/** What the reports service needs of the impression drafter (services/impression ImpressionService). */
export interface ImpressionDrafter {
  readonly model: { name: string; version: string };
  draft(findings: string): Promise<{ text: string; retrieved: { uid: number }; consistency: unknown }>;
}

export interface ReportsServiceOptions {
  db: CaseDatabase;
  events: EventBus;
  /** The drafting engine of the moment (asked at each use); it gives null until a model pack is loaded. */
  engine: DraftEngineProvider;
  /** The impression drafter of the moment ("Suggest impression"); null or absent until an impression pack loads. */
  impression?: () => ImpressionDrafter | null;
  /** The retrieval index that signed cases join; null or absent for none. */
  retrieval?: SignedCaseSink | null;
  /** Labels a report's text with the 14 CheXpert observations (for the retrieval index entry of a signed case). */
  labelReport?: (text: string) => LabelVector;
  /** Name and version written into exports. */
  application: { name: string; version: string };
  /** The operating system's user name: the author of draft edits and audit entries while no one is signed in. */
  osUserName?: () => string;
  /** The clock (ms since the epoch) that times pauses in typing; default Date.now (tests script a session). */
  now?: () => number;
  /** Where signed reports and addenda go next (the PACS outbox, docs/pacs.md); null or absent for nowhere. */
  publisher?: SignedReportPublisher | null;
  /** The study's measurements: signing locks them into the signed record, which the exports carry. */
  measurements?: Pick<MeasurementsService, "lockForSignedReport" | "ofSignedReport">;
  /**
   * Local accounts (docs/security.md): the signed-in, unlocked account is the only signer; signing and addenda need
   * its password or PIN (signWithCredential, addAddendumWithCredential), and with no account they are refused.
   */
  accounts: AccountsService;
}

/**
 * The PACS side of signing: `queue` runs inside the transaction that signs or adds an addendum (so what it queues is
 * as durable as the signature) and answers null when the study has no PACS to go to; `flush` runs after the commit.
 */
export interface SignedReportPublisher {
  queue(doc: ReportDocument): { connectionId: string; sopInstanceUid: string; message: string } | null;
  flush(): void;
}

interface RunningJob {
  jobId: string;
  controller: AbortController;
  progress: DraftProgress | null;
  startedAt: string;
  mode: "initial" | "replace";
}

const blankLabels = (): LabelVector => OBSERVATIONS.map(() => null);

function defaultOsUserName(): string {
  try {
    const name = os.userInfo().username.trim();
    if (name) return name;
  } catch {
    // userInfo throws where the user has no passwd entry (some containers).
  }
  return process.env.USER?.trim() || process.env.USERNAME?.trim() || "radiologist";
}

export class ReportsService {
  private readonly records: ReportRecords;
  /** The scope gate (src-shared/scope): whether the AI may draft a study at all. */
  private readonly scope: StudyScopeGate;
  private readonly running = new Map<string, RunningJob>();
  private jobCounter = 0;

  constructor(private readonly options: ReportsServiceOptions) {
    this.records = new ReportRecords(options.db);
    this.scope = new StudyScopeGate(options.db);
    const recovered = this.records.recoverInterruptedJobs();
    if (recovered.length) options.events.publish({ type: "studies-changed", studyIds: recovered });
  }

  /**
   * "Suggest impression": drafts the Impression again from the Findings as they stand (the radiologist's edits
   * included). The suggestion is AI text: it is stored as an AI version (the AI's Findings and the new Impression)
   * with the current draft on top of it, so the editor marks it like the AI findings. An Impression the radiologist
   * wrote (not the AI's untouched text) is only replaced with replaceUserText (the UI asks first).
   */
  async suggestImpression(studyId: string, options: { replaceUserText: boolean }): Promise<ReportState> {
    this.requireStudy(studyId);
    this.requireUnsigned(studyId);
    const drafter = this.options.impression?.() ?? null;
    if (!drafter) throw new ReportConflictError(NO_IMPRESSION_MESSAGE);
    const userImpression = (sections: ReportSections) => {
      const current = sections.impression.trim();
      return current !== "" && current !== (this.aiSections(studyId)?.impression ?? "").trim();
    };
    const before = this.records.latestVersion(studyId);
    const findings = before?.sections.findings.trim() ?? "";
    if (!findings) throw new ReportConflictError("Findings are empty: an impression is drafted from the findings.");
    const conflict = "Impression holds your text; the suggestion replaces it. Confirm to replace it.";
    if (before && !options.replaceUserText && userImpression(before.sections)) throw new ReportConflictError(conflict);
    const draft = await drafter.draft(findings);
    this.records.transaction(() => {
      this.requireUnsigned(studyId);
      const latest = this.records.latestVersion(studyId)!;
      if (latest.sections.findings.trim() !== findings)
        throw new ReportConflictError("Findings changed while the impression was drafted: suggest it again.");
      if (!options.replaceUserText && userImpression(latest.sections)) throw new ReportConflictError(conflict);
      const model = `${drafter.model.name} ${drafter.model.version}`;
      const aiDraft: ReportSections = {
        ...latest.sections,
        findings: this.aiSections(studyId)?.findings ?? "",
        impression: draft.text,
      };
      const aiVersion = this.records.insertVersion(studyId, aiDraft, computeAiSpans(aiDraft, aiDraft), "ai", model);
      const current: ReportSections = { ...latest.sections, impression: draft.text };
      if (!sectionsEqual(current, aiDraft)) {
        this.records.insertVersion(studyId, current, computeAiSpans(current, aiDraft), "user", latest.author);
      }
      this.records.audit(`ai:${model}`, "impression.suggested", studyId, {
        version: aiVersion.version,
        replacedUserText: userImpression(latest.sections),
        retrievedUid: draft.retrieved.uid,
        consistency: draft.consistency,
      });
      const study = this.records.study(studyId);
      if (study?.status === "new") this.records.setStudyStatus(studyId, "drafted");
    });
    this.options.events.publish({ type: "studies-changed", studyIds: [studyId] });
    return this.state(studyId);
  }

  private get engine(): DraftEngine | null {
    return this.options.engine();
  }

  private requireStudy(studyId: string) {
    const study = this.records.study(studyId);
    if (!study) throw new NotFoundError(`no study with id ${studyId}`);
    return study;
  }

  private requireUnsigned(studyId: string): void {
    const signed = this.records.signed(studyId);
    if (signed) {
      throw new ReportConflictError(
        `the report of study ${studyId} was signed by ${signed.signedBy} at ${signed.signedAt} and is locked; add an addendum instead`,
      );
    }
  }

  /** The AI's text (Findings and Impression) of the newest AI version, the reference for untouched AI sentences. */
  private aiSections(studyId: string): ReportSections | null {
    const ai = this.records.latestAiVersion(studyId);
    return ai ? { ...EMPTY_SECTIONS, findings: ai.sections.findings, impression: ai.sections.impression } : null;
  }

  private jobState(studyId: string): DraftJob {
    const live = this.running.get(studyId);
    const row = this.records.job(studyId);
    const base = {
      model: row?.model ?? null,
      startedAt: row?.startedAt ?? null,
      finishedAt: row?.finishedAt ?? null,
      hasEmbedding: row?.embedding != null,
    };
    if (live) {
      return {
        ...base,
        state: "running",
        jobId: live.jobId,
        message: null,
        progress: live.progress,
        model: this.engine?.model ?? base.model,
        startedAt: live.startedAt,
        finishedAt: null,
      };
    }
    // A finished draft keeps its record (model, time) while no engine is plugged in, e.g. while the pack loads.
    if (!this.engine && row?.state === "done")
      return { ...base, state: "done", jobId: null, message: row.message, progress: null };
    if (!this.engine) return { ...base, state: "unavailable", jobId: null, message: NO_ENGINE_MESSAGE, progress: null };
    if (!row) return { ...base, state: "idle", jobId: null, message: null, progress: null };
    // A row left "running" without a live job belongs to another process or was interrupted.
    return {
      ...base,
      state: row.state === "running" ? "failed" : row.state,
      jobId: null,
      message: row.state === "running" ? "interrupted" : row.message,
      progress: null,
    };
  }

  state(studyId: string): ReportState {
    const study = this.requireStudy(studyId);
    const draft = this.records.latestVersion(studyId);
    const aiSections = this.aiSections(studyId);
    const signed = this.records.signed(studyId);
    const row = this.records.job(studyId);
    const scope = this.scope.assess(studyId);
    const critical = criticalFindingsIn(
      signed?.sections ?? draft?.sections ?? EMPTY_SECTIONS,
      this.criticalFindings(),
      scope.draftAllowed ? (row?.modelFindings ?? []) : [],
    );
    // The worklist puts critical studies first (studies.critical), kept in step with the text here.
    if (this.records.setStudyCritical(studyId, critical.length > 0)) {
      this.options.events.publish({ type: "studies-changed", studyIds: [studyId] });
    }
    return {
      studyId,
      status: study.status,
      draft,
      aiSections,
      hasUserEdits: draft ? hasUserEditsToAiSections(draft.sections, aiSections) : false,
      job: this.jobState(studyId),
      engine: { available: this.engine !== null, model: this.engine?.model ?? null },
      // A study outside the model's scope shows no similar cases (unless the user overrode the gate).
      similarCases: scope.draftAllowed ? (row?.similarCases ?? []) : [],
      scope,
      // The model's findings follow the same rule: none for a study the gate keeps from the model.
      findingReview: reviewFindings(
        draft?.sections ?? EMPTY_SECTIONS,
        scope.draftAllowed ? (row?.modelFindings ?? []) : [],
      ),
      signOffIssues: signed || !draft ? [] : checkSignOff(draft.sections),
      critical: {
        findings: critical,
        communication: signed ? this.records.criticalCommunication(signed.id) : null,
      },
      signed,
      addenda: signed ? this.records.addenda(signed.id) : [],
    };
  }

  /**
   * The user opened the study: starts the AI draft in the background the first time (status new -> drafting ->
   * drafted) and returns the report state at once. Without an engine, the state says no model pack is loaded. A
   * study the scope gate finds not eligible is not drafted (the state says why); it can be reported by hand.
   */
  open(studyId: string): ReportState {
    const study = this.requireStudy(studyId);
    if (study.status !== "signed" && !this.records.latestVersion(studyId)) this.prefillFromStudy(studyId);
    if (
      this.engine &&
      this.scope.assess(studyId).draftAllowed &&
      study.status !== "signed" &&
      !this.running.has(studyId) &&
      !this.records.latestAiVersion(studyId) &&
      this.shouldDraftOnOpen(studyId)
    ) {
      this.startJob(studyId, "initial");
    }
    return this.state(studyId);
  }

  /**
   * First opening: Indication and Comparison from the study's own records (request-sections.ts), saved as the first
   * version (origin "insert", author "DICOM"); nothing is written when there is nothing to prefill.
   */
  private prefillFromStudy(studyId: string): void {
    const indication = indicationFromRequests(this.scope.requests(studyId));
    const row = this.options.db.prepare("SELECT patient_id, study_date FROM studies WHERE id = ?").get(studyId) as
      | { patient_id: string | null; study_date: string | null }
      | undefined;
    const priors =
      row?.patient_id && row.study_date
        ? (this.options.db
            .prepare(
              `SELECT study_date AS studyDate, description FROM studies
               WHERE patient_id = ? AND id <> ? AND study_date IS NOT NULL AND study_date < ?
               ORDER BY study_date DESC LIMIT ?`,
            )
            .all(row.patient_id, studyId, row.study_date, MAX_COMPARISON_STUDIES) as PriorStudy[])
        : [];
    const comparison = comparisonFromPriors(priors);
    if (!indication && !comparison) return;
    this.records.transaction(() => {
      if (this.records.latestVersion(studyId)) return;
      this.records.insertVersion(studyId, { ...EMPTY_SECTIONS, indication, comparison }, [], "insert", "DICOM");
    });
  }

  /** Never drafted, or the last run was interrupted (crash, application closed): draft on open. */
  private shouldDraftOnOpen(studyId: string): boolean {
    const row = this.records.job(studyId);
    return !row || (row.state !== "done" && (row.message ?? "").startsWith(INTERRUPTED));
  }

  /**
   * Drafts again. Findings and Impression are replaced by the new AI text; when they hold the user's edits the
   * caller must confirm with replaceUserEdits (the UI asks first).
   */
  regenerate(studyId: string, options: { replaceUserEdits: boolean }): ReportState {
    this.requireStudy(studyId);
    this.requireUnsigned(studyId);
    if (!this.engine) return this.state(studyId);
    this.requireDraftAllowed(studyId);
    const draft = this.records.latestVersion(studyId);
    if (draft && !options.replaceUserEdits && hasUserEditsToAiSections(draft.sections, this.aiSections(studyId))) {
      throw new ReportConflictError(
        "Findings or Impression hold your edits; regenerating replaces them. Confirm to replace them.",
      );
    }
    this.cancelRunning(studyId, "replaced by a new drafting run");
    this.startJob(studyId, "replace");
    return this.state(studyId);
  }

  private requireDraftAllowed(studyId: string): void {
    const scope = this.scope.assess(studyId);
    if (!scope.draftAllowed) {
      throw new ReportConflictError(
        `${scope.headline}: no AI draft for this study. Report it by hand, or override the scope check to draft anyway.`,
      );
    }
  }

  /**
   * The user overrides "not eligible": the AI may draft the study. Audited (scope.override) under the signing
   * radiologist's confirmed name; printed in every export; signing the AI-assisted report then asks for a
   * confirmation. Starts the draft when none exists.
   */
  overrideScope(studyId: string, input: { reason: string }): ReportState {
    const study = this.requireStudy(studyId);
    this.requireUnsigned(studyId);
    const before = this.scope.assess(studyId);
    if (before.outcome !== "not-eligible") {
      throw new ReportConflictError(`the study is ${before.outcome}, not "not eligible": there is nothing to override`);
    }
    const actor = this.confirmedSigner("overriding the scope check").displayName;
    const reason = input.reason.trim();
    this.records.transaction(() => {
      const override = this.scope.recordOverride(studyId, actor, reason);
      this.records.audit(actor, "scope.override", studyId, {
        outcome: before.outcome,
        headline: before.headline,
        reasons: before.reasons,
        reason,
        at: override.at,
      });
    });
    if (
      this.engine &&
      study.status !== "signed" &&
      !this.running.has(studyId) &&
      !this.records.latestAiVersion(studyId)
    )
      this.startJob(studyId, "initial");
    this.options.events.publish({ type: "studies-changed", studyIds: [studyId] });
    return this.state(studyId);
  }

  /** Stops a running AI draft; the draft text stays as it is. */
  cancel(studyId: string): ReportState {
    this.requireStudy(studyId);
    this.cancelRunning(studyId, "cancelled by the user");
    return this.state(studyId);
  }

  private cancelRunning(studyId: string, reason: string): void {
    const job = this.running.get(studyId);
    if (!job) return;
    this.running.delete(studyId);
    job.controller.abort(new Error(reason));
    this.records.endJob(studyId, "cancelled", reason);
    this.settleStatus(studyId);
    this.publishRunEnd(studyId, job, reason);
  }

  /** The events of a run that ended (done, cancelled, failed): its last job-progress and the study's change. */
  private publishRunEnd(studyId: string, job: RunningJob, message: string): void {
    this.options.events.publish({
      type: "job-progress",
      jobId: job.jobId,
      studyId,
      label: `AI draft ${studyId}`,
      done: 1,
      total: 1,
      message,
    });
    this.options.events.publish({ type: "studies-changed", studyIds: [studyId] });
  }

  /** After a job ends: drafted when any draft text exists, new otherwise (signed studies keep their status). */
  private settleStatus(studyId: string): void {
    const study = this.records.study(studyId);
    if (!study || study.status === "signed") return;
    this.records.setStudyStatus(studyId, this.records.latestVersion(studyId) ? "drafted" : "new");
  }

  private startJob(studyId: string, mode: RunningJob["mode"]): void {
    const engine = this.engine;
    if (!engine) return;
    const job: RunningJob = {
      jobId: `draft:${studyId}:${++this.jobCounter}`,
      controller: new AbortController(),
      progress: null,
      startedAt: new Date().toISOString(),
      mode,
    };
    this.running.set(studyId, job);
    this.records.transaction(() => {
      this.records.startJob(studyId, engine.model);
      this.records.setStudyStatus(studyId, "drafting");
    });
    const label = `AI draft ${studyId}`;
    this.options.events.publish({ type: "job-progress", jobId: job.jobId, studyId, label, done: 0, total: 1 });
    this.options.events.publish({ type: "studies-changed", studyIds: [studyId] });
    const current = () => this.running.get(studyId) === job && !job.controller.signal.aborted;
    let generation: Promise<DraftEngineResult>;
    try {
      generation = engine.generate(studyId, {
        signal: job.controller.signal,
        onProgress: (p) => {
          if (!current()) return;
          job.progress = p;
          this.options.events.publish({
            type: "job-progress",
            jobId: job.jobId,
            studyId,
            label,
            done: Math.min(p.done, p.total),
            total: p.total,
            message: p.stage,
          });
        },
      });
    } catch (err) {
      generation = Promise.reject(err);
    }
    generation.then(
      (result) => {
        if (!current()) return;
        try {
          this.finishJob(studyId, job, result);
        } catch (err) {
          this.failJob(studyId, job, err);
        }
      },
      (err: unknown) => {
        if (!current()) return;
        this.failJob(studyId, job, err);
      },
    );
  }

  private finishJob(studyId: string, job: RunningJob, result: DraftEngineResult): void {
    const aiSections: ReportSections = {
      ...EMPTY_SECTIONS,
      findings: result.findings.trim(),
      impression: result.impression.trim(),
    };
    let aiVersion: DraftVersion | undefined;
    this.records.transaction(() => {
      const before = this.records.latestVersion(studyId);
      const base = before?.sections ?? EMPTY_SECTIONS;
      // The AI version holds exactly what the AI wrote in Findings and Impression (the user's Indication and
      // Comparison are kept).
      const aiDraft: ReportSections = { ...base, findings: aiSections.findings, impression: aiSections.impression };
      aiVersion = this.records.insertVersion(
        studyId,
        aiDraft,
        computeAiSpans(aiDraft, aiSections),
        "ai",
        `${result.model.name} ${result.model.version}`,
      );
      // First draft only: text the user typed into Findings or Impression while the AI was drafting is kept, as a
      // user version on top of the AI version.
      if (job.mode === "initial" && before) {
        const kept: ReportSections = {
          ...aiDraft,
          findings: before.sections.findings.trim() ? before.sections.findings : aiDraft.findings,
          impression: before.sections.impression.trim() ? before.sections.impression : aiDraft.impression,
        };
        if (!sectionsEqual(kept, aiDraft)) {
          this.records.insertVersion(studyId, kept, computeAiSpans(kept, aiSections), "user", before.author);
        }
      }
      this.records.finishJob(studyId, {
        model: result.model,
        aiVersionId: aiVersion.id,
        similarCases: result.similarCases,
        modelFindings: result.modelFindings ?? [],
        embedding: result.embedding ?? null,
        thumbnail: result.thumbnail ?? null,
      });
      if (result.ood) this.scope.recordOod(studyId, result.ood, result.embedding?.modelId ?? null);
      this.records.setStudyStatus(studyId, "drafted");
      const scope = this.scope.assess(studyId);
      this.records.audit(
        `ai:${result.model.name} ${result.model.version}`,
        job.mode === "initial" ? "draft.generated" : "draft.regenerated",
        studyId,
        {
          version: aiVersion.version,
          model: result.model,
          similarCases: result.similarCases.map((c) => ({ studyId: c.studyId, similarity: c.similarity })),
          modelFindings: (result.modelFindings ?? []).filter((f) => f.positive).map((f) => f.name),
          embedding: result.embedding
            ? { modelId: result.embedding.modelId, dims: result.embedding.vector.length }
            : null,
          scope: {
            outcome: scope.outcome,
            headline: scope.headline,
            ood: scope.ood,
            override: scope.override !== null,
          },
        },
      );
    });
    this.running.delete(studyId);
    this.publishRunEnd(studyId, job, "done");
  }

  private failJob(studyId: string, job: RunningJob, err: unknown): void {
    this.running.delete(studyId);
    const message = err instanceof Error ? err.message : String(err);
    this.records.endJob(studyId, "failed", message);
    this.settleStatus(studyId);
    this.options.events.publish({
      type: "notice",
      level: "error",
      message: `The AI draft of study ${studyId} failed: ${message}`,
    });
    this.publishRunEnd(studyId, job, `failed: ${message}`);
  }

  /**
   * Autosave: stores the sections, unless they equal the newest version (identical saves are de-duplicated): in the
   * newest version while the same user keeps typing on it, as a new version after a pause of VERSION_PAUSE_MS or
   * after an explicit step (an `insert` save is always a new version). `baseVersion` is the version the editor started from; when newer versions exist (the AI
   * draft arrived meanwhile), sections the editor did not change take the newer text (three-way merge).
   *
   * Stale writes are refused (issue 18.6) when the editor names its `baseRevision` (the renderer always does): a
   * version rewritten since that revision, or a newer version written by a person (another tab or window) that
   * changed a section this editor changed too, throws DraftConflictError instead of overwriting. `asNewVersion`
   * (the editor keeps its text after such a conflict) stores the text as a new version, never into the newest one.
   */
  save(
    studyId: string,
    input: {
      sections: ReportSections;
      baseVersion: number | null;
      baseRevision?: number | null | undefined;
      asNewVersion?: boolean | undefined;
      origin: Extract<DraftOrigin, "user" | "insert">;
    },
  ): ReportState & { saved: boolean } {
    this.requireStudy(studyId);
    this.requireUnsigned(studyId);
    let saved = false;
    let written: DraftVersion | null = null;
    this.records.transaction(() => {
      const latest = this.records.latestVersion(studyId);
      let sections = input.sections;
      const checked = input.baseRevision !== undefined;
      const conflict = () =>
        new DraftConflictError({
          studyId,
          version: latest!.version,
          revision: latest!.revision,
          author: latest!.author,
          updatedAt: latest!.updatedAt,
        });
      if (latest && (input.baseVersion === null || input.baseVersion < latest.version)) {
        // The editor started from an older version (or from nothing): sections it left alone take the newer text.
        const base =
          input.baseVersion === null
            ? EMPTY_SECTIONS
            : (this.records.versionByNumber(studyId, input.baseVersion)?.sections ?? null);
        if (base) {
          const clash = SECTION_KEYS.some(
            (k) =>
              base[k] !== input.sections[k] &&
              base[k] !== latest.sections[k] &&
              input.sections[k] !== latest.sections[k],
          );
          if (checked && clash && latest.origin !== "ai") throw conflict();
          sections = mergeSections(base, input.sections, latest.sections);
        }
      } else if (
        latest &&
        checked &&
        input.baseVersion === latest.version &&
        input.baseRevision !== latest.revision &&
        !sectionsEqual(input.sections, latest.sections)
      ) {
        throw conflict();
      }
      if (latest ? sectionsEqual(sections, latest.sections) : sectionsEqual(sections, EMPTY_SECTIONS)) return;
      const aiSpans = computeAiSpans(sections, this.aiSections(studyId));
      const author = this.actor();
      const now = (this.options.now ?? Date.now)();
      const at = new Date(now).toISOString();
      const sameSession =
        latest !== null &&
        input.origin === "user" &&
        latest.origin === "user" &&
        latest.author === author &&
        input.baseVersion === latest.version &&
        !input.asNewVersion &&
        now - Date.parse(latest.updatedAt) < VERSION_PAUSE_MS;
      written = sameSession
        ? this.records.updateVersion(latest.id, sections, aiSpans, at)
        : this.records.insertVersion(studyId, sections, aiSpans, input.origin, author, at);
      saved = true;
      // Every edit is audited (issue 18.1): the version and revision it wrote, and (audit_log) the account.
      if (written)
        this.records.audit(author, "report.edited", studyId, {
          version: written.version,
          revision: written.revision,
          origin: input.origin,
        });
      const study = this.records.study(studyId);
      if (study?.status === "new" && this.records.setStudyStatus(studyId, "drafted")) {
        this.options.events.publish({ type: "studies-changed", studyIds: [studyId] });
      }
    });
    const w = written as DraftVersion | null;
    if (w) this.options.events.publish({ type: "draft-changed", studyId, version: w.version, revision: w.revision });
    return { ...this.state(studyId), saved };
  }

  /** Every draft version of a study, newest first. */
  versions(studyId: string): DraftVersion[] {
    this.requireStudy(studyId);
    return this.records.versions(studyId);
  }

  /** Makes an older version the newest again (as a new version with origin 'restore'). */
  restore(studyId: string, version: number): ReportState {
    this.requireStudy(studyId);
    this.requireUnsigned(studyId);
    const old = this.records.versionByNumber(studyId, version);
    if (!old) throw new NotFoundError(`study ${studyId} has no draft version ${version}`);
    this.records.transaction(() => {
      const latest = this.records.latestVersion(studyId);
      if (latest && sectionsEqual(latest.sections, old.sections)) return;
      this.records.insertVersion(
        studyId,
        old.sections,
        computeAiSpans(old.sections, this.aiSections(studyId)),
        "restore",
        this.actor(),
      );
      this.records.audit(this.actor(), "report.restored", studyId, { version: old.version });
    });
    return this.state(studyId);
  }

  /**
   * The signing radiologist: the signed-in, unlocked local account (docs/security.md). With no account yet, or no
   * one signed in, or the session locked, a clear error: there is no free-text signer.
   */
  signer(): Signer {
    return { name: this.confirmedSigner().displayName, source: "account" };
  }

  /**
   * Who made a draft edit, restore, export or setting change (the version's author and the audit actor): the
   * signed-in account, else the OS user name. Never a signer: signing needs the account (confirmedSigner).
   */
  private actor(): string {
    const account = this.options.accounts.session().account;
    return account?.displayName ?? (this.options.osUserName ?? defaultOsUserName)();
  }

  /** The list of critical findings: the setting, else the default (pneumothorax, free air and its wordings). */
  criticalFindings(): string[] {
    const stored = this.records.setting(CRITICAL_FINDINGS_SETTING);
    return Array.isArray(stored) && stored.every((t) => typeof t === "string")
      ? (stored as string[])
      : [...DEFAULT_CRITICAL_FINDINGS];
  }

  setCriticalFindings(findings: readonly string[]): string[] {
    const list = [...new Set(findings.map((f) => f.trim().toLowerCase()).filter((f) => f.length >= 2))];
    const before = this.criticalFindings();
    this.records.transaction(() => {
      this.records.putSetting(CRITICAL_FINDINGS_SETTING, list);
      this.records.audit(this.actor(), "settings.critical-findings", null, { previous: before, list });
    });
    return this.criticalFindings();
  }

  /** The signed-in, unlocked account that signs; refused when no account exists yet. */
  private confirmedSigner(purpose = "signing"): Account {
    return this.requireAccounts(purpose).requireUnlocked(purpose);
  }

  /**
   * Signs the newest draft version, which must be the one the user reviewed (`version`). Locks the report, writes
   * the audit log, and adds the case to the retrieval index when an index and the study embedding exist.
   */
  sign(
    studyId: string,
    input: {
      version: number;
      confirmScope?: boolean | undefined;
      attestUntouchedAi?: boolean | undefined;
      criticalCommunication?: CriticalCommunicationInput | undefined;
    },
    verified: Account | null = null,
  ): SignResult {
    this.requireStudy(studyId);
    this.requireUnsigned(studyId);
    if (this.running.has(studyId)) {
      throw new ReportConflictError("the AI draft is still being written: wait for it or cancel it before signing");
    }
    const account = this.requireVerified(verified, "signing");
    const signer = account.displayName;
    const latest = this.records.latestVersion(studyId);
    if (!latest) throw new ReportConflictError(`study ${studyId} has no draft to sign`);
    if (latest.version !== input.version) {
      throw new ReportConflictError(
        `the draft changed after you reviewed it (you reviewed version ${input.version}, the newest is ${latest.version}); review it again before signing`,
      );
    }
    if (!latest.sections.findings.trim() && !latest.sections.impression.trim()) {
      throw new ReportConflictError("the report has neither findings nor an impression: nothing to sign");
    }
    const issues = checkSignOff(latest.sections);
    if (issues.length > 0) {
      throw new ReportConflictError(
        `${issues.length === 1 ? "1 thing to fix" : `${issues.length} things to fix`} before signing: ${issues.map((i) => i.message).join("; ")}`,
      );
    }
    const text = formatReportBody(latest.sections);
    const textSha256 = sha256Hex(text);
    const job = this.records.job(studyId);
    const aiVersion = this.records.latestAiVersion(studyId);
    const scope = this.scope.assess(studyId);
    if (aiVersion && scope.signNeedsConfirmation && input.confirmScope !== true) {
      throw new ReportConflictError(
        `${scope.override ? "The scope check was overridden" : "The scope check is uncertain"} (${scope.headline}): confirm that the AI-assisted report applies to this study before signing`,
      );
    }
    const untouchedAi = latest.aiSpans.length;
    if (untouchedAi > 0 && input.attestUntouchedAi !== true) {
      throw new ReportConflictError(
        `${untouchedAi === 1 ? "1 sentence the AI drafted is" : `${untouchedAi} sentences the AI drafted are`} unchanged: attest that you reviewed ${untouchedAi === 1 ? "it" : "them"} (attestUntouchedAi) before signing`,
      );
    }
    const critical = criticalFindingsIn(
      latest.sections,
      this.criticalFindings(),
      scope.draftAllowed ? (job?.modelFindings ?? []) : [],
    );
    const terms = criticalTerms(critical);
    let communication: CriticalCommunication | null = null;
    if (terms.length > 0) {
      const parsed = CriticalCommunicationInputSchema.safeParse(input.criticalCommunication);
      if (!parsed.success) {
        throw new ReportConflictError(
          `the report holds a critical result (${terms.join(", ")}): record to whom, how and when it was communicated before signing${input.criticalCommunication ? ` (${parsed.error.issues[0]?.message ?? "invalid record"})` : ""}`,
        );
      }
      communication = { ...parsed.data, findings: terms, recordedBy: signer };
    }
    this.records.transaction(() => {
      const signedRow = this.records.insertSigned({
        studyId,
        draftVersionId: latest.id,
        sections: latest.sections,
        text,
        textSha256,
        signedBy: signer,
        account: { username: account.username, dicomName: account.dicomName },
      });
      this.records.setStudyStatus(studyId, "signed");
      const measured = this.options.measurements?.lockForSignedReport(studyId, signedRow.id) ?? 0;
      if (measured > 0) this.records.audit(signer, "measurement.signed", studyId, { count: measured });
      if (communication) {
        this.records.insertCriticalCommunication(signedRow.id, communication);
        this.records.audit(signer, "report.critical-communicated", studyId, {
          ...communication,
          account: account.username,
        });
      }
      this.records.audit(signer, "report.signed", studyId, {
        version: latest.version,
        textSha256,
        aiAssisted: aiVersion !== null,
        model: aiVersion ? (job?.model ?? null) : null,
        untouchedAiSentences: latest.aiSpans.length,
        untouchedAiAttested: untouchedAi > 0,
        account: account.username,
        scope: {
          outcome: scope.outcome,
          headline: scope.headline,
          override: scope.override,
          confirmed: aiVersion !== null && scope.signNeedsConfirmation,
        },
      });
      this.queueForPacs(studyId, signer);
    });
    this.options.publisher?.flush();
    crashPoint("sign:signed");
    const retrieval = this.addToRetrievalIndex(studyId, latest.sections, signer);
    this.options.events.publish({ type: "studies-changed", studyIds: [studyId] });
    return { state: this.state(studyId), retrieval };
  }

  /**
   * Inside the signing or addendum transaction: queues the report's SR for the study's PACS. A report that cannot
   * be queued is still signed (a savepoint undoes only the queueing); the audit log and a notice say why.
   */
  private queueForPacs(studyId: string, actor: string): void {
    const publisher = this.options.publisher ?? null;
    if (!publisher) return;
    try {
      const queued = this.records.transaction(() => publisher.queue(this.document(studyId)));
      if (queued) this.records.audit(actor, "pacs.queued", studyId, queued);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      this.records.audit(actor, "pacs.not-queued", studyId, { message });
      this.options.events.publish({
        type: "notice",
        level: "error",
        message: `The signed report of study ${studyId} is not queued for the PACS: ${message}`,
      });
    }
  }

  /**
   * Recovery at start: finishes what a crash (or an older version) left undone after signing — a signed case with
   * a study embedding that is missing from the retrieval index, or is there without its thumbnail, is written
   * (again) with the drafting run's thumbnail; when the run kept none, the engine makes one once it is loaded.
   * Each completion is audited. Returns the study ids completed; never throws (a case it cannot complete is logged).
   */
  async completeSignedCases(): Promise<string[]> {
    const sink = this.options.retrieval ?? null;
    if (!sink) return [];
    const completed: string[] = [];
    let signedIds: string[];
    try {
      signedIds = this.records.signedStudyIds();
    } catch (err) {
      console.warn(`reports: signed cases not checked at start: ${err instanceof Error ? err.message : String(err)}`);
      return [];
    }
    for (const studyId of signedIds) {
      try {
        const missing = !sink.hasCase(studyId);
        if (!missing && sink.hasThumbnail(studyId)) continue;
        const job = this.records.job(studyId);
        const signed = this.records.signed(studyId);
        // An index of another model (or none yet: the pack still loading) cannot take the case; the pass after the
        // pack has loaded and seeded the index can.
        if (!job?.embedding || !signed || job.embedding.modelId !== sink.modelId) continue;
        let thumbnail = job.thumbnail;
        if (!thumbnail && this.engine?.studyThumbnail) {
          thumbnail = await this.engine.studyThumbnail(studyId);
          if (thumbnail) this.records.setJobThumbnail(studyId, thumbnail);
        }
        if (!missing && !thumbnail) continue;
        sink.addCase(signedCaseEntry(studyId, signed.sections, job.embedding, thumbnail, this.options.labelReport));
        this.records.audit("system", missing ? "retrieval.case-added" : "retrieval.thumbnail-added", studyId, {
          message: missing
            ? `added to the retrieval index at start (model ${shortModelId(job.embedding.modelId)}): the application had stopped while signing`
            : "the signed case's thumbnail was added to the retrieval index at start",
        });
        completed.push(studyId);
      } catch (err) {
        console.warn(
          `reports: the signed case ${studyId} could not be completed in the retrieval index: ${err instanceof Error ? err.message : String(err)}`,
        );
      }
    }
    return completed;
  }

  private addToRetrievalIndex(
    studyId: string,
    sections: ReportSections,
    actor: string,
  ): { indexed: boolean; message: string } {
    const sink = this.options.retrieval ?? null;
    const job = this.records.job(studyId);
    const embedding = job?.embedding ?? null;
    let outcome: { indexed: boolean; message: string };
    if (!embedding) {
      outcome = {
        indexed: false,
        message: this.engine
          ? "not added to the retrieval index: the drafting run kept no study embedding (regenerate the draft to compute one)"
          : "not added to the retrieval index: no model pack loaded, so there is no study embedding",
      };
    } else if (!sink) {
      outcome = { indexed: false, message: "not added to the retrieval index: no retrieval index is open" };
    } else {
      try {
        // One write: the case with the thumbnail its drafting run made.
        sink.addCase(signedCaseEntry(studyId, sections, embedding, job?.thumbnail ?? null, this.options.labelReport));
        crashPoint("sign:indexed");
        outcome = { indexed: true, message: `added to the retrieval index (model ${shortModelId(embedding.modelId)})` };
      } catch (err) {
        outcome = {
          indexed: false,
          message: `not added to the retrieval index: ${err instanceof Error ? err.message : String(err)}`,
        };
      }
    }
    this.records.audit(actor, outcome.indexed ? "retrieval.case-added" : "retrieval.case-not-added", studyId, {
      message: outcome.message,
    });
    return outcome;
  }

  /**
   * Signing needs the signed-in account's password or PIN, checked here: the account it verifies is the signer (the
   * name in every export, the PN in the SR, FHIR's resultsInterpreter, the audit log). No account: refused.
   */
  private requireVerified(verified: Account | null, purpose: string): Account {
    const current = this.confirmedSigner(purpose);
    if (!verified || verified.id !== current.id)
      throw new ReportConflictError(`${purpose} needs your password or PIN: enter it to confirm that you sign`);
    return verified;
  }

  async signWithCredential(
    studyId: string,
    input: Parameters<ReportsService["sign"]>[1] & { credential: Credential },
  ): Promise<SignResult> {
    const account = await this.requireAccounts().verify(input.credential, "signing");
    return this.sign(studyId, input, account);
  }

  async addAddendumWithCredential(studyId: string, text: string, credential: Credential): Promise<ReportState> {
    const account = await this.requireAccounts("adding an addendum").verify(credential, "adding an addendum");
    return this.addAddendum(studyId, text, account);
  }

  private requireAccounts(purpose = "signing"): AccountsService {
    const accounts = this.options.accounts;
    if (accounts.session().firstRun)
      throw new ReportConflictError(`no account: create the first radiologist account before ${purpose}`);
    return accounts;
  }

  addAddendum(studyId: string, text: string, verified: Account | null = null): ReportState {
    this.requireStudy(studyId);
    const signed = this.records.signed(studyId);
    if (!signed)
      throw new ReportConflictError(`the report of study ${studyId} is not signed yet: edit the draft instead`);
    const trimmed = text.trim();
    if (!trimmed) throw new ReportConflictError("an addendum needs text");
    const account = this.requireVerified(verified, "adding an addendum");
    const author = account.displayName;
    this.records.transaction(() => {
      this.records.insertAddendum(signed.id, trimmed, author);
      this.records.audit(author, "report.addendum", studyId, {
        textSha256: sha256Hex(trimmed),
        account: account.username,
      });
      this.queueForPacs(studyId, author);
    });
    this.options.publisher?.flush();
    this.options.events.publish({ type: "studies-changed", studyIds: [studyId] });
    return this.state(studyId);
  }

  audit(studyId: string): AuditEntry[] {
    this.requireStudy(studyId);
    return this.records.auditEntries(studyId);
  }

  /** The signed report (with its addenda) as everything an export needs. */
  document(studyId: string): ReportDocument {
    const study = this.requireStudy(studyId);
    const signed = this.records.signed(studyId);
    if (!signed)
      throw new ReportConflictError(`the report of study ${studyId} is not signed: sign it before exporting`);
    const aiVersion = this.records.latestAiVersion(studyId);
    return {
      study: {
        id: study.id,
        studyInstanceUid: study.studyInstanceUid,
        patientId: study.patientId,
        patientName: study.patientName,
        studyDate: study.studyDate,
        description: study.description,
        institutionName: study.institutionName,
        accessionNumber: study.accessionNumber,
        referringPhysician: study.referringPhysician,
      },
      images: this.records.images(studyId),
      sections: signed.sections,
      signedReportId: signed.id,
      signedBy: signed.signedBy,
      signedByAccount: signed.signedByAccount,
      signedAt: signed.signedAt,
      textSha256: signed.textSha256,
      addenda: this.records.addenda(signed.id),
      aiModel: aiVersion ? (this.records.job(studyId)?.model ?? null) : null,
      aiAssisted: aiVersion !== null,
      scope: this.scope.assess(studyId),
      application: this.options.application,
      critical: this.records.criticalCommunication(signed.id),
      measurements: this.options.measurements?.ofSignedReport(signed.id) ?? [],
    };
  }

  async export(studyId: string, format: ExportFormat, options: { paper?: PaperSize } = {}): Promise<ExportResult> {
    const doc = this.document(studyId);
    const file = await exportReport(doc, format, options);
    this.records.audit(this.actor(), "report.exported", studyId, {
      format,
      fileName: file.fileName,
      sha256: sha256Hex(file.bytes),
    });
    return toExportResult(file);
  }

  /** Stops running jobs (the application is closing). */
  close(): void {
    for (const studyId of [...this.running.keys()]) {
      this.cancelRunning(studyId, `${INTERRUPTED}: the application closed while drafting`);
    }
  }
}

/**
 * The retrieval index entry of a signed report: the text in the style of the gallery (the findings, the impression
 * when there are none), labels of the whole text, the drafting run's embedding and thumbnail.
 */
function signedCaseEntry(
  studyId: string,
  sections: ReportSections,
  embedding: { modelId: string; vector: Float32Array },
  thumbnail: Uint8Array | null,
  labelReport: ((text: string) => LabelVector) | undefined,
): Parameters<SignedCaseSink["addCase"]>[0] {
  const report = sections.findings.trim() || sections.impression.trim();
  const fullText = [sections.findings, sections.impression].filter((t) => t.trim()).join(" ");
  return {
    studyId,
    report,
    labels: labelReport ? labelReport(fullText) : blankLabels(),
    source: "signed",
    modelId: embedding.modelId,
    vector: embedding.vector,
    thumbnail,
  };
}

/** A model id for messages: a sha256 id by its first 12 hex digits (the full id is in the index and audit log). */
function shortModelId(modelId: string): string {
  return /^sha256:[0-9a-f]{64}$/.test(modelId) ? `${modelId.slice(0, 19)}…` : modelId;
}
