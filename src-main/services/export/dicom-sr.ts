/**
 * DICOM Basic Text SR (1.2.840.10008.5.1.4.1.1.88.11) of a signed report, in the pattern of TID 2000 "Basic
 * Diagnostic Imaging Report": a root CONTAINER (18748-4, LN, "Diagnostic Imaging Report") with ContentTemplateSequence
 * DCMR/2000, the language and observer context, one CONTAINER per section heading (TID 2001) holding TEXT items
 * (TID 2002), and the addenda. The SR joins the imaging study (same StudyInstanceUID) and references it through the
 * Referenced Request Sequence and, where the study's DICOM instances are known, the Current Requested Procedure
 * Evidence Sequence. Signed reports are VERIFIED (Verifying Observer Sequence) and COMPLETE. Written with dcmjs.
 */
import fs from "node:fs";
import { calibrationLabel, type Measurement, measurementSentence } from "../../../src-shared/measurements";
import type { SectionKey } from "../../../src-shared/report-types";
import { SECTION_KEYS } from "../../../src-shared/report-types";
import { loadCommonJs } from "../imaging/commonjs-packages";
import { aiNote, criticalNote, isoDate, type ReportDocument, uidFromName } from "./report-document";

export const BASIC_TEXT_SR_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.88.11";
/** Enhanced SR: a report with measurements (NUM content items) needs it; Basic Text SR allows no NUM. */
export const ENHANCED_SR_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.88.22";

/** The SR's SOP class: Enhanced SR when the report was signed with measurements, else Basic Text SR. */
export function srSopClass(doc: Pick<ReportDocument, "measurements">): string {
  return (doc.measurements?.length ?? 0) > 0 ? ENHANCED_SR_SOP_CLASS : BASIC_TEXT_SR_SOP_CLASS;
}
const EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1";
/** Implementation Class UID of this application's DICOM writer (2.25 UID derived from its name). */
const IMPLEMENTATION_CLASS_UID = uidFromName("radiology-draft/dicom-sr-writer");

interface Code {
  CodeValue: string;
  CodingSchemeDesignator: string;
  CodeMeaning: string;
}

const code = (value: string, scheme: string, meaning: string): Code => ({
  CodeValue: value,
  CodingSchemeDesignator: scheme,
  CodeMeaning: meaning,
});

const DIAGNOSTIC_IMAGING_REPORT = code("18748-4", "LN", "Diagnostic Imaging Report");
/** Section headings (CID 7001) and the narrative item inside each (CID 7002). */
const SECTION_CODES: Record<SectionKey, { heading: Code; item: Code }> = {
  indication: {
    heading: code("121109", "DCM", "Indications for Procedure"),
    item: code("121109", "DCM", "Indications for Procedure"),
  },
  comparison: {
    heading: code("18834-2", "LN", "Comparison Study"),
    item: code("18834-2", "LN", "Comparison Study"),
  },
  findings: { heading: code("121070", "DCM", "Findings"), item: code("121071", "DCM", "Finding") },
  impression: { heading: code("121072", "DCM", "Impressions"), item: code("121073", "DCM", "Impression") },
};
const ADDENDUM = code("121078", "DCM", "Addendum");
/** TID 1500 style measurement content (TID 1501 "Measurement Group", TID 300 "Measurement"). */
const IMAGING_MEASUREMENTS = code("126010", "DCM", "Imaging Measurements");
const MEASUREMENT_GROUP = code("125007", "DCM", "Measurement Group");
const TRACKING_IDENTIFIER = code("112039", "DCM", "Tracking Identifier");
const SOURCE_OF_MEASUREMENT = code("121112", "DCM", "Source of Measurement");
const LENGTH = code("410668003", "SCT", "Length");
const ANGLE = code("1483009", "SCT", "Angle");
const AREA = code("42798000", "SCT", "Area");
const MEAN = code("373098007", "SCT", "Mean");
const STANDARD_DEVIATION = code("386136009", "SCT", "Standard Deviation");
/** No standard code found for these: this application's private scheme (99RDRAFT), with the meaning spelt out. */
const CARDIOTHORACIC_RATIO = code("CTR", "99RDRAFT", "Cardiothoracic ratio");
const CARDIAC_WIDTH = code("CARDIAC-W", "99RDRAFT", "Cardiac width");
const THORACIC_WIDTH = code("THORACIC-W", "99RDRAFT", "Thoracic width");
/** A probe's reading: the modality value (stored × rescale slope + intercept) and the stored pixel value at its point. */
const PROBE_MODALITY_VALUE = code("PROBE-MO", "99RDRAFT", "Modality pixel value at a point");
const PROBE_STORED_VALUE = code("PROBE-SP", "99RDRAFT", "Stored pixel value at a point");
/** UCUM units. */
const UCUM: Record<string, Code> = {
  mm: code("mm", "UCUM", "millimeter"),
  px: code("{pixels}", "UCUM", "pixels"),
  deg: code("deg", "UCUM", "degree"),
  mm2: code("mm2", "UCUM", "square millimeter"),
  px2: code("{pixels2}", "UCUM", "square pixels"),
  ratio: code("{ratio}", "UCUM", "ratio"),
  value: code("1", "UCUM", "no units"),
};
const COMMENT = code("121106", "DCM", "Comment");

