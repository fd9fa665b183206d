/**
 * Studies import: files or folders of DICOM, PNG and JPEG images into the case database's studies / series /
 * images tables (the files stay where they are; each image keeps its path and SHA-256).
 * - Every file is read, checksummed and decoded — all frames, by the engine's own decoder and the one table of
 *   supported input (src-shared/imaging) — in the imaging service's worker pool, off the main event loop. What the
 *   engine or the viewer cannot read, or what is damaged, is refused here with the reason, not later as an AI job.
 * - One study is one patient. DICOM images are grouped into studies by StudyInstanceUID (and into series by
 *   SeriesInstanceUID); a file whose patient differs from its study's is refused, naming both. Loose images (PNG,
 *   JPEG, DICOM without a StudyInstanceUID) are one study per file, except the R2Gen layout (`<study>/0.png`,
 *   `1.png`: one study per folder) or when the user groups them (`looseImages: "one-study"`).
 * - Frontal / lateral: the imaging service's classifyViews (View Position, View Code, descriptions, Patient
 *   Orientation, file name, then — for DICOM studies only — order), run per study over its images once the files are
 *   stored; images whose view is already known (earlier imports, the user's choice) keep it. A loose image's view
 *   comes from the file name or the user, never from the order of the files.
 * - Bad files are reported (path and reason) and the rest imported; re-importing the same files changes nothing.
 * - Progress is published as job-progress events, the changed studies as one studies-changed event; each import is
 *   written to the audit log.
 * Imports run one at a time (a queue), so the demo seeding and a user's import never interleave.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { View } from "../../../src-shared/domain";
import { isImagingError } from "../../../src-shared/imaging/errors";
import type { ImportFailure, ImportResult, LooseImages } from "../../../src-shared/import-types";
import { insertAudit } from "../../db/audit-log";
import type { CaseDatabase } from "../../db/database";
import type { EventBus } from "../events/event-bus";
import { ImageDecodePool } from "../imaging/decode-pool";
import type { ImageInspection, InspectResult } from "../imaging/inspect-image";
import { classifyViews, type ViewClassificationInput } from "../imaging/view-classification";
import { NotFoundError } from "../studies/studies-service";
import { scanPaths } from "./scan-paths";

export type StudySource = "demo" | "import";
export type PathPicker = (kind: "files" | "folder") => Promise<string[]>;

export interface ImportOptions {
  source?: StudySource;
  /** Id carried by the job-progress events (generated when absent). */
  jobId?: string | undefined;
  /** How loose images form studies (default "per-file"); see LooseImagesSchema. */
  looseImages?: LooseImages | undefined;
  signal?: AbortSignal;
}

export interface ImportServiceOptions {
  /** Folder of the bundled demo studies (resources/demo-studies). */
  demoStudiesDir: string;
  /** Who the audit log names; defaults to the operating-system user. */
  actor?: string;
  /** Worker threads that inspect the files (default: min(2, CPUs)). */
  inspectWorkers?: number;
}

/** A file the import refuses, with the reason shown to the user. */
export class ImportFileError extends Error {
  constructor(
    readonly filePath: string,
    readonly reason: string,
  ) {
    super(`${filePath}: ${reason}`);
    this.name = "ImportFileError";
  }
}

export interface DemoSeedResult {
  status: "seeded" | "up-to-date" | "absent";
  folder: string;
  result: ImportResult | null;
}

const DEMO_SETTING_KEY = "import.demoStudies";
const PROGRESS_INTERVAL_MS = 100;

const hash = (value: string, length: number) =>
  crypto.createHash("sha256").update(value).digest("hex").slice(0, length);

/** What classifyViews reads of a file: its path and, for DICOM, the view-related attributes. */
function viewInput(file: ImageInspection): ViewClassificationInput {
  const m = file.metadata;
  if (file.format !== "dicom") return { sourcePath: file.path };
  return {
    sourcePath: file.path,
    viewPosition: m.viewPosition,
    viewCodes: m.viewCodes,
    seriesDescription: m.seriesDescription,
    imageComments: m.imageComments,
    protocolName: m.protocolName,
    patientOrientation: m.patientOrientation,
  };
}

