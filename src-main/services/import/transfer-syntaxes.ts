/**
 * DICOM transfer syntaxes the import accepts: the ones the viewer (cornerstone-wado-image-loader 4.13 with its
 * codecs, plus the renderer's own handling of raw and deflated data sets) displays and the imaging service decodes.
 */
export interface TransferSyntax {
  readonly uid: string;
  readonly name: string;
  readonly lossy: boolean;
}

const SYNTAXES: readonly TransferSyntax[] = [
  { uid: "1.2.840.10008.1.2", name: "Implicit VR Little Endian", lossy: false },
  { uid: "1.2.840.10008.1.2.1", name: "Explicit VR Little Endian", lossy: false },
  { uid: "1.2.840.10008.1.2.1.99", name: "Deflated Explicit VR Little Endian", lossy: false },
  { uid: "1.2.840.10008.1.2.2", name: "Explicit VR Big Endian", lossy: false },
  { uid: "1.2.840.10008.1.2.5", name: "RLE Lossless", lossy: false },
  { uid: "1.2.840.10008.1.2.4.50", name: "JPEG Baseline (8-bit)", lossy: true },
  { uid: "1.2.840.10008.1.2.4.51", name: "JPEG Extended (12-bit)", lossy: true },
  { uid: "1.2.840.10008.1.2.4.57", name: "JPEG Lossless (process 14)", lossy: false },
  { uid: "1.2.840.10008.1.2.4.70", name: "JPEG Lossless (SV1)", lossy: false },
  { uid: "1.2.840.10008.1.2.4.80", name: "JPEG-LS Lossless", lossy: false },
  { uid: "1.2.840.10008.1.2.4.81", name: "JPEG-LS Near-Lossless", lossy: true },
  { uid: "1.2.840.10008.1.2.4.90", name: "JPEG 2000 Lossless", lossy: false },
  { uid: "1.2.840.10008.1.2.4.91", name: "JPEG 2000", lossy: true },
  { uid: "1.2.840.10008.1.2.4.201", name: "HTJ2K Lossless", lossy: false },
  { uid: "1.2.840.10008.1.2.4.202", name: "HTJ2K Lossless RPCL", lossy: false },
  { uid: "1.2.840.10008.1.2.4.203", name: "HTJ2K", lossy: true },
];

const BY_UID = new Map(SYNTAXES.map((s) => [s.uid, s]));

export function transferSyntax(uid: string): TransferSyntax | null {
  return BY_UID.get(uid) ?? null;
}

export const IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2";
export const DEFLATED_EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1.99";
