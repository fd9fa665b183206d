/**
 * Fixtures for the report tests: a case database in a temporary folder with studies whose images are the real
 * DICOM files in ../shared/data/dicom (their UIDs read from the files), and the reports service over it.
 */

import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { type CaseDatabase, openCaseDatabase } from "../../src-main/db/database";
import { AccountsService } from "../../src-main/services/accounts/accounts-service";
import { EventBus } from "../../src-main/services/events/event-bus";
import { MeasurementsService } from "../../src-main/services/measurements/measurements-service";
import type { DraftEngine, SignedCaseSink } from "../../src-main/services/reports/draft-engine";
import { ReportsService } from "../../src-main/services/reports/reports-service";
import type { Account, CreateAccountInput } from "../../src-shared/account-types";
import type { AppEvent } from "../../src-shared/domain";
import type { ReportSections, ReportState, SignResult } from "../../src-shared/report-types";

import { ANNA_ACCOUNT, signInAccount } from "./accounts-fixtures";

const root = path.resolve(import.meta.dirname, "..", "..");
export const SHARED_DICOM_DIR = path.resolve(root, "../shared/data/dicom");

const require = createRequire(import.meta.url);
const dcmjs = require("dcmjs") as {
  log: { setLevel(level: string): void };
  data: {
    DicomMessage: {
      readFile(
        b: ArrayBuffer,
        o?: Record<string, unknown>,
      ): { dict: Record<string, unknown>; write(o?: Record<string, unknown>): ArrayBuffer };
    };
    DicomMetaDictionary: {
      naturalizeDataset(d: Record<string, unknown>): Record<string, unknown>;
      denaturalizeDataset(d: Record<string, unknown>): Record<string, unknown>;
    };
  };
};

/**
 * A copy of a real DICOM file (../shared/data/dicom) at `out` with attributes set (dcmjs keywords, e.g.
 * ReasonForTheRequestedProcedure, RequestAttributesSequence) — the order's text as a RIS would write it.
 */
export function dicomWithAttributes(fileName: string, out: string, attributes: Record<string, unknown>): string {
  const bytes = fs.readFileSync(path.join(SHARED_DICOM_DIR, fileName));
  const file = dcmjs.data.DicomMessage.readFile(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer,
  );
  const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(file.dict);
  file.dict = dcmjs.data.DicomMetaDictionary.denaturalizeDataset({ ...ds, ...attributes });
  fs.mkdirSync(path.dirname(out), { recursive: true });
  // The shared files carry a few non-conformant values (a DA as "1995.07.20"): written back as they were.
  fs.writeFileSync(out, Buffer.from(file.write({ allowInvalidVRLength: true })));
  return out;
}

export interface DicomIds {
  filePath: string;
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  sopClassUid: string;
  patientName: string | null;
  patientId: string | null;
  studyDate: string | null;
}

// The shared files carry a few non-conformant values (e.g. an AS of 4 bytes) that dcmjs warns about while reading.
dcmjs.log.setLevel("error");

/** The identifying attributes of a real DICOM file. */
export function readDicomIds(file: string): DicomIds {
  const bytes = fs.readFileSync(file);
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const ds = dcmjs.data.DicomMetaDictionary.naturalizeDataset(
    dcmjs.data.DicomMessage.readFile(ab, { untilTag: "7FE00010", includeUntilTagValue: false }).dict,
  ) as Record<string, unknown>;
  const pn = ds.PatientName as Array<{ Alphabetic?: string }> | string | undefined;
  return {
    filePath: file,
    studyInstanceUid: String(ds.StudyInstanceUID),
    seriesInstanceUid: String(ds.SeriesInstanceUID),
    sopInstanceUid: String(ds.SOPInstanceUID),
    sopClassUid: String(ds.SOPClassUID),
    patientName: typeof pn === "string" ? pn : (pn?.[0]?.Alphabetic ?? null),
    patientId: (ds.PatientID as string | undefined) ?? null,
    studyDate: (ds.StudyDate as string | undefined) ?? null,
  };
}

export interface TestStudy {
  id: string;
  studyInstanceUid?: string | null;
  patientId?: string | null;
  patientName?: string | null;
  studyDate?: string | null;
  description?: string | null;
  images?: Array<{ filePath: string; seriesInstanceUid: string | null; sopInstanceUid: string | null; view: string }>;
}

export function insertStudy(db: CaseDatabase, s: TestStudy): void {
  db.prepare(
    `INSERT INTO studies (id, study_instance_uid, patient_id, patient_name, study_date, description, source)
     VALUES (?, ?, ?, ?, ?, ?, 'import')`,
  ).run(
    s.id,
    s.studyInstanceUid ?? null,
    s.patientId ?? null,
    s.patientName ?? null,
    s.studyDate ?? null,
    s.description ?? null,
  );
  (s.images ?? []).forEach((image, i) => {
    const seriesId = `${s.id}-series-${image.seriesInstanceUid ?? i}`;
    db.prepare("INSERT OR IGNORE INTO series (id, study_id, series_instance_uid, modality) VALUES (?, ?, ?, 'CR')").run(
      seriesId,
      s.id,
      image.seriesInstanceUid,
    );
    db.prepare("INSERT INTO images (id, series_id, sop_instance_uid, file_path, view) VALUES (?, ?, ?, ?, ?)").run(
      `${s.id}-image-${i}`,
      seriesId,
      image.sopInstanceUid,
      image.filePath,
      image.view,
    );
  });
}

