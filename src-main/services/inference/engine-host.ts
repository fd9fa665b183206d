/**
 * The engine in the application: at start, loads the default model pack in the background, seeds the retrieval
 * index from the pack's gallery the first time, plugs the engine into the reports service and reports the model
 * (name, version, execution provider) to the status bar — or, when there is no pack or a bad one, keeps the app
 * running without drafting and reports why.
 */
import fs from "node:fs";
import path from "node:path";
import type { InferenceStatus } from "../../../src-shared/inference-types";
import type { AppService } from "../app/app-service";
import type { EventBus } from "../events/event-bus";
import { findImpressionPack, ImpressionService } from "../impression/impression-service";
import { MODEL_PACK_FORMAT, ModelPackError } from "../model-pack";
import type { ReportsService } from "../reports/reports-service";
import { loadIuXrayCaseReports } from "../retrieval/gallery";
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

export interface InferenceHostOptions {
  appRoot: string;
  app: AppService;
  reports: ReportsService;
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
  engine?: Partial<Omit<InferenceEngineOptions, "packDir" | "retrieval" | "studyImages" | "displayCasing">>;
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
      options.reports.setImpressionDrafter(service);
    } catch (error) {
      const message =
        error instanceof ModelPackError
          ? `impression pack ${choice.dir} refused: ${error.problems.join("; ")}`
          : `impression pack ${choice.dir} could not be loaded: ${(error as Error).message}`;
      console.warn(`inference: ${message}`);
      options.events.publish({ type: "notice", level: "warning", message });
    }
  }

  /**
   * No engine: the status says why. The reports service and the status bar are left as they are (no engine and no
   * model unless someone else — e.g. a test's drafting double — set one).
   */
  private unavailable(packDir: string | null, reason: string): void {
    this.current = { state: "unavailable", packDir, reason };
  }

  private async load(): Promise<void> {
    const { options } = this;
    // Start-up work happens after createServices has returned.
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (this.closed) return;
    const choice =
      options.modelPackDir === null
        ? ({ dir: null, reason: "started without a model pack" } as const)
        : findDefaultModelPack(path.join(options.appRoot, "models"), options.modelPackDir);
    let casing: DisplayCasing = new Map();
    let reports: ReturnType<typeof loadIuXrayCaseReports> | null = null;
    try {
      reports = loadIuXrayCaseReports(options.annotationPath, options.labelsCsvPath);
      casing = buildDisplayCasing([...reports.values()].map((r) => r.report));
    } catch (error) {
      console.warn(`inference: report annotation unavailable (${(error as Error).message})`);
    }
    await this.loadImpression(casing);
    if (this.closed) return;
    if (choice.dir === null) {
      this.unavailable(null, choice.reason);
      return;
    }
    const packDir = choice.dir;
    this.current = { state: "loading", packDir };
    let engine: InferenceEngine;
    try {
      engine = await InferenceEngine.start({
        ...options.engine,
        packDir,
        retrieval: options.retrieval,
        studyImages: options.studyImages,
        displayCasing: casing,
        impression: this.impressionInstance,
      });
    } catch (error) {
      const reason =
        error instanceof ModelPackError
          ? `model pack ${packDir} refused: ${error.problems.join("; ")}`
          : `model pack ${packDir} could not be loaded: ${(error as Error).message}`;
      if (!this.closed) this.reportFailure(packDir, reason);
      return;
    }
    if (this.closed) {
      await engine.close();
      return;
    }
    let gallery: { seeded: boolean; added: number } | null = null;
    try {
      // First start: the gallery with report text and labels; later starts: nothing to do.
      gallery = options.retrieval.seedFromPack(packDir, () => {
        if (!reports) throw new Error("the IU-Xray report annotation could not be read");
        return reports;
      });
    } catch (error) {
      // The draft still works; similar cases need the index (a wrong-model index refuses every search, by name).
      const message = `retrieval index not seeded from ${packDir}: ${(error as Error).message}`;
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
      gallery,
    };
    options.app.setModel({
      name: engine.model.name,
      version: engine.model.version,
      executionProvider: engine.model.executionProvider,
    });
    options.reports.setEngine(engine);
  }

  private reportFailure(packDir: string, reason: string): void {
    this.unavailable(packDir, reason);
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