/** The import's words for an inspection failure (the imaging reason, with the import's short forms). */
function failureReason(error: unknown): string {
  if (error instanceof ImportFileError) return error.reason;
  if (!isImagingError(error)) return `unexpected error: ${error instanceof Error ? error.message : String(error)}`;
  switch (error.code) {
    case "NOT_DICOM":
      return "not a DICOM, PNG or JPEG file";
    case "EMPTY_FILE":
      return "empty file";
    case "CORRUPT_IMAGE":
      return `damaged or truncated image: ${error.reason}`;
    default:
      return error.reason;
  }
}

/** The R2Gen / IU-Xray layout: `<study>/0.png` (frontal) and `1.png` (lateral) in a folder named by the study. */
function isR2GenFile(filePath: string): boolean {
  return /^[01]\.(png|jpe?g)$/i.test(path.basename(filePath));
}

/** Who the patient of a DICOM file is: PatientID, else Patient Name; null when the file names neither. */
function patientKey(id: string | null, name: string | null): string | null {
  return id?.trim() || name?.trim() || null;
}

function describePatient(id: string | null, name: string | null): string {
  const parts = [name ? `"${formatPersonName(name) ?? name}"` : null, id ? `PatientID ${id}` : null].filter(Boolean);
  return parts.length ? parts.join(", ") : "no patient";
}

/** "Family^Given^Middle^Prefix^Suffix" (first component group) → "Family, Given Middle". */
export function formatPersonName(pn: string | null): string | null {
  if (!pn) return null;
  const alphabetic = pn.split("=")[0] ?? "";
  const [family = "", given = "", middle = "", prefix = "", suffix = ""] = alphabetic.split("^").map((s) => s.trim());
  const rest = [prefix, given, middle].filter(Boolean).join(" ");
  const name = [family, rest].filter(Boolean).join(", ") + (suffix ? ` ${suffix}` : "");
  return name.trim() || null;
}

/** DICOM DA "YYYYMMDD" → ISO "YYYY-MM-DD"; other forms are kept as stored. */
export function formatDicomDate(da: string | null): string | null {
  if (!da) return null;
  const m = /^(\d{4})\.?(\d{2})\.?(\d{2})$/.exec(da.trim());
  if (!m) return da.trim() || null;
  const [, y, mo, d] = m;
  if (Number(mo) < 1 || Number(mo) > 12 || Number(d) < 1 || Number(d) > 31) return da.trim();
  return `${y}-${mo}-${d}`;
}

function defaultActor(): string {
  try {
    return os.userInfo().username || "local user";
  } catch {
    return "local user";
  }
}

interface LooseGrouping {
  readonly mode: LooseImages;
  /** Every file of this import (the user's group is named after their common folder). */
  readonly files: readonly string[];
}

/** The study a loose image joins: its own, its R2Gen folder's, or the user's group for this import. */
function looseStudy(filePath: string, loose: LooseGrouping): { key: string; description: string } {
  if (loose.mode === "one-study") {
    const sorted = [...loose.files].sort();
    const folders = sorted.map((f) => path.dirname(f));
    let common = folders[0] ?? path.dirname(filePath);
    for (const folder of folders) {
      while (common !== path.dirname(common) && folder !== common && !folder.startsWith(`${common}${path.sep}`)) {
        common = path.dirname(common);
      }
    }
    return { key: `group:${sorted.join("\n")}`, description: path.basename(common) || common };
  }
  if (isR2GenFile(filePath)) {
    const folder = path.dirname(filePath);
    return { key: `folder:${folder}`, description: path.basename(folder) };
  }
  return { key: `file:${filePath}`, description: path.basename(filePath) };
}

interface ImageRow {
  id: string;
  series_id: string;
  file_sha256: string | null;
  study_id: string;
}

export class ImportService {
  private picker: PathPicker | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly actor: string;
  private pool: ImageDecodePool | null = null;
  private closed = false;

