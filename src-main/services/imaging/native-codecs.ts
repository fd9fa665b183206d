/**
 * The WebAssembly pixel codecs (dcmjs-codecs: dcmtk's IJG 8/12/16-bit JPEG incl. lossless, CharLS JPEG-LS,
 * OpenJPEG JPEG 2000, OpenJPH HTJ2K, libjxl JPEG XL, RLE), loaded once per thread on first use.
 *
 * dcmjs-codecs is CommonJS (a webpack UMD bundle) and finds its .wasm next to its own file; it is loaded through
 * commonjs-packages.ts and the .wasm path is resolved explicitly, so this works from source (tsx), in worker threads, and from
 * a bundle that keeps dcmjs-codecs external (electron-vite's default for dependencies).
 */
import path from "node:path";
import { ImagingError } from "../../../src-shared/imaging/errors";
import {
  type DecodedFrame,
  decodeFrameWith,
  type EncodedFrame,
  FrameCodecFailure,
} from "../../../src-shared/imaging/pixel-frame-codecs";
import { charlsCodec } from "./charls-decoder";
import { CodecInstance, type DcmjsCodecsModule, loadDcmjsCodecs, resolvePackagePath } from "./commonjs-packages";
import { openJpegCodec } from "./reduced-resolution";

type CodecsModule = DcmjsCodecsModule;

let loaded: CodecsModule | null = null;

function loadModule(): CodecsModule {
  if (!loaded) {
    loaded = loadDcmjsCodecs();
    // The codecs log through loglevel; failures reach us as exceptions, so keep the console quiet.
    loaded.log.setLevel("silent");
  }
  return loaded;
}

/** Absolute path of the codecs WebAssembly module. */
export function codecsWasmPath(): string {
  return path.join(path.dirname(resolvePackagePath("dcmjs-codecs")), "dcmjs-native-codecs.wasm");
}

const dcmjsCodecs = new CodecInstance("the WebAssembly pixel codecs", async () => {
  const codecs = loadModule();
  if (!codecs.NativeCodecs.isInitialized()) {
    await codecs.NativeCodecs.initializeAsync({ webAssemblyModulePathOrUrl: codecsWasmPath() });
  }
  return codecs;
});

/** Loads and instantiates the codecs in this thread (idempotent). Rejects with CODEC_UNAVAILABLE. */
export function ensureCodecs(forPath: string): Promise<CodecsModule> {
  return dcmjsCodecs.get(forPath);
}

/**
 * A codec failure unwinds through the WebAssembly stack without freeing the codec's buffers; after one, the module is
 * released and instantiated afresh on next use so a long-lived worker does not leak or carry corrupt state.
 */
function resetAfterFailure(codecs: CodecsModule): void {
  try {
    codecs.NativeCodecs.release();
  } catch {
    // Nothing more to free.
  }
  dcmjsCodecs.forget();
}

export type { DecodedFrame, EncodedFrame } from "../../../src-shared/imaging/pixel-frame-codecs";

/** Decodes one compressed frame. Throws CORRUPT_PIXEL_DATA when the codec rejects the data. */
export async function decodeFrame(frame: EncodedFrame, forPath: string): Promise<DecodedFrame> {
  const codecs = await ensureCodecs(forPath);
  try {
    // JPEG colour stays YCbCr: the grayscale pipeline converts by the photometric interpretation itself.
    return decodeFrameWith(codecs, frame, { jpegColorToRgb: false });
  } catch (cause) {
    if (!(cause instanceof FrameCodecFailure)) throw cause;
    if (cause.codecThrew) resetAfterFailure(codecs);
    throw new ImagingError("CORRUPT_PIXEL_DATA", forPath, cause.message, { cause: cause.cause ?? cause });
  }
}

/** Instantiates every WebAssembly codec of this thread now (≈0.5 s), so the first decode of a session is not the slow one. */
export async function warmUpCodecs(): Promise<void> {
  await Promise.all([
    ensureCodecs("codec warm-up"),
    openJpegCodec.get("codec warm-up"),
    charlsCodec.get("codec warm-up"),
  ]);
}
