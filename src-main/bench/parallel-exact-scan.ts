import { Worker } from "node:worker_threads";
import type { ScoredRows } from "../services/retrieval/exact-scan";
import { TopK } from "../services/retrieval/vector-math";

/**
 * The exact scan split across worker threads: each worker scans a contiguous share of a matrix in a
 * SharedArrayBuffer (no copy) and the partial top-k lists are merged. Workers run the TypeScript source through
 * tsx's loader, so this is for the command-line tools (the benchmark), not the bundled app.
 */
export class ParallelExactScan {
  private nextId = 0;
  private readonly pending = new Map<
    number,
    { results: ScoredRows[]; left: number; resolve: (r: ScoredRows[]) => void; reject: (e: Error) => void }
  >();

  private constructor(
    private readonly workers: Worker[],
    readonly threads: number,
  ) {
    for (const worker of workers) {
      worker.on("error", (error) => {
        for (const entry of this.pending.values()) entry.reject(error);
        this.pending.clear();
      });
      worker.on("message", (message: { id: number; rows: number[]; scores: number[] }) => {
        const entry = this.pending.get(message.id);
        if (!entry) return;
        entry.results.push({ rows: message.rows, scores: message.scores });
        if (--entry.left === 0) {
          this.pending.delete(message.id);
          entry.resolve(entry.results);
        }
      });
    }
  }

  static async start(
    buffer: SharedArrayBuffer,
    dim: number,
    count: number,
    threads: number,
  ): Promise<ParallelExactScan> {
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`threads must be >= 1, got ${threads}`);
    const share = Math.ceil(count / threads);
    const workers: Worker[] = [];
    for (let t = 0; t < threads; t++) {
      const start = Math.min(count, t * share);
      const end = Math.min(count, start + share);
      // Node 20 workers do not inherit tsx's loader: register it in the worker, then load the TypeScript module.
      const bootstrap = `import(${JSON.stringify(import.meta.resolve("tsx/esm/api"))})
        .then((api) => { api.register(); return import(${JSON.stringify(new URL("./exact-scan-worker.ts", import.meta.url).href)}); })
        .then(() => require("node:worker_threads").parentPort.postMessage({ ready: true }));`;
      const worker = new Worker(bootstrap, { eval: true, workerData: { buffer, dim, start, end } });
      await new Promise<void>((resolve, reject) => {
        const onExit = (code: number) => reject(new Error(`exact-scan worker exited with code ${code} while starting`));
        worker.once("message", () => {
          worker.off("error", reject);
          worker.off("exit", onExit);
          resolve();
        });
        worker.once("error", reject);
        worker.once("exit", onExit);
      });
      workers.push(worker);
    }
    return new ParallelExactScan(workers, threads);
  }

  async search(query: Float32Array, k: number): Promise<ScoredRows> {
    const id = this.nextId++;
    const parts = await new Promise<ScoredRows[]>((resolve, reject) => {
      this.pending.set(id, { results: [], left: this.workers.length, resolve, reject });
      for (const worker of this.workers) worker.postMessage({ id, query, k });
    });
    const top = new TopK(k);
    for (const part of parts) {
      for (let i = 0; i < part.rows.length; i++) top.push(part.scores[i]!, part.rows[i]!);
    }
    const { items, scores } = top.results();
    return { rows: items, scores };
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.terminate()));
  }
}
