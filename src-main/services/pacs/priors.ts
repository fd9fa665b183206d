/**
 * Priors (issue 16.3): for the open study, the same patient's earlier studies on this workstation and on every PACS
 * connection, matched by Patient ID and Issuer of Patient ID, newest first, with date, description and where the
 * signed report is (a local signed report, or an SR on the PACS).
 *
 * Matching: the Patient ID must be equal; when both studies name an issuer, the issuers must be equal too. Where
 * either has no issuer (common for local files), the patient names must not differ (normalised: case, carets, commas
 * and spaces), so two patients of two hospitals that share an ID are not mixed. Studies dated after the open study are
 * not priors. A PACS that cannot be searched is a warning; the local priors are still listed.
 */
import fs from "node:fs";
import { AttributeReader, readPatientIdentity, sniffDicom } from "../../../src-shared/imaging/dicom-reader";
import type { PriorStudy, PriorsResult } from "../../../src-shared/pacs-types";
import type { CaseDatabase } from "../../db/database";
import { isoDate } from "../export/report-document";
import { parseDicomBytes } from "../imaging/decode-image";
import { NotFoundError, type StudyHeaderRow } from "../studies/studies-service";
import type { PacsConnections } from "./connections";

interface StudyRow extends StudyHeaderRow {
  modalities: string | null;
  signed: number;
}

/** The subset of a PACS study search the priors need (PacsService.searchStudies). */
export type PriorSearch = (query: { connectionId: string; patientId: string }) => Promise<
  Array<{
    studyInstanceUid: string;
    patientName: string | null;
    patientId: string | null;
    issuerOfPatientId: string | null;
    studyDate: string | null;
    description: string | null;
    modalities: string[];
    localStudyId: string | null;
  }>
>;

const normaliseName = (name: string | null) =>
  name
    ? name
        .toUpperCase()
        .replace(/[\^\s,]+/g, " ")
        .trim() || null
    : null;
/** YYYYMMDD of a DICOM DA or ISO date, for ordering and the "earlier" test. */
const dayOf = (date: string | null) => {
  const digits = (date ?? "").replace(/-/g, "").slice(0, 8);
  return /^\d{8}$/.test(digits) ? digits : null;
};

/** The largest inflated data set read for a header (a deflated file past it has no issuer known here). */
const MAX_HEADER_INFLATED_BYTES = 512 * 1024 * 1024;

/**
 * Issuer of Patient ID (0010,0021) of a local study, read by the one DICOM reader (src-shared/imaging/dicom-reader.ts,
 * Specific Character Set applied) from its first readable DICOM image; null for none or not DICOM.
 */
function localIssuer(db: CaseDatabase, studyId: string): string | null {
  const files = db
    .prepare(
      `SELECT i.file_path AS path FROM images i JOIN series s ON s.id = i.series_id WHERE s.study_id = ?
       ORDER BY i.file_path LIMIT 3`,
    )
    .all(studyId) as Array<{ path: string }>;
  for (const { path } of files) {
    try {
      const bytes = fs.readFileSync(path);
      if (!sniffDicom(bytes)) continue; // PNG / JPEG: no issuer
      const parsed = parseDicomBytes(bytes, path, MAX_HEADER_INFLATED_BYTES, "import");
      return readPatientIdentity(new AttributeReader(parsed.dataSet)).issuerOfPatientId;
    } catch {
      // A moved or damaged file: try the next, else no issuer known.
    }
  }
  return null;
}

