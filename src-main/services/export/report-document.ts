/**
 * The signed report as every export format sees it (study header, sections, signature, AI note, addenda), and the
 * plain-text rendering that is also the signed text.
 */
import crypto from "node:crypto";
import { type Measurement, measurementSentence } from "../../../src-shared/measurements";
import type { Addendum, CriticalCommunication, EngineModel, ReportSections } from "../../../src-shared/report-types";
import { SECTION_KEYS, SECTION_TITLES } from "../../../src-shared/report-types";
import { type ScopeAssessment, scopeExportNote } from "../../../src-shared/scope/chest-scope";

export interface ReportStudy {
  id: string;
  studyInstanceUid: string | null;
  patientId: string | null;
  patientName: string | null;
  /** As stored: DICOM DA (YYYYMMDD) or ISO (YYYY-MM-DD...). */
  studyDate: string | null;
  description: string | null;
  /** From the images (issue 18.5); null when not known, and then not printed. */
  institutionName: string | null;
  accessionNumber: string | null;
  /** Referring Physician's Name as stored (DICOM PN, carets). */
  referringPhysician: string | null;
}

/** The header lines every export prints, in order: label and value, only those the study has. */
export function studyHeaderRows(s: ReportStudy): Array<[string, string]> {
  const rows: Array<[string, string]> = [
    ["Patient", displayName(s.patientName) ?? "(no name)"],
    ["Patient ID", s.patientId ?? "(none)"],
    ["Study date", isoDate(s.studyDate) ?? "(unknown)"],
  ];
  if (s.description) rows.push(["Study", s.description]);
  if (s.accessionNumber) rows.push(["Accession", s.accessionNumber]);
  if (s.institutionName) rows.push(["Institution", s.institutionName]);
  const referrer = displayName(s.referringPhysician);
  if (referrer) rows.push(["Referred by", referrer]);
  if (s.studyInstanceUid) rows.push(["Study UID", s.studyInstanceUid]);
  return rows;
}

/** An image of the study as the case database knows it (for the DICOM SR evidence references). */
export interface ReportImage {
  /** The case database's image id (measurements name their image by it). */
  imageId?: string;
  filePath: string;
  seriesInstanceUid: string | null;
  sopInstanceUid: string | null;
}

export interface ReportDocument {
  study: ReportStudy;
  images: ReportImage[];
  sections: ReportSections;
  signedReportId: number;
  signedBy: string;
  /** The signing account when an account signed (docs/security.md): its DICOM PN goes into the SR as it is. */
  signedByAccount?: { username: string; dicomName: string } | null;
  /** ISO-8601 UTC. */
  signedAt: string;
  textSha256: string;
  addenda: Addendum[];
  /** The model that drafted the report, when the draft came from the AI. */
  aiModel: EngineModel | null;
  /** Whether any draft version came from the AI. */
  aiAssisted: boolean;
  /** The scope gate's decision (src-shared/scope); an override or a confirmed caution is printed with the AI note. */
  scope?: ScopeAssessment | null;
  application: { name: string; version: string };
  /** The communication record of the report's critical result (issue 18.3); absent or null when none. */
  critical?: CriticalCommunication | null;
  /** The measurements signed with the report (src-shared/measurements.ts); absent or empty when none. */
  measurements?: Measurement[];
}

/** "CRITICAL RESULT (pneumothorax): communicated to Dr Ward by phone at ... UTC; recorded by ..." or null. */
export function criticalNote(doc: ReportDocument): string | null {
  const c = doc.critical;
  if (!c) return null;
  return `CRITICAL RESULT (${c.findings.join(", ")}): communicated to ${c.recipient} by ${c.method} at ${displayInstant(c.communicatedAt)}; recorded by ${c.recordedBy}.`;
}

export const sha256Hex = (data: string | Buffer) => crypto.createHash("sha256").update(data).digest("hex");

