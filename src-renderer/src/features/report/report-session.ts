/**
 * The editing session of one study's report, shared by the report pane and the similar-cases pane: the server's
 * report state, the local section texts, per-section undo/redo, debounced autosave (flushed on blur and unload),
 * a local backup of unsaved text, and the drafting job's live progress. Plain TypeScript with a subscribe/snapshot
 * interface for React's useSyncExternalStore.
 */

import { useEffect, useState, useSyncExternalStore } from "react";
import type { Credential } from "../../../../src-shared/account-types";
import type { ContractClient } from "../../../../src-shared/contract-client";
import { appendSentence, mergeSections, sectionsEqual } from "../../../../src-shared/report-text";
import {
  type CriticalCommunicationInput,
  draftConflictOf,
  EMPTY_SECTIONS,
  type ReportSections,
  type ReportState,
  SECTION_KEYS,
  type SectionKey,
  type SignResult,
} from "../../../../src-shared/report-types";
import { applyMacro, insertAt, type ReportCursor } from "../../../../src-shared/templates";

/** Autosave delay after the last keystroke. */
export const AUTOSAVE_DELAY_MS = 800;
/** Keystrokes closer together than this form one undo step. */
const UNDO_COALESCE_MS = 1000;
const UNDO_DEPTH = 200;
const BACKUP_PREFIX = "radiology-draft.unsaved.";

export type SaveStatus = "idle" | "pending" | "saving" | "saved" | "error" | "conflict";

/** The draft changed elsewhere (another tab or window) while this one had unsaved text (issue 18.6). */
export interface DraftConflictNotice {
  version: number;
  revision: number;
  author: string;
  updatedAt: string;
  /** The newer text, offered by "Load newer". */
  state: ReportState;
}

export interface JobProgress {
  done: number;
  total: number;
  stage: string | null;
}

export interface ReportSnapshot {
  studyId: string;
  loading: boolean;
  error: string | null;
  server: ReportState | null;
  sections: ReportSections;
  /** The draft version the local text is based on. */
  baseVersion: number | null;
  /** That version's revision as last read or written here; autosave sends it and a stale one is refused. */
  baseRevision: number | null;
  /** Set when the draft changed elsewhere and this editor holds unsaved text: autosave waits for the user's choice. */
  conflict: DraftConflictNotice | null;
  save: { status: SaveStatus; error: string | null; savedAt: string | null };
  progress: JobProgress | null;
  canUndo: Record<SectionKey, boolean>;
  canRedo: Record<SectionKey, boolean>;
  lastFocused: SectionKey;
}

interface History {
  past: string[];
  future: string[];
  lastPush: number;
}

const emptyHistory = (): Record<SectionKey, History> => ({
  indication: { past: [], future: [], lastPush: 0 },
  comparison: { past: [], future: [], lastPush: 0 },
  findings: { past: [], future: [], lastPush: 0 },
  impression: { past: [], future: [], lastPush: 0 },
});

const errorText = (err: unknown) => (err instanceof Error ? err.message : String(err));

interface Backup {
  baseVersion: number | null;
  sections: ReportSections;
}

function readBackup(studyId: string): Backup | null {
  try {
    const raw = localStorage.getItem(BACKUP_PREFIX + studyId);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as Backup;
    if (!parsed || typeof parsed !== "object" || !parsed.sections) return null;
    for (const k of SECTION_KEYS) if (typeof parsed.sections[k] !== "string") return null;
    return parsed;
  } catch {
    return null;
  }
}

function writeBackup(studyId: string, backup: Backup | null): void {
  try {
    if (backup) localStorage.setItem(BACKUP_PREFIX + studyId, JSON.stringify(backup));
    else localStorage.removeItem(BACKUP_PREFIX + studyId);
  } catch {
    // Storage full or disabled: the server autosave still runs.
  }
}

export class ReportSession {
  private snapshot: ReportSnapshot;
  private readonly listeners = new Set<() => void>();
  private history = emptyHistory();
  /** Sections as of baseVersion (for three-way merges when the server moves on). */
  private baseSections: ReportSections = EMPTY_SECTIONS;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private inFlight: Promise<void> | null = null;
  private pendingOrigin: "user" | "insert" = "user";
  private pendingAsNewVersion = false;
  private unsubscribeEvents: (() => void) | null = null;
  private disposed = false;
  private readonly onPageHide = () => {
    void this.flush();
  };

