import fs from "node:fs";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import {
  dicomStudy,
  dicomWithAttributes,
  insertStudy,
  makeReportsHarness,
  type ReportsHarness,
} from "../../support/report-fixtures";

// Indication and Comparison prefilled from the study's own records (real DICOM files, real SQLite).
let h: ReportsHarness | null = null;
afterEach(() => {
  h?.close();
  h = null;
});

describe("Indication and Comparison from the study", () => {
  it("prefills Indication from the order's DICOM attributes and Comparison from the patient's earlier studies", () => {
    h = makeReportsHarness();
    const file = dicomWithAttributes("CR-MONO1-10-chest_explicitLE.dcm", path.join(h.dataDir, "req", "a.dcm"), {
      AdmittingDiagnosesDescription: "Community acquired pneumonia",
      RequestAttributesSequence: [
        { ReasonForTheRequestedProcedure: "Cough and fever for one week", RequestedProcedureID: "RP1" },
      ],
    });
    insertStudy(h.db, { ...dicomStudy("study-a", file), patientId: "P-7", studyDate: "20240301" });
    insertStudy(h.db, { id: "prior-1", patientId: "P-7", studyDate: "20230105", description: "CHEST PA LAT" });
    insertStudy(h.db, { id: "prior-2", patientId: "P-7", studyDate: "20220910", description: null });
    insertStudy(h.db, { id: "later", patientId: "P-7", studyDate: "20250101", description: "CHEST PA" });
    insertStudy(h.db, { id: "other-patient", patientId: "P-8", studyDate: "20230101", description: "CHEST PA" });
    const state = h.reports.open("study-a");
    expect(state.draft?.sections).toMatchObject({
      indication: "Cough and fever for one week. Admitting diagnosis: Community acquired pneumonia.",
      comparison: "CHEST PA LAT of 2023-01-05. 2022-09-10.",
      findings: "",
      impression: "",
    });
    expect(state.draft?.origin).toBe("insert");
    expect(state.draft?.aiSpans).toEqual([]);
    // Once: the radiologist's edits are never overwritten by a later opening.
    h.reports.save("study-a", {
      sections: { ...state.draft!.sections, indication: "Chest pain." },
      baseVersion: state.draft!.version,
      origin: "user",
    });
    expect(h.reports.open("study-a").draft?.sections.indication).toBe("Chest pain.");
  });

  it("leaves both empty when the files and the database carry neither (no version written)", () => {
    h = makeReportsHarness();
    insertStudy(h.db, { ...dicomStudy("study-b"), patientId: "P-9", studyDate: "20240301" });
    expect(h.reports.open("study-b").draft).toBeNull();
    expect(fs.existsSync(h.dataDir)).toBe(true);
  });
});
