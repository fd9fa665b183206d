/**
 * The engine in the application: at start, loads the default model pack in the background, seeds the retrieval
 * index from the pack's gallery the first time and reports the model (name, version, execution provider) to the
 * status bar — or, when there is no pack or a bad one, keeps the app running without drafting and reports why.
 * The host owns the loaded pack: the worker reads it once and the gallery it read seeds the index; the reports
 * service asks the host for the engine (`engine`), never the other way round. `startInferenceCore` is the one
 * start-up of engine and index, used by the host and by the command-line tools.
 */
import fs from "node:fs";
import path from "node:path";
import type { InferenceStatus } from "../../../src-shared/inference-types";
import type { AppService } from "../app/app-service";
import type { EventBus } from "../events/event-bus";
import { findImpressionPack, ImpressionService } from "../impression/impression-service";
import { MODEL_PACK_FORMAT, ModelPackError } from "../model-pack";
import { type CaseReports, loadIuXrayCaseReports } from "../retrieval/gallery";
import type { RetrievalService } from "../retrieval/retrieval-service";
import { InferenceEngine, type InferenceEngineOptions, type StudyImageInput } from "./inference-engine";
import { buildDisplayCasing, type DisplayCasing } from "./report-text";

export type { InferenceStatus };

/** Environment variable naming the model pack folder to load (or "none" to start without one). */
export const MODEL_PACK_ENV = "RADIOLOGY_DRAFT_MODEL_PACK";

export type ModelPackChoice = { dir: string; note: string | null } | { dir: null; reason: string };

/**
 * The pack the app loads: the folder given (option or RADIOLOGY_DRAFT_MODEL_PACK), else the one pack folder in
 * models/ (a folder with a manifest.json), else — several packs — the one whose manifest is newest ("created").
 */
export function findDefaultModelPack(modelsDir: string, explicit?: string | null): ModelPackChoice {
  const chosen = explicit ?? process.env[MODEL_PACK_ENV] ?? null;
  if (chosen === "none") return { dir: null, reason: `${MODEL_PACK_ENV}=none: started without a model pack` };
  if (chosen) return { dir: path.resolve(chosen), note: null };
  let entries: string[];
  try {
    entries = fs.readdirSync(modelsDir);
  } catch {
    return { dir: null, reason: `no model pack: the folder ${modelsDir} does not exist` };
  }
  const packs: { dir: string; created: string }[] = [];
  for (const name of entries.sort()) {
    const manifest = path.join(modelsDir, name, "manifest.json");
    if (!fs.existsSync(manifest)) continue;
    let created = "";
    try {
      const parsed = JSON.parse(fs.readFileSync(manifest, "utf8")) as { created?: unknown; format?: unknown };
      // Another kind of pack (e.g. the impression pack, radiology-draft/impression-pack@1) is not a drafting pack.
      if (typeof parsed.format === "string" && parsed.format !== MODEL_PACK_FORMAT) continue;
      if (typeof parsed.created === "string") created = parsed.created;
    } catch {
      // A broken manifest still counts as a pack: loading it reports what is wrong.
    }
    packs.push({ dir: path.join(modelsDir, name), created });
  }
  if (packs.length === 0)
    return { dir: null, reason: `no model pack in ${modelsDir} (no folder with a manifest.json)` };
  if (packs.length === 1) return { dir: packs[0]!.dir, note: null };
  const newest = [...packs].sort((a, b) => b.created.localeCompare(a.created))[0]!;
  return {
    dir: newest.dir,
    note: `${packs.length} model packs in ${modelsDir}; loaded the newest, ${path.basename(newest.dir)}`,
  };
}

export interface CaseReportsRead {
  reports: CaseReports | null;
  /** The display casing of generated text, learned from the gallery's reports (empty without them). */
  casing: DisplayCasing;
  error: Error | null;
}

/** The gallery's case reports and the display casing learned from them; a read failure is a warning, not fatal. */
export function readCaseReports(annotationPath?: string, labelsCsvPath?: string): CaseReportsRead {
  try {
    const reports = loadIuXrayCaseReports(annotationPath, labelsCsvPath);
    return { reports, casing: buildDisplayCasing([...reports.values()].map((r) => r.report)), error: null };
  } catch (error) {
    console.warn(`inference: report annotation unavailable (${(error as Error).message})`);
    return { reports: null, casing: new Map(), error: error as Error };
  }
}

