/**
 * Critical results (issue 18.3) on real IU-Xray sentences: the configurable list (default pneumothorax and free air
 * wordings) marks the report critical, negated mentions do not; signing a critical report needs the communication
 * record, which goes into the audit log, the text, the SR and the FHIR export; the worklist lists critical first.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { renderDicomSr } from "../../../src-main/services/export/dicom-sr";
import { renderFhirDiagnosticReport } from "../../../src-main/services/export/fhir";
import { formatPlainText } from "../../../src-main/services/export/report-document";
import { criticalFindingsIn, DEFAULT_CRITICAL_FINDINGS } from "../../../src-main/services/language/critical-findings";
import { StudiesService } from "../../../src-main/services/studies/studies-service";
import { EMPTY_SECTIONS, type ReportSections } from "../../../src-shared/report-types";
import { iuSentence } from "../../support/fixed-report-test-engine";
import { dicomStudy, insertStudy, makeReportsHarness, signInRadiologist } from "../../support/report-fixtures";
import { closedAfterEach } from "../../support/vitest-fixtures";

const iu = iuSentence;
const sections = (findings: string, impression: string): ReportSections => ({
  ...EMPTY_SECTIONS,
  findings,
  impression,
});
const terms = (s: ReportSections, list = DEFAULT_CRITICAL_FINDINGS) => criticalFindingsIn(s, list).map((f) => f.term);

describe("criticalFindingsIn", () => {
  it("marks affirmed and hedged pneumothorax and free air, never negated mentions", () => {
    expect(terms(sections(iu("There is a moderate sized right pneumothorax."), "Right pneumothorax.")).sort()).toEqual([
      "pneumothorax",
      "pneumothorax",
    ]);
    expect(
      terms(sections(iu("XXXX lucency under the right hemidiaphragm may represent a focus of free air."), "")),
    ).toEqual(["free air"]);
    expect(
      terms(
        sections(iu("There is a left subphrenic crescentic lucency, this is concerning for pneumoperitoneum."), ""),
      ),
    ).toEqual(["pneumoperitoneum"]);
    for (const negated of [
      iu("There is no visible free intraperitoneal air under the diaphragm."),
      iu("No visible free air under the diaphragm."),
      iu("Negative for pneumoperitoneum."),
      "No pneumothorax or pleural effusion.",
    ]) {
      expect(terms(sections(negated, "Normal chest."))).toEqual([]);
    }
  });

  it("follows the configured list and the model's positive findings on it", () => {
    const s = sections(iu("There is moderate left pleural effusion and small right pleural effusion."), "Effusions.");
    expect(terms(s)).toEqual([]);
    expect(terms(s, ["pleural effusion"])).toEqual(["pleural effusion", "pleural effusion"]);
    const model = [{ name: "pneumothorax", probability: 0.9, threshold: 0.5, reliable: true, positive: true }];
    expect(criticalFindingsIn(sections("Clear lungs.", "Normal."), DEFAULT_CRITICAL_FINDINGS, model as never)).toEqual([
      { term: "pneumothorax", source: "model", section: null, start: 0, end: 0, text: "The model flags pneumothorax." },
    ]);
  });
});

describe("signing a critical report", () => {
  const closeLater = closedAfterEach();

  it("needs the communication record, which the audit log and every export carry; the worklist lists it first", async () => {
    const h = closeLater(makeReportsHarness());
    insertStudy(h.db, { ...dicomStudy("older-critical"), studyDate: "20200101" });
    insertStudy(h.db, { ...dicomStudy("newer-plain", "NIH_DX_chest_implicitLE.dcm"), studyDate: "20240101" });
    const signer = await signInRadiologist(h);
    const s = sections(iu("There is a moderate sized right pneumothorax."), "Moderate right pneumothorax.");
    const state = h.reports.save("older-critical", { sections: s, baseVersion: null, origin: "user" });
    expect(state.critical.findings.map((f) => [f.term, f.section])).toEqual([
      ["pneumothorax", "findings"],
      ["pneumothorax", "impression"],
    ]);
    const list = new StudiesService(h.db).list();
    expect(list.map((r) => [r.id, r.critical])).toEqual([
      ["older-critical", true],
      ["newer-plain", false],
    ]);

    const version = state.draft!.version;
    expect(() => h.reports.sign("older-critical", { version }, signer)).toThrow(
      "the report holds a critical result (pneumothorax): record to whom, how and when it was communicated before signing",
    );
    expect(() =>
      h.reports.sign(
        "older-critical",
        {
          version,
          criticalCommunication: { recipient: "", method: "phone", communicatedAt: "2026-12-03T13:05:00Z" },
        },
        signer,
      ),
    ).toThrow(/name whom the result was communicated to/);
    const told = {
      recipient: "Dr Ward (ED registrar)",
      method: "phone" as const,
      communicatedAt: "2026-12-03T13:05:00Z",
    };
    const signed = h.reports.sign("older-critical", { version, criticalCommunication: told }, signer);
    expect(signed.state.critical.communication).toEqual({
      ...told,
      findings: ["pneumothorax"],
      recordedBy: "Dr Anna Smith",
    });
    const audit = h.reports.audit("older-critical").find((e) => e.action === "report.critical-communicated");
    expect(audit).toMatchObject({ actor: "Dr Anna Smith", details: { ...told, findings: ["pneumothorax"] } });

    const doc = h.reports.document("older-critical");
    const note =
      "CRITICAL RESULT (pneumothorax): communicated to Dr Ward (ED registrar) by phone at 2026-12-03 13:05 UTC; recorded by Dr Anna Smith.";
    expect(formatPlainText(doc)).toContain(note);
    const sr = renderDicomSr(doc);
    expect(sr.toString("latin1")).toContain(note);
    // The critical SR is as valid as any other: dciodvfy 0 errors, dsrdump exit 0 with nothing on stderr.
    if (spawnSync("which", ["dciodvfy"]).status === 0 && spawnSync("which", ["dsrdump"]).status === 0) {
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "rd-critical-")), "critical.sr.dcm");
      fs.writeFileSync(file, sr);
      const check = spawnSync("dciodvfy", [file], { encoding: "utf8" });
      const errors = `${check.stdout}\n${check.stderr}`.split("\n").filter((l) => /^Error/.test(l));
      const dump = spawnSync("dsrdump", ["+Pl", file], { encoding: "utf8" });
      console.log(`critical SR: dciodvfy ${errors.length} errors; dsrdump exit ${dump.status}`);
      expect(errors).toEqual([]);
      expect(dump.status).toBe(0);
      expect(dump.stderr).toBe("");
      expect(dump.stdout).toContain(note);
    }
    const fhir = renderFhirDiagnosticReport(doc) as unknown as { presentedForm: Array<{ data: string }> };
    expect(Buffer.from(fhir.presentedForm[0]!.data, "base64").toString("utf8")).toContain(note);
    // A record is locked once written.
    expect(() => h.db.prepare("DELETE FROM critical_communications").run()).toThrow(/cannot be deleted/);
  });

  it("the list is a setting, audited", () => {
    const h = closeLater(makeReportsHarness());
    expect(h.reports.criticalFindings()).toEqual([...DEFAULT_CRITICAL_FINDINGS]);
    expect(h.reports.setCriticalFindings(["Pneumothorax", " tension pneumothorax ", "pneumothorax"])).toEqual([
      "pneumothorax",
      "tension pneumothorax",
    ]);
    expect(h.reports.criticalFindings()).toEqual(["pneumothorax", "tension pneumothorax"]);
  });
});
