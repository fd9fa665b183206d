/**
 * The PACS service: DICOMweb connections as settings (secrets in the SecretStore), "Test connection", QIDO-RS study
 * search, WADO-RS retrieval into the local cache (progress, cancel, resumable, offline when cached) and the STOW-RS
 * outbox. Knows nothing of Electron; the IPC router (src-main/ipc/routers/pacs.ts) and the CLIs call it.
 */
import crypto from "node:crypto";
import type {
  OutboxEntry,
  PacsConnection,
  PacsConnectionInput,
  PacsReport,
  PacsRetrieveResult,
  PacsStudy,
  PacsStudyPage,
  PacsStudyQuery,
  PacsTestResult,
  PriorsResult,
} from "../../../src-shared/pacs-types";
import { PacsStudyQuerySchema } from "../../../src-shared/pacs-types";
import type { CaseDatabase } from "../../db/database";
import type { EventBus } from "../events/event-bus";
import type { ReportDocument } from "../export/report-document";
import type { ImportService } from "../import/import-service";
import { PacsConnections } from "./connections";
import { type DicomJsonDataset, int, personName, requiredUid, str, strs, TAGS } from "./dicom-json";
import { DicomWebClient, type DicomWebClientOptions, type QidoParam } from "./dicomweb-client";
import { PacsError } from "./errors";
import { type OutboxOptions, PacsOutbox } from "./outbox";
import { findPriors } from "./priors";
import { ReportPublisher } from "./report-publisher";
import type { SecretStore } from "./secret-store";
import { readSrReport } from "./sr-report";
import { listStudyInstances, StudyCache } from "./study-cache";

export const DEFAULT_MODALITIES = ["CR", "DX"] as const;

export interface PacsServiceOptions {
  db: CaseDatabase;
  events: EventBus;
  importer: ImportService;
  secrets: SecretStore;
  dataDir: string;
  outbox?: OutboxOptions;
}

/** The QIDO-RS parameters of a study search (values are sent raw: see DicomWebClient). */
export function studyQueryParams(
  query: ReturnType<typeof PacsStudyQuerySchema.parse>,
  page: { limit: number; offset: number } = query,
): QidoParam[] {
  const params: QidoParam[] = [];
  if (query.dateFrom || query.dateTo) params.push(["StudyDate", `${query.dateFrom ?? ""}-${query.dateTo ?? ""}`]);
  const modalities = query.modalities ?? [...DEFAULT_MODALITIES];
  if (modalities.length > 0) params.push(["ModalitiesInStudy", modalities.join(",")]);
  if (query.patientName) {
    const name = query.patientName;
    params.push(["PatientName", /[*?]/.test(name) ? name : `${name}*`]);
  }
  if (query.patientId) params.push(["PatientID", query.patientId]);
  if (query.accessionNumber) params.push(["AccessionNumber", query.accessionNumber]);
  params.push(["limit", String(page.limit)], ["offset", String(page.offset)]);
  for (const tag of [
    TAGS.StudyDescription,
    TAGS.IssuerOfPatientID,
    TAGS.ModalitiesInStudy,
    TAGS.NumberOfStudyRelatedSeries,
    TAGS.NumberOfStudyRelatedInstances,
  ])
    params.push(["includefield", tag]);
  return params;
}

export function studyOf(ds: DicomJsonDataset): Omit<PacsStudy, "localStudyId" | "cached"> {
  return {
    studyInstanceUid: requiredUid(ds, TAGS.StudyInstanceUID, "study search"),
    patientName: personName(ds, TAGS.PatientName),
    patientId: str(ds, TAGS.PatientID),
    issuerOfPatientId: str(ds, TAGS.IssuerOfPatientID),
    studyDate: str(ds, TAGS.StudyDate),
    studyTime: str(ds, TAGS.StudyTime),
    accessionNumber: str(ds, TAGS.AccessionNumber),
    description: str(ds, TAGS.StudyDescription),
    modalities: strs(ds, TAGS.ModalitiesInStudy),
    seriesCount: int(ds, TAGS.NumberOfStudyRelatedSeries),
    instanceCount: int(ds, TAGS.NumberOfStudyRelatedInstances),
  };
}

/** Tries a DICOMweb endpoint: one QIDO-RS study search with limit=1; never throws. */
export async function testDicomWeb(options: DicomWebClientOptions): Promise<PacsTestResult> {
  const started = performance.now();
  let client: DicomWebClient | null = null;
  try {
    client = new DicomWebClient({ ...options, timeoutMs: options.timeoutMs ?? 10_000 });
    const found = await client.searchStudies([["limit", "1"]]);
    const ms = performance.now() - started;
    return {
      ok: true,
      status: 200,
      latencyMs: ms,
      message: `QIDO-RS answered in ${ms.toFixed(0)} ms (${found.length ? "studies found" : "no study yet"})`,
    };
  } catch (error) {
    const e = error instanceof PacsError ? error : new PacsError("BAD_RESPONSE", (error as Error).message);
    return { ok: false, status: e.status, latencyMs: performance.now() - started, message: e.message };
  } finally {
    await client?.close();
  }
}

