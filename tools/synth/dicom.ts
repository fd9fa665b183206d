/**
 * DICOM Part 10 output of synthetic studies (for the workstation's demo studies): Digital X-Ray Image Storage -
 * For Presentation, MONOCHROME2, 16 bits allocated / 12 stored, in Explicit VR Little Endian or RLE Lossless.
 * UIDs are derived deterministically from the study id, so regenerating gives identical files.
 */
import { createRequire } from "node:module";
import type { FindingSpec } from "../../src-main/services/language/report-findings";
import { describeFinding } from "../../src-main/services/language/report-findings";
import { sha256, uidFromKey } from "./prng";

/** The subset of dcmjs used here (dcmjs ships no type declarations). */
interface DcmjsData {
  DicomDict: new (
    meta: Record<string, unknown>,
  ) => {
    dict: Record<string, unknown>;
    write(options?: { fragmentMultiframe?: boolean; allowInvalidVRLength?: boolean }): ArrayBuffer;
  };
  DicomMetaDictionary: {
    denaturalizeDataset(dataset: Record<string, unknown>): Record<string, unknown>;
  };
}
const require = createRequire(import.meta.url);
const dcmjs = require("dcmjs") as { data: DcmjsData };

export const DX_FOR_PRESENTATION = "1.2.840.10008.5.1.4.1.1.1.1";
export const EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1";
export const RLE_LOSSLESS = "1.2.840.10008.1.2.5";
/** Implementation class UID of this generator (2.25 root, derived from its name). */
export const IMPLEMENTATION_CLASS_UID = uidFromKey("radiology-draft synthetic DICOM writer");
export const IMPLEMENTATION_VERSION_NAME = "RDRAFT_SYNTH_1";

export type TransferSyntaxName = "explicit-le" | "rle";
export type ViewName = "PA" | "LL";

export const TRANSFER_SYNTAX_UIDS: Record<TransferSyntaxName, string> = {
  "explicit-le": EXPLICIT_VR_LITTLE_ENDIAN,
  rle: RLE_LOSSLESS,
};

// ---------------------------------------------------------------------------------------------------------------
// RLE Lossless (PS3.5 Annex G)
// ---------------------------------------------------------------------------------------------------------------

/** PackBits-encodes one row of bytes, appending to out. */
function packBitsRow(row: Uint8Array, out: number[]): void {
  const n = row.length;
  let i = 0;
  while (i < n) {
    let run = 1;
    while (i + run < n && run < 128 && row[i + run] === row[i]) run++;
    if (run >= 3 || (run === 2 && i + run === n)) {
      out.push((257 - run) & 0xff, row[i]!);
      i += run;
      continue;
    }
    let j = i;
    while (j < n && j - i < 128) {
      if (j + 2 < n && row[j] === row[j + 1] && row[j] === row[j + 2]) break;
      j++;
    }
    out.push(j - i - 1);
    for (let k = i; k < j; k++) out.push(row[k]!);
    i = j;
  }
}

/**
 * Encodes one frame of 16-bit pixels as an RLE Lossless frame: a 64-byte header with the segment offsets, then
 * the most significant byte plane and the least significant byte plane, each row PackBits-encoded separately,
 * each segment padded to an even length.
 */
export function encodeRle16(pixels: Uint16Array, rows: number, columns: number): Uint8Array {
  if (pixels.length !== rows * columns) throw new Error(`RLE: ${pixels.length} pixels for ${rows}x${columns}`);
  const segments: number[][] = [];
  const row = new Uint8Array(columns);
  for (const shift of [8, 0]) {
    const out: number[] = [];
    for (let r = 0; r < rows; r++) {
      for (let c = 0; c < columns; c++) row[c] = (pixels[r * columns + c]! >> shift) & 0xff;
      packBitsRow(row, out);
    }
    if (out.length % 2 === 1) out.push(0);
    segments.push(out);
  }
  const total = 64 + segments.reduce((n, s) => n + s.length, 0);
  const frame = new Uint8Array(total);
  const header = new DataView(frame.buffer);
  header.setUint32(0, segments.length, true);
  let offset = 64;
  segments.forEach((segment, k) => {
    header.setUint32(4 + 4 * k, offset, true);
    frame.set(segment, offset);
    offset += segment.length;
  });
  return frame;
}