  constructor(
    private readonly client: ContractClient,
    readonly studyId: string,
  ) {
    const noHistory = { indication: false, comparison: false, findings: false, impression: false };
    this.snapshot = {
      studyId,
      loading: true,
      error: null,
      server: null,
      sections: EMPTY_SECTIONS,
      baseVersion: null,
      baseRevision: null,
      conflict: null,
      save: { status: "idle", error: null, savedAt: null },
      progress: null,
      canUndo: { ...noHistory },
      canRedo: { ...noHistory },
      lastFocused: "findings",
    };
    this.unsubscribeEvents = client.events.onEvent({
      onData: (e) => {
        if (e.type === "job-progress" && e.studyId === studyId) {
          this.set({ progress: e.done >= e.total ? null : { done: e.done, total: e.total, stage: e.message ?? null } });
        } else if (e.type === "studies-changed" && e.studyIds.includes(studyId)) {
          void this.refresh();
        } else if (e.type === "draft-changed" && e.studyId === studyId && !this.inFlight) {
          // Another tab or window wrote the draft (this one's own saves reconcile from their answer).
          const s = this.snapshot;
          if (e.version !== s.baseVersion || e.revision !== s.baseRevision) void this.refresh();
        }
      },
    });
    window.addEventListener("pagehide", this.onPageHide);
    window.addEventListener("beforeunload", this.onPageHide);
    void this.load();
  }

  getSnapshot = (): ReportSnapshot => this.snapshot;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  private set(patch: Partial<ReportSnapshot>): void {
    if (this.disposed) return;
    this.snapshot = { ...this.snapshot, ...patch };
    for (const l of this.listeners) l();
  }

  private historyFlags(): Pick<ReportSnapshot, "canUndo" | "canRedo"> {
    const canUndo = {} as Record<SectionKey, boolean>;
    const canRedo = {} as Record<SectionKey, boolean>;
    for (const k of SECTION_KEYS) {
      canUndo[k] = this.history[k].past.length > 0;
      canRedo[k] = this.history[k].future.length > 0;
    }
    return { canUndo, canRedo };
  }

  private async load(): Promise<void> {
    try {
      const server = await this.client.reports.open({ studyId: this.studyId });
      const sections = server.draft?.sections ?? EMPTY_SECTIONS;
      this.baseSections = sections;
      this.set({
        loading: false,
        error: null,
        server,
        sections,
        baseVersion: server.draft?.version ?? null,
        baseRevision: server.draft?.revision ?? null,
      });
      // Text typed before a crash or a closed window that never reached the server.
      const backup = readBackup(this.studyId);
      if (backup && !server.signed && backup.baseVersion === (server.draft?.version ?? null)) {
        if (!sectionsEqual(backup.sections, sections)) {
          this.set({ sections: backup.sections, save: { status: "pending", error: null, savedAt: null } });
          await this.flush();
        } else writeBackup(this.studyId, null);
      }
    } catch (err) {
      this.set({ loading: false, error: errorText(err) });
    }
  }

  /** Fetches the server state again (the draft arrived, the job changed) and reconciles the local text. */
  async refresh(): Promise<void> {
    if (this.disposed) return;
    await this.adoptFrom(() => this.client.reports.state({ studyId: this.studyId }));
  }

  /** Adopts the state `call` returns; a failure becomes the snapshot's error (nothing is thrown). */
  private async adoptFrom(call: () => Promise<ReportState>): Promise<void> {
    try {
      this.adopt(await call());
    } catch (err) {
      this.set({ error: errorText(err) });
    }
  }

  /** Takes a server state: newer draft versions replace the sections the user has not changed locally. */
  private adopt(server: ReportState): void {
    const serverVersion = server.draft?.version ?? null;
    const base = this.snapshot.baseVersion;
    if (
      server.draft &&
      serverVersion === base &&
      this.snapshot.baseRevision !== null &&
      server.draft.revision > this.snapshot.baseRevision
    ) {
      // The same version was rewritten elsewhere (another tab typing): take it when nothing here is unsaved,
      // otherwise ask (never overwrite either side silently).
      if (sectionsEqual(this.snapshot.sections, this.baseSections)) {
        this.baseSections = server.draft.sections;
        this.set({ server, sections: server.draft.sections, baseRevision: server.draft.revision });
      } else {
        this.noticeConflict(server);
      }
      return;
    }
    if (serverVersion !== null && (base === null || serverVersion > base)) {
      const theirs = server.draft!.sections;
      const merged = mergeSections(this.baseSections, this.snapshot.sections, theirs);
      for (const k of SECTION_KEYS) {
        if (merged[k] !== this.snapshot.sections[k]) this.pushHistory(k, this.snapshot.sections[k], true);
      }
      this.baseSections = theirs;
      const dirty = !sectionsEqual(merged, theirs);
      this.set({
        server,
        sections: merged,
        baseVersion: serverVersion,
        baseRevision: server.draft!.revision,
        ...this.historyFlags(),
      });
      if (dirty) this.schedule();
    } else {
      this.set({ server });
    }
  }

