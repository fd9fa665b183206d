/**
 * DICOM Encapsulated PDF (1.2.840.10008.5.1.4.1.1.104.1) of a signed report: the PDF export wrapped as an instance of
 * the imaging study (same StudyInstanceUID), for PACS that show reports as documents. One per SR of the report (the
 * signed report, then one per addendum): its SOP Instance UID is derived from that SR's, so every STOW-RS retry
 * stores the same instance. Written with dcmjs, Explicit VR Little Endian.
 */
import { clip, patientAndStudyModules, srInstanceUids, srStudyInstanceUid, writePart10 } from "./dicom-sr";
import { type ReportDocument, uidFromName } from "./report-document";

export const ENCAPSULATED_PDF_SOP_CLASS = "1.2.840.10008.5.1.4.1.1.104.1";

/** The Encapsulated PDF's SOP Instance UID for the SR with this SOP Instance UID. */
export const pdfInstanceUid = (srSopInstanceUid: string) => uidFromName(`radiology-draft/pdf/${srSopInstanceUid}`);

/** Wraps the report's PDF (the export's bytes) for the report's newest SR (`doc` with the addenda written until then). */
export function renderEncapsulatedPdf(doc: ReportDocument, pdf: Uint8Array): { bytes: Buffer; sopInstanceUid: string } {
  const studyUid = srStudyInstanceUid(doc);
  const srUids = srInstanceUids(doc).sopInstanceUids;
  const sopInstanceUid = pdfInstanceUid(srUids[srUids.length - 1] as string);
  const when = new Date(doc.addenda.at(-1)?.createdAt ?? doc.signedAt).toISOString();
  const date = when.slice(0, 10).replace(/-/g, "");
  const time = when.slice(11, 19).replace(/:/g, "");
  // OB values have even length: a PDF of odd length gets one trailing NUL (Encapsulated Document Length says how long).
  const padded = new Uint8Array(pdf.length + (pdf.length % 2));
  padded.set(pdf);
  const dataset: Record<string, unknown> = {
    SOPClassUID: ENCAPSULATED_PDF_SOP_CLASS,
    SOPInstanceUID: sopInstanceUid,
    InstanceCreationDate: date,
    InstanceCreationTime: time,
    ...patientAndStudyModules(doc),
    Modality: "DOC",
    SeriesInstanceUID: uidFromName(`radiology-draft/pdf-series/${studyUid}`),
    SeriesNumber: "901",
    SeriesDescription: "Radiology report (PDF)",
    Manufacturer: clip(doc.application.name, 64),
    ...(doc.study.institutionName ? { InstitutionName: clip(doc.study.institutionName, 64) } : {}),
    SoftwareVersions: clip(doc.application.version, 64),
    ConversionType: "WSD",
    InstanceNumber: String(srUids.length),
    ContentDate: date,
    ContentTime: time,
    AcquisitionDateTime: `${date}${time}`,
    BurnedInAnnotation: "YES",
    DocumentTitle: "Chest radiograph report",
    ConceptNameCodeSequence: [
      { CodeValue: "18748-4", CodingSchemeDesignator: "LN", CodeMeaning: "Diagnostic Imaging Report" },
    ],
    MIMETypeOfEncapsulatedDocument: "application/pdf",
    EncapsulatedDocumentLength: pdf.length,
    EncapsulatedDocument: [padded.buffer],
  };
  return { bytes: writePart10(dataset, doc), sopInstanceUid };
}
