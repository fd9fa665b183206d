/**
 * Reads one file for the import: its checksum, its format (DICOM Part 10, a raw DICOM data set, PNG, JPEG) and the
 * header fields the worklist needs. DICOM headers are read with dicom-parser (no pixel decoding); PNG and JPEG are
 * decoded once with sharp so that a corrupt or truncated file is reported at import, not in the viewer.
 */
import crypto from "node:crypto";
import fs from "node:fs/promises";
import zlib from "node:zlib";
import dicomParser from "dicom-parser";
import sharp from "sharp";
import type { ImageFormat } from "../../../src-shared/import-types";
import type { ViewCode } from "../imaging/types";
import { IMPLICIT_VR_LITTLE_ENDIAN, transferSyntax } from "./transfer-syntaxes";

/** A file the import refuses, with the reason shown to the user. */
export class ImportFileError extends Error {
  constructor(
    readonly filePath: string,
    readonly reason: string,
  ) {
    super(`${filePath}: ${reason}`);
    this.name = "ImportFileError";
  }
}

/** Header fields of a DICOM image. Strings are trimmed; empty values are null. */
export interface DicomHeader {
  studyInstanceUid: string | null;
  seriesInstanceUid: string | null;
  sopInstanceUid: string | null;
  sopClassUid: string | null;
  patientName: string | null;
  patientId: string | null;
  /** Study Date as stored (YYYYMMDD). */
  studyDate: string | null;
  studyDescription: string | null;
  seriesDescription: string | null;
  protocolName: string | null;
  modality: string | null;
  bodyPartExamined: string | null;
  viewPosition: string | null;
  imageLaterality: string | null;
  /** Items of the View Code Sequence (0054,0220). */
  viewCodes: ViewCode[];
  imageComments: string | null;
  /** Patient Orientation (0020,0020): row and column directions. */
  patientOrientation: string[] | null;
  rows: number;
  columns: number;
  photometricInterpretation: string | null;
  transferSyntaxUid: string;
  /** True when the file has no Part 10 header (a raw data set, read as Implicit VR Little Endian). */
  rawDataSet: boolean;
}

export interface ProbedFile {
  path: string;
  sha256: string;
  byteLength: number;
  format: ImageFormat;
  width: number;
  height: number;
  /** Present for DICOM files. */
  dicom: DicomHeader | null;
}

export const MAX_IMPORT_FILE_BYTES = 1024 * 1024 * 1024;
const DICOMDIR_SOP_CLASS = "1.2.840.10008.1.3.10";

export function sniffFormat(bytes: Uint8Array): ImageFormat | "dicom-raw" | null {
  if (
    bytes.length >= 132 &&
    bytes[128] === 0x44 &&
    bytes[129] === 0x49 &&
    bytes[130] === 0x43 &&
    bytes[131] === 0x4d /* DICM */
  )
    return "dicom";
  if (
    bytes.length >= 8 &&
    bytes[0] === 0x89 &&
    bytes[1] === 0x50 &&
    bytes[2] === 0x4e &&
    bytes[3] === 0x47 &&
    bytes[4] === 0x0d &&
    bytes[5] === 0x0a &&
    bytes[6] === 0x1a &&
    bytes[7] === 0x0a
  )
    return "png";
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return "jpeg";
  // A raw data set (no preamble): its first element is usually in group 0008 (or 0002), element < 0x0100,
  // and implicit VR little endian is the default transfer syntax (PS3.5 10.1).
  if (bytes.length >= 8 && (bytes[0] === 0x08 || bytes[0] === 0x02) && bytes[1] === 0x00 && bytes[3] === 0x00) {
    return "dicom-raw";
  }
  return null;
}

/** Reads the first bytes of a file (enough to sniff its format). */
export async function readFileHead(filePath: string, length = 132): Promise<Uint8Array> {
  const handle = await fs.open(filePath, "r");
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, 0);
    return new Uint8Array(buffer.buffer, buffer.byteOffset, bytesRead);
  } finally {
    await handle.close();
  }
}

