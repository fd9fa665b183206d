/**
 * The durable STOW-RS outbox (`pacs_outbox`): a signed report's DICOM SR is enqueued in the same SQLite file as the
 * report, then sent with back-off until the PACS has it. Exactly once: an entry keeps its bytes and SOP Instance UID
 * for ever (a trigger refuses changes), so every retry stores the same instance; before any retry the sender asks
 * the PACS by QIDO-RS whether the instance is already there (the previous try may have reached it before a crash or
 * a dropped connection), and a 409 / duplicate-SOP failure (0x0111) counts as stored.
 *
 * States: pending (waiting for its next try; last_error says why the last one failed), sending (a try is in flight;
 * found at start-up it means the process died mid-store, and the entry goes back to pending), stored, failed (the
 * PACS refused it for a reason a retry cannot fix: the user acts, then `retry`). Nothing is ever deleted unless stored.
 */
import crypto from "node:crypto";
import type { OutboxEntry } from "../../../src-shared/pacs-types";
import type { CaseDatabase } from "../../db/database";
import type { EventBus } from "../events/event-bus";
import { loadCommonJs } from "../imaging/commonjs-packages";
import type { PacsConnections } from "./connections";
import { DicomWebClient } from "./dicomweb-client";
import { isTransient, PacsError } from "./errors";

export interface OutboxOptions {
  /** First retry delay; doubles each attempt (default 2 s). */
  baseDelayMs?: number;
  /** Longest delay between tries (default 5 min). */
  maxDelayMs?: number;
  /** Called on every state change (tests, CLI progress). */
  onChange?: (entry: OutboxEntry) => void;
}

interface Row {
  id: number;
  connection_id: string;
  sop_instance_uid: string;
  study_instance_uid: string;
  study_id: string | null;
  kind: OutboxEntry["kind"];
  byte_length: number;
  state: OutboxEntry["state"];
  attempts: number;
  last_error: string | null;
  next_attempt_at: string | null;
  created_at: string;
  stored_at: string | null;
}

const SELECT = `SELECT id, connection_id, sop_instance_uid, study_instance_uid, study_id, kind, length(bytes) AS byte_length,
  state, attempts, last_error, next_attempt_at, created_at, stored_at FROM pacs_outbox`;
const NOW = "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
/** DICOM failure reason "Duplicate SOP Instance" (PS3.4 / PS3.7: 0x0111). */
const DUPLICATE_SOP = 0x0111;

function toEntry(r: Row): OutboxEntry {
  return {
    id: r.id,
    connectionId: r.connection_id,
    sopInstanceUid: r.sop_instance_uid,
    studyInstanceUid: r.study_instance_uid,
    studyId: r.study_id,
    kind: r.kind,
    byteLength: r.byte_length,
    state: r.state,
    attempts: r.attempts,
    lastError: r.last_error,
    nextAttemptAt: r.next_attempt_at,
    createdAt: r.created_at,
    storedAt: r.stored_at,
  };
}

interface DcmjsData {
  DicomMessage: {
    readFile(
      buffer: ArrayBuffer,
      options?: Record<string, unknown>,
    ): {
      dict: Record<string, { Value?: unknown[] }>;
      meta: Record<string, { Value?: unknown[] }>;
    };
  };
}

/** SOP Instance UID and Study Instance UID of a Part 10 file (read with dcmjs, as the SR writer writes it). */
export function instanceUids(bytes: Uint8Array): { sopInstanceUid: string; studyInstanceUid: string } {
  const { data } = loadCommonJs<{ data: DcmjsData }>("dcmjs");
  let parsed: ReturnType<DcmjsData["DicomMessage"]["readFile"]>;
  try {
    const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    parsed = data.DicomMessage.readFile(ab, { untilTag: "7FE00010", includeUntilTagValue: false });
  } catch (error) {
    throw new PacsError(
      "INVALID_INPUT",
      `the report to store is not a DICOM Part 10 file (${(error as Error).message})`,
    );
  }
  const sop = parsed.dict["00080018"]?.Value?.[0];
  const study = parsed.dict["0020000D"]?.Value?.[0];
  if (typeof sop !== "string" || typeof study !== "string")
    throw new PacsError("INVALID_INPUT", "the report to store has no SOP Instance UID or Study Instance UID");
  return { sopInstanceUid: sop, studyInstanceUid: study };
}

export interface OutboxInput {
  bytes: Uint8Array;
  sopInstanceUid: string;
  connectionId: string;
  studyId?: string | null;
  /** sr (default): a report's DICOM SR; pdf: its Encapsulated PDF. */
  kind?: OutboxEntry["kind"];
}

