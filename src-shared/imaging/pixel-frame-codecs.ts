/**
 * One compressed DICOM frame through the dcmjs-codecs WebAssembly module (dcmtk's IJG JPEG incl. 12-bit and
 * lossless, CharLS JPEG-LS, OpenJPEG JPEG 2000, OpenJPH HTJ2K, libjxl JPEG XL, RLE). Shared by the main process
 * (`src-main/services/imaging/native-codecs.ts`, Node worker threads) and the renderer's transcode worker
 * (`src-renderer/src/features/viewer/dcmjs-frame-decoder.ts`); each loads and instantiates the module its own way
 * (file path in Node, bytes handed over in the renderer, whose CSP forbids the codecs' own loader) and turns a
 * `FrameCodecFailure` into its own error type. Before decoding, the stream's structure is checked
 * (`encodedStreamProblem`): the codecs decode a truncated JPEG or JPEG 2000 stream without complaint (the missing
 * part comes out grey), so a stream without its end marker, or an RLE frame whose segments run short, is refused
 * rather than shown. No Node or DOM APIs here.
 */
import type * as DcmjsCodecs from "dcmjs-codecs";

export type CompressedFrameCodec = "rle" | "jpeg" | "jpeg-ls" | "jpeg2000" | "ht-jpeg2000" | "jpeg-xl";

export interface EncodedFrame {
  readonly codec: CompressedFrameCodec;
  readonly data: Uint8Array;
  readonly width: number;
  readonly height: number;
  readonly bitsAllocated: number;
  readonly bitsStored: number;
  readonly samplesPerPixel: number;
  readonly pixelRepresentation: number;
  readonly planarConfiguration: number;
  readonly photometric: string;
}

export interface DecodedFrame {
  /** Little-endian samples, bitsAllocated each. */
  readonly data: Uint8Array;
  /** Photometric interpretation of the decoded samples (JPEG 2000 colour comes back as RGB). */
  readonly photometric: string;
  readonly planarConfiguration: number;
}

/** The parts of an initialised dcmjs-codecs module that decoding uses. */
export interface FrameCodecs {
  readonly NativeCodecs: typeof DcmjsCodecs.NativeCodecs;
  readonly Context: typeof DcmjsCodecs.Context;
}

/**
 * Why a frame did not decode. `codecThrew`: the codec raised inside WebAssembly, which unwinds without freeing its
 * buffers, so the caller must release the module and instantiate it afresh before the next frame.
 */
export class FrameCodecFailure extends Error {
  constructor(
    message: string,
    readonly codecThrew: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "FrameCodecFailure";
  }
}

export interface DecodeOptions {
  /** Convert JPEG YCbCr colour to RGB (the viewer wants RGB; the main process converts itself). */
  readonly jpegColorToRgb: boolean;
}

/** Index after the last byte that is not trailing zero padding (fragments are padded to an even length). */
function endWithoutPadding(data: Uint8Array): number {
  let end = data.length;
  while (end > 0 && data[end - 1] === 0) end--;
  return end;
}

/** Whether the marker 0xFF `code` ends the stream (allowing a few vendor fill bytes after it). */
function endsWithMarker(data: Uint8Array, code: number): boolean {
  const end = endWithoutPadding(data);
  for (let i = end - 2; i >= Math.max(0, end - 16); i--) {
    if (data[i] === 0xff && data[i + 1] === code) return true;
  }
  return false;
}

const JP2_SIGNATURE = [0x00, 0x00, 0x00, 0x0c, 0x6a, 0x50, 0x20, 0x20, 0x0d, 0x0a, 0x87, 0x0a];
const JXL_CONTAINER = [0x00, 0x00, 0x00, 0x0c, 0x4a, 0x58, 0x4c, 0x20, 0x0d, 0x0a, 0x87, 0x0a];
const startsWith = (data: Uint8Array, prefix: readonly number[]) => prefix.every((b, i) => data[i] === b);

/**
 * Output bytes of one PackBits-coded RLE segment, up to `need` (what follows is the segment's even-length padding),
 * or null when a run reaches past the segment's end.
 */
function rleSegmentOutput(data: Uint8Array, start: number, end: number, need: number): number | null {
  let out = 0;
  let i = start;
  while (i < end && out < need) {
    const n = data[i] as number;
    i++;
    if (n < 0x80) {
      const literal = n + 1;
      if (i + literal > end) return null;
      out += literal;
      i += literal;
    } else if (n > 0x80) {
      if (i >= end) return null;
      out += 257 - n;
      i++;
    }
  }
  return out;
}

