/**
 * WADO-RS retrieval of a PACS study into the local cache: every image instance is saved as
 * <data dir>/pacs-cache/<connection id>/<StudyInstanceUID>/<SOPInstanceUID>.dcm (written to a temporary name, then
 * renamed, so a file there is always whole), then the folder is imported with the import service like any folder.
 * Resumable: instances already in the folder are not fetched again. A study whose retrieval completed opens from the
 * cache without any request to the PACS. Progress goes out as job-progress events; an AbortSignal cancels.
 */
import fs from "node:fs";
import path from "node:path";
import type { PacsRetrieveResult } from "../../../src-shared/pacs-types";
import type { CaseDatabase } from "../../db/database";
import type { EventBus } from "../events/event-bus";
import type { ImportService } from "../import/import-service";
import { type DicomJsonDataset, requiredUid, str, TAGS } from "./dicom-json";
import type { DicomWebClient } from "./dicomweb-client";
import { PacsError } from "./errors";

/** SOP classes that are not images this workstation reads: SR, presentation states, key objects, encapsulated docs. */
const NON_IMAGE_SOP_CLASS = /^1\.2\.840\.10008\.5\.1\.4\.1\.1\.(88\.|11\.|104\.|66|67|9\.|481\.)/;
const NON_IMAGE_MODALITIES = new Set(["SR", "PR", "KO", "DOC", "REG", "SEG", "RTSTRUCT", "RTPLAN"]);
const PARALLEL = 3;
const UID = /^[0-9.]{1,64}$/;

export interface StudyInstance {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  sopClassUid: string | null;
  modality: string | null;
}

export function instanceOf(ds: DicomJsonDataset, what: string): StudyInstance {
  return {
    studyInstanceUid: requiredUid(ds, TAGS.StudyInstanceUID, what),
    seriesInstanceUid: requiredUid(ds, TAGS.SeriesInstanceUID, what),
    sopInstanceUid: requiredUid(ds, TAGS.SOPInstanceUID, what),
    sopClassUid: str(ds, TAGS.SOPClassUID),
    modality: str(ds, TAGS.Modality),
  };
}

export function isImageInstance(i: StudyInstance): boolean {
  if (i.sopClassUid && NON_IMAGE_SOP_CLASS.test(i.sopClassUid)) return false;
  return !(i.modality && NON_IMAGE_MODALITIES.has(i.modality.toUpperCase()));
}

/** Lists a study's instances on the PACS (QIDO-RS); an unknown study is a NOT_FOUND naming it. */
export async function listStudyInstances(
  client: DicomWebClient,
  studyUid: string,
  pacsName: string,
  signal?: AbortSignal,
): Promise<StudyInstance[]> {
  const found = await client.searchInstances(
    studyUid,
    [
      ["includefield", TAGS.SOPClassUID],
      ["includefield", TAGS.Modality],
    ],
    signal,
  );
  const instances = found.map((ds) => instanceOf(ds, `instances of study ${studyUid}`));
  if (instances.length === 0)
    throw new PacsError("NOT_FOUND", `${pacsName} has no study ${studyUid} (or it holds no instances)`);
  return instances.filter((i) => i.studyInstanceUid === studyUid);
}

export interface FetchProgress {
  done: number;
  total: number;
  fetched: number;
  cached: number;
  message: string;
}

/**
 * Saves the study's image instances into `folder`, fetching only those not there yet. Returns counts.
 * Used by the app's retrieval and by the CLIs (generate, index) alike.
 */
export async function fetchStudyInstances(
  client: DicomWebClient,
  instances: readonly StudyInstance[],
  folder: string,
  options: { signal?: AbortSignal; onProgress?: (p: FetchProgress) => void } = {},
): Promise<{ fetched: number; cached: number; skipped: number; files: string[] }> {
  const images = instances.filter(isImageInstance);
  const skipped = instances.length - images.length;
  fs.mkdirSync(folder, { recursive: true, mode: 0o700 });
  let fetched = 0;
  let cached = 0;
  let done = 0;
  const files: string[] = [];
  const queue = [...images];
  const report = (message: string) => options.onProgress?.({ done, total: images.length, fetched, cached, message });
  report(`${images.length} image instance(s) to read`);
  const worker = async () => {
    for (;;) {
      const instance = queue.shift();
      if (!instance) return;
      options.signal?.throwIfAborted();
      if (!UID.test(instance.sopInstanceUid)) throw new PacsError("BAD_RESPONSE", "a SOP Instance UID is not a UID");
      const file = path.join(folder, `${instance.sopInstanceUid}.dcm`);
      files.push(file);
      if (fs.existsSync(file) && fs.statSync(file).size > 132) {
        cached++;
      } else {
        const bytes = await client.retrieveInstance(
          instance.studyInstanceUid,
          instance.seriesInstanceUid,
          instance.sopInstanceUid,
          options.signal,
        );
        const tmp = `${file}.part`;
        fs.writeFileSync(tmp, bytes, { mode: 0o600 });
        fs.renameSync(tmp, file);
        fetched++;
      }
      done++;
      report(`${done} of ${images.length} instance(s)`);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(PARALLEL, Math.max(1, images.length)) }, worker));
  } catch (error) {
    if (options.signal?.aborted) throw new PacsError("ABORTED", "the retrieval was cancelled");
    throw error;
  }
  files.sort();
  return { fetched, cached, skipped, files };
}

