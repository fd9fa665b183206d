/**
 * Web worker: decodes compressed DICOM pixel data with dcmjs-codecs (dcmtk's IJG JPEG incl. 12-bit and lossless,
 * CharLS JPEG-LS, OpenJPEG JPEG 2000, OpenJPH HTJ2K, RLE; one WebAssembly module, no generated code) and returns the
 * file as Explicit VR Little Endian. The .wasm comes as bytes with the first request and is instantiated from them,
 * which the CSP allows ('wasm-unsafe-eval'); dcmjs-codecs' own loader (fetch through eval) is bypassed.
 */
import { Context, log, NativeCodecs } from "dcmjs-codecs";
import { type DecodedFrame, type EncodedFrame, transcodeToExplicitLittleEndian } from "./dicom-part10";

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

let ready: Promise<void> | null = null;
let wasm: ArrayBuffer | null = null;

function init(): Promise<void> {
  if (!ready) {
    const bytes = wasm;
    if (!bytes) return Promise.reject(new Error("the codecs' WebAssembly module was not sent to the decoder"));
    log.setLevel("silent");
    // Instantiated from these bytes (a copy each time: instantiation may be repeated after a failure).
    (NativeCodecs as unknown as { _getWebAssemblyBytes: () => Promise<ArrayBuffer> })._getWebAssemblyBytes = async () =>
      bytes.slice(0);
    ready = NativeCodecs.initializeAsync().catch((err: unknown) => {
      ready = null;
      throw err;
    });
  }
  return ready;
}

function decodeFrame(frame: EncodedFrame): DecodedFrame {
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

scope.onmessage = async (e) => {
  const { id, bytes } = e.data;
  if (e.data.wasm) wasm = e.data.wasm;
  try {
    await init();
    const out = await transcodeToExplicitLittleEndian(new Uint8Array(bytes), decodeFrame);
    const buffer = out.buffer.slice(out.byteOffset, out.byteOffset + out.byteLength) as ArrayBuffer;
    scope.postMessage({ id, bytes: buffer }, [buffer]);
  } catch (err) {
    scope.postMessage({ id, error: err instanceof Error ? err.message : String(err) });
  }
};
