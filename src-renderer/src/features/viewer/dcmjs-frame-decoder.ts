/**
 * Frame decoding with dcmjs-codecs (dcmtk's IJG JPEG incl. 12-bit and lossless, CharLS JPEG-LS, OpenJPEG JPEG 2000,
 * OpenJPH HTJ2K, RLE; one WebAssembly module without generated JavaScript). The module is instantiated from bytes
 * the caller supplies: dcmjs-codecs' own loader fetches through eval, which the renderer's CSP forbids, and a
 * file:// page cannot fetch files anyway. Used by the transcode worker and by the unit tests (no DOM, no Node).
 */
import * as dcmjsCodecs from "dcmjs-codecs";
import type { DecodedFrame, EncodedFrame } from "./dicom-part10";

// dcmjs-codecs is a CommonJS (webpack UMD) bundle: Vite exposes its exports directly, Node as the default export.
const codecs = ((dcmjsCodecs as unknown as { default?: typeof dcmjsCodecs }).default ??
  dcmjsCodecs) as typeof dcmjsCodecs;
const { Context, log, NativeCodecs } = codecs;
type Context = InstanceType<typeof Context>;

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
  const context = new Context({
    width: frame.width,
    height: frame.height,
    bitsAllocated: frame.bitsAllocated,
    bitsStored: frame.bitsStored,
    samplesPerPixel: frame.samplesPerPixel,
    pixelRepresentation: frame.pixelRepresentation,
    planarConfiguration: frame.planarConfiguration,
    photometricInterpretation: frame.photometric,
    encodedBuffer: frame.data,
  });
  let result: Context;
  try {
    switch (frame.codec) {
      case "rle":
        result = NativeCodecs.decodeRle(context);
        break;
      case "jpeg":
        result = NativeCodecs.decodeJpeg(context, { convertColorspaceToRgb: true });
        break;
      case "jpeg-ls":
        result = NativeCodecs.decodeJpegLs(context);
        break;
      case "jpeg2000":
        result = NativeCodecs.decodeJpeg2000(context);
        break;
      case "ht-jpeg2000":
        result = NativeCodecs.decodeHtJpeg2000(context);
        break;
    }
  } catch (err) {
    // A failed decode can leave the module's memory in a bad state: start afresh next time.
    NativeCodecs.release();
    ready = null;
    throw new Error(`the ${frame.codec} codec could not decode the pixel data: ${(err as Error).message ?? err}`);
  }
  const data = result.getDecodedBuffer();
  if (!data || data.length === 0) throw new Error(`the ${frame.codec} codec returned no pixels`);
  return {
    data,
    photometric: result.getPhotometricInterpretation() ?? frame.photometric,
    planarConfiguration: result.getPlanarConfiguration() ?? frame.planarConfiguration,
  };
}