  constructor(
    private readonly db: CaseDatabase,
    private readonly events: EventBus,
    private readonly options: ImportServiceOptions,
  ) {
    this.actor = options.actor ?? defaultActor();
  }

  /** Stops the inspection workers (an import still running fails its remaining files). */
  async close(): Promise<void> {
    this.closed = true;
    const pool = this.pool;
    this.pool = null;
    await pool?.close();
  }

  private inspector(): ImageDecodePool {
    if (this.closed) throw new Error("the import service is closed");
    this.pool ??= new ImageDecodePool(
      this.options.inspectWorkers === undefined ? {} : { size: this.options.inspectWorkers },
    );
    return this.pool;
  }

  /** The Electron shell installs the system file dialog here; elsewhere there is none. */
  setPathPicker(picker: PathPicker | null): void {
    this.picker = picker;
  }

  async pickPaths(kind: "files" | "folder"): Promise<{ paths: string[]; available: boolean }> {
    if (!this.picker) return { paths: [], available: false };
    return { paths: await this.picker(kind), available: true };
  }

  /** Imports files and folders (recursively). Never throws for a bad file: it is listed in `failures`. */
  importPaths(paths: readonly string[], options: ImportOptions = {}): Promise<ImportResult> {
    const run = this.queue.then(() => this.runImport(paths, options));
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * Imports resources/demo-studies as source "demo" when its content (file names and sizes) differs from what was
   * seeded before; otherwise does nothing. Called at start by the Electron shell and the harness.
   */
  async seedDemoStudies(): Promise<DemoSeedResult> {
    const folder = this.options.demoStudiesDir;
    if (!fs.existsSync(folder)) return { status: "absent", folder, result: null };
    const scan = await scanPaths([folder]);
    const fingerprint = hash(
      scan.files.map((f) => `${path.relative(folder, f)}:${fs.statSync(f).size}`).join("\n"),
      32,
    );
    const stored = this.db.prepare("SELECT value FROM settings WHERE key = ?").get(DEMO_SETTING_KEY) as
      | { value: string }
      | undefined;
    if (stored && (JSON.parse(stored.value) as { fingerprint?: string }).fingerprint === fingerprint) {
      return { status: "up-to-date", folder, result: null };
    }
    const result = await this.importPaths([folder], { source: "demo", jobId: "demo-studies" });
    this.db
      .prepare(
        `INSERT INTO settings (key, value) VALUES (?, json(?))
         ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
      )
      .run(DEMO_SETTING_KEY, JSON.stringify({ fingerprint, files: scan.files.length, studies: result.studyIds }));
    return { status: "seeded", folder, result };
  }

  /** The user's override of an image's view. */
  setView(imageId: string, view: View): { imageId: string; studyId: string; view: View } {
    const row = this.db
      .prepare("SELECT i.id, se.study_id FROM images i JOIN series se ON se.id = i.series_id WHERE i.id = ?")
      .get(imageId) as { id: string; study_id: string } | undefined;
    if (!row) throw new NotFoundError(`no image with id ${imageId}`);
    this.db.transaction(() => {
      this.db.prepare("UPDATE images SET view = ?, view_reason = 'user' WHERE id = ?").run(view, imageId);
      this.touchStudy(row.study_id);
      this.audit("image.set-view", row.study_id, { imageId, view });
    })();
    this.events.publish({ type: "studies-changed", studyIds: [row.study_id] });
    return { imageId, studyId: row.study_id, view };
  }

  private async runImport(paths: readonly string[], options: ImportOptions): Promise<ImportResult> {
    const source = options.source ?? "import";
    const jobId = options.jobId ?? `import-${crypto.randomUUID()}`;
    const label = source === "demo" ? "Loading demo studies" : "Importing images";
    this.events.publish({ type: "job-progress", jobId, label, done: 0, total: 0, message: "Finding files" });
    const scan = await scanPaths(paths, options.signal);
    const failures: ImportFailure[] = [...scan.failures];
    const total = scan.files.length;
    const touched = new Set<string>();
    /** View hints of the images stored by this import, per study, for classifyViews. */
    const fresh = new Map<string, Map<string, ViewClassificationInput>>();
    let added = 0;
    let updated = 0;
    let unchanged = 0;
    let lastProgress = 0;
    const knownSha = this.db.prepare("SELECT file_sha256 FROM images WHERE file_path = ?");
    const pool = this.inspector();
    // Every file goes to the pool at once (it queues them); results are stored in file order.
    const inspections: Array<Promise<{ ok: true; value: InspectResult } | { ok: false; error: unknown }>> =
      scan.files.map((file) => {
        const rows = knownSha.all(file) as Array<{ file_sha256: string | null }>;
        const known = rows.length > 0 && rows.every((r) => r.file_sha256 === rows[0]?.file_sha256);
        return pool
          .inspect(file, {
            consumer: "import",
            knownSha256: known ? rows[0]?.file_sha256 : null,
            ...(options.signal ? { signal: options.signal } : {}),
          })
          .then(
            (value) => ({ ok: true as const, value }),
            (error: unknown) => ({ ok: false as const, error }),
          );
      });
    const loose: LooseGrouping = {
      mode: options.looseImages ?? "per-file",
      files: scan.files,
    };
    for (let i = 0; i < total; i++) {
      options.signal?.throwIfAborted();
      const file = scan.files[i] as string;
      const now = Date.now();
      if (now - lastProgress >= PROGRESS_INTERVAL_MS) {
        lastProgress = now;
        this.events.publish({ type: "job-progress", jobId, label, done: i, total, message: path.basename(file) });
      }
      const outcome = await (inspections[i] as (typeof inspections)[number]);
      if (!outcome.ok) {
        failures.push({ path: file, reason: failureReason(outcome.error) });
        continue;
      }
      if (outcome.value.kind === "unchanged") {
        unchanged++;
        continue;
      }
      const inspected = outcome.value;
      try {
        const stored = this.store(inspected, source, loose);
        if (stored.kind === "unchanged") unchanged++;
        else {
          if (stored.kind === "added") added++;
          else updated++;
          touched.add(stored.studyId);
          const forStudy = fresh.get(stored.studyId) ?? new Map<string, ViewClassificationInput>();
          forStudy.set(stored.imageId, viewInput(inspected));
          fresh.set(stored.studyId, forStudy);
        }
      } catch (err) {
        failures.push({
          path: file,
          reason: err instanceof ImportFileError ? err.reason : `could not be stored: ${(err as Error).message}`,
        });
      }
    }
    for (const studyId of touched) this.classifyStudyViews(studyId, fresh.get(studyId) ?? new Map());
    const studyIds = [...touched];
    const result: ImportResult = {
      jobId,
      studyIds,
      filesFound: total,
      imagesAdded: added,
      imagesUpdated: updated,
      imagesUnchanged: unchanged,
      failures,
    };
    this.db.transaction(() => {
      for (const studyId of studyIds) this.audit("study.imported", studyId, { jobId, source });
      this.audit("import", null, {
        jobId,
        source,
        paths: paths.slice(0, 20),
        filesFound: total,
        imagesAdded: added,
        imagesUpdated: updated,
        imagesUnchanged: unchanged,
        failureCount: failures.length,
        failures: failures.slice(0, 100),
      });
    })();
    this.events.publish({
      type: "job-progress",
      jobId,
      label,
      done: total,
      total,
      message: `${added + updated} imported, ${unchanged} unchanged, ${failures.length} failed`,
    });
    if (studyIds.length > 0) this.events.publish({ type: "studies-changed", studyIds });
    return result;
  }

  /** Writes one inspected file (one transaction). Throws ImportFileError when its study belongs to another patient. */
  private store(
    file: ImageInspection,
    source: StudySource,
    loose: LooseGrouping,
  ): { kind: "added" | "updated"; studyId: string; imageId: string } | { kind: "unchanged" } {
    return this.db.transaction(() => {
      const existing = this.db
        .prepare(
          `SELECT i.id, i.series_id, i.file_sha256, se.study_id FROM images i JOIN series se ON se.id = i.series_id
           WHERE i.file_path = ?`,
        )
        .all(file.path) as ImageRow[];
      if (existing.length > 0 && existing.every((e) => e.file_sha256 === file.sha256)) {
        return { kind: "unchanged" as const };
      }
      const studyId = this.resolveStudy(file, source, loose);
      const duplicate = this.db
        .prepare(
          `SELECT i.file_path FROM images i JOIN series se ON se.id = i.series_id
           WHERE se.study_id = ? AND i.file_sha256 = ? AND i.file_path <> ? LIMIT 1`,
        )
        .get(studyId, file.sha256, file.path) as { file_path: string } | undefined;
      if (existing.length === 0 && duplicate) return { kind: "unchanged" as const };
      for (const e of existing) this.db.prepare("DELETE FROM images WHERE id = ?").run(e.id);
      const seriesId = this.resolveSeries(studyId, file);
      const imageId = `im-${crypto.randomUUID().replace(/-/g, "").slice(0, 24)}`;
      const m = file.metadata;
      // The view is decided per study once all files are stored (classifyStudyViews).
      this.db
        .prepare(
          `INSERT INTO images (id, series_id, sop_instance_uid, file_path, file_sha256, view, view_reason, width, height,
                               transfer_syntax)
           VALUES (@id, @seriesId, @sop, @path, @sha, 'unknown', NULL, @width, @height, @ts)`,
        )
        .run({
          id: imageId,
          seriesId,
          sop: m.sopInstanceUid,
          path: file.path,
          sha: file.sha256,
          width: m.width,
          height: m.height,
          ts: m.transferSyntaxUid,
        });
      this.touchStudy(studyId);
      return { kind: existing.length > 0 ? ("updated" as const) : ("added" as const), studyId, imageId };
    })();
  }

  private resolveStudy(file: ImageInspection, source: StudySource, loose: LooseGrouping): string {
    const m = file.metadata;
    const dicom = file.format === "dicom";
    const uid = dicom ? m.studyInstanceUid : null;
    const patientName = formatPersonName(m.patientName);
    const studyDate = formatDicomDate(m.studyDate);
    if (uid) {
      const row = this.db
        .prepare("SELECT id, patient_id, patient_name FROM studies WHERE study_instance_uid = ?")
        .get(uid) as { id: string; patient_id: string | null; patient_name: string | null } | undefined;
      // Without a description, the worklist names the study by its first file rather than by an opaque id.
      const description =
        m.studyDescription ?? ([m.modality, m.bodyPartExamined].filter(Boolean).join(" ") || path.basename(file.path));
      if (row) {
        const theirs = patientKey(row.patient_id, row.patient_name);
        const ours = patientKey(m.patientId, patientName);
        if (theirs !== null && ours !== null && theirs !== ours) {
          throw new ImportFileError(
            file.path,
            `StudyInstanceUID ${uid} belongs to ${describePatient(row.patient_id, row.patient_name)} in the worklist, but this file is ${describePatient(m.patientId, m.patientName)}: one study is one patient, so it was not added to that study`,
          );
        }
        this.db
          .prepare(
            `UPDATE studies SET patient_name = COALESCE(patient_name, ?), patient_id = COALESCE(patient_id, ?),
               study_date = COALESCE(study_date, ?), description = COALESCE(description, ?),
               institution_name = COALESCE(institution_name, ?), accession_number = COALESCE(accession_number, ?),
               referring_physician = COALESCE(referring_physician, ?) WHERE id = ?`,
          )
          .run(
            patientName,
            m.patientId,
            studyDate,
            description,
            m.institutionName,
            m.accessionNumber,
            m.referringPhysicianName,
            row.id,
          );
        return row.id;
      }
      const id = `st-${hash(`uid:${uid}`, 16)}`;
      // Institution, accession and referring physician as the file has them (the exports print them: issue 18.5).
      this.db
        .prepare(
          `INSERT INTO studies (id, study_instance_uid, patient_id, patient_name, study_date, description, source,
                                institution_name, accession_number, referring_physician)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          id,
          uid,
          m.patientId,
          patientName,
          studyDate,
          description,
          source,
          m.institutionName,
          m.accessionNumber,
          m.referringPhysicianName,
        );
      return id;
    }
    // Loose images (PNG/JPEG, DICOM without a StudyInstanceUID): one study per file, per R2Gen folder, or the user's.
    const { key, description } = looseStudy(file.path, loose);
    const id = `st-${hash(key, 16)}`;
    const row = this.db.prepare("SELECT patient_id, patient_name FROM studies WHERE id = ?").get(id) as
      | { patient_id: string | null; patient_name: string | null }
      | undefined;
    if (!row) {
      this.db
        .prepare(
          `INSERT INTO studies (id, study_instance_uid, patient_id, patient_name, study_date, description, source)
           VALUES (?, NULL, ?, ?, ?, ?, ?)`,
        )
        .run(id, m.patientId, patientName, studyDate, description, source);
      return id;
    }
    const theirs = patientKey(row.patient_id, row.patient_name);
    const ours = patientKey(m.patientId, patientName);
    if (theirs !== null && ours !== null && theirs !== ours) {
      throw new ImportFileError(
        file.path,
        `this file is ${describePatient(m.patientId, m.patientName)}, but the study "${description}" it would join is ${describePatient(row.patient_id, row.patient_name)}: one study is one patient, so it was not added`,
      );
    }
    return id;
  }

