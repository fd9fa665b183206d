import fs from "node:fs";
import path from "node:path";
import type { AppInfo } from "../../src-shared/domain";
import { type CaseDatabase, openCaseDatabase } from "../db/database";
import { APP_NAME, appRoot, caseDatabasePath } from "../paths";
import { AccountsService } from "./accounts/accounts-service";
import { AppService } from "./app/app-service";
import { EventBus } from "./events/event-bus";
import { FilesService } from "./files/files-service";
import { ImportService } from "./import/import-service";
import { InferenceHost, studyImagesFrom } from "./inference/engine-host";
import { labelReport } from "./language/clinical-labeler";
import { MacrosService } from "./macros/macros-service";
import { MeasurementsService } from "./measurements/measurements-service";
import { PacsService } from "./pacs/pacs-service";
import { FileSecretStore, type SecretStore } from "./pacs/secret-store";
import { KeyBindingsService } from "./preferences/key-bindings-service";
import type { DraftEngine } from "./reports/draft-engine";
import { ReportsService } from "./reports/reports-service";
import { RetrievalService } from "./retrieval/retrieval-service";
import { StudiesService } from "./studies/studies-service";

export interface ServicesOptions {
  /** Per-user folder holding the case database and user files. */
  dataDir: string;
  transport: AppInfo["transport"];
  electronVersion?: string | null;
  /** Folder with package.json, models/ and resources/ (defaults to the repository root). */
  appRoot?: string;
  /** Model pack to load in the background: a folder, null for none, default the pack in models/ (docs/inference.md). */
  modelPackDir?: string | null;
  /** Where PACS passwords and tokens are kept: the Electron shell injects safeStorage; default a 0600 file. */
  secretStore?: SecretStore;
  /** A drafting engine used instead of the model pack's (tests that script the AI's output). */
  draftEngine?: DraftEngine;
  /**
   * The background work (model pack, impression pack, completing the signed cases, the PACS outbox) starts when
   * this settles; default at once. The harness passes "after the first worklist is answered" (issue 19.4).
   */
  backgroundAfter?: Promise<unknown>;
}

export interface Services {
  readonly db: CaseDatabase;
  readonly events: EventBus;
  readonly app: AppService;
  readonly studies: StudiesService;
  readonly importer: ImportService;
  readonly files: FilesService;
  readonly keyBindings: KeyBindingsService;
  readonly accounts: AccountsService;
  readonly reports: ReportsService;
  readonly retrieval: RetrievalService;
  readonly inference: InferenceHost;
  readonly pacs: PacsService;
  readonly measurements: MeasurementsService;
  readonly macros: MacrosService;
  close(): void;
}

function readVersion(root: string): string {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, "package.json"), "utf8")) as { version?: unknown };
  return typeof pkg.version === "string" ? pkg.version : "0.0.0";
}

/** Builds every service over one case database. Used by the Electron main process, the harness and the CLIs. */
export function createServices(options: ServicesOptions): Services {
  const root = options.appRoot ?? appRoot();
  const databasePath = caseDatabasePath(options.dataDir);
  const db = openCaseDatabase(databasePath);
  const events = new EventBus();
  const app = new AppService(
    {
      name: APP_NAME,
      version: readVersion(root),
      transport: options.transport,
      dataDir: options.dataDir,
      databasePath,
      electronVersion: options.electronVersion ?? null,
    },
    db,
  );
  const studies = new StudiesService(db);
  const importer = new ImportService(db, events, { demoStudiesDir: path.join(root, "resources", "demo-studies") });
  const retrieval = new RetrievalService(db);
  const inference = new InferenceHost({
    appRoot: root,
    app,
    retrieval,
    events,
    studyImages: (studyId) => studyImagesFrom(studies.get(studyId).images),
    modelPackDir: options.modelPackDir,
    ...(options.backgroundAfter ? { startAfter: options.backgroundAfter } : {}),
  });
  const { draftEngine } = options;
  const measurements = new MeasurementsService(db);
  const accounts = new AccountsService(db);
  // Built before the reports service, which queues signed reports and addenda on its publisher.
  const pacs = new PacsService({
    db,
    events,
    importer,
    secrets: options.secretStore ?? new FileSecretStore(options.dataDir),
    dataDir: options.dataDir,
  });
  const reports = new ReportsService({
    db,
    accounts,
    events,
    // The engine of the moment: null until the pack has loaded (the reports service answers "unavailable").
    engine: draftEngine ? () => draftEngine : () => inference.engine,
    impression: () => inference.impression,
    // Signed cases join the retrieval index, with the thumbnail their drafting run made.
    retrieval,
    labelReport: (text) => labelReport(text).labels,
    application: { name: APP_NAME, version: readVersion(root) },
    measurements,
    // Signed reports and addenda go to the study's PACS through the STOW-RS outbox (docs/pacs.md).
    publisher: pacs.publisher,
  });
  const files = new FilesService(db, {
    thumbnail: (studyId) => retrieval.thumbnail(studyId),
    viewerCopiesDir: path.join(options.dataDir, "viewer-cache"),
  });
  // The viewer's decoded copies of newly imported compressed images are written in the background (docs/viewer.md).
  const stopCopying = events.subscribe((event) => {
    if (event.type !== "studies-changed") return;
    try {
      for (const id of event.studyIds) files.prepareViewerCopies(id);
    } catch (err) {
      // Never the import's failure: without a copy the renderer decodes the original itself.
      console.error(`viewer copies: ${(err as Error).message}`);
    }
  });
  const services: Services = {
    db,
    events,
    app,
    studies,
    importer,
    files,
    keyBindings: new KeyBindingsService(db),
    accounts,
    reports,
    measurements,
    macros: new MacrosService(db, accounts),
    retrieval,
    inference,
    pacs,
    close: () => {
      stopCopying();
      void files.close();
      void pacs.close();
      void services.importer.close();
      void services.inference.close();
      void services.retrieval.close();
      reports.close();
      db.close();
    },
  };
  // The default model pack loads in a worker thread; drafting and the status bar's model follow when it is ready.
  // Then signed cases a crash left out of the retrieval index, or without their thumbnail, are completed.
  // With options.backgroundAfter all of it waits for that turn (the pack's loading waits inside the host).
  const afterTurn = options.backgroundAfter?.catch(() => undefined);
  const background = (work: () => void): void => {
    if (!afterTurn) work();
    else
      void afterTurn.then(() => {
        if (db.open) work();
      });
  };
  background(() => void reports.completeSignedCases());
  void inference.start().then(() => (db.open ? reports.completeSignedCases() : undefined));
  // Reports left in the STOW-RS outbox by an earlier run are sent (docs/pacs.md).
  background(() => pacs.start({ documents: (studyId) => reports.document(studyId) }));
  return services;
}