// dcmjs ships no type declarations; this is the part of its API used here.
interface DcmjsData {
  DicomDict: new (meta: Record<string, unknown>) => { dict: Record<string, unknown>; write(): ArrayBuffer };
  DicomMetaDictionary: {
    denaturalizeDataset(dataset: Record<string, unknown>): Record<string, unknown>;
    naturalizeDataset(dict: Record<string, unknown>): Record<string, unknown>;
  };
  DicomMessage: { readFile(buffer: ArrayBuffer, options?: Record<string, unknown>): { dict: Record<string, unknown> } };
}
let dcmjsData: DcmjsData | null = null;
function dcmjs(): DcmjsData {
  if (!dcmjsData) dcmjsData = loadCommonJs<{ data: DcmjsData }>("dcmjs").data;
  return dcmjsData;
}

/** DICOM DA and TM (UTC) of an ISO instant. */
function dicomDateTime(iso: string): { date: string; time: string; dateTime: string } {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) throw new Error(`not an ISO date-time: ${iso}`);
  const s = d.toISOString(); // 2026-11-28T04:53:59.123Z
  const date = s.slice(0, 10).replace(/-/g, "");
  const time = s.slice(11, 19).replace(/:/g, "");
  return { date, time, dateTime: `${date}${time}+0000` };
}

/** Honorifics written before a name ("Dr", "Prof."): DICOM PN's prefix component, never part of the given name. */
const NAME_PREFIX = /^(?:dr|prof|professor|mr|mrs|ms|miss|mx|sir|dame)\.?$/i;
/** Degrees and generational suffixes written after a name ("MD", "PhD", "Jr."): PN's suffix component. */
const NAME_SUFFIX = /^(?:md|phd|do|mbbs|mbchb|frcr|frcpc|facr|dmrd|jr|sr|ii|iii|iv)\.?$/i;

/** A DICOM PN from a display name: "Dr Jane Q. Doe, MD" -> "Doe^Jane^Q.^Dr^MD"; names with "^" are kept as they are. */
export function personName(name: string): string {
  const trimmed = name.trim();
  if (trimmed.includes("^")) return trimmed;
  const parts = trimmed.replace(/,/g, " ").split(/\s+/).filter(Boolean);
  const prefixes: string[] = [];
  const suffixes: string[] = [];
  while (parts.length > 1 && NAME_PREFIX.test(parts[0] ?? "")) prefixes.push(parts.shift() as string);
  while (parts.length > 1 && NAME_SUFFIX.test(parts[parts.length - 1] ?? "")) suffixes.unshift(parts.pop() as string);
  if (parts.length < 2 && prefixes.length === 0 && suffixes.length === 0) return trimmed;
  const family = parts.pop() ?? "";
  const [given = "", ...middle] = parts;
  // Family^Given^Middle^Prefix^Suffix (PS3.5 6.2.1), trailing empty components left out.
  return [family, given, middle.join(" "), prefixes.join(" "), suffixes.join(" ")].join("^").replace(/\^+$/, "");
}