/** Decodes an RLE Lossless frame of 16-bit pixels (used to check the encoder). */
export function decodeRle16(frame: Uint8Array, rows: number, columns: number): Uint16Array {
  const view = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  const count = view.getUint32(0, true);
  if (count !== 2) throw new Error(`RLE: expected 2 segments for 16-bit pixels, found ${count}`);
  const out = new Uint16Array(rows * columns);
  for (let k = 0; k < 2; k++) {
    const start = view.getUint32(4 + 4 * k, true);
    const end = k + 1 < count ? view.getUint32(8 + 4 * k, true) : frame.length;
    const shift = k === 0 ? 8 : 0;
    let p = start;
    let produced = 0;
    while (produced < out.length && p < end) {
      const header = frame[p++]!;
      if (header < 128) {
        for (let i = 0; i <= header; i++) out[produced++]! |= frame[p++]! << shift;
      } else if (header > 128) {
        const value = frame[p++]!;
        for (let i = 0; i < 257 - header; i++) out[produced++]! |= value << shift;
      }
    }
    if (produced !== out.length) throw new Error(`RLE: segment ${k + 1} decoded ${produced} of ${out.length} bytes`);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------

export interface DicomStudyInfo {
  /** IU study id, e.g. CXR1234_IM-0001. */
  studyId: string;
  uid: number;
  findings: readonly FindingSpec[];
  patientSex: "F" | "M";
}

export interface DicomImageInput {
  /** Stored values, 0..4095 (12 bits). */
  pixels: Uint16Array;
  rows: number;
  columns: number;
  view: ViewName;
  /** Pixel spacing in mm. */
  pixelSpacing: number;
}

/** Deterministic DA/TM values from the study id (a synthetic date in 2014-2016). */
function studyDateTime(studyId: string): { date: string; time: string } {
  const digest = sha256(`study-date|${studyId}`);
  const day = digest.readUInt16LE(0) % (365 * 3);
  const base = Date.UTC(2014, 0, 1) + day * 86_400_000;
  const d = new Date(base);
  const date = `${d.getUTCFullYear()}${String(d.getUTCMonth() + 1).padStart(2, "0")}${String(d.getUTCDate()).padStart(2, "0")}`;
  const seconds = 7 * 3600 + (digest.readUInt16LE(2) % (11 * 3600));
  const time = `${String(Math.floor(seconds / 3600)).padStart(2, "0")}${String(Math.floor((seconds % 3600) / 60)).padStart(2, "0")}${String(seconds % 60).padStart(2, "0")}`;
  return { date, time };
}

export function studyUids(studyId: string): {
  study: string;
  series: Record<ViewName, string>;
  sop: Record<ViewName, string>;
} {
  return {
    study: uidFromKey(`study|${studyId}`),
    series: { PA: uidFromKey(`series|${studyId}|PA`), LL: uidFromKey(`series|${studyId}|LL`) },
    sop: { PA: uidFromKey(`sop|${studyId}|PA`), LL: uidFromKey(`sop|${studyId}|LL`) },
  };
}

function lowByteBuffer(pixels: Uint16Array): ArrayBuffer {
  // Little-endian 16-bit words regardless of the host.
  const out = new ArrayBuffer(pixels.length * 2);
  const view = new DataView(out);
  for (let i = 0; i < pixels.length; i++) view.setUint16(i * 2, pixels[i]!, true);
  return out;
}

/** A DICOM Part 10 file (bytes) for one view of a synthetic study. */
export function buildDicomImage(
  study: DicomStudyInfo,
  image: DicomImageInput,
  transfer: TransferSyntaxName,
): Uint8Array {
  const { rows, columns, pixels, view } = image;
  if (pixels.length !== rows * columns) throw new Error(`DICOM: ${pixels.length} pixels for ${rows}x${columns}`);
  let max = 0;
  let min = 4095;
  for (let i = 0; i < pixels.length; i++) {
    const v = pixels[i]!;
    if (v > 4095) throw new Error(`DICOM: pixel value ${v} exceeds 12 bits`);
    if (v > max) max = v;
    if (v < min) min = v;
  }
  const uids = studyUids(study.studyId);
  const { date, time } = studyDateTime(study.studyId);
  const idNumber = String(study.uid).padStart(4, "0");
  const transferSyntaxUid = TRANSFER_SYNTAX_UIDS[transfer];
  const findings = study.findings.length ? study.findings.map(describeFinding).join("; ") : "no findings rendered";
  const pixelData = transfer === "rle" ? encodeRle16(pixels, rows, columns) : new Uint8Array(lowByteBuffer(pixels));
  const pixelBuffer = pixelData.buffer.slice(pixelData.byteOffset, pixelData.byteOffset + pixelData.byteLength);
  const spacing = image.pixelSpacing.toFixed(4);
  const dataset: Record<string, unknown> = {
    SpecificCharacterSet: "ISO_IR 100",
    ImageType: ["DERIVED", "PRIMARY"],
    SOPClassUID: DX_FOR_PRESENTATION,
    SOPInstanceUID: uids.sop[view],
    StudyDate: date,
    SeriesDate: date,
    ContentDate: date,
    StudyTime: time,
    SeriesTime: time,
    ContentTime: time,
    AccessionNumber: `SYN${idNumber}`,
    Modality: "DX",
    PresentationIntentType: "FOR PRESENTATION",
    Manufacturer: "Radiology Draft (synthetic renderer)",
    InstitutionName: "SYNTHETIC DATA - NOT A REAL PATIENT",
    ReferringPhysicianName: "",
    StudyDescription:
      "SYNTHETIC RENDERING - CHEST 2 VIEWS (simulation from IU-Xray report findings, not a real radiograph)",
    SeriesDescription: view === "PA" ? "CHEST PA (synthetic)" : "CHEST LATERAL (synthetic)",
    ManufacturerModelName: "tools/synth",
    PatientName: `SYNTHETIC^IU CXR${idNumber}`,
    PatientID: `SYNTH-IU-CXR${idNumber}`,
    PatientBirthDate: "",
    PatientSex: study.patientSex,
    PatientComments: `Synthetic patient. Image rendered from the findings of IU-Xray report CXR${idNumber}.`,
    BodyPartExamined: "CHEST",
    DeviceSerialNumber: "SYNTH-0001",
    SoftwareVersions: "1",
    ImagerPixelSpacing: [spacing, spacing],
    PixelSpacing: [spacing, spacing],
    PixelSpacingCalibrationType: "GEOMETRY",
    ViewPosition: view,
    PatientOrientation: view === "PA" ? ["L", "F"] : ["P", "F"],
    StudyInstanceUID: uids.study,
    SeriesInstanceUID: uids.series[view],
    StudyID: idNumber,
    SeriesNumber: view === "PA" ? "1" : "2",
    InstanceNumber: "1",
    ImageLaterality: "U",
    ImageComments: `SIMULATION. Rendered findings: ${findings}`.slice(0, 10240),
    SamplesPerPixel: 1,
    PhotometricInterpretation: "MONOCHROME2",
    Rows: rows,
    Columns: columns,
    BitsAllocated: 16,
    BitsStored: 12,
    HighBit: 11,
    PixelRepresentation: 0,
    SmallestImagePixelValue: min,
    LargestImagePixelValue: max,
    BurnedInAnnotation: "NO",
    RescaleIntercept: "0",
    RescaleSlope: "1",
    RescaleType: "US",
    WindowCenter: "2048",
    WindowWidth: "4096",
    VOILUTFunction: "LINEAR",
    LossyImageCompression: "00",
    PixelData: [pixelBuffer],
    _vrMap: {
      PixelData: transfer === "rle" ? "OB" : "OW",
      SmallestImagePixelValue: "US",
      LargestImagePixelValue: "US",
    },
  };
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: DX_FOR_PRESENTATION,
    MediaStorageSOPInstanceUID: uids.sop[view],
    TransferSyntaxUID: transferSyntaxUid,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: IMPLEMENTATION_VERSION_NAME,
  };
  const { DicomDict, DicomMetaDictionary } = dcmjs.data;
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return new Uint8Array(dict.write({ fragmentMultiframe: false }));
}
