/**
 * SQL access to the report tables of the case database (draft_versions, draft_jobs, signed_reports, report_addenda,
 * audit_log, settings). Rows are parsed and validated on the way out; the service above holds the rules.
 */
import type { StudyStatus } from "../../../src-shared/domain";
import {
  type Addendum,
  type AiSpan,
  AiSpanSchema,
  type AuditEntry,
  type CriticalCommunication,
  type DraftOrigin,
  type DraftVersion,
  type EngineModel,
  EngineModelSchema,
  type ModelFinding,
  ModelFindingSchema,
  type ReportSections,
  ReportSectionsSchema,
  type SignedReport,
  type SimilarCase,
  SimilarCaseSchema,
} from "../../../src-shared/report-types";
import { insertAudit } from "../../db/audit-log";
import type { CaseDatabase } from "../../db/database";
import type { ReportStudy } from "../export/report-document";
import { type StudyHeaderRow, studyHeaderOf } from "../studies/studies-service";
import type { StudyEmbedding } from "./draft-engine";

interface DraftVersionRow {
  id: number;
  study_id: string;
  version: number;
  sections: string;
  ai_spans: string;
  origin: DraftOrigin;
  author: string;
  created_at: string;
  updated_at: string | null;
  revision: number;
}

export interface DraftJobRecord {
  studyId: string;
  state: "running" | "done" | "failed" | "cancelled";
  model: EngineModel | null;
  aiVersionId: number | null;
  similarCases: SimilarCase[];
  modelFindings: ModelFinding[];
  embedding: StudyEmbedding | null;
  /** The drafting run's thumbnail of the frontal view (the study's retrieval index entry once signed). */
  thumbnail: Uint8Array | null;
  message: string | null;
  startedAt: string;
  finishedAt: string | null;
}

/** A study's header as the reports service reads it: what every export shows, and the status. */
export interface StudyRecord extends ReportStudy {
  status: StudyStatus;
}

export interface ImageRecord {
  imageId: string;
  filePath: string;
  seriesInstanceUid: string | null;
  sopInstanceUid: string | null;
  view: string;
}

function parseJson<T>(text: string, what: string, parse: (v: unknown) => T): T {
  try {
    return parse(JSON.parse(text));
  } catch (err) {
    throw new Error(`case database holds an invalid ${what}: ${(err as Error).message}`);
  }
}

const toDraftVersion = (r: DraftVersionRow): DraftVersion => ({
  id: r.id,
  studyId: r.study_id,
  version: r.version,
  sections: parseJson(r.sections, `draft version ${r.id}`, (v) => ReportSectionsSchema.parse(v)),
  aiSpans: parseJson(r.ai_spans, `AI span list of draft version ${r.id}`, (v) => AiSpanSchema.array().parse(v)),
  origin: r.origin,
  author: r.author,
  createdAt: r.created_at,
  updatedAt: r.updated_at ?? r.created_at,
  revision: r.revision,
});

/** Float32 vector <-> little-endian bytes (the BLOB layout of draft_jobs.embedding). */
export function vectorToBlob(vector: Float32Array): Buffer {
  const out = Buffer.alloc(vector.length * 4);
  for (let i = 0; i < vector.length; i++) out.writeFloatLE(vector[i] ?? 0, i * 4);
  return out;
}