  private noticeConflict(state: ReportState): void {
    const d = state.draft;
    if (!d) return;
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    this.set({
      conflict: { version: d.version, revision: d.revision, author: d.author, updatedAt: d.updatedAt, state },
      save: { ...this.snapshot.save, status: "conflict", error: null },
    });
  }

  /** "Load newer": the text written elsewhere replaces this editor's (its own stays in undo, Ctrl+Z). */
  loadNewer(): void {
    const c = this.snapshot.conflict;
    if (!c?.state.draft) return;
    const theirs = c.state.draft.sections;
    for (const k of SECTION_KEYS) {
      if (theirs[k] !== this.snapshot.sections[k]) this.pushHistory(k, this.snapshot.sections[k], true);
    }
    this.baseSections = theirs;
    this.set({
      server: c.state,
      sections: theirs,
      baseVersion: c.version,
      baseRevision: c.revision,
      conflict: null,
      save: { status: "saved", error: null, savedAt: this.snapshot.save.savedAt },
      ...this.historyFlags(),
    });
    writeBackup(this.studyId, null);
  }

  /** "Keep mine as new revision": this editor's text is saved as a new version after the newer one (kept in history). */
  async keepMine(): Promise<void> {
    const c = this.snapshot.conflict;
    if (!c?.state.draft) return;
    this.baseSections = c.state.draft.sections;
    this.pendingAsNewVersion = true;
    this.set({ server: c.state, baseVersion: c.version, baseRevision: c.revision, conflict: null });
    await this.flush();
  }

  private pushHistory(section: SectionKey, previous: string, force: boolean): void {
    const h = this.history[section];
    const now = Date.now();
    if (force || now - h.lastPush > UNDO_COALESCE_MS || h.past.length === 0) {
      h.past.push(previous);
      if (h.past.length > UNDO_DEPTH) h.past.shift();
    }
    h.lastPush = force ? 0 : now;
    h.future = [];
  }

  /** The user typed in a section. */
  edit(section: SectionKey, value: string): void {
    if (this.readOnly() || value === this.snapshot.sections[section]) return;
    this.pushHistory(section, this.snapshot.sections[section], false);
    this.setSections({ ...this.snapshot.sections, [section]: value }, "user", section);
  }

  /** `section` is the one edited: Ctrl+Z outside a text field undoes there. */
  private setSections(sections: ReportSections, origin: "user" | "insert", section: SectionKey): void {
    if (origin === "insert") this.pendingOrigin = "insert";
    this.set({ sections, lastFocused: section, ...this.historyFlags() });
    writeBackup(this.studyId, { baseVersion: this.snapshot.baseVersion, sections });
    this.schedule();
  }

  /** Inserts a sentence (from a similar case) at the end of a section, saved at once as origin 'insert'. */
  async insertSentence(sentence: string, section: SectionKey = "findings"): Promise<void> {
    if (this.readOnly()) return;
    await this.flush();
    const previous = this.snapshot.sections[section];
    const next = appendSentence(previous, sentence);
    if (next === previous) return;
    this.pushHistory(section, previous, true);
    this.setSections({ ...this.snapshot.sections, [section]: next }, "insert", section);
    await this.flush();
  }

  /**
   * Inserts a macro or template (src-shared/templates.ts) at the cursor, its section parts into their sections; one
   * undo step per changed section, saved at once as origin 'insert'. Returns where the cursor goes (its first slot),
   * or null when the report cannot be edited.
   */
  insertMacro(text: string, cursor: ReportCursor): ReportCursor | null {
    if (this.readOnly()) return null;
    const applied = applyMacro(this.snapshot.sections, text, cursor);
    for (const k of applied.changed) this.pushHistory(k, this.snapshot.sections[k], true);
    this.setSections(applied.sections, "insert", applied.cursor.section);
    void this.flush();
    return applied.cursor;
  }

