/**
 * Studies import: files or folders of DICOM, PNG and JPEG images into the case database's studies / series /
 * images tables (the files stay where they are; each image keeps its path and SHA-256).
 * - DICOM images are grouped into studies by StudyInstanceUID and into series by SeriesInstanceUID; plain images by
 *   their folder (one study and one series per folder).
 * - Frontal / lateral: the imaging service's classifyViews (View Position, View Code, descriptions, Patient
 *   Orientation, file name, then order), run per study over its images once the files are stored; images whose view
 *   is already known (earlier imports, the user's choice) keep it and count for the order rule.
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
import type { ImportFailure, ImportResult } from "../../../src-shared/import-types";
import type { CaseDatabase } from "../../db/database";
import type { EventBus } from "../events/event-bus";
import { classifyViews, type ViewClassificationInput } from "../imaging/view-classification";
import { NotFoundError } from "../studies/studies-service";
import { ImportFileError, type ProbedFile, probeFile } from "./probe-file";
import { scanPaths } from "./scan-paths";

export type StudySource = "demo" | "import";
export type PathPicker = (kind: "files" | "folder") => Promise<string[]>;

export interface ImportOptions {
  source?: StudySource;
  /** Id carried by the job-progress events (generated when absent). */
  jobId?: string | undefined;
  signal?: AbortSignal;
}

export interface ImportServiceOptions {
  /** Folder of the bundled demo studies (resources/demo-studies). */
  demoStudiesDir: string;
  /** Who the audit log names; defaults to the operating-system user. */
  actor?: string;
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
function viewInput(file: ProbedFile): ViewClassificationInput {
  const d = file.dicom;
  if (!d) return { sourcePath: file.path };
  return {
    sourcePath: file.path,
    viewPosition: d.viewPosition,
    viewCodes: d.viewCodes,
    seriesDescription: d.seriesDescription,
    imageComments: d.imageComments,
    protocolName: d.protocolName,
    patientOrientation: d.patientOrientation,
  };
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

  constructor(
    private readonly db: CaseDatabase,
    private readonly events: EventBus,
    private readonly options: ImportServiceOptions,
  ) {
    this.actor = options.actor ?? defaultActor();
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
    for (let i = 0; i < total; i++) {
      options.signal?.throwIfAborted();
      const file = scan.files[i] as string;
      const now = Date.now();
      if (now - lastProgress >= PROGRESS_INTERVAL_MS) {
        lastProgress = now;
        this.events.publish({ type: "job-progress", jobId, label, done: i, total, message: path.basename(file) });
      }
      let probed: ProbedFile;
      try {
        probed = await probeFile(file);
      } catch (err) {
        failures.push({
          path: file,
          reason: err instanceof ImportFileError ? err.reason : `unexpected error: ${(err as Error).message}`,
        });
        continue;
      }
      try {
        const outcome = this.store(probed, source);
        if (outcome.kind === "unchanged") unchanged++;
        else {
          if (outcome.kind === "added") added++;
          else updated++;
          touched.add(outcome.studyId);
          const forStudy = fresh.get(outcome.studyId) ?? new Map<string, ViewClassificationInput>();
          forStudy.set(outcome.imageId, viewInput(probed));
          fresh.set(outcome.studyId, forStudy);
        }
      } catch (err) {
        failures.push({ path: file, reason: `could not be stored: ${(err as Error).message}` });
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

  /** Writes one probed file (one transaction). */
  private store(
    file: ProbedFile,
    source: StudySource,
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
      const studyId = this.resolveStudy(file, source);
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
          sop: file.dicom?.sopInstanceUid ?? null,
          path: file.path,
          sha: file.sha256,
          width: file.width,
          height: file.height,
          ts: file.dicom?.transferSyntaxUid ?? null,
        });
      this.touchStudy(studyId);
      return { kind: existing.length > 0 ? ("updated" as const) : ("added" as const), studyId, imageId };
    })();
  }

  private resolveStudy(file: ProbedFile, source: StudySource): string {
    const dicom = file.dicom;
    const uid = dicom?.studyInstanceUid ?? null;
    if (uid) {
      const row = this.db.prepare("SELECT id FROM studies WHERE study_instance_uid = ?").get(uid) as
        | { id: string }
        | undefined;
      const patientName = formatPersonName(dicom?.patientName ?? null);
      const studyDate = formatDicomDate(dicom?.studyDate ?? null);
      const description =
        dicom?.studyDescription ?? ([dicom?.modality, dicom?.bodyPartExamined].filter(Boolean).join(" ") || null);
      if (row) {
        this.db
          .prepare(
            `UPDATE studies SET patient_name = COALESCE(patient_name, ?), patient_id = COALESCE(patient_id, ?),
               study_date = COALESCE(study_date, ?), description = COALESCE(description, ?) WHERE id = ?`,
          )
          .run(patientName, dicom?.patientId ?? null, studyDate, description, row.id);
        return row.id;
      }
      const id = `st-${hash(`uid:${uid}`, 16)}`;
      this.db
        .prepare(
          `INSERT INTO studies (id, study_instance_uid, patient_id, patient_name, study_date, description, source)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(id, uid, dicom?.patientId ?? null, patientName, studyDate, description, source);
      return id;
    }
    // Plain images (and DICOM without a StudyInstanceUID): one study per folder.
    const folder = path.dirname(file.path);
    const id = `st-${hash(`folder:${folder}`, 16)}`;
    const exists = this.db.prepare("SELECT 1 FROM studies WHERE id = ?").get(id);
    if (!exists) {
      this.db
        .prepare(
          `INSERT INTO studies (id, study_instance_uid, patient_id, patient_name, study_date, description, source)
           VALUES (?, NULL, ?, ?, ?, ?, ?)`,
        )
        .run(
          id,
          dicom?.patientId ?? null,
          formatPersonName(dicom?.patientName ?? null),
          formatDicomDate(dicom?.studyDate ?? null),
          path.basename(folder),
          source,
        );
    }
    return id;
  }

  private resolveSeries(studyId: string, file: ProbedFile): string {
    const uid = file.dicom?.seriesInstanceUid ?? null;
    const row = this.db
      .prepare("SELECT id FROM series WHERE study_id = ? AND series_instance_uid IS ?")
      .get(studyId, uid) as { id: string } | undefined;
    if (row) return row.id;
    const id = `${studyId}-se-${hash(uid ?? "(no series uid)", 12)}`;
    this.db
      .prepare("INSERT INTO series (id, study_id, series_instance_uid, modality, description) VALUES (?, ?, ?, ?, ?)")
      .run(id, studyId, uid, file.dicom?.modality ?? null, file.dicom?.seriesDescription ?? null);
    return id;
  }

  /**
   * Frontal / lateral for the images this import stored in one study (and for images still "unknown"), with
   * classifyViews over all the study's images in file-path order; images with a known view keep it (as overrides).
   */
  private classifyStudyViews(studyId: string, fresh: ReadonlyMap<string, ViewClassificationInput>): void {
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
      { overrides: images.map((i) => (decided(i) && i.view !== "unknown" ? i.view : null)) },
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
    this.db
      .prepare("INSERT INTO audit_log (actor, action, study_id, details) VALUES (?, ?, ?, ?)")
      .run(this.actor, action, studyId, JSON.stringify(details));
  }
}
