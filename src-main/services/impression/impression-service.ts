/**
 * The impression drafter as a service: finds and loads the impression pack (models/<folder> whose manifest is
 * radiology-draft/impression-pack@1, or RADIOLOGY_DRAFT_IMPRESSION_PACK), drafts one impression at a time, and says
 * why it is unavailable when there is no pack. Used by the inference engine (the impression after the AI findings),
 * the reports service ("Suggest impression") and the CLIs.
 */
import fs from "node:fs";
import path from "node:path";
import type { DisplayCasing } from "../inference/report-text";
import { draftImpression, type ImpressionDraft } from "./impression-drafter";
import { IMPRESSION_PACK_FORMAT, type ImpressionPack, loadImpressionPack } from "./impression-pack";

export const IMPRESSION_PACK_ENV = "RADIOLOGY_DRAFT_IMPRESSION_PACK";

export type ImpressionPackChoice = { dir: string } | { dir: null; reason: string };

/** The impression pack: the folder given (option or env), else the folder in models/ with an impression manifest. */
export function findImpressionPack(modelsDir: string, explicit?: string | null): ImpressionPackChoice {
  const chosen = explicit ?? process.env[IMPRESSION_PACK_ENV] ?? null;
  if (chosen === "none")
    return { dir: null, reason: `${IMPRESSION_PACK_ENV}=none: started without an impression pack` };
  if (chosen) return { dir: path.resolve(chosen) };
  let names: string[] = [];
  try {
    names = fs.readdirSync(modelsDir).sort();
  } catch {
    return { dir: null, reason: `no impression pack: the folder ${modelsDir} does not exist` };
  }
  for (const name of names) {
    try {
      const manifest = JSON.parse(fs.readFileSync(path.join(modelsDir, name, "manifest.json"), "utf8")) as {
        format?: unknown;
      };
      if (manifest.format === IMPRESSION_PACK_FORMAT) return { dir: path.join(modelsDir, name) };
    } catch {
      // not a pack folder, or another pack's broken manifest: not ours
    }
  }
  return { dir: null, reason: `no impression pack in ${modelsDir}` };
}

/** The model that wrote an impression, as drafts and audit entries name it. */
export interface ImpressionModelInfo {
  name: string;
  version: string;
}

export class ImpressionService {
  private queue: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly pack: ImpressionPack,
    private readonly casing: DisplayCasing,
  ) {}

  static async load(packDir: string, casing: DisplayCasing = new Map()): Promise<ImpressionService> {
    return new ImpressionService(
      await loadImpressionPack(packDir, { intraOpNumThreads: 1, interOpNumThreads: 1 }),
      casing,
    );
  }

  get model(): ImpressionModelInfo {
    return { name: this.pack.manifest.name, version: this.pack.manifest.version };
  }

  get packDir(): string {
    return this.pack.dir;
  }

  /** Draft an impression from findings text (one at a time; NoFindingsError for empty findings). */
  draft(findings: string): Promise<ImpressionDraft> {
    const run = this.queue.then(() => draftImpression(this.pack, findings, { casing: this.casing }));
    this.queue = run.catch(() => {});
    return run;
  }

  async close(): Promise<void> {
    await this.queue;
    await this.pack.close();
  }
}