/** Limits a value to its VR's maximum length (LO 64, SH 16). */
export const clip = (value: string, max: number) => (value.length > max ? value.slice(0, max) : value);

interface ReferencedInstance {
  seriesInstanceUid: string;
  sopClassUid: string;
  sopInstanceUid: string;
}

/** Reads the SOP class of each DICOM image of the study; images that are not readable DICOM are left out. */
function referencedInstances(doc: ReportDocument): ReferencedInstance[] {
  const out: ReferencedInstance[] = [];
  for (const image of doc.images) {
    if (!image.sopInstanceUid || !image.seriesInstanceUid) continue;
    try {
      const bytes = fs.readFileSync(image.filePath);
      const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
      const { dict } = dcmjs().DicomMessage.readFile(ab, { untilTag: "7FE00010", includeUntilTagValue: false });
      const sopClass = (dict["00080016"] as { Value?: string[] } | undefined)?.Value?.[0];
      if (sopClass) {
        out.push({
          seriesInstanceUid: image.seriesInstanceUid,
          sopClassUid: sopClass,
          sopInstanceUid: image.sopInstanceUid,
        });
      }
    } catch {
      // Not DICOM (a PNG/JPEG study) or the file moved: the study is still referenced by its UID.
    }
  }
  return out;
}

/** The Study Instance UID the SR joins: the study's own, or (plain-image studies) one derived from its id. */
export function srStudyInstanceUid(doc: ReportDocument): string {
  return doc.study.studyInstanceUid ?? uidFromName(`radiology-draft/study/${doc.study.id}`);
}

/** Whether every text value the SR will hold is 7-bit ASCII. */
function isAscii(doc: ReportDocument): boolean {
  const texts = [
    ...Object.values(doc.sections),
    doc.signedBy,
    doc.study.patientName ?? "",
    doc.study.patientId ?? "",
    doc.study.description ?? "",
    doc.study.institutionName ?? "",
    doc.study.accessionNumber ?? "",
    doc.study.referringPhysician ?? "",
    doc.study.id,
    ...doc.addenda.flatMap((a) => [a.text, a.author]),
    doc.aiModel?.name ?? "",
    doc.aiModel?.version ?? "",
    doc.application.name,
    doc.application.version,
  ];
  return texts.every((t) => {
    for (let i = 0; i < t.length; i++) if (t.charCodeAt(i) > 0x7f) return false;
    return true;
  });
}

function textItem(concept: Code, text: string): Record<string, unknown> {
  return {
    RelationshipType: "CONTAINS",
    ValueType: "TEXT",
    ConceptNameCodeSequence: [concept],
    TextValue: text,
  };
}

/** A NUM item (TID 300) with its UCUM unit and, where the image is DICOM, the image it was measured on. */
function numItem(concept: Code, value: number, unit: Code, image: ReferencedInstance | null): Record<string, unknown> {
  return {
    RelationshipType: "CONTAINS",
    ValueType: "NUM",
    ConceptNameCodeSequence: [concept],
    MeasuredValueSequence: [{ NumericValue: dsValue(value), MeasurementUnitsCodeSequence: [unit] }],
    ...(image
      ? {
          ContentSequence: [
            {
              RelationshipType: "INFERRED FROM",
              ValueType: "IMAGE",
              ConceptNameCodeSequence: [SOURCE_OF_MEASUREMENT],
              ReferencedSOPSequence: [
                { ReferencedSOPClassUID: image.sopClassUid, ReferencedSOPInstanceUID: image.sopInstanceUid },
              ],
            },
          ],
        }
      : {}),
  };
}

/** A DS value (at most 16 characters). */
function dsValue(value: number): string {
  const text = String(Number(value.toPrecision(10)));
  return text.length <= 16 ? text : value.toExponential(8);
}

