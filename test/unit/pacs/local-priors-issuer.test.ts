/**
 * Issuer of Patient ID (0010,0021) is read by the one DICOM reader with the file's Specific Character Set, and the
 * priors match local studies by it (issue 13.3): the same issuer written in Latin-1 and in UTF-8 is one patient; another
 * issuer with the same Patient ID and name is another patient. Real files, real import, real SQLite; no PACS connection.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { AttributeReader, parseDicom, readPatientIdentity } from "../../../src-shared/imaging/dicom-reader";
import { tempServices } from "../../support/vitest-fixtures";
import { buildDicom, crChestDataset } from "../imaging/imaging-fixtures";

const ISSUER = "Hôpital Saint-Éloi";

/** A chest image of patient P-77, Doe^Jane, with the issuer written in Latin-1 (ISO_IR 100): ô is 0xF4, É is 0xC9. */
function latin1Study(uid: string, date: string): Buffer {
  const placeholder = "H#pital Saint-#loi";
  const bytes = buildDicom(
    crChestDataset({
      SpecificCharacterSet: "ISO_IR 100",
      PatientID: "P-77",
      IssuerOfPatientID: placeholder,
      PatientName: "Doe^Jane",
      StudyInstanceUID: uid,
      SOPInstanceUID: `${uid}.1`,
      StudyDate: date,
    }),
  );
  const at = bytes.indexOf(Buffer.from(placeholder, "latin1"));
  bytes[at + 1] = 0xf4;
  bytes[at + 14] = 0xc9;
  return bytes;
}

function utf8Study(uid: string, date: string, issuer: string): Buffer {
  return buildDicom(
    crChestDataset({
      SpecificCharacterSet: "ISO_IR 192",
      PatientID: "P-77",
      IssuerOfPatientID: issuer,
      PatientName: "Doe^Jane",
      StudyInstanceUID: uid,
      SOPInstanceUID: `${uid}.1`,
      StudyDate: date,
    }),
  );
}

describe("Issuer of Patient ID", () => {
  it("is read with the Specific Character Set (Latin-1 and UTF-8 give the same text)", () => {
    const latin1 = parseDicom(latin1Study("2.25.7701", "20250101"), "latin1.dcm");
    const utf8 = parseDicom(utf8Study("2.25.7702", "20200101", ISSUER), "utf8.dcm");
    expect(readPatientIdentity(new AttributeReader(latin1.dataSet))).toEqual({
      patientId: "P-77",
      issuerOfPatientId: ISSUER,
      patientName: "Doe^Jane",
    });
    expect(readPatientIdentity(new AttributeReader(utf8.dataSet)).issuerOfPatientId).toBe(ISSUER);
  });

  it("matches local priors: same issuer in either character set listed, another issuer left out", async () => {
    const services = tempServices("rd-priors-issuer-");
    try {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-priors-issuer-files-"));
      const files = {
        current: latin1Study("2.25.7701", "20250101"),
        sameIssuerUtf8: utf8Study("2.25.7702", "20200101", ISSUER),
        sameIssuerLatin1: latin1Study("2.25.7703", "20180101"),
        otherIssuer: utf8Study("2.25.7704", "20190101", "Klinikum Nord"),
      };
      const paths = Object.entries(files).map(([name, bytes]) => {
        const file = path.join(dir, `${name}.dcm`);
        fs.writeFileSync(file, bytes);
        return file;
      });
      const imported = await services.importer.importPaths(paths);
      expect(imported.failures).toEqual([]);
      const idOf = new Map(services.studies.list().map((s) => [s.studyInstanceUid, s.id]));
      const result = await services.pacs.priors(idOf.get("2.25.7701") as string);
      console.log(
        `issuer ${result.issuerOfPatientId}: priors ${result.priors.map((p) => p.studyInstanceUid).join(", ")}; ${result.warnings.join(" | ")}`,
      );
      expect(result.issuerOfPatientId).toBe(ISSUER);
      expect(result.priors.map((p) => [p.studyInstanceUid, p.studyDate, p.source])).toEqual([
        ["2.25.7702", "2020-01-01", "local"],
        ["2.25.7703", "2018-01-01", "local"],
      ]);
      expect(result.warnings).toEqual([
        "1 other study with Patient ID P-77 belongs to another patient (issuer or name differs) and is not listed",
      ]);
    } finally {
      services.close();
    }
  });
});
