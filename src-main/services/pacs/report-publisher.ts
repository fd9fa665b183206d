/**
 * Signed reports back to the PACS (issue 16.4; docs/pacs.md "Signing → outbox"): which connection a study's report
 * goes to — the PACS it was retrieved from, else the default connection for local studies, else none — and the
 * outbox entry of a signed report: its DICOM SR (after an addendum, a new SR whose Predecessor Documents Sequence
 * references the earlier ones). `queue` runs inside the signing (or addendum) transaction, so the queued SR is
 * exactly as durable as the signature; `flush` starts the send after the commit.
 */
import type { PacsConnection } from "../../../src-shared/pacs-types";
import type { CaseDatabase } from "../../db/database";
import type { EventBus } from "../events/event-bus";
import { renderDicomSr, srInstanceUids } from "../export/dicom-sr";
import type { ReportDocument } from "../export/report-document";
import type { PacsConnections } from "./connections";
import type { PacsOutbox } from "./outbox";

/** Settings key (JSON string or null): the connection that reports of local (not retrieved) studies go to. */
export const DEFAULT_CONNECTION_SETTING = "pacs.defaultConnection";

export interface ReportTarget {
  connection: PacsConnection;
  /** retrieved: the study came from this PACS; default: a local study, the default connection. */
  reason: "retrieved" | "default";
}

export interface QueuedReport {
  connectionId: string;
  sopInstanceUid: string;
  message: string;
}

export class ReportPublisher {
  constructor(
    private readonly db: CaseDatabase,
    private readonly connections: PacsConnections,
    private readonly outbox: PacsOutbox,
    private readonly events: EventBus,
  ) {}

  defaultConnectionId(): string | null {
    const row = this.db.prepare("SELECT value FROM settings WHERE key = ?").get(DEFAULT_CONNECTION_SETTING) as
      | { value: string }
      | undefined;
    const id = row ? (JSON.parse(row.value) as unknown) : null;
    if (typeof id !== "string") return null;
    const exists = this.db.prepare("SELECT 1 FROM pacs_connections WHERE id = ?").get(id);
    return exists ? id : null;
  }

  /** Sets (or with null clears) the default connection for local studies. */
  setDefaultConnection(connectionId: string | null): void {
    if (connectionId !== null) this.connections.get(connectionId); // NotFoundError for an unknown connection
    this.db
      .prepare(
        `INSERT INTO settings (key, value) VALUES (?, ?)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
      )
      .run(DEFAULT_CONNECTION_SETTING, JSON.stringify(connectionId));
    this.events.publish({ type: "pacs-changed", area: "connections" });
  }

  /** Where the signed report of a study goes: the PACS it was retrieved from, else the default, else nowhere. */
  target(studyId: string): ReportTarget | null {
    const retrieved = this.db
      .prepare(
        `SELECT connection_id FROM pacs_studies WHERE study_id = ? AND state = 'complete'
         ORDER BY retrieved_at DESC LIMIT 1`,
      )
      .get(studyId) as { connection_id: string } | undefined;
    if (retrieved) return { connection: this.connections.get(retrieved.connection_id), reason: "retrieved" };
    const fallback = this.defaultConnectionId();
    return fallback ? { connection: this.connections.get(fallback), reason: "default" } : null;
  }

  /**
   * Queues the report's newest SR (the signed report, or after an addendum the SR holding it) for the study's PACS.
   * Call inside the transaction that signs or adds the addendum; null when the study has no PACS to go to.
   */
  queue(doc: ReportDocument): QueuedReport | null {
    const target = this.target(doc.study.id);
    if (!target) return null;
    const bytes = renderDicomSr(doc);
    const sopInstanceUid = srInstanceUids(doc).sopInstanceUids.at(-1) as string;
    this.outbox.add({ bytes, sopInstanceUid, connectionId: target.connection.id, studyId: doc.study.id });
    return {
      connectionId: target.connection.id,
      sopInstanceUid,
      message: `queued for ${target.connection.name} (${
        target.reason === "retrieved" ? "the PACS the study came from" : "the default PACS for local studies"
      })`,
    };
  }

  /** After the commit: the outbox sends what was queued. */
  flush(): void {
    this.events.publish({ type: "pacs-changed", area: "outbox" });
    this.outbox.kick();
  }
}
