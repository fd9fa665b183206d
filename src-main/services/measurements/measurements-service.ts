/**
 * Measurements kept with the study (table `measurements`, migrations 11 and 16): made in the viewer, listed, edited
 * (points, label, ROI statistics, a probe's reading) and deleted while the report is open; signing locks them into the signed record
 * (the DICOM SR and the PDF carry them). The calibration is read here from the image file's header (Pixel Spacing,
 * else Imager Pixel Spacing, else uncalibrated) and the values computed from the points (src-shared/measurements.ts);
 * neither is taken from the renderer.
 */
import fs from "node:fs";
import { AttributeReader, sniffDicom } from "../../../src-shared/imaging/dicom-reader";
import {
  type Calibration,
  calibrationFromSpacing,
  type Measurement,
  type MeasurementDraft,
  MeasurementDraftSchema,
  type MeasurementKind,
  measurementValues,
  POINTS_PER_KIND,
  type Point,
  type ProbeReading,
  ProbeReadingSchema,
  type RoiStats,
  UNCALIBRATED,
} from "../../../src-shared/measurements";
import { insertAudit } from "../../db/audit-log";
import type { CaseDatabase } from "../../db/database";
import { parseDicomBytes } from "../imaging/decode-image";
import { ReportConflictError } from "../reports/errors";
import { NotFoundError } from "../studies/studies-service";

interface Row {
  id: number;
  study_id: string;
  image_id: string;
  kind: MeasurementKind;
  points: string;
  calibration: string;
  stats: string | null;
  reading: string | null;
  label: string;
  signed_report_id: number | null;
  created_at: string;
  updated_at: string;
}

export interface MeasurementEdit {
  id: number;
  points?: Point[];
  label?: string;
  stats?: RoiStats | null;
  /** A probe's reading at its (moved) point. */
  reading?: ProbeReading;
}

const COLUMNS =
  "id, study_id, image_id, kind, points, calibration, stats, reading, label, signed_report_id, created_at, updated_at";

