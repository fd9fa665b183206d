/**
 * ImageDecodePool: decodes images (decode) and inspects them for the import (inspect) in worker threads, so the main
 * event loop stays free. Each worker handles one request at a time; requests queue in order. A request can be cancelled with an AbortSignal: a queued one never
 * starts, a running one rejects at once and its result is dropped when the worker finishes (the codecs run
 * synchronously in WebAssembly and cannot be interrupted mid-frame; the worker also checks the signal between
 * read, parse, decode and render). A worker that dies fails its request with WORKER_FAILED and is replaced. Idle
 * workers are unref'ed (a CLI exits when its work is done) and end after `idleTimeoutMs` (their codecs hold memory).
 */
import type { Worker } from "node:worker_threads";
import { abortedError, ImagingError, isSerializedImagingError } from "../../../src-shared/imaging/errors";
import type { DecodedImage, DecodeImageOptions } from "../../../src-shared/imaging/image-types";
import { availableCpus, siblingWorkerUrl, startWorker, workerUrlOption } from "../worker-threads";
import { resolveDecodeOptions } from "./decode-image";
import type { PoolToWorkerMessage, WorkerRequest, WorkerToPoolMessage } from "./decode-worker-protocol";
import type { InspectImageOptions, InspectResult } from "./inspect-image";
import type { ViewerCopyOutcome } from "./viewer-copy";

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
  /** An idle worker ends after this many milliseconds (default 30 s); the next request starts a new one. */
  readonly idleTimeoutMs?: number | undefined;
}

interface Task {
  readonly id: number;
  readonly path: string;
  readonly request: WorkerRequest;
  readonly signal: AbortSignal | undefined;
  resolve(value: DecodedImage | InspectResult | ViewerCopyOutcome): void;
  reject(error: Error): void;
  settled: boolean;
  detachAbort(): void;
}

interface Slot {
  readonly worker: Worker;
  task: Task | null;
  idleTimer: ReturnType<typeof setTimeout> | null;
}

export function defaultPoolSize(): number {
  return Math.max(1, Math.min(2, availableCpus()));
}

/** decode-worker beside this module or its bundle (see siblingWorkerUrl). */
export function defaultWorkerUrl(): URL {
  return siblingWorkerUrl(import.meta.url, "decode-worker");
}

export class ImageDecodePool {
  readonly size: number;
  private readonly workerUrl: URL;
  private readonly execArgv: string[];
  private readonly resourceLimits: ImageDecodePoolOptions["resourceLimits"];
  private readonly idleTimeoutMs: number;
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
    this.workerUrl = workerUrlOption(options.workerUrl, defaultWorkerUrl);
    this.execArgv = options.execArgv ? [...options.execArgv] : [];
    this.resourceLimits = options.resourceLimits;
    this.idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  }

  /** Worker threads alive now (idle ones end after idleTimeoutMs). */
  get workers(): number {
    return this.slots.length;
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
    let resolved: ReturnType<typeof resolveDecodeOptions>;
    try {
      resolved = resolveDecodeOptions(path, options);
    } catch (error) {
      return Promise.reject(error);
    }
    const { signal, ...rest } = resolved;
    return this.submit(path, { type: "decode", path, options: rest }, signal) as Promise<DecodedImage>;
  }

  /**
   * Reads, checksums and decodes every frame of a file in a worker, as the import needs (inspectImageFile).
   * Rejects with the ImagingError that names the file and the problem.
   */
  inspect(path: string, options: InspectImageOptions): Promise<InspectResult> {
    const { signal, ...rest } = options;
    return this.submit(path, { type: "inspect", path, options: rest }, signal) as Promise<InspectResult>;
  }

  /**
   * Writes the viewer's decoded copy of a compressed DICOM file to `target` (viewer-copy.ts) when the file still has
   * `sha256`; resolves with what was done.
   */
  viewerCopy(path: string, sha256: string, target: string, signal?: AbortSignal): Promise<ViewerCopyOutcome> {
    return this.submit(path, { type: "viewer-copy", path, sha256, target }, signal) as Promise<ViewerCopyOutcome>;
  }

  private submit(path: string, request: WorkerRequest, signal: AbortSignal | undefined): Promise<unknown> {
    if (this.closed) {
      return Promise.reject(new ImagingError("WORKER_FAILED", path, "the image decode pool is closed"));
    }
    if (signal?.aborted) return Promise.reject(abortedError(path, signal));
    return new Promise<DecodedImage | InspectResult | ViewerCopyOutcome>((resolve, reject) => {
      const onAbort = () => this.cancel(task);
      const task: Task = {
        id: this.nextId++,
        path,
        request,
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
      if (slot.idleTimer) clearTimeout(slot.idleTimer);
      if (slot.task) {
        this.settle(slot.task, new ImagingError("WORKER_FAILED", slot.task.path, "the image decode pool was closed"));
      }
    }
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  private settle(task: Task, outcome: Error | DecodedImage | InspectResult | ViewerCopyOutcome): void {
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
      if (slot.idleTimer) clearTimeout(slot.idleTimer);
      slot.idleTimer = null;
      slot.task = task;
      slot.worker.ref();
      slot.worker.postMessage({ id: task.id, ...task.request } satisfies PoolToWorkerMessage);
    }
  }

  private spawn(): Slot {
    const options = {
      execArgv: this.execArgv,
      ...(this.resourceLimits ? { resourceLimits: this.resourceLimits } : {}),
    };
    const worker = startWorker(this.workerUrl, options);
    const slot: Slot = { worker, task: null, idleTimer: null };
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
    } else if (message.type === "inspected") {
      this.settle(task, message.result);
    } else if (message.type === "viewer-copied") {
      this.settle(task, message.outcome);
    } else if (isSerializedImagingError(message.error)) {
      this.settle(task, ImagingError.fromJSON(message.error));
    } else {
      const text = "message" in message.error ? message.error.message : "unknown failure";
      this.settle(task, new ImagingError("CORRUPT_IMAGE", task.path, `the image cannot be decoded: ${text}`));
    }
    this.pump();
    if (slot.task === null) this.idle(slot);
  }

  /** An idle worker does not keep the process alive, and ends after idleTimeoutMs. */
  private idle(slot: Slot): void {
    slot.worker.unref();
    slot.idleTimer = setTimeout(() => {
      const index = this.slots.indexOf(slot);
      if (index < 0 || slot.task) return;
      this.slots.splice(index, 1);
      void slot.worker.terminate();
    }, this.idleTimeoutMs);
    slot.idleTimer.unref();
  }

  private onWorkerGone(slot: Slot, reason: string): void {
    if (slot.idleTimer) clearTimeout(slot.idleTimer);
    const index = this.slots.indexOf(slot);
    if (index < 0) return;
    this.slots.splice(index, 1);
    if (slot.task) this.settle(slot.task, new ImagingError("WORKER_FAILED", slot.task.path, reason));
    slot.task = null;
    void slot.worker.terminate();
    this.pump();
  }
}