function rleProblem(frame: EncodedFrame): string | null {
  const data = frame.data;
  if (data.length < 64) return `the RLE frame has ${data.length} bytes, less than its 64-byte header: it is truncated`;
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const count = view.getUint32(0, true);
  const expected = frame.samplesPerPixel * Math.ceil(frame.bitsAllocated / 8);
  if (count !== expected) {
    return `the RLE header lists ${count} segments, but ${frame.samplesPerPixel} sample(s) of ${frame.bitsAllocated} bits need ${expected}`;
  }
  const offsets = Array.from({ length: count }, (_, i) => view.getUint32(4 + 4 * i, true));
  const need = frame.width * frame.height;
  for (let s = 0; s < count; s++) {
    const start = offsets[s] as number;
    const end = s + 1 < count ? (offsets[s + 1] as number) : data.length;
    if (start < 64 || start >= data.length || end > data.length || end <= start) {
      return `RLE segment ${s + 1} of ${count} lies outside the ${data.length}-byte frame (offset ${start}): the segment table points past the end, the frame is truncated or corrupt`;
    }
    const output = rleSegmentOutput(data, start, end, need);
    if (output === null || output < need) {
      return `RLE segment ${s + 1} of ${count} decodes to ${output === null ? "a run past its end" : `${output} bytes`}, ${need} needed: the frame is truncated or corrupt`;
    }
  }
  return null;
}

/**
 * Why a compressed frame is structurally damaged, or null when its structure is whole: JPEG / JPEG-LS without SOI or
 * EOI, JPEG 2000 / HTJ2K without SOC (or the JP2 signature) or EOC, JPEG XL without its signature, RLE with a bad
 * segment table or segments that decode to fewer bytes than the frame needs.
 */
export function encodedStreamProblem(frame: EncodedFrame): string | null {
  const d = frame.data;
  switch (frame.codec) {
    case "jpeg":
    case "jpeg-ls": {
      const name = frame.codec === "jpeg" ? "JPEG" : "JPEG-LS";
      if (!(d[0] === 0xff && d[1] === 0xd8)) return `the ${name} stream does not start with an SOI marker (FFD8)`;
      if (!endsWithMarker(d, 0xd9)) return `the ${name} stream has no EOI marker (FFD9) at its end: it is truncated`;
      return null;
    }
    case "jpeg2000":
    case "ht-jpeg2000": {
      const name = frame.codec === "jpeg2000" ? "JPEG 2000" : "HTJ2K";
      if (!(d[0] === 0xff && d[1] === 0x4f) && !startsWith(d, JP2_SIGNATURE)) {
        return `the ${name} stream starts with neither an SOC marker (FF4F) nor the JP2 signature`;
      }
      if (!endsWithMarker(d, 0xd9))
        return `the ${name} codestream has no EOC marker (FFD9) at its end: it is truncated`;
      return null;
    }
    case "jpeg-xl":
      return (d[0] === 0xff && d[1] === 0x0a) || startsWith(d, JXL_CONTAINER)
        ? null
        : "the JPEG XL stream starts with neither the codestream signature (FF0A) nor the container signature";
    case "rle":
      return rleProblem(frame);
  }
}

/** The dcmjs-codecs decoder of each compressed frame codec. */
const DECODERS: Record<
  CompressedFrameCodec,
  (codecs: FrameCodecs["NativeCodecs"], context: DcmjsCodecs.Context, options: DecodeOptions) => DcmjsCodecs.Context
> = {
  rle: (codecs, context) => codecs.decodeRle(context),
  jpeg: (codecs, context, options) => codecs.decodeJpeg(context, { convertColorspaceToRgb: options.jpegColorToRgb }),
  "jpeg-ls": (codecs, context) => codecs.decodeJpegLs(context),
  jpeg2000: (codecs, context) => codecs.decodeJpeg2000(context),
  "ht-jpeg2000": (codecs, context) => codecs.decodeHtJpeg2000(context),
  "jpeg-xl": (codecs, context) => codecs.decodeJpegXl(context),
};

/** Decodes one frame with an initialised module. Throws FrameCodecFailure, naming the codec. */
export function decodeFrameWith(codecs: FrameCodecs, frame: EncodedFrame, options: DecodeOptions): DecodedFrame {
  const damaged = encodedStreamProblem(frame);
  if (damaged) throw new FrameCodecFailure(damaged, false);
  const { NativeCodecs, Context } = codecs;
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
  let result: DcmjsCodecs.Context;
  try {
    result = DECODERS[frame.codec](NativeCodecs, context, options);
  } catch (cause) {
    const why = cause instanceof Error ? cause.message : String(cause);
    throw new FrameCodecFailure(`the ${frame.codec} codec could not decode the pixel data: ${why}`, true, { cause });
  }
  const data = result.getDecodedBuffer();
  if (!data || data.length === 0) throw new FrameCodecFailure(`the ${frame.codec} codec returned no pixels`, false);
  return {
    data,
    photometric: result.getPhotometricInterpretation() ?? frame.photometric,
    planarConfiguration: result.getPlanarConfiguration() ?? frame.planarConfiguration,
  };
}