export async function findPriors(
  db: CaseDatabase,
  connections: PacsConnections,
  search: PriorSearch,
  studyId: string,
): Promise<PriorsResult> {
  const current = db
    .prepare("SELECT id, study_instance_uid, patient_id, patient_name, study_date FROM studies WHERE id = ?")
    .get(studyId) as
    | Pick<StudyRow, "id" | "study_instance_uid" | "patient_id" | "patient_name" | "study_date">
    | undefined;
  if (!current) throw new NotFoundError(`no study with id ${studyId}`);
  const patientId = current.patient_id?.trim() || null;
  if (!patientId)
    return {
      studyId,
      patientId: null,
      issuerOfPatientId: null,
      priors: [],
      warnings: ["the study has no Patient ID, so its priors cannot be found"],
    };
  const issuer = localIssuer(db, studyId);
  const name = normaliseName(current.patient_name);
  const day = dayOf(current.study_date);
  const samePatient = (other: { issuer: string | null; name: string | null }) =>
    issuer && other.issuer ? issuer === other.issuer : !name || !other.name || name === normaliseName(other.name);
  const earlier = (date: string | null) => {
    const d = dayOf(date);
    return !day || !d || d <= day;
  };
  const warnings: string[] = [];
  const byUid = new Map<string, PriorStudy>();
  const priors: PriorStudy[] = [];

  const locals = db
    .prepare(
      `SELECT st.id, st.study_instance_uid, st.patient_id, st.patient_name, st.study_date, st.description,
         (SELECT group_concat(DISTINCT se.modality) FROM series se WHERE se.study_id = st.id) AS modalities,
         EXISTS (SELECT 1 FROM signed_reports r WHERE r.study_id = st.id) AS signed
       FROM studies st WHERE st.patient_id = ? AND st.id <> ?`,
    )
    .all(patientId, studyId) as StudyRow[];
  let otherPatients = 0;
  for (const r of locals) {
    if (!samePatient({ issuer: localIssuer(db, r.id), name: r.patient_name })) {
      otherPatients++;
      continue;
    }
    if (!earlier(r.study_date)) continue;
    const prior: PriorStudy = {
      source: "local",
      studyInstanceUid: r.study_instance_uid,
      localStudyId: r.id,
      connectionId: null,
      connectionName: null,
      patientName: r.patient_name,
      studyDate: isoDate(r.study_date),
      description: r.description,
      modalities: (r.modalities ?? "").split(",").filter(Boolean),
      report: r.signed ? "local" : "none",
    };
    priors.push(prior);
    if (r.study_instance_uid) byUid.set(r.study_instance_uid, prior);
  }

  for (const connection of connections.list()) {
    let found: Awaited<ReturnType<PriorSearch>>;
    try {
      found = await search({ connectionId: connection.id, patientId });
    } catch (error) {
      warnings.push(`${connection.name}: ${(error as Error).message}`);
      continue;
    }
    for (const s of found) {
      if (s.studyInstanceUid === current.study_instance_uid) continue;
      if (s.patientId !== patientId) continue; // QIDO matching may be looser (wildcards, case)
      if (!samePatient({ issuer: s.issuerOfPatientId, name: s.patientName })) {
        otherPatients++;
        continue;
      }
      if (!earlier(s.studyDate)) continue;
      const local = byUid.get(s.studyInstanceUid);
      const onPacs = s.modalities.includes("SR");
      if (local) {
        // The same study here and there: one entry, from the PACS, opening the local copy.
        Object.assign(local, {
          source: "pacs",
          connectionId: local.connectionId ?? connection.id,
          connectionName: local.connectionName ?? connection.name,
          report: local.report === "local" ? "local" : onPacs ? "pacs-sr" : "none",
          modalities: [...new Set([...local.modalities, ...s.modalities])],
        } satisfies Partial<PriorStudy>);
        continue;
      }
      const prior: PriorStudy = {
        source: "pacs",
        studyInstanceUid: s.studyInstanceUid,
        localStudyId: s.localStudyId,
        connectionId: connection.id,
        connectionName: connection.name,
        patientName: s.patientName,
        studyDate: isoDate(s.studyDate),
        description: s.description,
        modalities: s.modalities,
        report: onPacs ? "pacs-sr" : "none",
      };
      priors.push(prior);
      byUid.set(s.studyInstanceUid, prior);
    }
  }
  if (otherPatients > 0)
    warnings.push(
      `${otherPatients === 1 ? "1 other study" : `${otherPatients} other studies`} with Patient ID ${patientId} ${
        otherPatients === 1 ? "belongs" : "belong"
      } to another patient (issuer or name differs) and ${otherPatients === 1 ? "is" : "are"} not listed`,
    );
  priors.sort((a, b) => {
    const da = dayOf(a.studyDate);
    const db_ = dayOf(b.studyDate);
    if (da && db_) return da < db_ ? 1 : da > db_ ? -1 : 0;
    return da ? -1 : db_ ? 1 : 0;
  });
  return { studyId, patientId, issuerOfPatientId: issuer, priors, warnings };
}
