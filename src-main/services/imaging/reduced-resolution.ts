/**
 * JPEG 2000 at a reduced resolution: a J2K codestream holds its image as wavelet resolution levels, so an image
 * needed at 256 px does not have to be decoded at 2k×2k and shrunk. OpenJPEG (through @cornerstonejs/codec-openjpeg,
 * the same build the viewer's image loader uses) decodes only the resolution levels needed: level L gives the image
 * at ceil(size / 2^L), the wavelet's own low-pass (LL) band, so the result is an anti-aliased downsample.
 *
 * Used only when the caller asks for `minLongSide` (the inference engine: its model input is S×S); the viewer and
 * exports decode at full resolution through native-codecs.ts. Grayscale only (chest radiographs); colour streams and
 * images already small enough take the full-resolution path.
 */
import { ImagingError } from "../../../src-shared/imaging/errors";
import type { EncodedFrame } from "../../../src-shared/imaging/pixel-frame-codecs";
import { encodedStreamProblem } from "../../../src-shared/imaging/pixel-frame-codecs";
import { CodecInstance, loadOpenJpegFactory, quietly } from "./commonjs-packages";

interface J2KFrameInfo {
  width: number;
  height: number;
  bitsPerSample: number;
  componentCount: number;
  isSigned: boolean;
}

interface J2KDecoder {
  getEncodedBuffer(length: number): Uint8Array;
  getNumDecompositions(): number;
  calculateSizeAtDecompositionLevel(level: number): { width: number; height: number };
  decodeSubResolution(level: number, layer: number): void;
  getDecodedBuffer(): Uint8Array;
  getFrameInfo(): J2KFrameInfo;
  delete(): void;
}

interface OpenJpegModule {
  J2KDecoder: new () => J2KDecoder;
}

/** OpenJPEG, instantiated in this thread once (the inference worker warms it at start-up so the first draft is warm). */
export const openJpegCodec = new CodecInstance("the OpenJPEG decoder", () =>
  quietly(loadOpenJpegFactory<OpenJpegModule>()),
);

/** The largest level ≤ `levels` at which the long side is still ≥ minLongSide (0: full resolution). */
export function reductionLevel(width: number, height: number, levels: number, minLongSide: number): number {
  const longSide = Math.max(width, height);
  let level = 0;
  while (level < levels && Math.ceil(longSide / 2 ** (level + 1)) >= minLongSide) level++;
  return level;
}

export interface ReducedFrame {
  /** Little-endian samples: 1 byte each up to 8 bits, else 2. */
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  /** The resolution level decoded (the image is the full one divided by 2^level, rounded up). */
  readonly level: number;
}

/**
 * Decodes a grayscale JPEG 2000 frame at the smallest resolution level whose long side is ≥ minLongSide, or returns
 * null when no level below full resolution is that large (or the stream is colour): the caller then decodes it in full.
 * Throws CORRUPT_PIXEL_DATA naming the problem when the stream is damaged or the decoder rejects it.
 */
export async function decodeJpeg2000Reduced(
  frame: EncodedFrame,
  minLongSide: number,
  forPath: string,
): Promise<ReducedFrame | null> {
  if (frame.codec !== "jpeg2000" || frame.samplesPerPixel !== 1 || frame.bitsAllocated > 16) return null;
  if (reductionLevel(frame.width, frame.height, 1, minLongSide) === 0) return null;
  const damaged = encodedStreamProblem(frame);
  if (damaged) throw new ImagingError("CORRUPT_PIXEL_DATA", forPath, damaged);
  const openjpeg = await openJpegCodec.get(forPath);
  // This build reports the stream's header (and its number of decompositions) only after a decode, so the level is
  // chosen from the DICOM size; a stream with fewer decompositions than that level decodes to nothing and is
  // decoded one level less reduced.
  for (let level = reductionLevel(frame.width, frame.height, MAX_LEVEL, minLongSide); level > 0; level--) {
    const reduced = await decodeAtLevel(openjpeg, frame, level, forPath);
    if (reduced) return reduced;
  }
  return null;
}

/** OpenJPEG's limit on resolution levels (J2K allows 32 decompositions; DICOM encoders use 5 or 6). */
const MAX_LEVEL = 8;

async function decodeAtLevel(
  openjpeg: OpenJpegModule,
  frame: EncodedFrame,
  level: number,
  forPath: string,
): Promise<ReducedFrame | null> {
  const decoder = new openjpeg.J2KDecoder();
  try {
    decoder.getEncodedBuffer(frame.data.length).set(frame.data);
    decoder.decodeSubResolution(level, 0);
    const header = decoder.getFrameInfo();
    // A stream with fewer decompositions than `level` decodes to nothing (OpenJPEG refuses to remove more
    // resolutions than it has): the caller tries the next smaller level.
    if (header.width === 0 && level > 1) return null;
    if (header.width !== frame.width || header.height !== frame.height || header.componentCount !== 1) {
      throw new ImagingError(
        "CORRUPT_PIXEL_DATA",
        forPath,
        `the JPEG 2000 stream holds a ${header.width}x${header.height} image with ${header.componentCount} component(s), but the DICOM header says ${frame.width}x${frame.height} with 1`,
      );
    }
    const size = decoder.calculateSizeAtDecompositionLevel(level);
    const decoded = decoder.getDecodedBuffer();
    const bytesPerSample = header.bitsPerSample > 8 ? 2 : 1;
    if (decoded.length !== size.width * size.height * bytesPerSample) {
      throw new ImagingError(
        "CORRUPT_PIXEL_DATA",
        forPath,
        `OpenJPEG decoded ${decoded.length} bytes at level ${level}, expected ${size.width}x${size.height}x${bytesPerSample}`,
      );
    }
    // The decoded buffer lives in the WebAssembly heap and is freed with the decoder: copy it out.
    return { data: decoded.slice(), width: size.width, height: size.height, level };
  } catch (cause) {
    if (cause instanceof ImagingError) throw cause;
    // A failure inside WebAssembly may leave the module's heap inconsistent: instantiate it afresh next time.
    openJpegCodec.forget();
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new ImagingError("CORRUPT_PIXEL_DATA", forPath, `the JPEG 2000 stream cannot be decoded: ${why}`, {
      cause,
    });
  } finally {
    try {
      decoder.delete();
    } catch {
      // The module was reset after a failure.
    }
  }
}