  private resolveSeries(studyId: string, file: ImageInspection): string {
    const m = file.metadata;
    const uid = file.format === "dicom" ? m.seriesInstanceUid : null;
    const row = this.db
      .prepare("SELECT id FROM series WHERE study_id = ? AND series_instance_uid IS ?")
      .get(studyId, uid) as { id: string } | undefined;
    if (row) return row.id;
    const id = `${studyId}-se-${hash(uid ?? "(no series uid)", 12)}`;
    this.db
      .prepare("INSERT INTO series (id, study_id, series_instance_uid, modality, description) VALUES (?, ?, ?, ?, ?)")
      .run(id, studyId, uid, m.modality, m.seriesDescription);
    return id;
  }

  /**
   * Frontal / lateral for the images this import stored in one study (and for images still "unknown"), with
   * classifyViews over all the study's images in file-path order; images with a known view keep it (as overrides).
   */
  private classifyStudyViews(studyId: string, fresh: ReadonlyMap<string, ViewClassificationInput>): void {
    const study = this.db.prepare("SELECT study_instance_uid FROM studies WHERE id = ?").get(studyId) as
      | { study_instance_uid: string | null }
      | undefined;
    const images = (
      this.db
        .prepare(
          `SELECT i.id, i.file_path AS filePath, i.view, i.view_reason AS reason FROM images i
           JOIN series se ON se.id = i.series_id WHERE se.study_id = ?`,
        )
        .all(studyId) as Array<{ id: string; filePath: string; view: View; reason: string | null }>
    ).sort((a, b) => (a.filePath < b.filePath ? -1 : a.filePath > b.filePath ? 1 : a.id < b.id ? -1 : 1));
    const decided = (i: (typeof images)[number]) => !fresh.has(i.id) && (i.view !== "unknown" || i.reason === "user");
    const { assignments } = classifyViews(
      images.map((i) => fresh.get(i.id) ?? { sourcePath: i.filePath }),
      {
        overrides: images.map((i) => (decided(i) && i.view !== "unknown" ? i.view : null)),
        // A loose image's view comes from its name or the user, never from the order of the files.
        useOrder: Boolean(study?.study_instance_uid),
      },
    );
    const update = this.db.prepare("UPDATE images SET view = ?, view_reason = ? WHERE id = ?");
    this.db.transaction(() => {
      for (const a of assignments) {
        const image = images[a.index];
        if (image && !decided(image)) update.run(a.view, a.reason, image.id);
      }
    })();
  }

  private touchStudy(studyId: string): void {
    this.db.prepare("UPDATE studies SET updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?").run(studyId);
  }

  private audit(action: string, studyId: string | null, details: unknown): void {
    insertAudit(this.db, this.actor, action, studyId, details);
  }
}