/** The body of the report: the non-empty sections as "TITLE:\ntext" blocks. This is the text that gets signed. */
export function formatReportBody(sections: ReportSections): string {
  return SECTION_KEYS.filter((k) => sections[k].trim() !== "")
    .map((k) => `${SECTION_TITLES[k].toUpperCase()}:\n${sections[k].trim()}`)
    .join("\n\n");
}

/** "Dr A. Smith" style display; DICOM PN carets become spaces. */
export const displayName = (name: string | null) => (name ? name.replace(/\^+/g, " ").trim() : null);

/** A study date as YYYY-MM-DD, or null when absent or unreadable. */
export function isoDate(value: string | null): string | null {
  if (!value) return null;
  const da = /^(\d{4})(\d{2})(\d{2})$/.exec(value.trim());
  if (da) return `${da[1]}-${da[2]}-${da[3]}`;
  const iso = /^(\d{4}-\d{2}-\d{2})/.exec(value.trim());
  return iso ? (iso[1] ?? null) : null;
}

/** "2026-11-28 04:53 UTC" from an ISO instant. */
export function displayInstant(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace("T", " ")} UTC`;
}

/**
 * The note every export prints after the signature: who reviewed the AI draft, and the scope gate's override or
 * caution (src-shared/scope scopeExportNote) when there was one.
 */
export function aiNote(doc: ReportDocument): string | null {
  const model = doc.aiModel ? ` (${doc.aiModel.name} ${doc.aiModel.version})` : "";
  const notes = [
    doc.aiAssisted ? `AI-assisted draft${model} reviewed and signed by ${doc.signedBy}.` : null,
    scopeExportNote(doc.scope ?? null, doc.aiAssisted),
  ].filter((n): n is string => n !== null);
  return notes.length ? notes.join(" ") : null;
}

/** The whole report as plain text: header, sections, signature, AI note, addenda. */
export function formatPlainText(doc: ReportDocument): string {
  const s = doc.study;
  const lines: string[] = [];
  lines.push("CHEST RADIOGRAPH REPORT");
  lines.push("");
  for (const [label, value] of studyHeaderRows(s)) lines.push(`${`${label}:`.padEnd(13)}${value}`);
  lines.push("");
  lines.push(formatReportBody(doc.sections));
  lines.push("");
  const measurements = doc.measurements ?? [];
  if (measurements.length > 0) {
    lines.push("MEASUREMENTS:");
    for (const m of measurements) lines.push(measurementSentence(m));
    lines.push("");
  }
  lines.push(`Electronically signed by ${doc.signedBy} on ${displayInstant(doc.signedAt)}.`);
  const critical = criticalNote(doc);
  if (critical) lines.push(critical);
  const note = aiNote(doc);
  if (note) lines.push(note);
  for (const a of doc.addenda) {
    lines.push("");
    lines.push(`ADDENDUM (${displayInstant(a.createdAt)}, ${a.author}):`);
    lines.push(a.text.trim());
  }
  return `${lines.join("\n")}\n`;
}

/** A file-name-safe stem: patient id (or study id) and study date. */
export function exportFileStem(doc: ReportDocument): string {
  const who = (doc.study.patientId || doc.study.id).replace(/[^A-Za-z0-9._-]+/g, "_").slice(0, 60);
  const date = isoDate(doc.study.studyDate);
  return `${who}${date ? `_${date}` : ""}_report`;
}

/**
 * A DICOM UID under the 2.25 root (ISO/IEC 9834-8 UUID form) derived from a name, so the same input always gives
 * the same UID (re-exporting the same signed report gives the same SR instance).
 */
export function uidFromName(name: string): string {
  const hex = sha256Hex(name).slice(0, 32);
  // Variant/version bits as in a name-based UUID (RFC 4122 v5 layout).
  const bytes = Buffer.from(hex, "hex");
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x50;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  return `2.25.${BigInt(`0x${bytes.toString("hex")}`).toString(10)}`;
}