export interface InferenceCoreOptions {
  packDir: string;
  /** The retrieval index to seed from the pack's gallery (first start) and to search; null for none. */
  retrieval: RetrievalService | null;
  studyImages?: ((studyId: string) => readonly StudyImageInput[]) | null;
  /** Report annotation and labels for the gallery's cases (default: resources/iu_xray). */
  annotationPath?: string | undefined;
  labelsCsvPath?: string | undefined;
  engine?: Partial<Omit<InferenceEngineOptions, "packDir" | "retrieval" | "studyImages" | "displayCasing">>;
  /** The case reports already read (readCaseReports), so that they are read once. */
  caseReports?: CaseReportsRead;
  /** Called with (done, total) while the index is seeded (the CLIs draw a progress bar). */
  onSeedProgress?: (done: number, total: number) => void;
}

export interface InferenceCore {
  engine: InferenceEngine;
  /** The gallery's cases with their report text and labels, null when the annotation could not be read. */
  reports: CaseReports | null;
  /** What seeding did: null without an index or when seeding failed (`seedError` says why). */
  seeded: { seeded: boolean; added: number } | null;
  seedError: Error | null;
}

/**
 * Starts the engine on a pack (verified and loaded once, in the worker) and seeds the retrieval index from the
 * gallery the worker read: first start adds every gallery case, later starts only what is missing (thumbnails).
 * Rejects when the pack cannot be loaded; a seeding failure is returned (the draft still works without it).
 */
export async function startInferenceCore(options: InferenceCoreOptions): Promise<InferenceCore> {
  const {
    reports,
    casing,
    error: reportsError,
  } = options.caseReports ?? readCaseReports(options.annotationPath, options.labelsCsvPath);
  const engine = await InferenceEngine.start({
    ...options.engine,
    packDir: options.packDir,
    retrieval: options.retrieval,
    studyImages: options.studyImages ?? null,
    displayCasing: casing,
  });
  const { retrieval } = options;
  if (!retrieval) return { engine, reports, seeded: null, seedError: null };
  try {
    // A later start needs no report text: seedFromGallery only adds the thumbnails the seeded cases lack.
    if (!reports && !retrieval.info().gallerySeededAt)
      throw new Error(`the IU-Xray report annotation could not be read (${reportsError?.message})`);
    const seeded = retrieval.seedFromGallery(engine.gallery, reports ?? new Map(), options.onSeedProgress);
    return { engine, reports, seeded, seedError: null };
  } catch (error) {
    return { engine, reports, seeded: null, seedError: error as Error };
  }
}

export interface InferenceHostOptions {
  appRoot: string;
  app: AppService;
  retrieval: RetrievalService;
  events: EventBus;
  studyImages: (studyId: string) => readonly StudyImageInput[];
  /** A pack folder, null for none, undefined for the default (findDefaultModelPack over appRoot/models). */
  modelPackDir?: string | null | undefined;
  /** An impression pack folder, null for none, undefined for the default (findImpressionPack over appRoot/models). */
  impressionPackDir?: string | null | undefined;
  /** Report annotation and labels for the gallery's cases (default: resources/iu_xray). */
  annotationPath?: string;
  labelsCsvPath?: string;
  engine?: InferenceCoreOptions["engine"];
  /**
   * The loading (case reports, impression pack, model pack) waits for this; the status says "loading" meanwhile.
   * The harness opens it once the first worklist is answered (issue 19.4). Default: at once.
   */
  startAfter?: Promise<unknown>;
}

export class InferenceHost {
  private current: InferenceStatus;
  private engineInstance: InferenceEngine | null = null;
  private impressionInstance: ImpressionService | null = null;
  private closed = false;
  private starting: Promise<void> | null = null;

  constructor(private readonly options: InferenceHostOptions) {
    this.current = { state: "unavailable", packDir: null, reason: "not started" };
  }

  /** The loaded engine, or null while the pack loads, without a pack, or with a refused one. */
  get engine(): InferenceEngine | null {
    return this.engineInstance;
  }

  status(): InferenceStatus {
    return this.current;
  }

  /** Loads the pack in the background; never rejects (a failure becomes the "unavailable" status). */
  start(): Promise<void> {
    this.starting ??= this.load();
    return this.starting;
  }