export function blobToVector(blob: Buffer): Float32Array {
  if (blob.length % 4 !== 0) throw new Error(`embedding blob of ${blob.length} bytes is not a float32 vector`);
  const out = new Float32Array(blob.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = blob.readFloatLE(i * 4);
  return out;
}

export class ReportRecords {
  constructor(private readonly db: CaseDatabase) {}

  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn)();
  }

  study(studyId: string): StudyRecord | null {
    const r = this.db
      .prepare(
        `SELECT id, study_instance_uid, patient_id, patient_name, study_date, description, status,
                institution_name, accession_number, referring_physician
         FROM studies WHERE id = ?`,
      )
      .get(studyId) as
      | (StudyHeaderRow & {
          status: StudyStatus;
          institution_name: string | null;
          accession_number: string | null;
          referring_physician: string | null;
        })
      | undefined;
    if (!r) return null;
    return {
      ...studyHeaderOf(r),
      institutionName: r.institution_name,
      accessionNumber: r.accession_number,
      referringPhysician: r.referring_physician,
      status: r.status,
    };
  }

  images(studyId: string): ImageRecord[] {
    return (
      this.db
        .prepare(
          `SELECT i.id, i.file_path, se.series_instance_uid, i.sop_instance_uid, i.view
           FROM images i JOIN series se ON se.id = i.series_id WHERE se.study_id = ? ORDER BY i.file_path`,
        )
        .all(studyId) as Array<{
        id: string;
        file_path: string;
        series_instance_uid: string | null;
        sop_instance_uid: string | null;
        view: string;
      }>
    ).map((r) => ({
      imageId: r.id,
      filePath: r.file_path,
      seriesInstanceUid: r.series_instance_uid,
      sopInstanceUid: r.sop_instance_uid,
      view: r.view,
    }));
  }

  setStudyStatus(studyId: string, status: StudyStatus): boolean {
    const info = this.db
      .prepare(
        `UPDATE studies SET status = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
         WHERE id = ? AND status <> ?`,
      )
      .run(status, studyId, status);
    return info.changes > 0;
  }

  latestVersion(studyId: string): DraftVersion | null {
    const r = this.db
      .prepare("SELECT * FROM draft_versions WHERE study_id = ? ORDER BY version DESC LIMIT 1")
      .get(studyId) as DraftVersionRow | undefined;
    return r ? toDraftVersion(r) : null;
  }

  latestAiVersion(studyId: string): DraftVersion | null {
    const r = this.db
      .prepare("SELECT * FROM draft_versions WHERE study_id = ? AND origin = 'ai' ORDER BY version DESC LIMIT 1")
      .get(studyId) as DraftVersionRow | undefined;
    return r ? toDraftVersion(r) : null;
  }

  versionByNumber(studyId: string, version: number): DraftVersion | null {
    const r = this.db
      .prepare("SELECT * FROM draft_versions WHERE study_id = ? AND version = ?")
      .get(studyId, version) as DraftVersionRow | undefined;
    return r ? toDraftVersion(r) : null;
  }

  versionById(id: number): DraftVersion | null {
    const r = this.db.prepare("SELECT * FROM draft_versions WHERE id = ?").get(id) as DraftVersionRow | undefined;
    return r ? toDraftVersion(r) : null;
  }

  versions(studyId: string): DraftVersion[] {
    return (
      this.db
        .prepare("SELECT * FROM draft_versions WHERE study_id = ? ORDER BY version DESC")
        .all(studyId) as DraftVersionRow[]
    ).map(toDraftVersion);
  }

  insertVersion(
    studyId: string,
    sections: ReportSections,
    aiSpans: AiSpan[],
    origin: DraftOrigin,
    author: string,
    at?: string,
  ): DraftVersion {
    const next =
      ((
        this.db.prepare("SELECT max(version) AS v FROM draft_versions WHERE study_id = ?").get(studyId) as {
          v: number | null;
        }
      ).v ?? 0) + 1;
    const info = this.db
      .prepare(
        `INSERT INTO draft_versions (study_id, version, sections, ai_spans, origin, author, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, coalesce(?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
                 coalesce(?, strftime('%Y-%m-%dT%H:%M:%fZ', 'now')))`,
      )
      .run(studyId, next, JSON.stringify(sections), JSON.stringify(aiSpans), origin, author, at ?? null, at ?? null);
    return this.versionById(Number(info.lastInsertRowid))!;
  }

  /** Writes the newest version again (the same typing session, before a pause): its sections, spans and time. */
  updateVersion(id: number, sections: ReportSections, aiSpans: AiSpan[], at: string): DraftVersion {
    this.db
      .prepare(
        "UPDATE draft_versions SET sections = ?, ai_spans = ?, updated_at = ?, revision = revision + 1 WHERE id = ?",
      )
      .run(JSON.stringify(sections), JSON.stringify(aiSpans), at, id);
    return this.versionById(id)!;
  }

  job(studyId: string): DraftJobRecord | null {
    const r = this.db.prepare("SELECT * FROM draft_jobs WHERE study_id = ?").get(studyId) as
      | {
          study_id: string;
          state: DraftJobRecord["state"];
          model: string | null;
          ai_version_id: number | null;
          similar_cases: string;
          model_findings: string;
          embedding: Buffer | null;
          embedding_model: string | null;
          thumbnail: Buffer | null;
          message: string | null;
          started_at: string;
          finished_at: string | null;
        }
      | undefined;
    if (!r) return null;
    return {
      studyId: r.study_id,
      state: r.state,
      model: r.model
        ? parseJson(r.model, `model of the draft job of ${studyId}`, (v) => EngineModelSchema.parse(v))
        : null,
      aiVersionId: r.ai_version_id,
      similarCases: parseJson(r.similar_cases, `similar-case list of ${studyId}`, (v) =>
        SimilarCaseSchema.array().parse(v),
      ),
      modelFindings: parseJson(r.model_findings, `model findings of ${studyId}`, (v) =>
        ModelFindingSchema.array().parse(v),
      ),
      embedding:
        r.embedding && r.embedding_model ? { modelId: r.embedding_model, vector: blobToVector(r.embedding) } : null,
      thumbnail: r.thumbnail ? new Uint8Array(r.thumbnail) : null,
      message: r.message,
      startedAt: r.started_at,
      finishedAt: r.finished_at,
    };
  }

  /** Marks a job as running; keeps the previous run's similar cases and embedding until the new run finishes. */
  startJob(studyId: string, model: EngineModel): void {
    this.db
      .prepare(
        `INSERT INTO draft_jobs (study_id, state, model) VALUES (?, 'running', ?)
         ON CONFLICT(study_id) DO UPDATE SET state = 'running', model = excluded.model, message = NULL,
           started_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), finished_at = NULL`,
      )
      .run(studyId, JSON.stringify(model));
  }

  finishJob(
    studyId: string,
    result: {
      model: EngineModel;
      aiVersionId: number;
      similarCases: SimilarCase[];
      modelFindings: ModelFinding[];
      embedding: StudyEmbedding | null;
      thumbnail: Uint8Array | null;
    },
  ): void {
    this.db
      .prepare(
        `UPDATE draft_jobs SET state = 'done', model = ?, ai_version_id = ?, similar_cases = ?, model_findings = ?,
           embedding = ?, embedding_model = ?, thumbnail = ?, message = NULL,
           finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
         WHERE study_id = ?`,
      )
      .run(
        JSON.stringify(result.model),
        result.aiVersionId,
        JSON.stringify(result.similarCases),
        JSON.stringify(result.modelFindings),
        result.embedding ? vectorToBlob(result.embedding.vector) : null,
        result.embedding?.modelId ?? null,
        result.thumbnail
          ? Buffer.from(result.thumbnail.buffer, result.thumbnail.byteOffset, result.thumbnail.byteLength)
          : null,
        studyId,
      );
  }

  endJob(studyId: string, state: "failed" | "cancelled", message: string): void {
    this.db
      .prepare(
        `UPDATE draft_jobs SET state = ?, message = ?, finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
         WHERE study_id = ?`,
      )
      .run(state, message, studyId);
  }

  /** After a crash: jobs left "running" were interrupted, and their studies are no longer drafting. */
  recoverInterruptedJobs(): string[] {
    return this.transaction(() => {
      const ids = (
        this.db.prepare("SELECT study_id FROM draft_jobs WHERE state = 'running'").all() as Array<{
          study_id: string;
        }>
      ).map((r) => r.study_id);
      this.db
        .prepare(
          `UPDATE draft_jobs SET state = 'failed', message = 'interrupted: the application stopped while drafting',
             finished_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE state = 'running'`,
        )
        .run();
      const drafting = (
        this.db.prepare("SELECT id FROM studies WHERE status = 'drafting'").all() as Array<{
          id: string;
        }>
      ).map((r) => r.id);
      for (const id of drafting) this.setStudyStatus(id, this.latestVersion(id) ? "drafted" : "new");
      return [...new Set([...ids, ...drafting])];
    });
  }

  signed(studyId: string): SignedReport | null {
    const r = this.db.prepare("SELECT * FROM signed_reports WHERE study_id = ?").get(studyId) as
      | {
          id: number;
          study_id: string;
          draft_version_id: number | null;
          sections: string;
          text: string;
          text_sha256: string;
          signed_by: string;
          signed_by_account: string | null;
          signed_by_pn: string | null;
          signed_at: string;
        }
      | undefined;
    if (!r) return null;
    return {
      id: r.id,
      studyId: r.study_id,
      draftVersionId: r.draft_version_id,
      sections: parseJson(r.sections, `signed report ${r.id}`, (v) => ReportSectionsSchema.parse(v)),
      text: r.text,
      textSha256: r.text_sha256,
      signedBy: r.signed_by,
      signedByAccount:
        r.signed_by_account && r.signed_by_pn ? { username: r.signed_by_account, dicomName: r.signed_by_pn } : null,
      signedAt: r.signed_at,
    };
  }

  /** The studies with a signed report, oldest signature first. */
  signedStudyIds(): string[] {
    return this.db.prepare("SELECT study_id FROM signed_reports ORDER BY id").pluck().all() as string[];
  }

  setJobThumbnail(studyId: string, thumbnail: Uint8Array): void {
    this.db
      .prepare("UPDATE draft_jobs SET thumbnail = ? WHERE study_id = ?")
      .run(Buffer.from(thumbnail.buffer, thumbnail.byteOffset, thumbnail.byteLength), studyId);
  }

  insertSigned(entry: {
    studyId: string;
    draftVersionId: number;
    sections: ReportSections;
    text: string;
    textSha256: string;
    signedBy: string;
    account?: { username: string; dicomName: string } | null;
  }): SignedReport {
    this.db
      .prepare(
        `INSERT INTO signed_reports (study_id, draft_version_id, sections, text, text_sha256, signed_by,
           signed_by_account, signed_by_pn)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        entry.studyId,
        entry.draftVersionId,
        JSON.stringify(entry.sections),
        entry.text,
        entry.textSha256,
        entry.signedBy,
        entry.account?.username ?? null,
        entry.account?.dicomName ?? null,
      );
    return this.signed(entry.studyId)!;
  }

  addenda(signedReportId: number): Addendum[] {
    return (
      this.db
        .prepare("SELECT id, text, author, created_at FROM report_addenda WHERE signed_report_id = ? ORDER BY id")
        .all(signedReportId) as Array<{ id: number; text: string; author: string; created_at: string }>
    ).map((r) => ({ id: r.id, text: r.text, author: r.author, createdAt: r.created_at }));
  }

  /** Sets the study's critical flag; true when it changed. */
  setStudyCritical(studyId: string, critical: boolean): boolean {
    const flag = critical ? 1 : 0;
    return (
      this.db.prepare("UPDATE studies SET critical = ? WHERE id = ? AND critical <> ?").run(flag, studyId, flag)
        .changes > 0
    );
  }

  insertCriticalCommunication(signedReportId: number, c: CriticalCommunication): void {
    this.db
      .prepare(
        `INSERT INTO critical_communications (signed_report_id, findings, recipient, method, communicated_at, recorded_by)
         VALUES (?, ?, ?, ?, ?, ?)`,
      )
      .run(signedReportId, JSON.stringify(c.findings), c.recipient, c.method, c.communicatedAt, c.recordedBy);
  }

  criticalCommunication(signedReportId: number): CriticalCommunication | null {
    const row = this.db
      .prepare("SELECT * FROM critical_communications WHERE signed_report_id = ?")
      .get(signedReportId) as
      | { findings: string; recipient: string; method: string; communicated_at: string; recorded_by: string }
      | undefined;
    if (!row) return null;
    return {
      findings: JSON.parse(row.findings) as string[],
      recipient: row.recipient,
      method: row.method as CriticalCommunication["method"],
      communicatedAt: row.communicated_at,
      recordedBy: row.recorded_by,
    };
  }

  insertAddendum(signedReportId: number, text: string, author: string): void {
    this.db
      .prepare("INSERT INTO report_addenda (signed_report_id, text, author) VALUES (?, ?, ?)")
      .run(signedReportId, text, author);
  }

  audit(actor: string, action: string, studyId: string | null, details: Record<string, unknown>): void {
    insertAudit(this.db, actor, action, studyId, details);
  }

  auditEntries(studyId: string): AuditEntry[] {
    return (
      this.db.prepare("SELECT * FROM audit_log WHERE study_id = ? ORDER BY id").all(studyId) as Array<{
        id: number;
        at: string;
        actor: string;
        action: string;
        study_id: string | null;
        details: string;
        account_id: number | null;
        account_name: string | null;
      }>
    ).map((r) => ({
      id: r.id,
      at: r.at,
      actor: r.actor,
      action: r.action,
      studyId: r.study_id,
      details: JSON.parse(r.details) as Record<string, unknown>,
      account: r.account_id === null ? null : { id: r.account_id, name: r.account_name ?? "" },
    }));
  }

  setting(key: string): unknown {
    const r = this.db.prepare("SELECT value FROM settings WHERE key = ?").get(key) as { value: string } | undefined;
    return r ? (JSON.parse(r.value) as unknown) : undefined;
  }

  putSetting(key: string, value: unknown): void {
    this.db
      .prepare(
        `INSERT INTO settings (key, value) VALUES (?, ?)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
      )
      .run(key, JSON.stringify(value));
  }
}
