/**
 * Starting the main process's worker threads (the imaging decode pool, the inference engine): where a worker entry
 * lies beside its module or bundle, how many CPUs to plan for, and how a TypeScript entry runs (through tsx).
 */
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { Worker, type WorkerOptions } from "node:worker_threads";
import { resolvePackagePath } from "./imaging/commonjs-packages";

/** The CPUs this process may use. */
export function availableCpus(): number {
  return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
}

/**
 * The worker entry `name` with the extension of `moduleUrl` (the caller's import.meta.url): beside that module (from
 * source), beside the bundle holding it (out/main/index.js), or one folder up when the bundler put the module in a
 * chunk folder (out/main/chunks/, where electron-vite places the code the main entry and the workers share).
 */
export function siblingWorkerUrl(moduleUrl: string, name: string): URL {
  const here = new URL(moduleUrl);
  const extension = isTypeScript(here) ? ".ts" : ".js";
  const beside = new URL(`./${name}${extension}`, here);
  if (here.protocol !== "file:" || existsSync(fileURLToPath(beside))) return beside;
  const above = new URL(`../${name}${extension}`, here);
  return existsSync(fileURLToPath(above)) ? above : beside;
}

/** A `workerUrl` option (URL, file path, or absent for `fallback()`) as a URL. */
export function workerUrlOption(option: URL | string | undefined, fallback: () => URL): URL {
  if (option === undefined) return fallback();
  return option instanceof URL ? option : pathToFileURL(option);
}

/** Start a worker on `url`; a .ts entry (tests, tsx-run CLIs) runs through a tsx bootstrap. */
export function startWorker(url: URL, options: WorkerOptions): Worker {
  return isTypeScript(url)
    ? new Worker(typeScriptBootstrap(url), { ...options, eval: true })
    : new Worker(url, options);
}

function isTypeScript(url: URL): boolean {
  return /\.[cm]?ts$/.test(url.pathname);
}

/** file: URL of tsx's ESM registration API, found through tsx's package.json exports. */
function tsxEsmApiUrl(): string {
  const packageJsonPath = resolvePackagePath("tsx/package.json");
  const pkg = JSON.parse(readFileSync(packageJsonPath, "utf8")) as {
    exports?: Record<string, { import?: { default?: string } } | string>;
  };
  const entry = pkg.exports?.["./esm/api"];
  const relative = (typeof entry === "object" && entry.import?.default) || "./dist/esm/api/index.mjs";
  return pathToFileURL(path.join(path.dirname(packageJsonPath), relative)).href;
}

/**
 * Worker source for a TypeScript entry. On Node 20, "--import tsx" in a worker's execArgv does not apply to the
 * worker's own entry module, and a worker does not inherit tsx's loader, so a small bootstrap registers tsx's ESM
 * hooks, then imports the entry.
 */
function typeScriptBootstrap(workerUrl: URL): string {
  return [
    `import(${JSON.stringify(tsxEsmApiUrl())})`,
    `  .then((api) => { api.register(); return import(${JSON.stringify(workerUrl.href)}); })`,
    "  .catch((error) => { setImmediate(() => { throw error; }); });",
  ].join("\n");
}
