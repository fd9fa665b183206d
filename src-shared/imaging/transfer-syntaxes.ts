/**
 * The one table of DICOM transfer syntaxes: name, UID, how the pixel data is decoded, and whether the import, the
 * engine (the main process's imaging service) and the viewer (the renderer) accept it. Import, imaging and the viewer
 * all read it; `test/unit/imaging/transfer-syntax-table.test.ts` checks every claim against real and derived files.
 * No Node or DOM APIs here: the renderer imports it too.
 */
import type { CompressedFrameCodec } from "./pixel-frame-codecs";

/** How the pixel data of a transfer syntax becomes stored values: as is, or through one of the frame codecs. */
export type PixelCodec = "native" | CompressedFrameCodec;

export interface TransferSyntax {
  readonly uid: string;
  readonly name: string;
  readonly lossy: boolean;
  /** How pixel data is decoded; null when no decoder of this application handles it. */
  readonly codec: PixelCodec | null;
  /** The data set after the meta header is raw deflate (Deflated Explicit VR Little Endian). */
  readonly deflated: boolean;
  readonly bigEndian: boolean;
  /** The main process decodes it (imaging service: engine, CLIs, import checks). */
  readonly engine: boolean;
  /** The renderer's viewer displays it (cornerstone after ./dicom-reader normalisation and transcoding). */
  readonly viewer: boolean;
  /** The import accepts files in it: exactly when both the engine and the viewer do. */
  readonly import: boolean;
  /** Why it is refused, when it is. */
  readonly refusal: string | null;
}

export const IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2";
export const EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1";
export const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1.99";
export const EXPLICIT_VR_BIG_ENDIAN = "1.2.840.10008.1.2.2";

function decoded(uid: string, name: string, codec: PixelCodec, lossy: boolean): TransferSyntax {
  return {
    uid,
    name,
    lossy,
    codec,
    deflated: uid === DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN,
    bigEndian: uid === EXPLICIT_VR_BIG_ENDIAN,
    engine: true,
    viewer: true,
    import: true,
    refusal: null,
  };
}

/** Known by name so that a refusal says what the file is, but not decoded here. */
function refused(uid: string, name: string, lossy: boolean, why: string): TransferSyntax {
  return {
    uid,
    name,
    lossy,
    codec: null,
    deflated: false,
    bigEndian: false,
    engine: false,
    viewer: false,
    import: false,
    refusal: why,
  };
}

const VIDEO = "video is not a radiograph this application reads";
const RETIRED = "a retired JPEG process no decoder here implements";

