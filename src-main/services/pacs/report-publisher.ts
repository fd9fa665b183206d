/**
 * Signed reports back to the PACS (issue 16.4; docs/pacs.md "Signing → outbox"): which connection a study's report
 * goes to — the PACS it was retrieved from, else the default connection for local studies, else none — and the
 * outbox entry of a signed report: its DICOM SR (after an addendum, a new SR whose Predecessor Documents Sequence
 * references the earlier ones), and where the connection stores PDFs too, its Encapsulated PDF. `queue` runs inside
 * the signing (or addendum) transaction, so the queued SR is exactly as durable as the signature; `flush` starts the
 * send after the commit. The PDF is rendered after the commit (pdfkit is asynchronous): a process that stops in
 * between leaves an SR without its PDF, and `reconcile` (at start) renders the PDFs such SRs lack.
 */
import type { PacsConnection } from "../../../src-shared/pacs-types";
import type { CaseDatabase } from "../../db/database";
import type { EventBus } from "../events/event-bus";
import { renderDicomSr, srInstanceUids } from "../export/dicom-sr";
import { pdfInstanceUid, renderEncapsulatedPdf } from "../export/encapsulated-pdf";
import { renderPdf } from "../export/pdf";
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
  /** PDFs of SRs queued by the transaction that is committing (rendered by `flush`). */
  private readonly pendingPdfs: Array<{ doc: ReportDocument; connectionId: string }> = [];
  private pdfRuns: Promise<void> = Promise.resolve();

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
    if (target.connection.storePdf) this.pendingPdfs.push({ doc, connectionId: target.connection.id });
    return {
      connectionId: target.connection.id,
      sopInstanceUid,
      message: `queued for ${target.connection.name} (${
        target.reason === "retrieved" ? "the PACS the study came from" : "the default PACS for local studies"
      })`,
    };
  }

  /** After the commit: the outbox sends what was queued, and the PDFs of the queued SRs are rendered and queued. */
  flush(): void {
    this.events.publish({ type: "pacs-changed", area: "outbox" });
    this.outbox.kick();
    const jobs = this.pendingPdfs.splice(0);
    if (jobs.length) this.pdfRuns = this.pdfRuns.then(() => this.queuePdfs(jobs));
  }

  /**
   * The Encapsulated PDFs that SRs of PDF-storing connections lack (the process stopped after signing and before the
   * PDF was queued), rendered from the signed report as it was when that SR was made.
   */
  reconcile(documents: (studyId: string) => ReportDocument): Promise<void> {
    const rows = this.db
      .prepare(
        `SELECT o.sop_instance_uid AS uid, o.study_id AS studyId, o.connection_id AS connectionId FROM pacs_outbox o
         JOIN pacs_connections c ON c.id = o.connection_id
         WHERE o.kind = 'sr' AND c.store_pdf = 1 AND o.study_id IS NOT NULL ORDER BY o.id`,
      )
      .all() as Array<{ uid: string; studyId: string; connectionId: string }>;
    const jobs: Array<{ doc: ReportDocument; connectionId: string }> = [];
    for (const r of rows) {
      if (this.queued(r.connectionId, pdfInstanceUid(r.uid))) continue;
      try {
        const doc = documents(r.studyId);
        const k = srInstanceUids(doc).sopInstanceUids.indexOf(r.uid);
        if (k >= 0) jobs.push({ doc: { ...doc, addenda: doc.addenda.slice(0, k) }, connectionId: r.connectionId });
      } catch (error) {
        this.notice(r.studyId, error);
      }
    }
    if (jobs.length) this.pdfRuns = this.pdfRuns.then(() => this.queuePdfs(jobs));
    return this.pdfRuns;
  }

  /** Resolves when no PDF is being rendered (tests, clean shutdown). */
  idle(): Promise<void> {
    return this.pdfRuns;
  }

  private queued(connectionId: string, sopInstanceUid: string): boolean {
    return (
      this.db
        .prepare("SELECT 1 FROM pacs_outbox WHERE connection_id = ? AND sop_instance_uid = ?")
        .get(connectionId, sopInstanceUid) !== undefined
    );
  }

  private async queuePdfs(jobs: Array<{ doc: ReportDocument; connectionId: string }>): Promise<void> {
    for (const { doc, connectionId } of jobs) {
      const srUid = srInstanceUids(doc).sopInstanceUids.at(-1) as string;
      // Only for an SR that is committed (a signing that failed after queueing rolled it back), and only once.
      if (!this.queued(connectionId, srUid) || this.queued(connectionId, pdfInstanceUid(srUid))) continue;
      try {
        const pdf = renderEncapsulatedPdf(doc, await renderPdf(doc));
        if (this.queued(connectionId, pdf.sopInstanceUid)) continue;
        this.outbox.enqueue({ ...pdf, connectionId, studyId: doc.study.id, kind: "pdf" });
      } catch (error) {
        this.notice(doc.study.id, error);
      }
    }
  }

  private notice(studyId: string, error: unknown): void {
    this.events.publish({
      type: "notice",
      level: "error",
      message: `The PDF of the signed report of study ${studyId} is not queued for the PACS: ${(error as Error).message}`,
    });
  }
}