  /**
   * Inserts plain text (a measurement's sentence) at the cursor, replacing the selection; one undo step, saved at once
   * as origin 'insert'. Returns the cursor after the text, or null when the report cannot be edited.
   */
  insertText(text: string, cursor: ReportCursor): ReportCursor | null {
    if (this.readOnly()) return null;
    const previous = this.snapshot.sections[cursor.section];
    const r = insertAt(previous, cursor.start, cursor.end, text);
    this.pushHistory(cursor.section, previous, true);
    this.setSections({ ...this.snapshot.sections, [cursor.section]: r.text }, "insert", cursor.section);
    void this.flush();
    return { section: cursor.section, start: r.end, end: r.end };
  }

  undo(section: SectionKey = this.snapshot.lastFocused): void {
    this.stepHistory(section, "past", "future");
  }

  redo(section: SectionKey = this.snapshot.lastFocused): void {
    this.stepHistory(section, "future", "past");
  }

  /** One undo (`past` → `future`) or redo (the reverse) step of a section's history; none while read-only. */
  private stepHistory(section: SectionKey, from: "past" | "future", to: "past" | "future"): void {
    if (this.readOnly()) return;
    const h = this.history[section];
    const text = h[from].pop();
    if (text === undefined) return;
    h[to].push(this.snapshot.sections[section]);
    h.lastPush = 0;
    this.setSections({ ...this.snapshot.sections, [section]: text }, "user", section);
  }

  focused(section: SectionKey): void {
    if (section !== this.snapshot.lastFocused) this.set({ lastFocused: section });
  }

  readOnly(): boolean {
    return this.snapshot.loading || this.snapshot.server?.signed != null;
  }

  private schedule(): void {
    if (this.timer) clearTimeout(this.timer);
    this.set({ save: { ...this.snapshot.save, status: "pending" } });
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, AUTOSAVE_DELAY_MS);
  }

  /** Saves now whatever is pending (blur, unload, before signing or inserting). */
  async flush(): Promise<void> {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = null;
    }
    while (this.inFlight) await this.inFlight;
    const s = this.snapshot;
    // While a draft conflict waits for the user's choice nothing is written (the local text stays in the backup).
    if (s.server?.signed || s.loading || s.conflict) return;
    const server = s.server?.draft?.sections ?? EMPTY_SECTIONS;
    if (
      sectionsEqual(s.sections, server) &&
      s.baseVersion === (s.server?.draft?.version ?? null) &&
      s.baseRevision === (s.server?.draft?.revision ?? null)
    ) {
      if (s.save.status === "pending") this.set({ save: { ...s.save, status: "saved" } });
      writeBackup(this.studyId, null);
      return;
    }
    const sent = s.sections;
    const origin = this.pendingOrigin;
    this.pendingOrigin = "user";
    const asNewVersion = this.pendingAsNewVersion;
    this.pendingAsNewVersion = false;
    this.set({ save: { ...s.save, status: "saving", error: null } });
    this.inFlight = (async () => {
      try {
        const result = await this.client.reports.save({
          studyId: this.studyId,
          sections: sent,
          baseVersion: s.baseVersion,
          baseRevision: s.baseRevision,
          ...(asNewVersion ? { asNewVersion } : {}),
          origin,
        });
        const { saved: _saved, ...state } = result;
        const savedSections = state.draft?.sections ?? EMPTY_SECTIONS;
        // Text typed while the request was in flight stays; the rest takes what the server stored (merged).
        const local = mergeSections(sent, this.snapshot.sections, savedSections);
        this.baseSections = savedSections;
        this.set({
          server: state,
          sections: local,
          baseVersion: state.draft?.version ?? null,
          baseRevision: state.draft?.revision ?? null,
          save: {
            status: sectionsEqual(local, savedSections) ? "saved" : "pending",
            error: null,
            savedAt: new Date().toISOString(),
          },
        });
        if (sectionsEqual(local, savedSections)) writeBackup(this.studyId, null);
        else this.schedule();
      } catch (err) {
        if (draftConflictOf(err)) {
          // Refused as stale: the draft changed elsewhere. Fetch the newer text and ask.
          try {
            this.noticeConflict(await this.client.reports.state({ studyId: this.studyId }));
            return;
          } catch {
            // Fall through to the plain error.
          }
        }
        this.set({ save: { status: "error", error: errorText(err), savedAt: this.snapshot.save.savedAt } });
      }
    })();
    try {
      await this.inFlight;
    } finally {
      this.inFlight = null;
    }
  }

  async regenerate(replaceUserEdits: boolean): Promise<void> {
    await this.flush();
    await this.adoptFrom(() => this.client.reports.regenerate({ studyId: this.studyId, replaceUserEdits }));
  }

  /** Drafts the Impression again from the Findings as edited (the caller asks before replacing the user's text). */
  async suggestImpression(replaceUserText: boolean): Promise<void> {
    await this.flush();
    await this.adoptFrom(() => this.client.reports.suggestImpression({ studyId: this.studyId, replaceUserText }));
  }

  async cancel(): Promise<void> {
    try {
      this.adopt(await this.client.reports.cancel({ studyId: this.studyId }));
      this.set({ progress: null });
    } catch (err) {
      this.set({ error: errorText(err) });
    }
  }

  async restore(version: number): Promise<void> {
    await this.flush();
    await this.adoptFrom(() => this.client.reports.restore({ studyId: this.studyId, version }));
  }

  /**
   * Signs the version on screen (after saving it). `confirmScope`: the user confirmed that an AI-assisted report of an
   * uncertain or overridden study (scope gate) applies to it. `attestUntouchedAi`: the user attests that they reviewed
   * the AI sentences left unchanged.
   */
  async sign(
    confirmScope = false,
    attestUntouchedAi = false,
    criticalCommunication?: CriticalCommunicationInput,
    credential?: Credential,
  ): Promise<SignResult> {
    await this.flush();
    const version = this.snapshot.baseVersion;
    if (version === null) throw new Error("there is no saved draft to sign yet");
    const result = await this.client.reports.sign({
      studyId: this.studyId,
      version,
      ...(confirmScope ? { confirmScope } : {}),
      ...(attestUntouchedAi ? { attestUntouchedAi } : {}),
      ...(criticalCommunication ? { criticalCommunication } : {}),
      ...(credential ? { credential } : {}),
    });
    this.set({ server: result.state });
    writeBackup(this.studyId, null);
    return result;
  }

  /** Overrides the scope gate's "not eligible": the AI drafts the study (audited, printed in every export). */
  async overrideScope(reason: string): Promise<void> {
    await this.flush();
    await this.adoptFrom(() => this.client.reports.overrideScope({ studyId: this.studyId, reason }));
  }

  async addAddendum(text: string, credential?: Credential): Promise<void> {
    this.set({
      server: await this.client.reports.addAddendum({
        studyId: this.studyId,
        text,
        ...(credential ? { credential } : {}),
      }),
    });
  }

  dismissError(): void {
    this.set({ error: null });
  }

  dispose(): void {
    void this.flush().finally(() => {
      this.disposed = true;
      this.listeners.clear();
    });
    this.unsubscribeEvents?.();
    window.removeEventListener("pagehide", this.onPageHide);
    window.removeEventListener("beforeunload", this.onPageHide);
  }
}