export class PacsOutbox {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private again = false;
  private closed = false;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(
    private readonly db: CaseDatabase,
    private readonly connections: PacsConnections,
    private readonly events: EventBus | null,
    private readonly options: OutboxOptions = {},
  ) {
    this.baseDelayMs = options.baseDelayMs ?? 2_000;
    this.maxDelayMs = options.maxDelayMs ?? 300_000;
    // A try that was in flight when the process died: its outcome is unknown, the next try asks the PACS first.
    this.db
      .prepare(
        `UPDATE pacs_outbox SET state = 'pending', next_attempt_at = ${NOW}, updated_at = ${NOW},
           last_error = COALESCE(last_error, 'interrupted while storing (the application stopped)') WHERE state = 'sending'`,
      )
      .run();
  }

  /**
   * Queues a DICOM SR (or any Part 10 instance) for STOW-RS to a connection. The bytes must carry the given SOP
   * Instance UID. Idempotent: the same bytes for the same SOP Instance UID and connection return the existing entry;
   * other bytes under a UID already queued are refused (a new report is a new instance with a new UID).
   * This is what signing calls (docs/pacs.md, "Signing → outbox").
   */
  enqueue(input: OutboxInput): OutboxEntry {
    const entry = this.add(input);
    this.changed(entry);
    this.kick();
    return entry;
  }

  /**
   * The insert of `enqueue` alone, for a caller's open transaction (signing queues the SR in the transaction that
   * signs, so the entry is as durable as the signature): no event and no send pass; call `kick` after the commit.
   */
  add(input: OutboxInput): OutboxEntry {
    this.connections.get(input.connectionId); // NotFoundError for an unknown connection
    const uids = instanceUids(input.bytes);
    if (uids.sopInstanceUid !== input.sopInstanceUid)
      throw new PacsError(
        "INVALID_INPUT",
        `the bytes carry SOP Instance UID ${uids.sopInstanceUid}, not ${input.sopInstanceUid}`,
      );
    const sha = crypto.createHash("sha256").update(input.bytes).digest("hex");
    return this.db.transaction(() => {
      const existing = this.db
        .prepare("SELECT id, sha256 FROM pacs_outbox WHERE connection_id = ? AND sop_instance_uid = ?")
        .get(input.connectionId, input.sopInstanceUid) as { id: number; sha256: string } | undefined;
      if (existing) {
        if (existing.sha256 !== sha)
          throw new PacsError(
            "CONFLICT",
            `SOP Instance ${input.sopInstanceUid} is already queued with other content: a changed report needs a new SOP Instance UID`,
          );
        return this.get(existing.id);
      }
      const { lastInsertRowid } = this.db
        .prepare(
          `INSERT INTO pacs_outbox (connection_id, sop_instance_uid, study_instance_uid, study_id, kind, bytes, sha256, next_attempt_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, ${NOW})`,
        )
        .run(
          input.connectionId,
          input.sopInstanceUid,
          uids.studyInstanceUid,
          input.studyId ?? null,
          input.kind ?? "sr",
          Buffer.from(input.bytes.buffer, input.bytes.byteOffset, input.bytes.byteLength),
          sha,
        );
      return this.get(Number(lastInsertRowid));
    })();
  }

  get(id: number): OutboxEntry {
    const row = this.db.prepare(`${SELECT} WHERE id = ?`).get(id) as Row | undefined;
    if (!row) throw new PacsError("NOT_FOUND", `no outbox entry ${id}`);
    return toEntry(row);
  }

  list(filter: { connectionId?: string; studyId?: string; states?: OutboxEntry["state"][] } = {}): OutboxEntry[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (filter.connectionId) {
      where.push("connection_id = ?");
      args.push(filter.connectionId);
    }
    if (filter.studyId) {
      where.push("study_id = ?");
      args.push(filter.studyId);
    }
    if (filter.states?.length) {
      where.push(`state IN (${filter.states.map(() => "?").join(", ")})`);
      args.push(...filter.states);
    }
    const rows = this.db
      .prepare(`${SELECT}${where.length ? ` WHERE ${where.join(" AND ")}` : ""} ORDER BY id DESC LIMIT 1000`)
      .all(...args) as Row[];
    return rows.map(toEntry);
  }

  /** A failed entry (or every failed entry of a connection) tries again now. */
  retry(filter: { id?: number; connectionId?: string }): number {
    const { changes } = this.db
      .prepare(
        `UPDATE pacs_outbox SET state = 'pending', next_attempt_at = ${NOW}, updated_at = ${NOW}
         WHERE state IN ('failed', 'pending') AND (? IS NULL OR id = ?) AND (? IS NULL OR connection_id = ?)`,
      )
      .run(filter.id ?? null, filter.id ?? null, filter.connectionId ?? null, filter.connectionId ?? null);
    if (changes > 0) {
      this.events?.publish({ type: "pacs-changed", area: "outbox" });
      this.kick();
    }
    return changes;
  }

