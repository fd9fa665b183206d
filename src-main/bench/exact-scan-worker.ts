/**
 * Worker thread of ParallelExactScan: scans its share [start, end) of a matrix held in a SharedArrayBuffer and
 * answers each query with its local top k.
 */
import { parentPort, workerData } from "node:worker_threads";
import { exactTopK } from "../services/retrieval/exact-scan";

interface Init {
  buffer: SharedArrayBuffer;
  dim: number;
  start: number;
  end: number;
}

const init = workerData as Init;
const slice = new Float32Array(init.buffer, init.start * init.dim * 4, (init.end - init.start) * init.dim);

parentPort!.on("message", (message: { id: number; query: Float32Array; k: number }) => {
  const found = exactTopK(slice, init.dim, init.end - init.start, message.query, message.k, undefined, init.start);
  parentPort!.postMessage({ id: message.id, rows: found.rows, scores: found.scores });
});
