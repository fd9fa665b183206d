/** DICOM transfer syntaxes this service knows by name, and how each one's pixel data is decoded. */
import type { CompressedFrameCodec } from "../../../src-shared/pixel-frame-codecs";

/** How the pixel data of a transfer syntax is turned into stored values: as is, or by one of the frame codecs. */
export type PixelCodec = "native" | CompressedFrameCodec;

export interface TransferSyntaxInfo {
  readonly uid: string;
  readonly name: string;
  /** null: known, but this service cannot decode it (video, JPIP references, ...). */
  readonly codec: PixelCodec | null;
  readonly lossy: boolean;
}

const table: readonly TransferSyntaxInfo[] = [
  { uid: "1.2.840.10008.1.2", name: "Implicit VR Little Endian", codec: "native", lossy: false },
  { uid: "1.2.840.10008.1.2.1", name: "Explicit VR Little Endian", codec: "native", lossy: false },
  { uid: "1.2.840.10008.1.2.1.99", name: "Deflated Explicit VR Little Endian", codec: "native", lossy: false },
  { uid: "1.2.840.10008.1.2.2", name: "Explicit VR Big Endian", codec: "native", lossy: false },
  { uid: "1.2.840.10008.1.2.5", name: "RLE Lossless", codec: "rle", lossy: false },
  { uid: "1.2.840.10008.1.2.4.50", name: "JPEG Baseline (Process 1)", codec: "jpeg", lossy: true },
  { uid: "1.2.840.10008.1.2.4.51", name: "JPEG Extended (Process 2 & 4, 12-bit)", codec: "jpeg", lossy: true },
  { uid: "1.2.840.10008.1.2.4.57", name: "JPEG Lossless, Non-Hierarchical (Process 14)", codec: "jpeg", lossy: false },
  {
    uid: "1.2.840.10008.1.2.4.70",
    name: "JPEG Lossless, Non-Hierarchical, First-Order Prediction (Process 14, SV1)",
    codec: "jpeg",
    lossy: false,
  },
  { uid: "1.2.840.10008.1.2.4.80", name: "JPEG-LS Lossless", codec: "jpeg-ls", lossy: false },
  { uid: "1.2.840.10008.1.2.4.81", name: "JPEG-LS Near-Lossless", codec: "jpeg-ls", lossy: true },
  { uid: "1.2.840.10008.1.2.4.90", name: "JPEG 2000 (Lossless Only)", codec: "jpeg2000", lossy: false },
  { uid: "1.2.840.10008.1.2.4.91", name: "JPEG 2000", codec: "jpeg2000", lossy: true },
  {
    uid: "1.2.840.10008.1.2.4.201",
    name: "High-Throughput JPEG 2000 (Lossless Only)",
    codec: "ht-jpeg2000",
    lossy: false,
  },
  {
    uid: "1.2.840.10008.1.2.4.202",
    name: "High-Throughput JPEG 2000 with RPCL Options (Lossless Only)",
    codec: "ht-jpeg2000",
    lossy: false,
  },
  { uid: "1.2.840.10008.1.2.4.203", name: "High-Throughput JPEG 2000", codec: "ht-jpeg2000", lossy: true },
  { uid: "1.2.840.10008.1.2.4.110", name: "JPEG XL Lossless", codec: "jpeg-xl", lossy: false },
  { uid: "1.2.840.10008.1.2.4.111", name: "JPEG XL JPEG Recompression", codec: "jpeg-xl", lossy: true },
  { uid: "1.2.840.10008.1.2.4.112", name: "JPEG XL", codec: "jpeg-xl", lossy: true },
  // Known but not decodable here: named so the error says what the file is.
  {
    uid: "1.2.840.10008.1.2.1.98",
    name: "Encapsulated Uncompressed Explicit VR Little Endian",
    codec: null,
    lossy: false,
  },
  { uid: "1.2.840.10008.1.2.4.52", name: "JPEG Extended (Process 3 & 5, retired)", codec: null, lossy: true },
  { uid: "1.2.840.10008.1.2.4.53", name: "JPEG Spectral Selection (retired)", codec: null, lossy: true },
  { uid: "1.2.840.10008.1.2.4.55", name: "JPEG Full Progression (retired)", codec: null, lossy: true },
  {
    uid: "1.2.840.10008.1.2.4.58",
    name: "JPEG Lossless, Non-Hierarchical (Process 15, retired)",
    codec: null,
    lossy: false,
  },
  {
    uid: "1.2.840.10008.1.2.4.92",
    name: "JPEG 2000 Part 2 Multi-component (Lossless Only)",
    codec: null,
    lossy: false,
  },
  { uid: "1.2.840.10008.1.2.4.93", name: "JPEG 2000 Part 2 Multi-component", codec: null, lossy: true },
  { uid: "1.2.840.10008.1.2.4.94", name: "JPIP Referenced", codec: null, lossy: false },
  { uid: "1.2.840.10008.1.2.4.95", name: "JPIP Referenced Deflate", codec: null, lossy: false },
  { uid: "1.2.840.10008.1.2.4.100", name: "MPEG2 Main Profile @ Main Level", codec: null, lossy: true },
  { uid: "1.2.840.10008.1.2.4.101", name: "MPEG2 Main Profile @ High Level", codec: null, lossy: true },
  { uid: "1.2.840.10008.1.2.4.102", name: "MPEG-4 AVC/H.264 High Profile / Level 4.1", codec: null, lossy: true },
  { uid: "1.2.840.10008.1.2.4.103", name: "MPEG-4 AVC/H.264 BD-compatible High Profile", codec: null, lossy: true },
  { uid: "1.2.840.10008.1.2.4.104", name: "MPEG-4 AVC/H.264 High Profile For 2D Video", codec: null, lossy: true },
  { uid: "1.2.840.10008.1.2.4.105", name: "MPEG-4 AVC/H.264 High Profile For 3D Video", codec: null, lossy: true },
  { uid: "1.2.840.10008.1.2.4.106", name: "MPEG-4 AVC/H.264 Stereo High Profile", codec: null, lossy: true },
  { uid: "1.2.840.10008.1.2.4.107", name: "HEVC/H.265 Main Profile", codec: null, lossy: true },
  { uid: "1.2.840.10008.1.2.4.108", name: "HEVC/H.265 Main 10 Profile", codec: null, lossy: true },
  { uid: "1.2.840.10008.1.2.6.1", name: "RFC 2557 MIME encapsulation (retired)", codec: null, lossy: false },
];

const byUid = new Map(table.map((t) => [t.uid, t]));

/** The transfer syntax with this UID, or null when the UID is not a known transfer syntax. */
export function transferSyntaxInfo(uid: string): TransferSyntaxInfo | null {
  return byUid.get(uid) ?? null;
}

/** Every transfer syntax this service decodes. */
export function supportedTransferSyntaxes(): TransferSyntaxInfo[] {
  return table.filter((t) => t.codec !== null);
}

export const IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2";
export const EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1";
export const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1.99";
export const EXPLICIT_VR_BIG_ENDIAN = "1.2.840.10008.1.2.2";