/** A study made of a real chest DICOM from ../shared/data/dicom (frontal), or of the file at an absolute path. */
export function dicomStudy(id: string, fileName = "CR-MONO1-10-chest_explicitLE.dcm"): TestStudy {
  const ids = readDicomIds(path.resolve(SHARED_DICOM_DIR, fileName));
  return {
    id,
    studyInstanceUid: ids.studyInstanceUid,
    patientId: ids.patientId || "P-0001",
    patientName: ids.patientName || "Doe^Jane",
    studyDate: ids.studyDate,
    description: "CHEST PA",
    images: [
      {
        filePath: ids.filePath,
        seriesInstanceUid: ids.seriesInstanceUid,
        sopInstanceUid: ids.sopInstanceUid,
        view: "frontal",
      },
    ],
  };
}

export interface ReportsHarness {
  dataDir: string;
  db: CaseDatabase;
  events: EventBus;
  seen: AppEvent[];
  reports: ReportsService;
  measurements: MeasurementsService;
  /** The local accounts: the signed-in, unlocked account signs (signInRadiologist). */
  accounts: AccountsService;
  /** Changes the engine the service's provider gives (null: no model pack, e.g. while it loads). */
  setEngine(engine: DraftEngine | null): void;
  /** Opens the same database again with a fresh service, as after a restart (or a crash when not closed). */
  restart(options?: { engine?: DraftEngine | null; closeFirst?: boolean }): ReportsHarness;
  close(): void;
}

export interface ReportsHarnessOptions {
  engine?: DraftEngine | null;
  retrieval?: SignedCaseSink | null;
  dataDir?: string;
  /** The service's clock (ms), for scripted editing sessions. */
  now?: () => number;
}

export function makeReportsHarness(options: ReportsHarnessOptions = {}): ReportsHarness {
  const dataDir = options.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), "rd-reports-"));
  const db = openCaseDatabase(path.join(dataDir, "cases.sqlite"));
  const events = new EventBus();
  const seen: AppEvent[] = [];
  events.subscribe((e) => seen.push(e));
  let engine = options.engine ?? null;
  const measurements = new MeasurementsService(db);
  const accounts = new AccountsService(db, options.now);
  const reports = new ReportsService({
    measurements,
    db,
    events,
    accounts,
    engine: () => engine,
    retrieval: options.retrieval ?? null,
    application: { name: "Radiology Draft", version: "0.1.0" },
    osUserName: () => "osuser",
    ...(options.now ? { now: options.now } : {}),
  });
  const harness: ReportsHarness = {
    dataDir,
    db,
    events,
    seen,
    reports,
    measurements,
    accounts,
    setEngine: (next) => {
      engine = next;
    },
    restart: (o = {}) => {
      if (o.closeFirst ?? true) harness.close();
      return makeReportsHarness({
        engine: o.engine ?? null,
        retrieval: options.retrieval ?? null,
        dataDir,
        ...(options.now ? { now: options.now } : {}),
      });
    },
    close: () => {
      if (!db.open) return;
      reports.close();
      db.close();
    },
  };
  return harness;
}

/** Resolves once the study's drafting job is no longer running. */
export function jobSettled(h: ReportsHarness, studyId: string): Promise<void> {
  return new Promise((resolve) => {
    const check = () => {
      if (h.reports.state(studyId).job.state !== "running") {
        unsubscribe();
        resolve();
      }
    };
    const unsubscribe = h.events.subscribe((e) => {
      if (e.type === "studies-changed" && e.studyIds.includes(studyId)) check();
    });
    check();
  });
}

export function gate(): { promise: Promise<void>; open: () => void } {
  let open = () => {};
  const promise = new Promise<void>((resolve) => {
    open = resolve;
  });
  return { promise, open };
}

/** Opens the study and waits for its drafting job to settle: the state then (the AI draft, or why there is none). */
export async function openDrafted(h: ReportsHarness, studyId: string): Promise<ReportState> {
  h.reports.open(studyId);
  await jobSettled(h, studyId);
  return h.reports.state(studyId);
}

/** The radiologist's edit of the newest draft version: the sections given replaced, saved as a user edit. */
export function editDraft(h: ReportsHarness, studyId: string, changes: Partial<ReportSections>): ReportState {
  const draft = h.reports.state(studyId).draft;
  if (!draft) throw new Error(`editDraft: study ${studyId} has no draft`);
  return h.reports.save(studyId, {
    sections: { ...draft.sections, ...changes },
    baseVersion: draft.version,
    origin: "user",
  });
}

/**
 * Signs in the radiologist the service-level tests sign as (ANNA_ACCOUNT, "Dr Anna Smith"; test/support/
 * accounts-fixtures.ts): created on first run, else signed in with the password. The account it returns is the
 * `verified` argument of reports.sign/addAddendum (what signWithCredential passes once the password checks out).
 */
export function signInRadiologist(h: ReportsHarness, input: CreateAccountInput = ANNA_ACCOUNT): Promise<Account> {
  return signInAccount(h.accounts, input);
}

/** Signs the newest draft version as the radiologist (signed in first), attesting its untouched AI sentences. */
export async function signAttested(h: ReportsHarness, studyId: string): Promise<SignResult> {
  const draft = h.reports.state(studyId).draft;
  if (!draft) throw new Error(`signAttested: study ${studyId} has no draft`);
  const account = await signInRadiologist(h);
  return h.reports.sign(studyId, { version: draft.version, attestUntouchedAi: true }, account);
}
