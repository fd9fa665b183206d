/**
 * Frame decoding with dcmjs-codecs (dcmtk's IJG JPEG incl. 12-bit and lossless, CharLS JPEG-LS, OpenJPEG JPEG 2000,
 * OpenJPH HTJ2K, RLE; one WebAssembly module without generated JavaScript). The module is instantiated from bytes
 * the caller supplies: dcmjs-codecs' own loader fetches through eval, which the renderer's CSP forbids, and a
 * file:// page cannot fetch files anyway. Used by the transcode worker and by the unit tests (no DOM, no Node).
 */
import * as dcmjsCodecs from "dcmjs-codecs";
import type { DecodedFrame, EncodedFrame } from "../../../../src-shared/imaging/dicom-part10";
import { decodeFrameWith, FrameCodecFailure } from "../../../../src-shared/imaging/pixel-frame-codecs";

// dcmjs-codecs is a CommonJS (webpack UMD) bundle: Vite exposes its exports directly, Node as the default export.
const codecs = ((dcmjsCodecs as unknown as { default?: typeof dcmjsCodecs }).default ??
  dcmjsCodecs) as typeof dcmjsCodecs;
const { Context, log, NativeCodecs } = codecs;

let ready: Promise<void> | null = null;
let wasm: ArrayBuffer | null = null;

/** Hands over the codecs' .wasm bytes (once, before the first decode). */
export function provideCodecsWasm(bytes: ArrayBuffer): void {
  wasm = bytes;
}

function init(): Promise<void> {
  if (!ready) {
    const bytes = wasm;
    if (!bytes) return Promise.reject(new Error("the codecs' WebAssembly module was not provided"));
    log.setLevel("silent");
    // A copy each time: instantiation is repeated after a failed decode.
    (NativeCodecs as unknown as { _getWebAssemblyBytes: () => Promise<ArrayBuffer> })._getWebAssemblyBytes = async () =>
      bytes.slice(0);
    ready = NativeCodecs.initializeAsync().catch((err: unknown) => {
      ready = null;
      throw err;
    });
  }
  return ready;
}

export async function decodeFrame(frame: EncodedFrame): Promise<DecodedFrame> {
  await init();
  try {
    return decodeFrameWith({ NativeCodecs, Context }, frame, { jpegColorToRgb: true });
  } catch (err) {
    // A codec that threw can leave the module's memory in a bad state: start afresh next time.
    if (err instanceof FrameCodecFailure && err.codecThrew) {
      NativeCodecs.release();
      ready = null;
    }
    throw err;
  }
}
