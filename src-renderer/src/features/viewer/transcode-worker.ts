/**
 * Web worker: compressed DICOM in, Explicit VR Little Endian out (src-shared/imaging/dicom-part10.ts), frames decoded with
 * dcmjs-codecs (./dcmjs-frame-decoder.ts). The codecs' .wasm arrives as bytes with the first request.
 */

import { transcodeToExplicitLittleEndian } from "../../../../src-shared/imaging/dicom-part10";
import { isImagingError } from "../../../../src-shared/imaging/errors";
import { decodeFrame, provideCodecsWasm } from "./dcmjs-frame-decoder";

interface Request {
  id: number;
  bytes: ArrayBuffer;
  /** The codecs' WebAssembly module (sent with the first request). */
  wasm?: ArrayBuffer;
}

const scope = self as unknown as {
  onmessage: ((e: MessageEvent<Request>) => void) | null;
  postMessage(message: unknown, transfer?: Transferable[]): void;
};

scope.onmessage = async (e) => {
  const { id, bytes, wasm } = e.data;
  if (wasm) provideCodecsWasm(wasm);
  try {
    const out = await transcodeToExplicitLittleEndian(new Uint8Array(bytes), decodeFrame);
    const buffer = out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength) as ArrayBuffer;
    scope.postMessage({ id, bytes: buffer }, [buffer]);
  } catch (err) {
    // The reason only: the viewer puts the file's name in front of it.
    scope.postMessage({
      id,
      error: isImagingError(err) ? err.reason : err instanceof Error ? err.message : String(err),
    });
  }
};
