/**
 * Reading the DICOM JSON model (PS3.18 F.2) that QIDO-RS answers with: a dataset is an object of 8-hex-digit tags,
 * each `{ vr, Value?: [...] }`. Values are validated here, at the boundary, and read as plain strings and numbers.
 */
import { z } from "zod";
import { PacsError } from "./errors";

const AttributeSchema = z
  .object({
    vr: z.string().regex(/^[A-Z]{2}$/),
    Value: z.array(z.unknown()).optional(),
  })
  .passthrough();
export const DicomJsonDatasetSchema = z.record(z.string().regex(/^[0-9A-Fa-f]{8}$/), AttributeSchema);
export type DicomJsonDataset = z.infer<typeof DicomJsonDatasetSchema>;

export const TAGS = {
  SpecificCharacterSet: "00080005",
  SOPClassUID: "00080016",
  SOPInstanceUID: "00080018",
  StudyDate: "00080020",
  StudyTime: "00080030",
  ContentDate: "00080023",
  ContentTime: "00080033",
  AccessionNumber: "00080050",
  Modality: "00080060",
  ModalitiesInStudy: "00080061",
  StudyDescription: "00081030",
  SeriesDescription: "0008103E",
  PatientName: "00100010",
  PatientID: "00100020",
  IssuerOfPatientID: "00100021",
  BodyPartExamined: "00180015",
  ViewPosition: "00185101",
  StudyInstanceUID: "0020000D",
  SeriesInstanceUID: "0020000E",
  InstanceNumber: "00200013",
  NumberOfStudyRelatedSeries: "00201206",
  NumberOfStudyRelatedInstances: "00201208",
  CompletionFlag: "0040A491",
  VerificationFlag: "0040A493",
} as const;

/** Parses a QIDO-RS body: a JSON array of datasets (an empty body is an empty result). */
export function parseQidoBody(text: string, what: string): DicomJsonDataset[] {
  if (text.trim() === "") return [];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new PacsError("BAD_RESPONSE", `${what}: the PACS answered with something that is not JSON`);
  }
  const parsed = z.array(DicomJsonDatasetSchema).safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new PacsError(
      "BAD_RESPONSE",
      `${what}: not a DICOM JSON result (${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"})`,
    );
  }
  return parsed.data;
}

function first(ds: DicomJsonDataset, tag: string): unknown {
  return ds[tag]?.Value?.[0];
}

/** The first value of a string attribute (UI, CS, LO, SH, DA, TM, ...), trimmed; null when absent or empty. */
export function str(ds: DicomJsonDataset, tag: string): string | null {
  const v = first(ds, tag);
  if (typeof v === "string") return v.trim() || null;
  if (typeof v === "number") return String(v);
  return null;
}

/** Every value of a multi-valued string attribute (e.g. ModalitiesInStudy). */
export function strs(ds: DicomJsonDataset, tag: string): string[] {
  return (ds[tag]?.Value ?? []).filter((v): v is string => typeof v === "string" && v.trim() !== "");
}

export function int(ds: DicomJsonDataset, tag: string): number | null {
  const v = first(ds, tag);
  const n = typeof v === "number" ? v : typeof v === "string" ? Number(v) : Number.NaN;
  return Number.isInteger(n) ? n : null;
}

/** A PN value's Alphabetic group ("Family^Given"), or null. */
export function personName(ds: DicomJsonDataset, tag: string): string | null {
  const v = first(ds, tag);
  if (typeof v === "string") return v.trim() || null;
  if (v && typeof v === "object" && "Alphabetic" in v) {
    const a = (v as { Alphabetic?: unknown }).Alphabetic;
    return typeof a === "string" && a.trim() ? a.trim() : null;
  }
  return null;
}

/** A required UID attribute; a dataset without it is a bad response. */
export function requiredUid(ds: DicomJsonDataset, tag: string, what: string): string {
  const v = str(ds, tag);
  if (!v || !/^[0-9.]{1,64}$/.test(v)) throw new PacsError("BAD_RESPONSE", `${what}: a result has no valid ${tag} UID`);
  return v;
}
