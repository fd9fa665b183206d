/**
 * Renders the synthetic IU-Xray set in the R2Gen layout with a pool of worker threads:
 *   <out>/annotation.json            copy of the annotation (only the rendered studies when a subset is asked for)
 *   <out>/images/<id>/0.png, 1.png   frontal (PA) and lateral, 8-bit grayscale
 *   <out>/synthetic.json             what produced the images and that they are a simulation
 *   <out>/findings.json              the findings drawn per study (radiology-draft/synthetic-findings@1), the truth
 *                                    of the image that `npm run manifest` carries beside the CheXpert labels
 */
import { readFileSync } from "node:fs";
import { copyFile, mkdir, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { type Annotation, type IuStudy, loadIuStudies, type Split } from "./dataset";
import { SynthInputError } from "./errors";
import { writeSimulationManifest } from "./manifest";
import type { IuSourcePaths } from "./paths";
import { SEED_NAMESPACE } from "./prng";
import type { DrawnFinding } from "./render";
import type { WorkerJob, WorkerReply } from "./worker";

export const GENERATOR_VERSION = "1";
export const FINDINGS_FORMAT = "radiology-draft/synthetic-findings@1";

/** `<out>/findings.json`: per rendered study, the findings drawn (the file `npm run manifest` reads). */
export interface DrawnFindingsFile {
  format: typeof FINDINGS_FORMAT;
  simulation: true;
  generatorVersion: string;
  /** Study id -> drawn findings (an empty list: nothing drawn, a normal study). */
  studies: Record<string, DrawnFinding[]>;
}

export interface GenerateOptions {
  source: IuSourcePaths;
  outDir: string;
  size?: number;
  workers?: number;
  /** Only these study ids (each must exist). */
  ids?: readonly string[];
  split?: Split;
  limit?: number;
  /** Studies per message to a worker. */
  batch?: number;
  onStart?: (total: number) => void;
  onProgress?: (done: number, total: number) => void;
}

export interface GenerateResult {
  studies: number;
  images: number;
  seconds: number;
  outDir: string;
}

export function selectStudies(
  all: readonly IuStudy[],
  options: Pick<GenerateOptions, "ids" | "split" | "limit">,
): IuStudy[] {
  let selected = all.slice();
  if (options.ids && options.ids.length > 0) {
    const byId = new Map(all.map((s) => [s.id, s]));
    const unknown = options.ids.filter((id) => !byId.has(id));
    if (unknown.length > 0) throw new SynthInputError(`unknown study id(s): ${unknown.join(", ")}`);
    selected = options.ids.map((id) => byId.get(id)!);
  }
  if (options.split) selected = selected.filter((s) => s.split === options.split);
  if (options.limit !== undefined) selected = selected.slice(0, options.limit);
  return selected;
}

function subsetAnnotation(annotation: Annotation, ids: ReadonlySet<string>): Annotation {
  return {
    train: annotation.train.filter((e) => ids.has(e.id)),
    val: annotation.val.filter((e) => ids.has(e.id)),
    test: annotation.test.filter((e) => ids.has(e.id)),
  };
}

/** URL of tsx's ESM API (tsImport), from the package's export map (works under tsx and under vitest). */
function tsxApiUrl(): string {
  const require = createRequire(import.meta.url);
  const packageJsonPath = require.resolve("tsx/package.json");
  const pkg = JSON.parse(readFileSync(packageJsonPath, "utf8")) as {
    exports: Record<string, { import?: { default?: string } }>;
  };
  const target = pkg.exports["./esm/api"]?.import?.default;
  if (!target) throw new Error(`${packageJsonPath} has no ./esm/api import export`);
  return pathToFileURL(path.join(path.dirname(packageJsonPath), target)).href;
}

function startWorker(): Worker {
  const apiUrl = tsxApiUrl();
  const workerUrl = new URL("./worker.ts", import.meta.url).href;
  const boot = `import(${JSON.stringify(apiUrl)}).then(({ tsImport }) => tsImport(${JSON.stringify(workerUrl)}, ${JSON.stringify(import.meta.url)}))`;
  return new Worker(boot, { eval: true });
}

export async function generateDataset(options: GenerateOptions): Promise<GenerateResult> {
  const size = options.size ?? 512;
  const workerCount = Math.max(1, options.workers ?? 2);
  const batch = Math.max(1, options.batch ?? 4);
  const started = performance.now();
  const { annotation, studies: all } = await loadIuStudies(options.source);
  const studies = selectStudies(all, options);
  if (studies.length === 0) throw new SynthInputError("no studies selected (check --ids, --split and --limit)");
  await mkdir(path.join(options.outDir, "images"), { recursive: true });
  if (studies.length === all.length) {
    await copyFile(options.source.annotationPath, path.join(options.outDir, "annotation.json"));
  } else {
    const subset = subsetAnnotation(annotation, new Set(studies.map((s) => s.id)));
    await writeFile(path.join(options.outDir, "annotation.json"), JSON.stringify(subset));
  }
  await writeSimulationManifest(
    path.join(options.outDir, "synthetic.json"),
    "radiology-draft/synthetic-iu-xray@1",
    "Synthetic chest radiographs rendered from the IU-Xray reports' findings; not real images. Results on them are a simulation.",
    {
      generator: "tools/synth",
      generatorVersion: GENERATOR_VERSION,
      seedNamespace: SEED_NAMESPACE,
      size,
      studies: studies.length,
      views: { "0.png": "frontal PA", "1.png": "lateral LL" },
    },
  );
  options.onStart?.(studies.length);

  const queue: IuStudy[][] = [];
  for (let i = 0; i < studies.length; i += batch) queue.push(studies.slice(i, i + batch));
  let done = 0;
  const drawnById = new Map<string, DrawnFinding[]>();
  const workers = Array.from({ length: Math.min(workerCount, queue.length) }, startWorker);
  try {
    await Promise.all(
      workers.map(
        (worker) =>
          new Promise<void>((resolve, reject) => {
            const next = (): void => {
              const studiesForWorker = queue.shift();
              if (!studiesForWorker) {
                resolve();
                return;
              }
              const job: WorkerJob = { studies: studiesForWorker, outDir: options.outDir, size };
              worker.postMessage(job);
            };
            worker.on("message", (reply: WorkerReply) => {
              if (reply.kind === "error") {
                reject(new Error(`rendering study ${reply.id} failed: ${reply.message}`));
                return;
              }
              for (const [i, id] of reply.ids.entries()) drawnById.set(id, reply.drawn[i]!);
              done += reply.ids.length;
              options.onProgress?.(done, studies.length);
              next();
            });
            worker.on("error", reject);
            worker.on("exit", (code) => {
              if (code !== 0) reject(new Error(`render worker exited with code ${code}`));
            });
            next();
          }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  const findingsFile: DrawnFindingsFile = {
    format: FINDINGS_FORMAT,
    simulation: true,
    generatorVersion: GENERATOR_VERSION,
    studies: Object.fromEntries(studies.map((s) => [s.id, drawnById.get(s.id)!])),
  };
  await writeFile(path.join(options.outDir, "findings.json"), `${JSON.stringify(findingsFile)}\n`);
  return {
    studies: studies.length,
    images: studies.length * 2,
    seconds: (performance.now() - started) / 1000,
    outDir: options.outDir,
  };
}