  /** Starts a send pass now (and keeps the timer for the next due entry). */
  kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.running = this.sendDue()
      .catch((error: unknown) => {
        this.events?.publish({ type: "notice", level: "error", message: `outbox: ${(error as Error).message}` });
      })
      .finally(() => {
        this.running = null;
        if (this.again) {
          this.again = false;
          this.kick();
        } else this.schedule();
      });
  }

  /** Resolves when no send pass is running (tests, clean shutdown). */
  async idle(): Promise<void> {
    while (this.running) await this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.idle();
  }

  private schedule(): void {
    if (this.closed) return;
    const next = this.db
      .prepare("SELECT min(next_attempt_at) AS at FROM pacs_outbox WHERE state = 'pending'")
      .get() as { at: string | null };
    if (!next.at) return;
    const delay = Math.max(0, Math.min(this.maxDelayMs, Date.parse(next.at) - Date.now()));
    this.timer = setTimeout(() => this.kick(), delay);
    this.timer.unref?.();
  }

  private changed(entry: OutboxEntry): void {
    this.options.onChange?.(entry);
    this.events?.publish({ type: "pacs-changed", area: "outbox" });
  }

  private setState(id: number, sql: string, ...args: unknown[]): OutboxEntry {
    this.db.prepare(`UPDATE pacs_outbox SET ${sql}, updated_at = ${NOW} WHERE id = ?`).run(...args, id);
    const entry = this.get(id);
    this.changed(entry);
    return entry;
  }

  /** One pass over the due entries, oldest first, per connection one client. */
  private async sendDue(): Promise<void> {
    const due = this.db
      .prepare(
        `SELECT id, connection_id FROM pacs_outbox WHERE state = 'pending' AND next_attempt_at <= ${NOW} ORDER BY id`,
      )
      .all() as Array<{ id: number; connection_id: string }>;
    const clients = new Map<string, DicomWebClient>();
    try {
      for (const { id, connection_id } of due) {
        if (this.closed) return;
        let client = clients.get(connection_id);
        if (!client) {
          try {
            client = new DicomWebClient(this.connections.clientOptions(connection_id));
          } catch (error) {
            this.fail(id, error, false);
            continue;
          }
          clients.set(connection_id, client);
        }
        await this.sendOne(id, client);
      }
    } finally {
      for (const c of clients.values()) await c.close();
    }
  }

  private async sendOne(id: number, client: DicomWebClient): Promise<void> {
    const row = this.db
      .prepare("SELECT sop_instance_uid, study_instance_uid, bytes, attempts FROM pacs_outbox WHERE id = ?")
      .get(id) as { sop_instance_uid: string; study_instance_uid: string; bytes: Buffer; attempts: number };
    this.setState(id, "state = 'sending', attempts = attempts + 1");
    try {
      // A retry: the last try may have stored it (connection dropped before the answer, or the process died).
      if (row.attempts > 0 && (await this.isOnPacs(client, row.study_instance_uid, row.sop_instance_uid))) {
        this.stored(id, "found on the PACS (an earlier try had stored it)");
        return;
      }
      const outcome = await client.store([row.bytes]);
      const failure = outcome.failed.find(
        (f) => f.sopInstanceUid === row.sop_instance_uid || f.sopInstanceUid === null,
      );
      if (outcome.stored.includes(row.sop_instance_uid)) {
        this.stored(id, null);
      } else if (failure?.reason === DUPLICATE_SOP || (outcome.status === 409 && !failure)) {
        this.stored(id, "the PACS already had this instance");
      } else if (await this.isOnPacs(client, row.study_instance_uid, row.sop_instance_uid)) {
        this.stored(id, null);
      } else {
        const reason = failure?.reason != null ? `0x${failure.reason.toString(16).padStart(4, "0")}` : "none given";
        throw new PacsError(
          "REFUSED",
          `the PACS answered ${outcome.status} but did not store the instance (failure reason ${reason})`,
          { status: outcome.status },
        );
      }
    } catch (error) {
      this.fail(id, error, true);
    }
  }

  private async isOnPacs(client: DicomWebClient, studyUid: string, sopUid: string): Promise<boolean> {
    const found = await client.searchInstances(studyUid, [["SOPInstanceUID", sopUid]]);
    return found.some((ds) => ds["00080018"]?.Value?.[0] === sopUid);
  }

  private stored(id: number, note: string | null): void {
    this.setState(id, `state = 'stored', stored_at = ${NOW}, next_attempt_at = NULL, last_error = ?`, note);
  }

  private fail(id: number, error: unknown, countAttempt: boolean): void {
    const pacsError = error instanceof PacsError ? error : null;
    const message = (error as Error).message ?? String(error);
    const attempts = (this.db.prepare("SELECT attempts FROM pacs_outbox WHERE id = ?").get(id) as { attempts: number })
      .attempts;
    if (pacsError && isTransient(pacsError)) {
      const n = Math.max(1, countAttempt ? attempts : attempts + 1);
      const delay = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (n - 1));
      const jittered = Math.round(delay * (0.85 + 0.3 * Math.random()));
      const at = new Date(Date.now() + jittered).toISOString();
      this.setState(id, "state = 'pending', last_error = ?, next_attempt_at = ?", message, at);
    } else {
      this.setState(id, "state = 'failed', last_error = ?, next_attempt_at = NULL", message);
    }
  }
}
