/**
 * Issue 18.1 through the reports service on real SQLite: once an account exists it is the signer. Signing and
 * addenda need its password or PIN; the audit log names the account; the PDF (pdftotext), the SR (Verifying
 * Observer and Person Observer Name as the account's PN components, dciodvfy/dsrdump) and FHIR (resultsInterpreter
 * with the account as identifier) carry it.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { insertAudit } from "../../../src-main/db/audit-log";
import { renderDicomSr } from "../../../src-main/services/export/dicom-sr";
import { ACCOUNT_SYSTEM, renderFhirDiagnosticReport } from "../../../src-main/services/export/fhir";
import { exportReport } from "../../../src-main/services/export/report-export";
import { EMPTY_SECTIONS } from "../../../src-shared/report-types";
import { ADA_ACCOUNT as ADA } from "../../support/accounts-fixtures";
import { dicomStudy, insertStudy, makeReportsHarness, type ReportsHarness } from "../../support/report-fixtures";

const hasTool = (t: string) => spawnSync("which", [t]).status === 0;

let open: ReportsHarness[] = [];
afterEach(() => {
  for (const h of open) h.close();
  open = [];
});

describe("signing as a local account", () => {
  it("needs the password or PIN, and every export and the audit log carry the account", async () => {
    const h = makeReportsHarness();
    open.push(h);
    const accounts = h.accounts;
    insertStudy(h.db, dicomStudy("s1"));
    await accounts.create(ADA);
    expect(h.reports.signer()).toEqual({ name: "Dr. Ada Reviewer", source: "account" });
    const sections = { ...EMPTY_SECTIONS, findings: "The lungs are clear.", impression: "No acute disease." };
    const { draft } = h.reports.save("s1", { sections, baseVersion: null, origin: "user" });
    const version = draft!.version;
    expect(() => h.reports.sign("s1", { version })).toThrow(/needs your password or PIN/);
    await expect(
      h.reports.signWithCredential("s1", { version, credential: { password: "wrong one" } }),
    ).rejects.toThrow("wrong password");
    expect(h.reports.state("s1").signed).toBeNull();
    const signed = await h.reports.signWithCredential("s1", { version, credential: { pin: "4711" } });
    expect(signed.state.signed).toMatchObject({
      signedBy: "Dr. Ada Reviewer",
      signedByAccount: { username: "ada", dicomName: "Reviewer^Ada^^Dr." },
    });
    await expect(h.reports.addAddendumWithCredential("s1", "Addendum text.", { pin: "0000" })).rejects.toThrow(
      "wrong PIN",
    );
    await h.reports.addAddendumWithCredential("s1", "Addendum text.", { password: ADA.password });
    const audit = h.reports.audit("s1");
    expect(audit.find((e) => e.action === "report.signed")).toMatchObject({
      actor: "Dr. Ada Reviewer",
      details: { account: "ada" },
    });
    expect(audit.find((e) => e.action === "report.addendum")).toMatchObject({ details: { account: "ada" } });

    const doc = h.reports.document("s1");
    const fhir = renderFhirDiagnosticReport(doc) as unknown as Record<string, unknown>;
    expect(fhir.resultsInterpreter).toEqual([
      { display: "Dr. Ada Reviewer", identifier: { system: ACCOUNT_SYSTEM, value: "ada" } },
    ]);
    const sr = renderDicomSr(doc);
    // The PN value appears as the account's components (Verifying Observer Name, Person Observer Name).
    expect(sr.toString("latin1").split("Reviewer^Ada^^Dr.").length - 1).toBeGreaterThanOrEqual(2);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-account-sign-"));
    if (hasTool("dciodvfy") && hasTool("dsrdump")) {
      const file = path.join(dir, "report.sr.dcm");
      fs.writeFileSync(file, sr);
      const check = spawnSync("dciodvfy", [file], { encoding: "utf8" });
      const errors = `${check.stdout}\n${check.stderr}`.split("\n").filter((l) => /^Error/.test(l));
      const dump = spawnSync("dsrdump", ["+Pl", file], { encoding: "utf8" });
      console.log(`account-signed SR: dciodvfy ${errors.length} errors; dsrdump exit ${dump.status}`);
      expect(errors).toEqual([]);
      expect(dump.status).toBe(0);
      expect(dump.stdout).toContain("Reviewer^Ada^^Dr.");
    }
    if (hasTool("pdftotext")) {
      const pdf = await exportReport(doc, "pdf");
      const file = path.join(dir, "report.pdf");
      fs.writeFileSync(file, pdf.bytes);
      const text = execFileSync("pdftotext", [file, "-"], { encoding: "utf8" }).replace(/\s+/g, " ");
      expect(text).toContain("Electronically signed by Dr. Ada Reviewer");
    }
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the audit log records the account (id and name) for every edit, restore, sign and addendum", async () => {
    const h = makeReportsHarness();
    open.push(h);
    insertStudy(h.db, dicomStudy("s3"));
    const ada = await h.accounts.create(ADA);
    const first = { ...EMPTY_SECTIONS, findings: "The lungs are clear.", impression: "No acute disease." };
    const v1 = h.reports.save("s3", { sections: first, baseVersion: null, origin: "user" }).draft!;
    const second = { ...first, findings: "The lungs are clear. No effusion." };
    const v2 = h.reports.save("s3", { sections: second, baseVersion: v1.version, origin: "user", asNewVersion: true })
      .draft!;
    h.reports.restore("s3", v1.version);
    const latest = h.reports.state("s3").draft!;
    await h.reports.signWithCredential("s3", { version: latest.version, credential: { pin: ADA.pin } });
    await h.reports.addAddendumWithCredential("s3", "Addendum text.", { pin: ADA.pin });
    const audit = h.reports.audit("s3");
    const byAction = (action: string) => audit.filter((e) => e.action === action);
    expect(byAction("report.edited").map((e) => e.details.version)).toEqual([v1.version, v2.version]);
    expect(byAction("report.restored")).toHaveLength(1);
    const account = { id: ada.id, name: "Dr. Ada Reviewer" };
    for (const action of ["report.edited", "report.restored", "report.signed", "report.addendum"])
      for (const e of byAction(action)) expect(e.account, action).toEqual(account);
    // Signed out: the entry has no account (the column stays NULL, never a stale name).
    h.accounts.signOut();
    const raw = h.db.prepare("SELECT account_id, account_name FROM audit_log ORDER BY id DESC LIMIT 1").get();
    expect(raw).toEqual({ account_id: ada.id, account_name: "Dr. Ada Reviewer" }); // account.signed-out, by Ada
    insertAudit(h.db, "system", "test.no-account", null, {});
    expect(h.db.prepare("SELECT account_id, account_name FROM audit_log ORDER BY id DESC LIMIT 1").get()).toEqual({
      account_id: null,
      account_name: null,
    });
  });

  it("refuses to sign while the session is locked (idle)", async () => {
    let clock = 5_000_000;
    const h = makeReportsHarness({ now: () => clock });
    open.push(h);
    insertStudy(h.db, dicomStudy("s2"));
    await h.accounts.create(ADA);
    const sections = { ...EMPTY_SECTIONS, findings: "The lungs are clear.", impression: "No acute disease." };
    const { draft } = h.reports.save("s2", { sections, baseVersion: null, origin: "user" });
    clock += (h.accounts.idleLockSeconds() + 1) * 1000;
    await expect(
      h.reports.signWithCredential("s2", { version: draft!.version, credential: { pin: "4711" } }),
    ).rejects.toThrow(/session locked after 900 s idle/);
  });
});