/** One measurement as a Measurement Group: the tracking identifier, its NUM items, the sentence and calibration. */
function measurementGroup(m: Measurement, image: ReferencedInstance | null): Record<string, unknown> {
  const items: Record<string, unknown>[] = [textItem(TRACKING_IDENTIFIER, `measurement ${m.id}`)];
  const v = m.values;
  const unit = (u: string) => UCUM[u] ?? UCUM.value!;
  switch (m.kind) {
    case "length":
      items.push(numItem(LENGTH, v.value, unit(v.unit), image));
      break;
    case "angle":
      items.push(numItem(ANGLE, v.value, unit(v.unit), image));
      break;
    case "ellipse":
      items.push(numItem(AREA, v.value, unit(v.unit), image));
      if (m.stats) {
        items.push(numItem(MEAN, m.stats.mean, UCUM.value!, image));
        items.push(numItem(STANDARD_DEVIATION, m.stats.sd, UCUM.value!, image));
      }
      break;
    case "ctr":
      items.push(numItem(CARDIOTHORACIC_RATIO, v.value, UCUM.ratio!, image));
      for (const part of v.parts) {
        items.push(
          numItem(part.name === "cardiac width" ? CARDIAC_WIDTH : THORACIC_WIDTH, part.value, unit(part.unit), image),
        );
      }
      break;
    case "probe":
      // No unit: the modality value's unit depends on the modality (HU only for CT), the stored value has none.
      items.push(numItem(PROBE_MODALITY_VALUE, v.value, UCUM.value!, image));
      if (m.reading) items.push(numItem(PROBE_STORED_VALUE, m.reading.stored, UCUM.value!, image));
      break;
  }
  // In ASCII, so a measured report needs no other character set than the rest of the report.
  // The sentence states the calibration, except an angle's (which the spacing only skews when anisotropic).
  const calibration = m.kind === "angle" ? ` Calibration: ${calibrationLabel(m.calibration)}.` : "";
  const comment = `${measurementSentence(m)}${calibration}`.replace(/×/g, "x").replace(/°/g, " deg").replace(/²/g, "2");
  items.push(textItem(COMMENT, comment));
  return container(MEASUREMENT_GROUP, items);
}

function container(concept: Code, children: Record<string, unknown>[]): Record<string, unknown> {
  return {
    RelationshipType: "CONTAINS",
    ValueType: "CONTAINER",
    ConceptNameCodeSequence: [concept],
    ContinuityOfContent: "SEPARATE",
    ContentSequence: children,
  };
}

/**
 * The SOP Instance UIDs of a signed report's SRs, oldest first: the signed report itself, then one per addendum
 * (each SR holds the report and the addenda written until then). Derived from the signed content, so the same
 * content always gives the same instance (every STOW-RS retry and every re-export).
 */
export function srInstanceUids(doc: ReportDocument): { seriesInstanceUid: string; sopInstanceUids: string[] } {
  const studyUid = srStudyInstanceUid(doc);
  const sopInstanceUids: string[] = [];
  for (let n = 0; n <= doc.addenda.length; n++) {
    const contentKey = `${doc.signedReportId}/${doc.textSha256}/${doc.addenda
      .slice(0, n)
      .map((a) => a.id)
      .join(",")}`;
    sopInstanceUids.push(uidFromName(`radiology-draft/sr/${studyUid}/${contentKey}`));
  }
  return { seriesInstanceUid: uidFromName(`radiology-draft/sr-series/${studyUid}`), sopInstanceUids };
}

/**
 * Builds the SR as a DICOM Part 10 file. With addenda it is a new instance that references the earlier SRs of the
 * same report (the signed report and the earlier addenda) in the Predecessor Documents Sequence (0040,A360).
 */
