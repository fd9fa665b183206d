/**
 * Worker-thread entry of ImageDecodePool: decodes files with decodeImageFile and posts the result back with its
 * pixel buffers transferred (not copied). Keep this a separate entry file: the bundler must emit it as its own
 * chunk next to the main bundle (see docs/imaging.md, "Worker threads and bundling").
 */
import { parentPort } from "node:worker_threads";
import { decodeImageFile } from "./decode-image";
import {
  type PoolToWorkerMessage,
  transferablesOf,
  type WorkerDecodeOptions,
  type WorkerToPoolMessage,
} from "./decode-worker-protocol";
import { ImagingError } from "./errors";

const port = parentPort;
if (!port) throw new Error("decode-worker.ts must be started as a worker thread (by ImageDecodePool)");

const running = new Map<number, AbortController>();

function post(message: WorkerToPoolMessage, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

async function handleDecode(id: number, path: string, options: WorkerDecodeOptions): Promise<void> {
  const controller = new AbortController();
  running.set(id, controller);
  try {
    const image = await decodeImageFile(path, { ...options, signal: controller.signal });
    post({ type: "result", id, image }, transferablesOf(image));
  } catch (error) {
    post({
      type: "error",
      id,
      error:
        error instanceof ImagingError
          ? error.toJSON()
          : { kind: "unexpected", message: error instanceof Error ? error.message : String(error) },
    });
  } finally {
    running.delete(id);
  }
}

port.on("message", (message: PoolToWorkerMessage) => {
  if (message.type === "decode") {
    void handleDecode(message.id, message.path, message.options);
  } else if (message.type === "cancel") {
    running.get(message.id)?.abort(new Error("cancelled by the caller"));
  }
});