/** Sessions by study, shared by every pane that shows the same study; released when no pane holds them. */
const sessions = new Map<string, { session: ReportSession; holders: number; client: ContractClient }>();

/** Saves what every open report holds now (before the session locks or the radiologist signs out). */
export async function flushAllReportSessions(): Promise<void> {
  await Promise.all([...sessions.values()].map((e) => e.session.flush()));
}

function acquire(client: ContractClient, studyId: string): ReportSession {
  const entry = sessions.get(studyId);
  if (entry && entry.client === client) {
    entry.holders++;
    return entry.session;
  }
  const session = new ReportSession(client, studyId);
  sessions.set(studyId, { session, holders: 1, client });
  return session;
}

function release(studyId: string, session: ReportSession): void {
  const entry = sessions.get(studyId);
  if (!entry || entry.session !== session) return;
  entry.holders--;
  // Deferred: React may unmount and mount again at once (StrictMode, re-render of a parent).
  setTimeout(() => {
    const now = sessions.get(studyId);
    if (now && now.session === session && now.holders <= 0) {
      sessions.delete(studyId);
      session.dispose();
    }
  }, 0);
}

const NO_SNAPSHOT = (): null => null;
const NO_SUBSCRIBE = () => () => {};

/** The session of the open study (null when none) and its current snapshot. */
export function useReportSession(
  client: ContractClient,
  studyId: string | null,
): { session: ReportSession | null; snapshot: ReportSnapshot | null } {
  const [session, setSession] = useState<ReportSession | null>(null);
  useEffect(() => {
    if (!studyId) {
      setSession(null);
      return;
    }
    const s = acquire(client, studyId);
    setSession(s);
    return () => release(studyId, s);
  }, [client, studyId]);
  const live = session && session.studyId === studyId ? session : null;
  const snapshot = useSyncExternalStore(
    live ? live.subscribe : NO_SUBSCRIBE,
    live ? live.getSnapshot : NO_SNAPSHOT,
    live ? live.getSnapshot : NO_SNAPSHOT,
  );
  return { session: live, snapshot };
}