/** The Patient and General Study modules of every instance the export writes for the study (SR, Encapsulated PDF). */
export function patientAndStudyModules(doc: ReportDocument): Record<string, unknown> {
  return {
    // Patient
    PatientName: doc.study.patientName ?? "",
    PatientID: clip(doc.study.patientId ?? "", 64),
    PatientBirthDate: "",
    PatientSex: "",
    // General Study
    StudyInstanceUID: srStudyInstanceUid(doc),
    StudyDate: isoDate(doc.study.studyDate)?.replace(/-/g, "") ?? "",
    StudyTime: "",
    // Type 2 in General Study: the images' values when the study has them (issue 18.5), else empty.
    ReferringPhysicianName: doc.study.referringPhysician ?? "",
    StudyID: clip(doc.study.id, 16),
    AccessionNumber: clip(doc.study.accessionNumber ?? "", 16),
    StudyDescription: clip(doc.study.description ?? "", 64),
  };
}

export function renderDicomSr(doc: ReportDocument): Buffer {
  const signed = dicomDateTime(doc.signedAt);
  const studyUid = srStudyInstanceUid(doc);
  const uids = srInstanceUids(doc);
  const seriesUid = uids.seriesInstanceUid;
  const sopInstanceUid = uids.sopInstanceUids[uids.sopInstanceUids.length - 1] as string;
  const predecessors = uids.sopInstanceUids.slice(0, -1);
  const instances = referencedInstances(doc);
  const signer = doc.signedByAccount?.dicomName ?? personName(doc.signedBy);

  const content: Record<string, unknown>[] = [
    {
      RelationshipType: "HAS CONCEPT MOD",
      ValueType: "CODE",
      ConceptNameCodeSequence: [code("121049", "DCM", "Language of Content Item and Descendants")],
      ConceptCodeSequence: [code("en-US", "RFC5646", "English (United States)")],
    },
    {
      RelationshipType: "HAS OBS CONTEXT",
      ValueType: "CODE",
      ConceptNameCodeSequence: [code("121005", "DCM", "Observer Type")],
      ConceptCodeSequence: [code("121006", "DCM", "Person")],
    },
    {
      RelationshipType: "HAS OBS CONTEXT",
      ValueType: "PNAME",
      ConceptNameCodeSequence: [code("121008", "DCM", "Person Observer Name")],
      PersonName: signer,
    },
  ];
  for (const key of SECTION_KEYS) {
    const text = doc.sections[key].trim();
    if (text === "") continue;
    const codes = SECTION_CODES[key];
    content.push(container(codes.heading, [textItem(codes.item, text)]));
  }
  const measurements = doc.measurements ?? [];
  if (measurements.length > 0) {
    const byImage = new Map(
      doc.images.flatMap((i) => {
        const ref = instances.find((r) => r.sopInstanceUid === i.sopInstanceUid);
        return i.imageId && ref ? [[i.imageId, ref] as const] : [];
      }),
    );
    content.push(
      container(
        IMAGING_MEASUREMENTS,
        measurements.map((m) => measurementGroup(m, byImage.get(m.imageId) ?? null)),
      ),
    );
  }
  const critical = criticalNote(doc);
  if (critical) content.push(textItem(COMMENT, critical));
  const note = aiNote(doc);
  if (note) content.push(textItem(COMMENT, note));
  for (const a of doc.addenda) {
    content.push(container(ADDENDUM, [textItem(ADDENDUM, `${a.text.trim()} (${a.author}, ${a.createdAt})`)]));
  }

  const evidence =
    instances.length > 0
      ? [
          {
            StudyInstanceUID: studyUid,
            ReferencedSeriesSequence: [...new Set(instances.map((i) => i.seriesInstanceUid))].map((series) => ({
              SeriesInstanceUID: series,
              ReferencedSOPSequence: instances
                .filter((i) => i.seriesInstanceUid === series)
                .map((i) => ({ ReferencedSOPClassUID: i.sopClassUid, ReferencedSOPInstanceUID: i.sopInstanceUid })),
            })),
          },
        ]
      : undefined;

  const dataset: Record<string, unknown> = {
    // dcmjs writes text as UTF-8: declare it whenever the text is not plain ASCII (the default repertoire).
    ...(isAscii(doc) ? {} : { SpecificCharacterSet: "ISO_IR 192" }),
    // SOP Common
    SOPClassUID: srSopClass(doc),
    SOPInstanceUID: sopInstanceUid,
    InstanceCreationDate: signed.date,
    InstanceCreationTime: signed.time,
    ...patientAndStudyModules(doc),
    // SR Document Series
    Modality: "SR",
    SeriesInstanceUID: seriesUid,
    SeriesNumber: "900",
    SeriesDescription: "Radiology report",
    ReferencedPerformedProcedureStepSequence: [],
    // General Equipment
    Manufacturer: clip(doc.application.name, 64),
    ...(doc.study.institutionName ? { InstitutionName: clip(doc.study.institutionName, 64) } : {}),
    SoftwareVersions: clip(doc.application.version, 64),
    // SR Document General
    InstanceNumber: String(uids.sopInstanceUids.length),
    CompletionFlag: "COMPLETE",
    VerificationFlag: "VERIFIED",
    ContentDate: signed.date,
    ContentTime: signed.time,
    VerifyingObserverSequence: [
      {
        VerifyingObserverName: signer,
        VerifyingObserverIdentificationCodeSequence: [],
        VerifyingOrganization: clip(doc.application.name, 64),
        VerificationDateTime: signed.dateTime,
      },
    ],
    ReferencedRequestSequence: [
      {
        StudyInstanceUID: studyUid,
        ReferencedStudySequence: [],
        AccessionNumber: clip(doc.study.accessionNumber ?? "", 16),
        PlacerOrderNumberImagingServiceRequest: "",
        FillerOrderNumberImagingServiceRequest: "",
        RequestedProcedureID: "",
        RequestedProcedureDescription: clip(doc.study.description ?? "Chest radiograph", 64),
        RequestedProcedureCodeSequence: [],
      },
    ],
    PerformedProcedureCodeSequence: [],
    ...(evidence ? { CurrentRequestedProcedureEvidenceSequence: evidence } : {}),
    ...(predecessors.length > 0
      ? {
          PredecessorDocumentsSequence: [
            {
              StudyInstanceUID: studyUid,
              ReferencedSeriesSequence: [
                {
                  SeriesInstanceUID: seriesUid,
                  ReferencedSOPSequence: predecessors.map((uid) => ({
                    ReferencedSOPClassUID: srSopClass(doc),
                    ReferencedSOPInstanceUID: uid,
                  })),
                },
              ],
            },
          ],
        }
      : {}),
    // SR Document Content (root)
    ValueType: "CONTAINER",
    ConceptNameCodeSequence: [DIAGNOSTIC_IMAGING_REPORT],
    ContinuityOfContent: "SEPARATE",
    ContentTemplateSequence: [{ MappingResource: "DCMR", TemplateIdentifier: "2000" }],
    ContentSequence: content,
  };

  return writePart10(dataset, doc);
}

/**
 * A dataset (dcmjs naturalized, with SOPClassUID and SOPInstanceUID) as a DICOM Part 10 file in Explicit VR Little
 * Endian, with this application's file meta information; the SR and the Encapsulated PDF are written with it.
 */
export function writePart10(dataset: Record<string, unknown>, doc: Pick<ReportDocument, "application">): Buffer {
  const { DicomDict, DicomMetaDictionary } = dcmjs();
  const meta = {
    FileMetaInformationVersion: new Uint8Array([0, 1]).buffer,
    MediaStorageSOPClassUID: dataset.SOPClassUID,
    MediaStorageSOPInstanceUID: dataset.SOPInstanceUID,
    TransferSyntaxUID: EXPLICIT_VR_LITTLE_ENDIAN,
    ImplementationClassUID: IMPLEMENTATION_CLASS_UID,
    ImplementationVersionName: clip(`RDRAFT_${doc.application.version}`, 16),
  };
  const dict = new DicomDict(DicomMetaDictionary.denaturalizeDataset(meta));
  dict.dict = DicomMetaDictionary.denaturalizeDataset(dataset);
  return Buffer.from(dict.write());
}
