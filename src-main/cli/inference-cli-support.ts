/** Shared pieces of the inference command-line tools (generate, eval --pack, bench). */
import fs from "node:fs";
import path from "node:path";
import cliProgress from "cli-progress";
import { DatabaseError, openCaseDatabase } from "../db/database";
import { appRoot } from "../paths";
import { isImagingError } from "../services/imaging";
import {
  findDefaultModelPack,
  type InferenceCore,
  type InferenceCoreOptions,
  type InferenceEngine,
  InferenceError,
  startInferenceCore,
} from "../services/inference";
import { ModelPackError } from "../services/model-pack";
import { RetrievalError } from "../services/retrieval/errors";
import type { CaseReports } from "../services/retrieval/gallery";
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

export interface CliCore {
  engine: InferenceEngine;
  retrieval: RetrievalService;
  databasePath: string;
  /** The gallery's cases with report text and labels (null when the annotation could not be read). */
  reports: CaseReports | null;
  seeded: { seeded: boolean; added: number };
  close(): Promise<void>;
}

/**
 * The application's start-up for a command-line tool: opens the case database of `dataDir` and its retrieval
 * index, and starts the engine on the pack with the same function the app uses (`startInferenceCore`: the pack read
 * once, the index seeded from its gallery on first use, here with a progress bar). A seeding failure ends the tool.
 */
export async function startCliCore(
  dataDir: string,
  packDir: string,
  engine: InferenceCoreOptions["engine"] = {},
): Promise<CliCore> {
  const databasePath = path.join(dataDir, "cases.sqlite");
  const db = openCaseDatabase(databasePath);
  const retrieval = new RetrievalService(db);
  const closeIndex = async () => {
    await retrieval.close();
    db.close();
  };
  const bar = new cliProgress.SingleBar(
    { format: "seeding the retrieval index [{bar}] {value}/{total} gallery cases", hideCursor: true },
    cliProgress.Presets.shades_classic,
  );
  let started = false;
  let core: InferenceCore;
  try {
    core = await startInferenceCore({
      packDir,
      retrieval,
      engine,
      onSeedProgress: (done, total) => {
        if (!started) {
          bar.start(total, 0);
          started = true;
        }
        bar.update(done);
      },
    });
  } catch (error) {
    await closeIndex();
    throw error;
  } finally {
    if (started) bar.stop();
  }
  if (core.seedError || !core.seeded) {
    await core.engine.close();
    await closeIndex();
    throw core.seedError ?? new Error("the retrieval index was not seeded");
  }
  return {
    engine: core.engine,
    retrieval,
    databasePath,
    reports: core.reports,
    seeded: core.seeded,
    close: async () => {
      await core.engine.close();
      await closeIndex();
    },
  };
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