export const TRANSFER_SYNTAXES: readonly TransferSyntax[] = [
  decoded(IMPLICIT_VR_LITTLE_ENDIAN, "Implicit VR Little Endian", "native", false),
  decoded(EXPLICIT_VR_LITTLE_ENDIAN, "Explicit VR Little Endian", "native", false),
  decoded(DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN, "Deflated Explicit VR Little Endian", "native", false),
  decoded(EXPLICIT_VR_BIG_ENDIAN, "Explicit VR Big Endian", "native", false),
  decoded("1.2.840.10008.1.2.5", "RLE Lossless", "rle", false),
  decoded("1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)", "jpeg", true),
  decoded("1.2.840.10008.1.2.4.51", "JPEG Extended (Process 2 & 4, 12-bit)", "jpeg", true),
  decoded("1.2.840.10008.1.2.4.57", "JPEG Lossless, Non-Hierarchical (Process 14)", "jpeg", false),
  decoded(
    "1.2.840.10008.1.2.4.70",
    "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14, SV1)",
    "jpeg",
    false,
  ),
  decoded("1.2.840.10008.1.2.4.80", "JPEG-LS Lossless", "jpeg-ls", false),
  decoded("1.2.840.10008.1.2.4.81", "JPEG-LS Near-Lossless", "jpeg-ls", true),
  decoded("1.2.840.10008.1.2.4.90", "JPEG 2000 (Lossless Only)", "jpeg2000", false),
  decoded("1.2.840.10008.1.2.4.91", "JPEG 2000", "jpeg2000", true),
  decoded("1.2.840.10008.1.2.4.201", "High-Throughput JPEG 2000 (Lossless Only)", "ht-jpeg2000", false),
  decoded(
    "1.2.840.10008.1.2.4.202",
    "High-Throughput JPEG 2000 with RPCL Options (Lossless Only)",
    "ht-jpeg2000",
    false,
  ),
  decoded("1.2.840.10008.1.2.4.203", "High-Throughput JPEG 2000", "ht-jpeg2000", true),
  decoded("1.2.840.10008.1.2.4.110", "JPEG XL Lossless", "jpeg-xl", false),
  decoded("1.2.840.10008.1.2.4.112", "JPEG XL", "jpeg-xl", true),
  refused(
    "1.2.840.10008.1.2.4.111",
    "JPEG XL JPEG Recompression",
    true,
    "no sample of it can be made here to verify the decoder (libjxl's cjxl is not installed)",
  ),
  refused(
    "1.2.840.10008.1.2.1.98",
    "Encapsulated Uncompressed Explicit VR Little Endian",
    false,
    "encapsulated uncompressed frames are not implemented",
  ),
  refused("1.2.840.10008.1.2.4.52", "JPEG Extended (Process 3 & 5, retired)", true, RETIRED),
  refused("1.2.840.10008.1.2.4.53", "JPEG Spectral Selection (retired)", true, RETIRED),
  refused("1.2.840.10008.1.2.4.55", "JPEG Full Progression (retired)", true, RETIRED),
  refused("1.2.840.10008.1.2.4.58", "JPEG Lossless, Non-Hierarchical (Process 15, retired)", false, RETIRED),
  refused(
    "1.2.840.10008.1.2.4.92",
    "JPEG 2000 Part 2 Multi-component (Lossless Only)",
    false,
    "JPEG 2000 Part 2 is not decoded",
  ),
  refused("1.2.840.10008.1.2.4.93", "JPEG 2000 Part 2 Multi-component", true, "JPEG 2000 Part 2 is not decoded"),
  refused("1.2.840.10008.1.2.4.94", "JPIP Referenced", false, "the pixel data is on a JPIP server, not in the file"),
  refused(
    "1.2.840.10008.1.2.4.95",
    "JPIP Referenced Deflate",
    false,
    "the pixel data is on a JPIP server, not in the file",
  ),
  refused("1.2.840.10008.1.2.4.100", "MPEG2 Main Profile @ Main Level", true, VIDEO),
  refused("1.2.840.10008.1.2.4.101", "MPEG2 Main Profile @ High Level", true, VIDEO),
  refused("1.2.840.10008.1.2.4.102", "MPEG-4 AVC/H.264 High Profile / Level 4.1", true, VIDEO),
  refused("1.2.840.10008.1.2.4.103", "MPEG-4 AVC/H.264 BD-compatible High Profile", true, VIDEO),
  refused("1.2.840.10008.1.2.4.104", "MPEG-4 AVC/H.264 High Profile For 2D Video", true, VIDEO),
  refused("1.2.840.10008.1.2.4.105", "MPEG-4 AVC/H.264 High Profile For 3D Video", true, VIDEO),
  refused("1.2.840.10008.1.2.4.106", "MPEG-4 AVC/H.264 Stereo High Profile", true, VIDEO),
  refused("1.2.840.10008.1.2.4.107", "HEVC/H.265 Main Profile", true, VIDEO),
  refused("1.2.840.10008.1.2.4.108", "HEVC/H.265 Main 10 Profile", true, VIDEO),
  refused("1.2.840.10008.1.2.6.1", "RFC 2557 MIME encapsulation (retired)", false, "MIME encapsulation is retired"),
];

const BY_UID = new Map(TRANSFER_SYNTAXES.map((t) => [t.uid, t]));

/** The transfer syntax with this UID, or null when the UID is not a known transfer syntax. */
export function transferSyntax(uid: string): TransferSyntax | null {
  return BY_UID.get(uid) ?? null;
}

/** Who reads a file: the import (what both others accept), the engine, or the viewer. */
export type ImagingConsumer = "import" | "engine" | "viewer";

/** Why `consumer` refuses the transfer syntax `uid`, or null when it accepts it. */
export function transferSyntaxProblem(uid: string, consumer: ImagingConsumer): string | null {
  const ts = transferSyntax(uid);
  if (!ts) return `transfer syntax "${uid}" is not a DICOM transfer syntax this application knows`;
  if (ts[consumer]) return null;
  return `transfer syntax ${ts.name} (${uid}) cannot be decoded by this application: ${ts.refusal ?? "not supported"}`;
}
