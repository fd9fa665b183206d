/** Shared pieces of the inference command-line tools (generate, eval --pack, bench). */
import fs from "node:fs";
import path from "node:path";
import cliProgress from "cli-progress";
import { type CaseDatabase, DatabaseError, openCaseDatabase } from "../db/database";
import { appRoot } from "../paths";
import { isImagingError } from "../services/imaging";
import { findDefaultModelPack, InferenceError } from "../services/inference";
import { buildDisplayCasing, type DisplayCasing } from "../services/inference/report-text";
import { ModelPackError } from "../services/model-pack";
import { RetrievalError } from "../services/retrieval/errors";
import { type CaseReports, loadIuXrayCaseReports, readPackGallery } from "../services/retrieval/gallery";
import { RetrievalService } from "../services/retrieval/retrieval-service";
import { UserError } from "./language-cli-support";

/** The pack folder: --pack, else the default pack in models/; a missing folder is a user error naming it. */
export function resolvePackDir(flag: string | undefined): string {
  if (flag) {
    const dir = path.resolve(flag);
    if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new UserError(`--pack ${flag}: no such folder`);
    return dir;
  }
  const choice = findDefaultModelPack(path.join(appRoot(), "models"));
  if (choice.dir === null) throw new UserError(`${choice.reason}; pass --pack DIR`);
  if (choice.note) console.error(choice.note);
  return choice.dir;
}

/** Errors a user can act on (bad input, bad pack, wrong-model index) become one-line UserErrors. */
export function asUserError(error: unknown): unknown {
  if (isImagingError(error)) return new UserError(error.message);
  if (error instanceof ModelPackError)
    return new UserError(`model pack ${error.packDir} refused:\n  - ${error.problems.join("\n  - ")}`);
  if (error instanceof InferenceError && error.code !== "WORKER_FAILED" && error.code !== "MODEL_FAILED")
    return new UserError(error.message);
  if (error instanceof RetrievalError || error instanceof DatabaseError) return new UserError(error.message);
  return error;
}

export interface OpenedIndex {
  db: CaseDatabase;
  retrieval: RetrievalService;
  databasePath: string;
  seeded: { seeded: boolean; added: number };
  close(): Promise<void>;
}

/**
 * Opens the case database of `dataDir` and its retrieval index, and seeds it from the pack's gallery the first
 * time (with a progress bar), exactly as the application does at start.
 */
export function openSeededIndex(dataDir: string, packDir: string, reports: CaseReports): OpenedIndex {
  const databasePath = path.join(dataDir, "cases.sqlite");
  const db = openCaseDatabase(databasePath);
  try {
    const retrieval = new RetrievalService(db);
    const bar = new cliProgress.SingleBar(
      { format: "seeding the retrieval index [{bar}] {value}/{total} gallery cases", hideCursor: true },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    const seeded = retrieval.seedFromGallery(readPackGallery(packDir), reports, (done, total) => {
      if (!started) {
        bar.start(total, 0);
        started = true;
      }
      bar.update(done);
    });
    if (started) bar.stop();
    return {
      db,
      retrieval,
      databasePath,
      seeded,
      close: async () => {
        await retrieval.close();
        db.close();
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}

/** IU-Xray reports with labels (for the gallery's cases) and the display casing learned from them. */
export function loadReportsAndCasing(): { reports: CaseReports; casing: DisplayCasing } {
  const reports = loadIuXrayCaseReports();
  return { reports, casing: buildDisplayCasing([...reports.values()].map((r) => r.report)) };
}

/** p-th percentile (0..100) by linear interpolation between closest ranks. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (rank - low);
}
