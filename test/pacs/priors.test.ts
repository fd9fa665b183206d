/**
 * Priors (issue 16.3) against a real Orthanc: for a study retrieved from the PACS, the same patient's earlier studies
 * on the PACS and on this workstation (matched by Patient ID, issuer, and name where no issuer is known), newest
 * first, with where the signed report is; a prior's SR read back with dcmjs; the local ones still listed while the
 * PACS is down. The prior studies are demo files rewritten with dcmtk's dcmodify (new UIDs, other dates or names).
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "../../src-main/ipc/router";
import { createCallerFactory } from "../../src-main/ipc/trpc";
import { createServices, type Services } from "../../src-main/services";
import { ANNA_CREDENTIAL, signInAccount } from "../support/accounts-fixtures";
import { type OrthancProcess, startOrthanc, stowFiles } from "../support/orthanc";
import { demoFiles, readHeader, signedSr } from "../support/pacs-fixtures";
import { orthancConnection } from "../support/pacs-processes";

let pacs: OrthancProcess;
let services: Services;
let caller: ReturnType<ReturnType<typeof createCallerFactory<typeof appRouter>>>;
let connectionId: string;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "rd-priors-"));
const current = demoFiles()[0] as string; // a PA view
const currentHeader = readHeader(current);

/** A copy of the current study's PA view as another study of the same patient (or, with `name`, of another one). */
function derived(name: string, changes: { date: string; description: string; patientName?: string }): string {
  const file = path.join(work, `${name}.dcm`);
  fs.copyFileSync(current, file);
  const m = [`(0008,0020)=${changes.date}`, `(0008,1030)=${changes.description}`];
  if (changes.patientName) m.push(`(0010,0010)=${changes.patientName}`);
  execFileSync("dcmodify", ["-nb", "-gst", "-gse", "-gin", ...m.flatMap((x) => ["-m", x]), file]);
  return file;
}

const onPacs = derived("prior-2014", { date: "2014-01-01", description: "CHEST PA 2014" });
const later = derived("later-2030", { date: "20300101", description: "CHEST PA 2030" });
const otherPatient = derived("other-2012", {
  date: "20120101",
  description: "CHEST PA other patient",
  patientName: "OTHER^PERSON",
});
const localOnly = derived("local-2013", { date: "2013-06-01", description: "CHEST PA 2013 (local)" });

beforeAll(async () => {
  pacs = await startOrthanc();
  const sr = signedSr(readHeader(onPacs), { findings: "Prior: the lungs are clear.", impression: "Normal chest." });
  const srFile = path.join(work, "prior-sr.dcm");
  fs.writeFileSync(srFile, sr.bytes);
  expect(await stowFiles(pacs, [...demoFiles(), onPacs, later, otherPatient, srFile])).toBe(200);
  services = createServices({
    dataDir: fs.mkdtempSync(path.join(os.tmpdir(), "rd-priors-data-")),
    transport: "in-process",
    modelPackDir: null,
  });
  caller = createCallerFactory(appRouter)({ services });
  // The router answers a signed-in account only (src-main/ipc/sign-in-gate.ts); she also signs the local prior.
  await signInAccount(services.accounts);
  connectionId = (await caller.pacs.addConnection(orthancConnection(pacs))).id;
});

afterAll(async () => {
  services?.close();
  await pacs?.stop();
});

describe("priors", () => {
  it("lists the patient's earlier studies from the PACS and this workstation, newest first, with their reports", async () => {
    const local = await services.importer.importPaths([localOnly]);
    const localId = local.studyIds[0] as string;
    const saved = await caller.reports.save({
      studyId: localId,
      sections: { indication: "", comparison: "", findings: "Local prior: clear lungs.", impression: "Normal." },
      baseVersion: null,
      baseRevision: null,
      origin: "user",
    });
    await caller.reports.sign({
      studyId: localId,
      version: saved.draft?.version as number,
      credential: ANNA_CREDENTIAL,
    });
    const { studyId } = await caller.pacs.retrieveStudy({
      connectionId,
      studyInstanceUid: currentHeader.studyInstanceUid,
    });

    const result = await caller.pacs.priors({ studyId });
    console.log(
      `priors of ${currentHeader.patientId}: ${result.priors.map((p) => `${p.studyDate} ${p.source} report:${p.report}`).join("; ")}; warnings: ${result.warnings.join(" | ")}`,
    );
    expect(result.patientId).toBe(currentHeader.patientId);
    expect(
      result.priors.map((p) => ({ date: p.studyDate, source: p.source, report: p.report, desc: p.description })),
    ).toEqual([
      { date: "2014-01-01", source: "pacs", report: "pacs-sr", desc: "CHEST 2 VIEWS" },
      { date: "2013-06-01", source: "local", report: "local", desc: "CHEST PA 2013 (local)" },
    ]);
    expect(result.priors[0]).toMatchObject({
      connectionId,
      connectionName: "Department PACS",
      localStudyId: null,
      studyInstanceUid: readHeader(onPacs).studyInstanceUid,
    });
    expect(result.priors[1]?.localStudyId).toBe(localId);
    expect(result.warnings).toEqual([
      `1 other study with Patient ID ${currentHeader.patientId} belongs to another patient (issuer or name differs) and is not listed`,
    ]);

    // The PACS prior's report, read from its SR.
    const report = await caller.pacs.studyReport({
      connectionId,
      studyInstanceUid: readHeader(onPacs).studyInstanceUid,
    });
    expect(report).toMatchObject({ verified: true, complete: true, verifiedBy: "Test Radiologist" });
    expect(report.sections).toEqual(
      expect.arrayContaining([
        { heading: "Findings", text: "Prior: the lungs are clear." },
        { heading: "Impressions", text: "Normal chest." },
      ]),
    );
    await expect(
      caller.pacs.studyReport({ connectionId, studyInstanceUid: currentHeader.studyInstanceUid }),
    ).rejects.toThrow(/Department PACS has no report \(SR\) in study/);

    // Retrieved, the PACS prior opens locally.
    const opened = await caller.pacs.retrieveStudy({
      connectionId,
      studyInstanceUid: readHeader(onPacs).studyInstanceUid,
    });
    const again = await caller.pacs.priors({ studyId });
    expect(again.priors[0]).toMatchObject({ source: "pacs", localStudyId: opened.studyId, report: "pacs-sr" });
    expect(again.priors).toHaveLength(2);
  });

  it("with the PACS down, the local priors are listed and the PACS is a warning", async () => {
    const studyId = (
      await caller.pacs.retrieveStudy({ connectionId, studyInstanceUid: currentHeader.studyInstanceUid })
    ).studyId;
    await pacs.stop();
    try {
      const result = await caller.pacs.priors({ studyId });
      // The retrieved 2014 study is local now; the 2013 one always was.
      expect(result.priors.map((p) => [p.studyDate, p.source])).toEqual([
        ["2014-01-01", "local"],
        ["2013-06-01", "local"],
      ]);
      expect(result.warnings.join("\n")).toMatch(/^Department PACS: .* is unreachable \(connection refused\)/);
    } finally {
      await pacs.restart();
    }
  });
});
