/**
 * A DICOM file for the reading aids' tests, written at test time (nothing committed): the reference CR chest's real
 * stored pixels with a rescale (slope 2, intercept −1024, so stored and modality values differ), Image Orientation
 * (Patient) of a coronal image, a sequence with a nested sequence, and private tags of a named Private Creator.
 */
import fs from "node:fs";
import path from "node:path";
import { buildDicom, crChestDataset } from "../unit/imaging/imaging-fixtures";

export const PRIVATE_CREATOR = "RADIOLOGY_DRAFT_TEST";

export function writeReadingAidFixture(dir: string): string {
  const dataset = crChestDataset({
    PatientID: "AIDS-1",
    PatientName: "Reading^Aids",
    StudyInstanceUID: "2.25.271828182845904523536",
    SeriesInstanceUID: "2.25.271828182845904523537",
    SOPInstanceUID: "2.25.271828182845904523538",
    Modality: "CR",
    StudyDate: "20241105",
    BitsStored: 12,
    HighBit: 11,
    RescaleSlope: "2",
    RescaleIntercept: "-1024",
    WindowCenter: "1000",
    WindowWidth: "4000",
    ImageOrientationPatient: [1, 0, 0, 0, 0, -1],
    ViewPosition: "PA",
    SourceImageSequence: [
      {
        ReferencedSOPClassUID: "1.2.840.10008.5.1.4.1.1.1",
        ReferencedSOPInstanceUID: "2.25.271828182845904523539",
        PurposeOfReferenceCodeSequence: [
          { CodeValue: "121320", CodingSchemeDesignator: "DCM", CodeMeaning: "Uncompressed predecessor" },
        ],
      },
    ],
  });
  const bytes = buildDicom(dataset, undefined, {
    "00090010": { vr: "LO", Value: [PRIVATE_CREATOR] },
    "00091001": { vr: "LO", Value: ["private note"] },
    "00091002": { vr: "US", Value: [7] },
  });
  const file = path.join(dir, "reading-aids-CR.dcm");
  fs.writeFileSync(file, bytes);
  return file;
}