  async close(): Promise<void> {
    this.closed = true;
    const engine = this.engineInstance;
    this.engineInstance = null;
    await this.starting?.catch(() => {});
    await (engine ?? this.engineInstance)?.close();
    const impression = this.impressionInstance;
    this.impressionInstance = null;
    await impression?.close();
  }

  /** The impression drafter, once loaded (null without an impression pack). */
  get impression(): ImpressionService | null {
    return this.impressionInstance;
  }

  /** Loads the impression pack (its absence or a refusal is a warning, never fatal) and hands it to the reports. */
  private async loadImpression(casing: DisplayCasing): Promise<void> {
    const options = this.options;
    const choice =
      options.impressionPackDir === null
        ? ({ dir: null, reason: "started without an impression pack" } as const)
        : findImpressionPack(path.join(options.appRoot, "models"), options.impressionPackDir);
    if (choice.dir === null) {
      console.warn(`inference: ${choice.reason}; Impression is left to the radiologist`);
      return;
    }
    try {
      const service = await ImpressionService.load(choice.dir, casing);
      if (this.closed) {
        await service.close();
        return;
      }
      this.impressionInstance = service;
    } catch (error) {
      const message =
        error instanceof ModelPackError
          ? `impression pack ${choice.dir} refused: ${error.problems.join("; ")}`
          : `impression pack ${choice.dir} could not be loaded: ${(error as Error).message}`;
      console.warn(`inference: ${message}`);
      options.events.publish({ type: "notice", level: "warning", message });
    }
  }

  private async load(): Promise<void> {
    const { options } = this;
    const choice =
      options.modelPackDir === null
        ? ({ dir: null, reason: "started without a model pack" } as const)
        : findDefaultModelPack(path.join(options.appRoot, "models"), options.modelPackDir);
    // "Loading" from the start: the status bar says so while the work below waits for its turn and runs.
    if (choice.dir !== null) this.current = { state: "loading", packDir: choice.dir };
    if (options.startAfter) await options.startAfter.catch(() => undefined);
    if (this.closed) return;
    const caseReports = readCaseReports(options.annotationPath, options.labelsCsvPath);
    // The impression drafter works without a model pack too ("Suggest impression" from typed findings).
    await this.loadImpression(caseReports.casing);
    if (this.closed) return;
    if (choice.dir === null) {
      this.current = { state: "unavailable", packDir: null, reason: choice.reason };
      return;
    }
    const packDir = choice.dir;
    this.current = { state: "loading", packDir };
    let core: InferenceCore;
    try {
      core = await startInferenceCore({
        packDir,
        retrieval: options.retrieval,
        studyImages: options.studyImages,
        caseReports,
        engine: { ...options.engine, impression: this.impressionInstance },
      });
    } catch (error) {
      const reason =
        error instanceof ModelPackError
          ? `model pack ${packDir} refused: ${error.problems.join("; ")}`
          : `model pack ${packDir} could not be loaded: ${(error as Error).message}`;
      if (!this.closed) this.reportFailure(packDir, reason);
      return;
    }
    const { engine } = core;
    if (this.closed) {
      await engine.close();
      return;
    }
    if (core.seedError) {
      // The draft still works; similar cases need the index (a wrong-model index refuses every search, by name).
      const message = `retrieval index not seeded from ${packDir}: ${core.seedError.message}`;
      console.warn(`inference: ${message}`);
      options.events.publish({ type: "notice", level: "warning", message });
    }
    this.engineInstance = engine;
    this.current = {
      state: "ready",
      packDir,
      name: engine.info.name,
      version: engine.info.version,
      executionProvider: engine.model.executionProvider,
      providerNotes: [...engine.info.providerNotes],
      note: "note" in choice ? choice.note : null,
      gallery: core.seeded,
    };
    options.app.setModel({
      name: engine.model.name,
      version: engine.model.version,
      executionProvider: engine.model.executionProvider,
    });
  }

  private reportFailure(packDir: string, reason: string): void {
    this.current = { state: "unavailable", packDir, reason };
    console.warn(`inference: ${reason}`);
    this.options.events.publish({ type: "notice", level: "warning", message: `No model pack: ${reason}` });
  }
}

/** A study's images from the case database rows (frontal first): what the engine reads for a draft. */
export function studyImagesFrom(images: readonly { filePath: string; view: string }[]): StudyImageInput[] {
  return images.map((image) => ({
    path: image.filePath,
    view: image.view === "frontal" || image.view === "lateral" ? image.view : null,
  }));
}