export class PacsService {
  readonly connections: PacsConnections;
  readonly outbox: PacsOutbox;
  readonly cache: StudyCache;
  readonly publisher: ReportPublisher;
  private readonly jobs = new Map<string, AbortController>();

  constructor(private readonly options: PacsServiceOptions) {
    this.connections = new PacsConnections(options.db, options.secrets);
    this.outbox = new PacsOutbox(options.db, this.connections, options.events, options.outbox);
    this.cache = new StudyCache(options.db, options.events, options.importer, options.dataDir);
    this.publisher = new ReportPublisher(options.db, this.connections, this.outbox, options.events);
  }

  /**
   * Starts the outbox sender (entries left from an earlier run are sent); with the signed reports' documents, also
   * queues the Encapsulated PDFs that an earlier run signed but had not queued yet.
   */
  start(options: { documents?: (studyId: string) => ReportDocument } = {}): void {
    this.outbox.kick();
    if (options.documents) void this.publisher.reconcile(options.documents);
  }

  async close(): Promise<void> {
    for (const c of this.jobs.values()) c.abort();
    await this.publisher.idle();
    await this.outbox.close();
  }

  get secretProtection(): string {
    return this.options.secrets.protection;
  }

  listConnections(): PacsConnection[] {
    return this.connections.list();
  }

  addConnection(input: PacsConnectionInput): PacsConnection {
    const c = this.connections.add(input);
    this.options.events.publish({ type: "pacs-changed", area: "connections" });
    return c;
  }

  updateConnection(id: string, input: PacsConnectionInput): PacsConnection {
    const c = this.connections.update(id, input);
    this.options.events.publish({ type: "pacs-changed", area: "connections" });
    // New credentials or certificate: reports that failed for this PACS try again.
    this.outbox.retry({ connectionId: id });
    return c;
  }

  removeConnection(id: string): void {
    this.connections.remove(id);
    this.options.events.publish({ type: "pacs-changed", area: "connections" });
  }

  /** "Test connection" of a saved connection, or of settings not saved yet. */
  testConnection(target: { connectionId: string } | { connection: PacsConnectionInput }): Promise<PacsTestResult> {
    if ("connectionId" in target) {
      let options: DicomWebClientOptions;
      try {
        options = this.connections.clientOptions(target.connectionId);
      } catch (error) {
        if (!(error instanceof PacsError)) throw error;
        return Promise.resolve({ ok: false, status: null, latencyMs: 0, message: error.message });
      }
      return testDicomWeb(options);
    }
    const c = target.connection;
    const a = c.auth;
    if ((a.kind === "basic" && !a.password) || (a.kind === "bearer" && !a.token))
      return Promise.resolve({ ok: false, status: null, latencyMs: 0, message: "enter the password or token to test" });
    return testDicomWeb({
      baseUrl: c.baseUrl,
      caCertificate: c.caCertificate ?? null,
      auth:
        a.kind === "basic"
          ? { kind: "basic", username: a.username, password: a.password as string }
          : a.kind === "bearer"
            ? { kind: "bearer", token: a.token as string }
            : { kind: "none" },
    });
  }

  private async withClient<T>(connectionId: string, run: (client: DicomWebClient) => Promise<T>): Promise<T> {
    const client = new DicomWebClient(this.connections.clientOptions(connectionId));
    try {
      return await run(client);
    } finally {
      await client.close();
    }
  }

  /** QIDO-RS study search, one page; each study says whether it is in the local cache. */
  async searchStudies(input: PacsStudyQuery): Promise<PacsStudyPage> {
    const query = PacsStudyQuerySchema.parse(input);
    // Orthanc 1.10 applies offset before matching ModalitiesInStudy (not one of its indexed tags), so a filtered
    // page 2 comes back empty: with a modality filter the page is cut here from the first offset + limit + 1 matches.
    // One more than the page tells whether there is a next page.
    const windowed = (query.modalities ?? DEFAULT_MODALITIES).length > 0;
    const found = await this.withClient(query.connectionId, (client) =>
      client.searchStudies(
        studyQueryParams(
          query,
          windowed
            ? { limit: query.offset + query.limit + 1, offset: 0 }
            : { limit: query.limit + 1, offset: query.offset },
        ),
      ),
    );
    const page = windowed ? found.slice(query.offset, query.offset + query.limit + 1) : found;
    const studies = page.slice(0, query.limit).map(studyOf);
    const cached = this.cache.states(
      query.connectionId,
      studies.map((s) => s.studyInstanceUid),
    );
    return {
      studies: studies.map((s) => {
        const c = cached.get(s.studyInstanceUid);
        return {
          ...s,
          localStudyId: c?.state === "complete" ? c.studyId : null,
          cached: c ? (c.state === "complete" ? "complete" : "partial") : "no",
        };
      }),
      limit: query.limit,
      offset: query.offset,
      more: page.length > query.limit,
    };
  }

