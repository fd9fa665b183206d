/**
 * The main-thread side of the transcode worker (./transcode-worker.ts): compressed DICOM in, Explicit VR Little
 * Endian out, decoded off the UI thread. The worker is bundled inline (a blob: worker, allowed by worker-src) so it
 * loads the same way from the harness and from the Electron shell's file:// pages (where fetch cannot read files),
 * and the codecs' .wasm is inlined as a data: URL and handed to the worker as bytes. This module is imported lazily,
 * on the first compressed image.
 */
import wasmDataUrl from "dcmjs-codecs/build/dcmjs-native-codecs.wasm?inline";
import TranscodeWorker from "./transcode-worker?worker&inline";

type Pending = { resolve: (bytes: Uint8Array) => void; reject: (err: Error) => void };

let worker: Worker | null = null;
let wasmSent = false;

function wasmBytes(): ArrayBuffer {
  const binary = atob(wasmDataUrl.slice(wasmDataUrl.indexOf(",") + 1));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes.buffer;
}
let nextId = 1;
const pending = new Map<number, Pending>();

function getWorker(): Worker {
  if (worker) return worker;
  const w = new TranscodeWorker({ name: "dicom-transcode" });
  w.onmessage = (e: MessageEvent<{ id: number; bytes?: ArrayBuffer; error?: string }>) => {
    const p = pending.get(e.data.id);
    if (!p) return;
    pending.delete(e.data.id);
    if (e.data.bytes) p.resolve(new Uint8Array(e.data.bytes));
    else p.reject(new Error(e.data.error ?? "the pixel data could not be decoded"));
  };
  w.onerror = (e) => {
    for (const p of pending.values()) p.reject(new Error(`the decoder stopped: ${e.message}`));
    pending.clear();
    w.terminate();
    worker = null;
    wasmSent = false;
  };
  worker = w;
  return w;
}

export function transcode(bytes: Uint8Array): Promise<Uint8Array> {
  const id = nextId++;
  const copy = bytes.slice();
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    const w = getWorker();
    if (!wasmSent) {
      const wasm = wasmBytes();
      wasmSent = true;
      w.postMessage({ id, bytes: copy.buffer, wasm }, [copy.buffer, wasm]);
    } else {
      w.postMessage({ id, bytes: copy.buffer }, [copy.buffer]);
    }
  });
}