function describeThrown(err: unknown): string {
  if (typeof err === "string") return err;
  if (err instanceof Error) return err.message;
  if (err && typeof err === "object" && "exception" in err) return String((err as { exception: unknown }).exception);
  return String(err);
}

function text(ds: dicomParser.DataSet, tag: string): string | null {
  const element = ds.elements[tag];
  if (!element || element.length === 0) return null;
  const value = ds.string(tag)?.replace(/\0/g, "").trim();
  return value ? value : null;
}

function viewCodes(ds: dicomParser.DataSet): ViewCode[] {
  const sequence = ds.elements.x00540220;
  const out: ViewCode[] = [];
  for (const item of sequence?.items ?? []) {
    const d = item.dataSet;
    if (!d) continue;
    out.push({ value: text(d, "x00080100"), scheme: text(d, "x00080102"), meaning: text(d, "x00080104") });
  }
  return out;
}

/** Deflated Explicit VR Little Endian: everything after the File Meta Information is raw deflate. */
function inflateDataSet(bytes: Uint8Array, position: number): Uint8Array {
  const inflated = zlib.inflateRawSync(bytes.subarray(position));
  const out = new Uint8Array(position + inflated.length);
  out.set(bytes.subarray(0, position));
  out.set(inflated, position);
  return out;
}

/** Parses a DICOM file's data set (without decoding pixels) and checks that it is an image the viewer can show. */
export function readDicomHeader(filePath: string, bytes: Uint8Array, raw: boolean): DicomHeader {
  let ds: dicomParser.DataSet;
  try {
    ds = dicomParser.parseDicom(bytes, {
      ...(raw ? { TransferSyntaxUID: IMPLICIT_VR_LITTLE_ENDIAN } : {}),
      inflater: inflateDataSet,
    });
  } catch (err) {
    const detail = describeThrown(err);
    throw new ImportFileError(
      filePath,
      raw ? `not a DICOM, PNG or JPEG file (${detail})` : `damaged or truncated DICOM file: ${detail}`,
    );
  }
  const mediaClass = text(ds, "x00020002");
  const sopClassUid = text(ds, "x00080016") ?? mediaClass;
  if (mediaClass === DICOMDIR_SOP_CLASS || sopClassUid === DICOMDIR_SOP_CLASS) {
    throw new ImportFileError(filePath, "a DICOMDIR (media index), not an image: import the folder instead");
  }
  const transferSyntaxUid = raw ? IMPLICIT_VR_LITTLE_ENDIAN : text(ds, "x00020010");
  if (!transferSyntaxUid) throw new ImportFileError(filePath, "DICOM file without a transfer syntax (0002,0010)");
  if (!transferSyntax(transferSyntaxUid)) {
    throw new ImportFileError(filePath, `unsupported DICOM transfer syntax ${transferSyntaxUid}`);
  }
  const pixelData = ds.elements.x7fe00010 ?? ds.elements.x7fe00008 ?? ds.elements.x7fe00009;
  if (!pixelData) {
    throw new ImportFileError(
      filePath,
      `DICOM object without pixel data (${sopClassUid ?? "unknown SOP class"}): not an image`,
    );
  }
  const rows = ds.uint16("x00280010") ?? 0;
  const columns = ds.uint16("x00280011") ?? 0;
  if (rows <= 0 || columns <= 0)
    throw new ImportFileError(filePath, `DICOM image with ${rows} rows, ${columns} columns`);
  if (raw && !text(ds, "x0020000d") && !text(ds, "x00080018")) {
    throw new ImportFileError(filePath, "not a DICOM, PNG or JPEG file (no DICOM identifiers found)");
  }
  const bitsAllocated = ds.uint16("x00280100") ?? 0;
  const samples = ds.uint16("x00280002") ?? 1;
  const frames = Number.parseInt(text(ds, "x00280008") ?? "1", 10) || 1;
  const uncompressed = !pixelData.encapsulatedPixelData;
  if (uncompressed && bitsAllocated > 0) {
    const expected = Math.ceil((rows * columns * samples * bitsAllocated * frames) / 8);
    if (pixelData.length < expected) {
      throw new ImportFileError(
        filePath,
        `truncated pixel data: ${pixelData.length} bytes for ${columns}x${rows}x${frames} at ${bitsAllocated} bits (needs ${expected})`,
      );
    }
  }
  return {
    studyInstanceUid: text(ds, "x0020000d"),
    seriesInstanceUid: text(ds, "x0020000e"),
    sopInstanceUid: text(ds, "x00080018"),
    sopClassUid,
    patientName: text(ds, "x00100010"),
    patientId: text(ds, "x00100020"),
    studyDate: text(ds, "x00080020"),
    studyDescription: text(ds, "x00081030"),
    seriesDescription: text(ds, "x0008103e"),
    protocolName: text(ds, "x00181030"),
    modality: text(ds, "x00080060"),
    bodyPartExamined: text(ds, "x00180015"),
    viewPosition: text(ds, "x00185101"),
    imageLaterality: text(ds, "x00200062"),
    viewCodes: viewCodes(ds),
    imageComments: text(ds, "x00204000"),
    patientOrientation:
      text(ds, "x00200020")
        ?.split("\\")
        .map((v) => v.trim()) ?? null,
    rows,
    columns,
    photometricInterpretation: text(ds, "x00280004"),
    transferSyntaxUid,
    rawDataSet: raw,
  };
}