interface CacheRow {
  study_id: string | null;
  state: "partial" | "complete";
  cache_dir: string;
}

export class StudyCache {
  constructor(
    private readonly db: CaseDatabase,
    private readonly events: EventBus,
    private readonly importer: ImportService,
    private readonly dataDir: string,
  ) {}

  folderOf(connectionId: string, studyUid: string): string {
    if (!UID.test(studyUid)) throw new PacsError("INVALID_INPUT", `"${studyUid}" is not a StudyInstanceUID`);
    return path.join(this.dataDir, "pacs-cache", connectionId, studyUid);
  }

  /** The cache state of PACS studies of a connection, by StudyInstanceUID. */
  states(connectionId: string, studyUids: readonly string[]): Map<string, { studyId: string | null; state: string }> {
    const out = new Map<string, { studyId: string | null; state: string }>();
    const stmt = this.db.prepare(
      "SELECT study_id, state FROM pacs_studies WHERE connection_id = ? AND study_instance_uid = ?",
    );
    for (const uid of studyUids) {
      const row = stmt.get(connectionId, uid) as { study_id: string | null; state: string } | undefined;
      if (row) out.set(uid, { studyId: row.study_id, state: row.state });
    }
    return out;
  }

  /** A completed retrieval whose study and image files are still here: opens without the network. */
  private cachedStudy(connectionId: string, studyUid: string): { studyId: string; files: number } | null {
    const row = this.db
      .prepare("SELECT study_id, state, cache_dir FROM pacs_studies WHERE connection_id = ? AND study_instance_uid = ?")
      .get(connectionId, studyUid) as CacheRow | undefined;
    if (row?.state !== "complete" || !row.study_id) return null;
    const images = this.db
      .prepare("SELECT i.file_path FROM images i JOIN series se ON se.id = i.series_id WHERE se.study_id = ?")
      .all(row.study_id) as Array<{ file_path: string }>;
    if (images.length === 0 || !images.every((i) => fs.existsSync(i.file_path))) return null;
    return { studyId: row.study_id, files: images.length };
  }

  async retrieve(
    client: DicomWebClient,
    connection: { id: string; name: string },
    studyUid: string,
    options: { jobId: string; signal?: AbortSignal },
  ): Promise<PacsRetrieveResult> {
    const label = `Retrieving from ${connection.name}`;
    const cached = this.cachedStudy(connection.id, studyUid);
    if (cached) {
      return {
        studyId: cached.studyId,
        studyInstanceUid: studyUid,
        fetched: 0,
        cached: cached.files,
        skipped: 0,
        offline: true,
        importFailures: [],
      };
    }
    const folder = this.folderOf(connection.id, studyUid);
    const progress = (done: number, total: number, message: string) =>
      this.events.publish({ type: "job-progress", jobId: options.jobId, label, done, total, message });
    progress(0, 0, "Asking the PACS for the study's instances");
    const instances = await listStudyInstances(client, studyUid, connection.name, options.signal);
    this.db
      .prepare(
        `INSERT INTO pacs_studies (connection_id, study_instance_uid, state, instances, cache_dir) VALUES (?, ?, 'partial', ?, ?)
         ON CONFLICT (connection_id, study_instance_uid) DO UPDATE SET state = 'partial', instances = excluded.instances,
           retrieved_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
      )
      .run(connection.id, studyUid, instances.length, folder);
    this.events.publish({ type: "pacs-changed", area: "cache" });
    let last = 0;
    const got = await fetchStudyInstances(client, instances, folder, {
      signal: options.signal,
      onProgress: (p) => {
        const now = Date.now();
        if (now - last < 100 && p.done < p.total) return;
        last = now;
        progress(p.done, p.total, p.message);
      },
    });
    if (got.files.length === 0)
      throw new PacsError(
        "OUT_OF_SCOPE",
        `study ${studyUid} on ${connection.name} has no image this workstation reads`,
      );
    options.signal?.throwIfAborted();
    const imported = await this.importer.importPaths([folder], { jobId: options.jobId });
    const local = this.db.prepare("SELECT id FROM studies WHERE study_instance_uid = ?").get(studyUid) as
      | { id: string }
      | undefined;
    if (!local)
      throw new PacsError(
        "BAD_RESPONSE",
        `the instances of study ${studyUid} could not be imported: ${imported.failures[0]?.reason ?? "no image in them"}`,
      );
    this.db
      .prepare(
        `UPDATE pacs_studies SET state = 'complete', study_id = ?, retrieved_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
         WHERE connection_id = ? AND study_instance_uid = ?`,
      )
      .run(local.id, connection.id, studyUid);
    this.events.publish({ type: "pacs-changed", area: "cache" });
    return {
      studyId: local.id,
      studyInstanceUid: studyUid,
      fetched: got.fetched,
      cached: got.cached,
      skipped: got.skipped,
      offline: false,
      importFailures: imported.failures,
    };
  }
}
