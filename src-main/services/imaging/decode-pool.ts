/**
 * ImageDecodePool: decodes images in worker threads so the main event loop stays free. Each worker decodes one
 * image at a time; requests queue in order. A request can be cancelled with an AbortSignal: a queued one never
 * starts, a running one rejects at once and its result is dropped when the worker finishes (the codecs run
 * synchronously in WebAssembly and cannot be interrupted mid-frame; the worker also checks the signal between
 * read, parse, decode and render). A worker that dies fails its request with WORKER_FAILED and is replaced.
 */
import { readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { resolvePackagePath } from "./commonjs-packages";
import { resolveDecodeOptions } from "./decode-image";
import type { PoolToWorkerMessage, WorkerDecodeOptions, WorkerToPoolMessage } from "./decode-worker-protocol";
import { abortedError, ImagingError, isSerializedImagingError } from "./errors";
import type { DecodedImage, DecodeImageOptions } from "./types";

export interface ImageDecodePoolOptions {
  /** Number of worker threads; default min(2, number of CPUs). */
  readonly size?: number | undefined;
  /**
   * The worker entry. Default: decode-worker.ts / decode-worker.js next to this module's file (from source), or
   * next to the bundle that contains this module (bundled: emit decode-worker.js beside it).
   */
  readonly workerUrl?: URL | string | undefined;
  /** Node options for the workers (default none). A .ts entry is loaded through tsx (see typeScriptBootstrap). */
  readonly execArgv?: readonly string[] | undefined;
  /** V8 heap limits per worker (worker_threads resourceLimits). */
  readonly resourceLimits?: import("node:worker_threads").ResourceLimits | undefined;
}

interface Task {
  readonly id: number;
  readonly path: string;
  readonly options: WorkerDecodeOptions;
  readonly signal: AbortSignal | undefined;
  resolve(image: DecodedImage): void;
  reject(error: Error): void;
  settled: boolean;
  detachAbort(): void;
}

interface Slot {
  readonly worker: Worker;
  task: Task | null;
}

export function defaultPoolSize(): number {
  const cpus = typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
  return Math.max(1, Math.min(2, cpus));
}

/** decode-worker with this module's own extension, beside this module (or beside the bundle containing it). */
export function defaultWorkerUrl(): URL {
  const here = new URL(import.meta.url);
  const extension = isTypeScript(here) ? ".ts" : ".js";
  return new URL(`./decode-worker${extension}`, here);
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
 * Worker source for a TypeScript entry (tests, tsx-run CLIs). On Node 20, "--import tsx" in a worker's execArgv does
 * not apply to the worker's own entry module, so a small bootstrap registers tsx's ESM hooks, then imports the entry.
 */
function typeScriptBootstrap(workerUrl: URL): string {
  return [
    `import(${JSON.stringify(tsxEsmApiUrl())})`,
    `  .then((api) => { api.register(); return import(${JSON.stringify(workerUrl.href)}); })`,
    "  .catch((error) => { setImmediate(() => { throw error; }); });",
  ].join("\n");
}

export class ImageDecodePool {
  readonly size: number;
  private readonly workerUrl: URL;
  private readonly execArgv: string[];
  private readonly resourceLimits: ImageDecodePoolOptions["resourceLimits"];
  private readonly slots: Slot[] = [];
  private readonly queue: Task[] = [];
  private nextId = 1;
  private closed = false;

  constructor(options: ImageDecodePoolOptions = {}) {
    const size = options.size ?? defaultPoolSize();
    if (!Number.isInteger(size) || size < 1 || size > 64) {
      throw new RangeError(`ImageDecodePool size must be an integer from 1 to 64, got ${size}`);
    }
    this.size = size;
    this.workerUrl =
      options.workerUrl === undefined
        ? defaultWorkerUrl()
        : options.workerUrl instanceof URL
          ? options.workerUrl
          : pathToFileURL(options.workerUrl);
    this.execArgv = options.execArgv ? [...options.execArgv] : [];
    this.resourceLimits = options.resourceLimits;
  }

  /** Requests waiting for a worker. */
  get queued(): number {
    return this.queue.length;
  }

  /** Requests being decoded now. */
  get running(): number {
    return this.slots.filter((s) => s.task !== null).length;
  }

  /** Decodes a file in a worker. Rejects with ImagingError (ABORTED when cancelled, name "AbortError"). */
  decode(path: string, options: DecodeImageOptions = {}): Promise<DecodedImage> {
    if (this.closed) {
      return Promise.reject(new ImagingError("WORKER_FAILED", path, "the image decode pool is closed"));
    }
    let resolved: ReturnType<typeof resolveDecodeOptions>;
    try {
      resolved = resolveDecodeOptions(path, options);
    } catch (error) {
      return Promise.reject(error);
    }
    const { signal, ...rest } = resolved;
    if (signal?.aborted) return Promise.reject(abortedError(path, signal));
    const workerOptions: WorkerDecodeOptions = rest;
    return new Promise<DecodedImage>((resolve, reject) => {
      const onAbort = () => this.cancel(task);
      const task: Task = {
        id: this.nextId++,
        path,
        options: workerOptions,
        signal,
        resolve,
        reject,
        settled: false,
        detachAbort: () => signal?.removeEventListener("abort", onAbort),
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      this.queue.push(task);
      this.pump();
    });
  }

  /** Stops all workers. Queued and running requests reject with WORKER_FAILED. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const task of this.queue.splice(0)) {
      this.settle(task, new ImagingError("WORKER_FAILED", task.path, "the image decode pool was closed"));
    }
    const slots = this.slots.splice(0);
    for (const slot of slots) {
      if (slot.task) {
        this.settle(slot.task, new ImagingError("WORKER_FAILED", slot.task.path, "the image decode pool was closed"));
      }
    }
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  private settle(task: Task, outcome: Error | DecodedImage): void {
    if (task.settled) return;
    task.settled = true;
    task.detachAbort();
    if (outcome instanceof Error) task.reject(outcome);
    else task.resolve(outcome);
  }

  private cancel(task: Task): void {
    if (task.settled) return;
    const queuedAt = this.queue.indexOf(task);
    if (queuedAt >= 0) this.queue.splice(queuedAt, 1);
    this.settle(task, abortedError(task.path, task.signal));
    const slot = this.slots.find((s) => s.task === task);
    // The worker stops at its next check; its slot frees when it answers, so workers never run two decodes at once.
    if (slot) slot.worker.postMessage({ type: "cancel", id: task.id } satisfies PoolToWorkerMessage);
  }

  private pump(): void {
    while (!this.closed && this.queue.length > 0) {
      let slot = this.slots.find((s) => s.task === null);
      if (!slot && this.slots.length < this.size) slot = this.spawn();
      if (!slot) return;
      const task = this.queue.shift() as Task;
      slot.task = task;
      slot.worker.ref();
      slot.worker.postMessage({
        type: "decode",
        id: task.id,
        path: task.path,
        options: task.options,
      } satisfies PoolToWorkerMessage);
    }
  }

  private spawn(): Slot {
    const options = {
      execArgv: this.execArgv,
      ...(this.resourceLimits ? { resourceLimits: this.resourceLimits } : {}),
    };
    const worker = isTypeScript(this.workerUrl)
      ? new Worker(typeScriptBootstrap(this.workerUrl), { ...options, eval: true })
      : new Worker(this.workerUrl, options);
    const slot: Slot = { worker, task: null };
    this.slots.push(slot);
    worker.on("message", (message: WorkerToPoolMessage) => this.onMessage(slot, message));
    worker.on("error", (error) => this.onWorkerGone(slot, `the decode worker failed: ${error.message}`));
    worker.on("exit", (code) => this.onWorkerGone(slot, `the decode worker exited with code ${code}`));
    return slot;
  }

  private onMessage(slot: Slot, message: WorkerToPoolMessage): void {
    const task = slot.task;
    if (!task || task.id !== message.id) return;
    slot.task = null;
    if (message.type === "result") {
      this.settle(task, message.image);
    } else if (isSerializedImagingError(message.error)) {
      this.settle(task, ImagingError.fromJSON(message.error));
    } else {
      const text = "message" in message.error ? message.error.message : "unknown failure";
      this.settle(task, new ImagingError("CORRUPT_IMAGE", task.path, `the image cannot be decoded: ${text}`));
    }
    if (this.queue.length === 0) slot.worker.unref();
    this.pump();
  }

  private onWorkerGone(slot: Slot, reason: string): void {
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots.splice(index, 1);
    if (slot.task) this.settle(slot.task, new ImagingError("WORKER_FAILED", slot.task.path, reason));
    slot.task = null;
    void slot.worker.terminate();
    this.pump();
  }
}