  /** Retrieves a study (WADO-RS) into the cache and imports it; a cached study opens without the network. */
  async retrieveStudy(input: {
    connectionId: string;
    studyInstanceUid: string;
    jobId?: string;
  }): Promise<PacsRetrieveResult> {
    const jobId = input.jobId ?? `pacs-${crypto.randomUUID()}`;
    if (this.jobs.has(jobId)) throw new PacsError("CONFLICT", `job ${jobId} is already running`);
    const connection = this.connections.get(input.connectionId);
    const client = new DicomWebClient(this.connections.clientOptions(input.connectionId));
    const controller = new AbortController();
    this.jobs.set(jobId, controller);
    try {
      return await this.cache.retrieve(client, connection, input.studyInstanceUid, {
        jobId,
        signal: controller.signal,
      });
    } catch (error) {
      if (controller.signal.aborted)
        throw new PacsError("ABORTED", "the retrieval was cancelled; it resumes where it stopped");
      throw error;
    } finally {
      this.jobs.delete(jobId);
      await client.close();
      this.options.events.publish({
        type: "job-progress",
        jobId,
        label: `Retrieving from ${connection.name}`,
        done: 1,
        total: 1,
      });
    }
  }

  /** Cancels a running retrieval; false when no such job runs. */
  cancelRetrieve(jobId: string): boolean {
    const c = this.jobs.get(jobId);
    if (!c) return false;
    c.abort(new PacsError("ABORTED", "cancelled by the user"));
    return true;
  }

  /** Queues a signed report's DICOM SR for STOW-RS (what signing calls; docs/pacs.md). */
  storeReport(input: {
    bytes: Uint8Array;
    sopInstanceUid: string;
    connectionId: string;
    studyId?: string | null;
  }): OutboxEntry {
    return this.outbox.enqueue(input);
  }

  /** The open study's patient's earlier studies, local and on every PACS connection (docs/pacs.md, "Priors"). */
  priors(studyId: string): Promise<PriorsResult> {
    return findPriors(
      this.options.db,
      this.connections,
      async ({ connectionId, patientId }) => {
        // Every modality: a prior CT or an SR-only study is still the patient's history.
        const page = await this.searchStudies({ connectionId, patientId, modalities: [], limit: 200 });
        return page.studies;
      },
      studyId,
    );
  }

  /**
   * The signed report of a study on a PACS: its newest verified and complete SR (else the newest SR), read with
   * dcmjs. NOT_FOUND when the study holds no SR.
   */
  async studyReport(input: { connectionId: string; studyInstanceUid: string }): Promise<PacsReport> {
    const connection = this.connections.get(input.connectionId);
    return this.withClient(input.connectionId, async (client) => {
      const instances = await listStudyInstances(client, input.studyInstanceUid, connection.name);
      const srs = instances.filter((i) => i.modality?.toUpperCase() === "SR");
      if (srs.length === 0)
        throw new PacsError("NOT_FOUND", `${connection.name} has no report (SR) in study ${input.studyInstanceUid}`);
      const reports = [];
      for (const sr of srs) {
        const bytes = await client.retrieveInstance(input.studyInstanceUid, sr.seriesInstanceUid, sr.sopInstanceUid);
        reports.push({ sopInstanceUid: sr.sopInstanceUid, ...readSrReport(bytes) });
      }
      // Newest first, verified and complete before the rest.
      reports.sort(
        (a, b) =>
          Number(b.verified && b.complete) - Number(a.verified && a.complete) ||
          (b.contentDateTime ?? "").localeCompare(a.contentDateTime ?? ""),
      );
      const best = reports[0] as (typeof reports)[number];
      return {
        sopInstanceUid: best.sopInstanceUid,
        sections: best.sections,
        verifiedBy: best.verifiedBy,
        contentDateTime: best.contentDateTime,
        verified: best.verified,
        complete: best.complete,
      };
    });
  }

  listOutbox(filter: { connectionId?: string; studyId?: string } = {}): OutboxEntry[] {
    return this.outbox.list(filter);
  }

  retryOutbox(filter: { id?: number; connectionId?: string }): number {
    return this.outbox.retry(filter);
  }
}
