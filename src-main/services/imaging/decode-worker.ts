/**
 * Worker-thread entry of ImageDecodePool: decodes files with decodeImageFile (posting the result back with its pixel
 * buffers transferred, not copied) inspects them for the import with inspectImageFile, and writes the viewer's decoded copies (viewer-copy.ts). Keep this a separate entry
 * file: the bundler emits it as its own chunk next to the main bundle (electron.vite.config.ts, docs/imaging.md).
 */
import { parentPort } from "node:worker_threads";
import { ImagingError } from "../../../src-shared/imaging/errors";
import { decodeImageFile } from "./decode-image";
import { type PoolToWorkerMessage, transferablesOf, type WorkerToPoolMessage } from "./decode-worker-protocol";
import { inspectImageFile } from "./inspect-image";
import { writeViewerCopy } from "./viewer-copy";

const port = parentPort;
if (!port) throw new Error("decode-worker.ts must be started as a worker thread (by ImageDecodePool)");

const running = new Map<number, AbortController>();

function post(message: WorkerToPoolMessage, transfer: ArrayBuffer[] = []): void {
  port?.postMessage(message, transfer);
}

async function handle(message: Exclude<PoolToWorkerMessage, { type: "cancel" }>): Promise<void> {
  const { id } = message;
  const controller = new AbortController();
  running.set(id, controller);
  try {
    if (message.type === "decode") {
      const image = await decodeImageFile(message.path, { ...message.options, signal: controller.signal });
      post({ type: "result", id, image }, transferablesOf(image));
    } else if (message.type === "viewer-copy") {
      const outcome = await writeViewerCopy(message.path, message.sha256, message.target, controller.signal);
      post({ type: "viewer-copied", id, outcome });
    } else {
      const result = await inspectImageFile(message.path, { ...message.options, signal: controller.signal });
      post({ type: "inspected", id, result });
    }
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
  if (message.type === "cancel") running.get(message.id)?.abort(new Error("cancelled by the caller"));
  else void handle(message);
});
