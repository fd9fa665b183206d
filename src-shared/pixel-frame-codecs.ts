/**
 * One compressed DICOM frame through the dcmjs-codecs WebAssembly module (dcmtk's IJG JPEG incl. 12-bit and
 * lossless, CharLS JPEG-LS, OpenJPEG JPEG 2000, OpenJPH HTJ2K, libjxl JPEG XL, RLE). Shared by the main process
 * (`src-main/services/imaging/native-codecs.ts`, Node worker threads) and the renderer's transcode worker
 * (`src-renderer/src/features/viewer/dcmjs-frame-decoder.ts`); each loads and instantiates the module its own way
 * (file path in Node, bytes handed over in the renderer, whose CSP forbids the codecs' own loader) and turns a
 * `FrameCodecFailure` into its own error type. No Node or DOM APIs here.
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

/** Decodes one frame with an initialised module. Throws FrameCodecFailure, naming the codec. */
export function decodeFrameWith(codecs: FrameCodecs, frame: EncodedFrame, options: DecodeOptions): DecodedFrame {
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
    switch (frame.codec) {
      case "rle":
        result = NativeCodecs.decodeRle(context);
        break;
      case "jpeg":
        result = NativeCodecs.decodeJpeg(context, { convertColorspaceToRgb: options.jpegColorToRgb });
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
      case "jpeg-xl":
        result = NativeCodecs.decodeJpegXl(context);
        break;
    }
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