function fromRow(row: Row): Measurement {
  const points = JSON.parse(row.points) as Point[];
  const calibration = JSON.parse(row.calibration) as Calibration;
  const reading = row.reading ? (JSON.parse(row.reading) as ProbeReading) : null;
  return {
    id: row.id,
    studyId: row.study_id,
    imageId: row.image_id,
    kind: row.kind,
    points,
    calibration,
    stats: row.stats ? (JSON.parse(row.stats) as RoiStats) : null,
    reading,
    label: row.label,
    values: measurementValues(row.kind, points, calibration, reading),
    signedReportId: row.signed_report_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export class MeasurementsService {
  constructor(
    private readonly db: CaseDatabase,
    private readonly actor: () => string = () => "user",
  ) {}

  list(studyId: string): Measurement[] {
    this.requireStudy(studyId);
    const rows = this.db
      .prepare(`SELECT ${COLUMNS} FROM measurements WHERE study_id = ? ORDER BY id`)
      .all(studyId) as Row[];
    return rows.map(fromRow);
  }

  /** The measurements signed with a report (what its exports carry). */
  ofSignedReport(signedReportId: number): Measurement[] {
    const rows = this.db
      .prepare(`SELECT ${COLUMNS} FROM measurements WHERE signed_report_id = ? ORDER BY id`)
      .all(signedReportId) as Row[];
    return rows.map(fromRow);
  }

  get(id: number): Measurement {
    const row = this.db.prepare(`SELECT ${COLUMNS} FROM measurements WHERE id = ?`).get(id) as Row | undefined;
    if (!row) throw new NotFoundError(`measurement ${id} does not exist (deleted?)`);
    return fromRow(row);
  }

  create(input: MeasurementDraft): Measurement {
    const draft = MeasurementDraftSchema.parse(input);
    this.requireStudy(draft.studyId);
    const image = this.db
      .prepare(
        "SELECT i.id, i.file_path FROM images i JOIN series s ON s.id = i.series_id WHERE i.id = ? AND s.study_id = ?",
      )
      .get(draft.imageId, draft.studyId) as { id: string; file_path: string } | undefined;
    if (!image) throw new NotFoundError(`image ${draft.imageId} is not an image of study ${draft.studyId}`);
    this.requireUnsigned(draft.studyId);
    const calibration = this.calibrationOf(image.file_path);
    // Throws for a degenerate shape (an angle without arms, a zero thoracic width) before anything is stored.
    const values = measurementValues(draft.kind, draft.points, calibration, draft.reading);
    const id = this.db.transaction(() => {
      const result = this.db
        .prepare(
          `INSERT INTO measurements (study_id, image_id, kind, points, calibration, stats, reading, label)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          draft.studyId,
          draft.imageId,
          draft.kind,
          JSON.stringify(draft.points),
          JSON.stringify(calibration),
          draft.stats ? JSON.stringify(draft.stats) : null,
          draft.reading ? JSON.stringify(draft.reading) : null,
          draft.label,
        );
      const newId = Number(result.lastInsertRowid);
      this.audit("measurement.created", draft.studyId, { id: newId, kind: draft.kind, value: values.value });
      return newId;
    })();
    return this.get(id);
  }

  update(edit: MeasurementEdit): Measurement {
    const current = this.get(edit.id);
    if (current.signedReportId !== null) {
      throw new ReportConflictError(`measurement ${edit.id} was signed with the report and is locked`);
    }
    const points = edit.points ?? current.points;
    if (points.length !== POINTS_PER_KIND[current.kind]) {
      throw new Error(
        `a ${current.kind} measurement has ${POINTS_PER_KIND[current.kind]} points, not ${points.length}`,
      );
    }
    const stats = edit.stats === undefined ? current.stats : edit.stats;
    if (stats && current.kind !== "ellipse") throw new Error("only an elliptical ROI has statistics");
    if (edit.reading !== undefined && current.kind !== "probe") throw new Error("only a probe has a reading");
    const reading = edit.reading === undefined ? current.reading : ProbeReadingSchema.parse(edit.reading);
    const values = measurementValues(current.kind, points, current.calibration, reading);
    this.db.transaction(() => {
      this.db
        .prepare(
          `UPDATE measurements SET points = ?, label = ?, stats = ?, reading = ?,
             updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?`,
        )
        .run(
          JSON.stringify(points),
          edit.label ?? current.label,
          stats ? JSON.stringify(stats) : null,
          reading ? JSON.stringify(reading) : null,
          edit.id,
        );
      this.audit("measurement.edited", current.studyId, { id: edit.id, value: values.value });
    })();
    return this.get(edit.id);
  }

  delete(id: number): { id: number; studyId: string } {
    const current = this.get(id);
    if (current.signedReportId !== null) {
      throw new ReportConflictError(`measurement ${id} was signed with the report and cannot be deleted`);
    }
    this.db.transaction(() => {
      this.db.prepare("DELETE FROM measurements WHERE id = ?").run(id);
      this.audit("measurement.deleted", current.studyId, { id, kind: current.kind });
    })();
    return { id, studyId: current.studyId };
  }

  /** Signing: the study's open measurements become part of the signed record (runs inside the signing transaction). */
  lockForSignedReport(studyId: string, signedReportId: number): number {
    return this.db
      .prepare("UPDATE measurements SET signed_report_id = ? WHERE study_id = ? AND signed_report_id IS NULL")
      .run(signedReportId, studyId).changes;
  }

  /** The image's calibration from its header; PNG / JPEG files have none (uncalibrated). */
  calibrationOf(filePath: string): Calibration {
    let bytes: Buffer;
    try {
      bytes = fs.readFileSync(filePath);
    } catch (err) {
      throw new NotFoundError(`the image file ${filePath} cannot be read: ${(err as Error).message}`);
    }
    if (!sniffDicom(bytes)) return UNCALIBRATED;
    const parsed = parseDicomBytes(bytes, filePath, 512 * 1024 * 1024, "viewer");
    const attrs = new AttributeReader(parsed.dataSet);
    return calibrationFromSpacing(attrs.numbers("x00280030"), attrs.numbers("x00181164"));
  }

  private requireStudy(studyId: string): void {
    if (!this.db.prepare("SELECT 1 FROM studies WHERE id = ?").get(studyId)) {
      throw new NotFoundError(`study ${studyId} does not exist`);
    }
  }

  private requireUnsigned(studyId: string): void {
    if (this.db.prepare("SELECT 1 FROM signed_reports WHERE study_id = ?").get(studyId)) {
      throw new ReportConflictError(
        `the report of study ${studyId} is signed: measurements can no longer be added (write an addendum)`,
      );
    }
  }

  private audit(action: string, studyId: string, details: Record<string, unknown>): void {
    insertAudit(this.db, this.actor(), action, studyId, details);
  }
}
