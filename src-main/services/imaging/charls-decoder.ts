/**
 * Grayscale JPEG-LS through @cornerstonejs/codec-charls (CharLS 2.x, the build the viewer's image loader uses), which
 * decodes a 2k×2k chest radiograph about twice as fast as the CharLS inside dcmjs-codecs. JPEG-LS decoding is exact
 * (lossless, and near-lossless is defined bit for bit by the standard), so both give the same samples
 * (test/unit/imaging/fast-decoders.test.ts compares them on every JPEG-LS file). Used for the engine's decodes
 * (DecodeImageOptions.minLongSide); colour streams take dcmjs-codecs.
 */
import { ImagingError } from "../../../src-shared/imaging/errors";
import { type EncodedFrame, encodedStreamProblem } from "../../../src-shared/imaging/pixel-frame-codecs";
import { CodecInstance, loadCharlsFactory, quietly } from "./commonjs-packages";

interface JpegLsDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  decode(): void;
  getDecodedBuffer(): Uint8Array;
  getFrameInfo(): { width: number; height: number; bitsPerSample: number; componentCount: number };
  delete(): void;
}

interface CharlsModule {
  JpegLSDecoder: new () => JpegLsDecoder;
}

/** CharLS, instantiated in this thread once. */
export const charlsCodec = new CodecInstance("the CharLS decoder", () => quietly(loadCharlsFactory<CharlsModule>()));

/**
 * Decodes a grayscale JPEG-LS frame to little-endian samples (1 byte each up to 8 bits, else 2), or returns null for
 * what this path does not take (colour, more than 16 bits): the caller decodes it with dcmjs-codecs.
 * Throws CORRUPT_PIXEL_DATA naming the problem.
 */
export async function decodeJpegLsGrey(frame: EncodedFrame, forPath: string): Promise<Uint8Array | null> {
  if (frame.codec !== "jpeg-ls" || frame.samplesPerPixel !== 1 || frame.bitsAllocated > 16) return null;
  const damaged = encodedStreamProblem(frame);
  if (damaged) throw new ImagingError("CORRUPT_PIXEL_DATA", forPath, damaged);
  const charls = await charlsCodec.get(forPath);
  const decoder = new charls.JpegLSDecoder();
  try {
    decoder.getEncodedBuffer(frame.data.length).set(frame.data);
    decoder.decode();
    const info = decoder.getFrameInfo();
    if (info.width !== frame.width || info.height !== frame.height || info.componentCount !== 1) {
      throw new ImagingError(
        "CORRUPT_PIXEL_DATA",
        forPath,
        `the JPEG-LS stream holds a ${info.width}x${info.height} image with ${info.componentCount} component(s), but the DICOM header says ${frame.width}x${frame.height} with 1`,
      );
    }
    const decoded = decoder.getDecodedBuffer();
    const expected = frame.width * frame.height * (info.bitsPerSample > 8 ? 2 : 1);
    if (decoded.length !== expected) {
      throw new ImagingError(
        "CORRUPT_PIXEL_DATA",
        forPath,
        `CharLS decoded ${decoded.length} bytes, expected ${expected} for ${frame.width}x${frame.height} at ${info.bitsPerSample} bits`,
      );
    }
    // The decoded buffer lives in the WebAssembly heap and is freed with the decoder: copy it out.
    return decoded.slice();
  } catch (cause) {
    if (cause instanceof ImagingError) throw cause;
    charlsCodec.forget();
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new ImagingError("CORRUPT_PIXEL_DATA", forPath, `the JPEG-LS stream cannot be decoded: ${why}`, { cause });
  } finally {
    try {
      decoder.delete();
    } catch {
      // The module was reset after a failure.
    }
  }
}
