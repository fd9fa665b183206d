/**
 * Institution, accession number and referring physician (issue 18.5): read from a real DICOM file of
 * ../shared/data/dicom by the one DICOM reader at import, stored in the case database (migration 13), and printed
 * by every export — the PDF (pdftotext), the SR (dcmdump, dciodvfy) and FHIR.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ImportService } from "../../../src-main/services/import/import-service";
import type { ExportResult } from "../../../src-shared/report-types";
import { medplumDefinitions, medplumIssues } from "../../support/fhir-validation";
import { FixedReportTestEngine } from "../../support/fixed-report-test-engine";
import {
  makeReportsHarness,
  openDrafted,
  type ReportsHarness,
  SHARED_DICOM_DIR,
  signAttested,
} from "../../support/report-fixtures";

const RG1 = path.join(SHARED_DICOM_DIR, "RG1_CR_chest_J2KI.dcm");
const out = fs.mkdtempSync(path.join(os.tmpdir(), "rd-header-"));
const hasTool = (tool: string) => spawnSync("which", [tool]).status === 0;
let h: ReportsHarness;
let importer: ImportService;
let studyId: string;

beforeAll(async () => {
  h = makeReportsHarness({ engine: new FixedReportTestEngine({ reportId: "CXR1451_IM-0291" }) });
  importer = new ImportService(h.db, h.events, { actor: "tester", demoStudiesDir: path.join(out, "no-demo") });
  const result = await importer.importPaths([RG1], { jobId: "header" });
  expect(result.failures).toEqual([]);
  studyId = result.studyIds[0]!;
  await openDrafted(h, studyId);
  await signAttested(h, studyId);
});
afterAll(async () => {
  await importer.close();
  h.close();
});

function save(result: ExportResult): string {
  const file = path.join(out, result.fileName);
  fs.writeFileSync(file, Buffer.from(result.base64, "base64"));
  return file;
}

describe("study header from the images", () => {
  it("stores Institution Name, Accession Number and Referring Physician's Name at import", () => {
    const row = h.db
      .prepare("SELECT institution_name, accession_number, referring_physician FROM studies WHERE id = ?")
      .get(studyId);
    expect(row).toEqual({
      institution_name: "Philips Medical Systems Hamburg",
      accession_number: "exam Number",
      referring_physician: "ward",
    });
    expect(h.reports.document(studyId).study).toMatchObject({
      institutionName: "Philips Medical Systems Hamburg",
      accessionNumber: "exam Number",
      referringPhysician: "ward",
    });
  });

  it("keeps them null for a file without them (the NIH DX image)", async () => {
    const other = new ImportService(h.db, h.events, { actor: "tester", demoStudiesDir: path.join(out, "no-demo") });
    try {
      const nih = await other.importPaths([path.join(SHARED_DICOM_DIR, "NIH_DX_chest_implicitLE.dcm")], {
        jobId: "nih",
      });
      const row = h.db
        .prepare("SELECT institution_name, accession_number, referring_physician FROM studies WHERE id = ?")
        .get(nih.studyIds[0]);
      expect(row).toEqual({ institution_name: null, accession_number: null, referring_physician: null });
    } finally {
      await other.close();
    }
  });

  it.skipIf(!hasTool("pdftotext"))("the PDF shows institution, accession and referrer (pdftotext)", async () => {
    const file = save(await h.reports.export(studyId, "pdf"));
    const text = execFileSync("pdftotext", ["-layout", file, "-"], { encoding: "utf8" }).replace(/\s+/g, " ");
    console.log(`pdftotext header: ${text.slice(0, 260)}`);
    expect(text).toContain("Accession exam Number");
    expect(text).toContain("Institution Philips Medical Systems Hamburg");
    expect(text).toContain("Referred by ward");
  });

  it("the plain text and FHIR carry them", async () => {
    const plain = Buffer.from((await h.reports.export(studyId, "text")).base64, "base64").toString("utf8");
    expect(plain).toContain("Accession:   exam Number");
    expect(plain).toContain("Institution: Philips Medical Systems Hamburg");
    expect(plain).toContain("Referred by: ward");
    const fhir = JSON.parse(Buffer.from((await h.reports.export(studyId, "fhir")).base64, "base64").toString("utf8"));
    expect(fhir.identifier).toContainEqual({
      type: {
        coding: [{ system: "http://terminology.hl7.org/CodeSystem/v2-0203", code: "ACSN", display: "Accession ID" }],
      },
      value: "exam Number",
    });
    expect(fhir.performer).toContainEqual({ display: "Philips Medical Systems Hamburg" });
    if (!medplumDefinitions) return;
    const issues = await medplumIssues(fhir);
    console.log(`medplum validateResource (with accession): ${issues.length} issues`);
    expect(issues.filter((i) => i.severity === "error")).toEqual([]);
  });

  it.skipIf(!hasTool("dcmdump") || !hasTool("dciodvfy"))(
    "the SR holds them (dcmdump) and dciodvfy finds no errors",
    async () => {
      const file = save(await h.reports.export(studyId, "dicom-sr"));
      const dump = execFileSync("dcmdump", ["+P", "0008,0050", "+P", "0008,0080", "+P", "0008,0090", file], {
        encoding: "utf8",
      });
      expect(dump).toContain("[exam Number]");
      expect(dump).toContain("[Philips Medical Systems Hamburg]");
      expect(dump).toContain("[ward]");
      const check = spawnSync("dciodvfy", [file], { encoding: "utf8" });
      const errors = `${check.stdout}\n${check.stderr}`.split("\n").filter((l) => /^Error/.test(l));
      console.log(`SR with the study header: dciodvfy ${errors.length} errors`);
      expect(errors).toEqual([]);
    },
  );
});
