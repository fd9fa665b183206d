/**
 * What the PACS tests load into Orthanc: the six demo studies (12 instances), distinct real DICOMs of the shared
 * data, the non-chest CR (hip), and DICOM SRs written by the application's own SR writer.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { renderDicomSr } from "../../src-main/services/export/dicom-sr";
import type { ReportDocument } from "../../src-main/services/export/report-document";
import { sha256Hex } from "../../src-main/services/export/report-document";

const dcmjs = createRequire(import.meta.url)("dcmjs") as {
  data: {
    DicomMessage: { readFile(b: ArrayBuffer, o?: Record<string, unknown>): { dict: Record<string, unknown> } };
  };
};

const root = path.resolve(import.meta.dirname, "..", "..");
export const DEMO_DIR = path.join(root, "resources", "demo-studies");
export const SHARED_DICOM = path.join(root, "..", "shared", "data", "dicom");
export const HIP_FILE = path.join(root, "..", "shared", "data", "dicom-nonchest", "CR_hip_JPEGLossless.dcm");

export function demoFiles(): string[] {
  return fs
    .readdirSync(DEMO_DIR)
    .filter((d) => d.startsWith("CXR"))
    .sort()
    .flatMap((d) => ["PA.dcm", "LL.dcm"].map((f) => path.join(DEMO_DIR, d, f)));
}

/** Real chest DICOMs with distinct SOP Instance UIDs (the derived_* files repeat CR-MONO1-10-chest's). */
export function sharedChestFiles(): string[] {
  return [
    "CR-MONO1-10-chest_explicitLE.dcm",
    "RG1_CR_chest_J2KI.dcm",
    "SIIM_CR_chest_JPEGBaseline.dcm",
    "NIH_DX_chest_implicitLE.dcm",
  ].map((f) => path.join(SHARED_DICOM, f));
}

export interface DicomHeader {
  studyInstanceUid: string;
  seriesInstanceUid: string;
  sopInstanceUid: string;
  patientId: string | null;
  patientName: string | null;
  studyDate: string | null;
  accessionNumber: string | null;
}

export function readHeader(file: string): DicomHeader {
  const bytes = fs.readFileSync(file);
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const { dict } = dcmjs.data.DicomMessage.readFile(ab, { untilTag: "7FE00010", includeUntilTagValue: false });
  const v = (tag: string): string | null => {
    const value = (dict[tag] as { Value?: unknown[] } | undefined)?.Value?.[0];
    if (value && typeof value === "object" && "Alphabetic" in value) return String(value.Alphabetic);
    return typeof value === "string" && value.trim() ? value.trim() : null;
  };
  return {
    studyInstanceUid: v("0020000D") as string,
    seriesInstanceUid: v("0020000E") as string,
    sopInstanceUid: v("00080018") as string,
    patientId: v("00100020"),
    patientName: v("00100010"),
    studyDate: v("00080020"),
    accessionNumber: v("00080050"),
  };
}

/** A signed report's DICOM SR for a study, written by the application's SR writer (renderDicomSr). */
export function signedSr(
  header: DicomHeader,
  sections: { findings: string; impression: string },
  signedReportId = 1,
  signedAt = "2026-11-30T10:00:00.000Z",
): { bytes: Buffer; sopInstanceUid: string } {
  const all = { indication: "", comparison: "", ...sections };
  const doc: ReportDocument = {
    study: {
      id: `test-${header.studyInstanceUid}`,
      studyInstanceUid: header.studyInstanceUid,
      patientId: header.patientId,
      patientName: header.patientName,
      studyDate: header.studyDate,
      institutionName: null,
      accessionNumber: header.accessionNumber,
      referringPhysician: null,
      description: "CHEST 2 VIEWS",
    },
    images: [],
    sections: all,
    signedReportId,
    signedBy: "Test Radiologist",
    signedAt,
    textSha256: sha256Hex(JSON.stringify(all)),
    addenda: [],
    aiModel: null,
    aiAssisted: false,
    application: { name: "Radiology Draft", version: "test" },
  };
  const bytes = renderDicomSr(doc);
  return { bytes, sopInstanceUid: readHeader(writeTemp(bytes)).sopInstanceUid };
}

function writeTemp(bytes: Buffer): string {
  const file = path.join(fs.mkdtempSync(path.join(process.env.TMPDIR ?? "/tmp", "rd-sr-")), "sr.dcm");
  fs.writeFileSync(file, bytes);
  return file;
}

export function basicAuth(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;
}
