import type { StudyDetail, StudyStatus, StudySummary } from "../../../src-shared/domain";
import type { CaseDatabase } from "../../db/database";

export class NotFoundError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "NotFoundError";
  }
}

/** The columns of a `studies` row that name the study and its patient. */
export interface StudyHeaderRow {
  id: string;
  study_instance_uid: string | null;
  patient_id: string | null;
  patient_name: string | null;
  study_date: string | null;
  description: string | null;
}

/** The study header (ids, patient, date, description) of a `studies` row, named as the domain names it. */
export function studyHeaderOf(
  r: StudyHeaderRow,
): Pick<StudySummary, "id" | "studyInstanceUid" | "patientId" | "patientName" | "studyDate" | "description"> {
  return {
    id: r.id,
    studyInstanceUid: r.study_instance_uid,
    patientId: r.patient_id,
    patientName: r.patient_name,
    studyDate: r.study_date,
    description: r.description,
  };
}

interface StudyRow extends StudyHeaderRow {
  accession_number: string | null;
  modalities: string | null;
  source: "demo" | "import";
  pacs_connection: string | null;
  status: StudyStatus;
  critical: number;
  image_count: number;
  updated_at: string;
}

/** A study's images (alias i, series se; one parameter: the study id) in viewer order: frontal, lateral, others, then path. */
export const STUDY_IMAGES_IN_VIEWER_ORDER = `FROM images i JOIN series se ON se.id = i.series_id WHERE se.study_id = ?
  ORDER BY CASE i.view WHEN 'frontal' THEN 0 WHEN 'lateral' THEN 1 ELSE 2 END, i.file_path`;

const toSummary = (r: StudyRow): StudySummary => ({
  ...studyHeaderOf(r),
  accessionNumber: r.accession_number,
  modalities: r.modalities ? r.modalities.split("\\") : [],
  source: r.source,
  pacsConnection: r.pacs_connection,
  status: r.status,
  critical: r.critical === 1,
  imageCount: r.image_count,
  updatedAt: r.updated_at,
});

const SUMMARY_SELECT = `
  SELECT s.id, s.study_instance_uid, s.patient_id, s.patient_name, s.study_date, s.description, s.source, s.status,
         s.critical, s.updated_at, s.accession_number,
         (SELECT group_concat(m, '\\') FROM (SELECT DISTINCT se.modality AS m FROM series se
            WHERE se.study_id = s.id AND se.modality IS NOT NULL ORDER BY se.rowid)) AS modalities,
         (SELECT count(*) FROM images i JOIN series se ON se.id = i.series_id WHERE se.study_id = s.id) AS image_count,
         (SELECT c.name FROM pacs_studies p JOIN pacs_connections c ON c.id = p.connection_id
            WHERE p.study_id = s.id ORDER BY p.retrieved_at DESC LIMIT 1) AS pacs_connection
  FROM studies s`;

/**
 * The worklist's order, total and stable: studies with a critical result first (issue 18.3), then newest study date first (no date last), then the most recently added study (its first import), then the
 * id. Apart from the critical flag (set when a draft names a critical result), nothing a draft, a signature or a
 * re-import changes is in it, so rows do not move while the user works down the list.
 */
const WORKLIST_ORDER = "s.critical DESC, s.study_date DESC, s.created_at DESC, s.id";

/** At most this many words of a worklist search are used (each adds a clause). */
const MAX_SEARCH_WORDS = 8;

/**
 * The words of a worklist search: split on spaces, the commas and carets of a typed name ("Smith, John",
 * "SMITH^JOHN") dropped, so each word is looked for on its own.
 */
export function searchWords(search: string): string[] {
  return search
    .split(/[\s,^]+/)
    .filter((w) => w !== "")
    .slice(0, MAX_SEARCH_WORDS);
}

/** The worklist: studies, their series and images, as stored in the case database. */
export class StudiesService {
  constructor(private readonly db: CaseDatabase) {}

  list(
    filter: {
      search?: string | undefined;
      status?: StudyStatus | undefined;
      /** Inclusive study date range, YYYY-MM-DD (studies without a date are left out once a bound is given). */
      dateFrom?: string | undefined;
      dateTo?: string | undefined;
    } = {},
  ): StudySummary[] {
    const where: string[] = [];
    const params: Record<string, string> = {};
    if (filter.status) {
      where.push("s.status = @status");
      params.status = filter.status;
    }
    // Dates are stored as ISO YYYY-MM-DD (formatDicomDate at import), so they compare as text.
    if (filter.dateFrom) {
      where.push("substr(s.study_date, 1, 10) >= @dateFrom");
      params.dateFrom = filter.dateFrom;
    }
    if (filter.dateTo) {
      where.push("substr(s.study_date, 1, 10) <= @dateTo");
      params.dateTo = filter.dateTo;
    }
    for (const [i, word] of searchWords(filter.search ?? "").entries()) {
      // Every word matches somewhere: patient name (any component) or ID, date, description, a series' modality
      // or description, or the study id.
      const q = `@q${i}`;
      where.push(
        `(s.patient_name LIKE ${q} ESCAPE '\\' OR s.patient_id LIKE ${q} ESCAPE '\\' OR s.study_date LIKE ${q} ESCAPE '\\'
          OR s.description LIKE ${q} ESCAPE '\\' OR s.id LIKE ${q} ESCAPE '\\'
          OR s.accession_number LIKE ${q} ESCAPE '\\'
          OR EXISTS (SELECT 1 FROM series se WHERE se.study_id = s.id
                       AND (se.modality LIKE ${q} ESCAPE '\\' OR se.description LIKE ${q} ESCAPE '\\')))`,
      );
      params[`q${i}`] = `%${word.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    }
    const sql = `${SUMMARY_SELECT} ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
      ORDER BY ${WORKLIST_ORDER}`;
    return (this.db.prepare(sql).all(params) as StudyRow[]).map(toSummary);
  }

  get(studyId: string): StudyDetail {
    const row = this.db.prepare(`${SUMMARY_SELECT} WHERE s.id = ?`).get(studyId) as StudyRow | undefined;
    if (!row) throw new NotFoundError(`no study with id ${studyId}`);
    const images = this.db
      .prepare(
        `SELECT i.id, se.series_instance_uid, i.sop_instance_uid, i.file_path, i.view, i.view_reason, i.width, i.height
         ${STUDY_IMAGES_IN_VIEWER_ORDER}`,
      )
      .all(studyId) as Array<{
      id: string;
      series_instance_uid: string | null;
      sop_instance_uid: string | null;
      file_path: string;
      view: "frontal" | "lateral" | "unknown";
      view_reason: string | null;
      width: number | null;
      height: number | null;
    }>;
    return {
      ...toSummary(row),
      images: images.map((i) => ({
        id: i.id,
        seriesInstanceUid: i.series_instance_uid,
        sopInstanceUid: i.sop_instance_uid,
        filePath: i.file_path,
        view: i.view,
        viewReason: i.view_reason,
        width: i.width,
        height: i.height,
      })),
    };
  }
}