/** Checks a PNG or JPEG by decoding it once; returns its size. */
async function readRasterHeader(filePath: string, bytes: Uint8Array): Promise<{ width: number; height: number }> {
  try {
    const image = sharp(bytes, { failOn: "error", limitInputPixels: 64 * 1024 * 1024 });
    const meta = await image.metadata();
    await image.raw().toBuffer();
    if (!meta.width || !meta.height) throw new Error("no image size in the header");
    return { width: meta.width, height: meta.height };
  } catch (err) {
    throw new ImportFileError(filePath, `damaged or truncated image: ${describeThrown(err)}`);
  }
}

/** Reads, checksums and identifies one file. Throws ImportFileError naming the file and the reason. */
export async function probeFile(filePath: string): Promise<ProbedFile> {
  let stat: Awaited<ReturnType<typeof fs.stat>>;
  try {
    stat = await fs.stat(filePath);
  } catch (err) {
    throw new ImportFileError(filePath, `cannot read: ${describeThrown(err)}`);
  }
  if (!stat.isFile()) throw new ImportFileError(filePath, "not a regular file");
  if (stat.size > MAX_IMPORT_FILE_BYTES) {
    throw new ImportFileError(filePath, `file too large (${stat.size} bytes; the limit is ${MAX_IMPORT_FILE_BYTES})`);
  }
  if (stat.size === 0) throw new ImportFileError(filePath, "empty file");
  let buffer: Buffer;
  try {
    buffer = await fs.readFile(filePath);
  } catch (err) {
    throw new ImportFileError(filePath, `cannot read: ${describeThrown(err)}`);
  }
  const bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  const sha256 = crypto.createHash("sha256").update(bytes).digest("hex");
  const kind = sniffFormat(bytes);
  if (kind === null) throw new ImportFileError(filePath, "not a DICOM, PNG or JPEG file");
  if (kind === "dicom" || kind === "dicom-raw") {
    const dicom = readDicomHeader(filePath, bytes, kind === "dicom-raw");
    return {
      path: filePath,
      sha256,
      byteLength: bytes.byteLength,
      format: "dicom",
      width: dicom.columns,
      height: dicom.rows,
      dicom,
    };
  }
  const { width, height } = await readRasterHeader(filePath, bytes);
  return { path: filePath, sha256, byteLength: bytes.byteLength, format: kind, width, height, dicom: null };
}
