/**
 * Signing sends the report back to the PACS (issue 16.4) against a real Orthanc: a study retrieved from the PACS is
 * signed and its DICOM SR is stored there (QIDO-RS finds it, WADO-RS gives back the exported bytes); an addendum is
 * a second SR that references the first; the PACS stopped while a report is signed leaves it signed and queued
 * ("unreachable"), then stored once when the PACS is back; local studies go to the default connection only when one
 * is set; and the workstation killed with kill -9 in the middle of a store loses no signed report and stores each once.
 */
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openCaseDatabase } from "../../src-main/db/database";
import { appRouter } from "../../src-main/ipc/router";
import { createCallerFactory } from "../../src-main/ipc/trpc";
import { createServices, type Services } from "../../src-main/services";
import { BASIC_TEXT_SR_SOP_CLASS } from "../../src-main/services/export/dicom-sr";
import { ENCAPSULATED_PDF_SOP_CLASS } from "../../src-main/services/export/encapsulated-pdf";
import type { DicomWebClient } from "../../src-main/services/pacs/dicomweb-client";
import { ANNA_CREDENTIAL, signInAccount } from "../support/accounts-fixtures";
import { type OrthancProcess, startOrthanc, stowFiles } from "../support/orthanc";
import { demoFiles, readHeader, sharedChestFiles } from "../support/pacs-fixtures";
import { launchJsonLines, orthancClient, orthancConnection, orthancEnv, outboxStates } from "../support/pacs-processes";

const require = createRequire(import.meta.url);
const dcmjs = require("dcmjs");

let pacs: OrthancProcess;
let client: DicomWebClient;
let services: Services;
let caller: ReturnType<ReturnType<typeof createCallerFactory<typeof appRouter>>>;
let connectionId: string;
/** StudyInstanceUIDs of the six demo studies on the PACS. */
const demoUids = [...new Set(demoFiles().map((f) => readHeader(f).studyInstanceUid))];

beforeAll(async () => {
  pacs = await startOrthanc();
  expect(await stowFiles(pacs, demoFiles())).toBe(200);
  client = orthancClient(pacs);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-pacs-sign-"));
  services = createServices({ dataDir, transport: "in-process", modelPackDir: null });
  caller = createCallerFactory(appRouter)({ services });
  // Before any call: the router answers a signed-in account only (src-main/ipc/sign-in-gate.ts).
  await signInAccount(services.accounts);
  connectionId = (await caller.pacs.addConnection(orthancConnection(pacs))).id;
});

afterAll(async () => {
  services?.close();
  await client?.close();
  await pacs?.stop();
});

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function writeAndSign(studyId: string, findings: string): Promise<void> {
  const saved = await caller.reports.save({
    studyId,
    sections: { indication: "", comparison: "", findings, impression: "No acute disease." },
    baseVersion: null,
    baseRevision: null,
    origin: "user",
  });
  await caller.reports.sign({ studyId, version: saved.draft?.version as number, credential: ANNA_CREDENTIAL });
}

async function srsOnPacs(studyUid: string) {
  return client.searchInstances(studyUid, [["SOPClassUID", BASIC_TEXT_SR_SOP_CLASS]]);
}

const readDataset = (bytes: Uint8Array) => {
  const ab = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  return dcmjs.data.DicomMetaDictionary.naturalizeDataset(dcmjs.data.DicomMessage.readFile(ab).dict);
};

describe("signing stores the report on the PACS", () => {
  it("a retrieved study's SR goes back to its PACS, byte for byte; an addendum is a new SR referencing the first", async () => {
    const uid = demoUids[0] as string;
    const { studyId } = await caller.pacs.retrieveStudy({ connectionId, studyInstanceUid: uid });
    await writeAndSign(studyId, "The lungs are clear.");
    const [queued] = await caller.pacs.outbox({ studyId });
    expect(queued).toMatchObject({ connectionId, studyInstanceUid: uid, studyId });
    await until("the SR stored", async () => (await caller.pacs.outbox({ studyId }))[0]?.state === "stored");
    const exported = Buffer.from((await caller.reports.export({ studyId, format: "dicom-sr" })).base64, "base64");
    const found = await srsOnPacs(uid);
    expect(found.map((d) => d["00080018"]?.Value?.[0])).toEqual([queued?.sopInstanceUid]);
    const series = found[0]?.["0020000E"]?.Value?.[0] as string;
    const back = Buffer.from(await client.retrieveInstance(uid, series, queued?.sopInstanceUid as string));
    expect(back.equals(exported)).toBe(true);
    const audit = await caller.reports.audit({ studyId });
    expect(audit.find((a) => a.action === "pacs.queued")?.details).toMatchObject({
      connectionId,
      sopInstanceUid: queued?.sopInstanceUid,
      message: "queued for Department PACS (the PACS the study came from)",
    });

    await caller.reports.addAddendum({
      studyId,
      text: "Compared with the prior: no change.",
      credential: ANNA_CREDENTIAL,
    });
    await until("both SRs stored", async () => {
      const entries = await caller.pacs.outbox({ studyId });
      return entries.length === 2 && entries.every((e) => e.state === "stored");
    });
    const [addendum] = await caller.pacs.outbox({ studyId }); // newest first
    expect(addendum?.sopInstanceUid).not.toBe(queued?.sopInstanceUid);
    const both = await srsOnPacs(uid);
    expect(both.map((d) => d["00080018"]?.Value?.[0]).sort()).toEqual(
      [queued?.sopInstanceUid, addendum?.sopInstanceUid].sort(),
    );
    const ds = readDataset(await client.retrieveInstance(uid, series, addendum?.sopInstanceUid as string));
    expect(ds.PredecessorDocumentsSequence[0].ReferencedSeriesSequence[0].ReferencedSOPSequence).toMatchObject([
      { ReferencedSOPClassUID: BASIC_TEXT_SR_SOP_CLASS, ReferencedSOPInstanceUID: queued?.sopInstanceUid },
    ]);
    console.log(`signed + addendum: 2 SRs on the PACS, the second references ${queued?.sopInstanceUid}`);
  });

  it("the PACS is down while the report is signed: signed locally, waiting visibly, stored once when it is back", async () => {
    const uid = demoUids[1] as string;
    const { studyId } = await caller.pacs.retrieveStudy({ connectionId, studyInstanceUid: uid });
    await pacs.stop();
    try {
      await writeAndSign(studyId, "Small left pleural effusion.");
      expect((await caller.reports.state({ studyId })).signed?.signedBy).toBe("Dr Anna Smith");
      await until("the entry waiting with the connection error", async () => {
        const [e] = await caller.pacs.outbox({ studyId });
        return e?.state === "pending" && /unreachable/.test(e.lastError ?? "");
      });
      const [waiting] = await caller.pacs.outbox({ studyId });
      console.log(`PACS down: "${waiting?.lastError}", next try ${waiting?.nextAttemptAt}`);
    } finally {
      await pacs.restart();
    }
    await until(
      "stored after the PACS came back",
      async () => (await caller.pacs.outbox({ studyId }))[0]?.state === "stored",
    );
    const [entry] = await caller.pacs.outbox({ studyId });
    expect((await srsOnPacs(uid)).map((d) => d["00080018"]?.Value?.[0])).toEqual([entry?.sopInstanceUid]);
    console.log(`stored after ${entry?.attempts} attempts`);
  });

  it("a local study goes to the default connection, and nowhere while none is set", async () => {
    const [first, second] = sharedChestFiles();
    const a = await services.importer.importPaths([first as string]);
    await writeAndSign(a.studyIds[0] as string, "Local study, no default PACS.");
    expect(await caller.pacs.outbox({ studyId: a.studyIds[0] as string })).toEqual([]);
    expect((await caller.pacs.connections()).defaultConnectionId).toBeNull();
    await caller.pacs.setDefaultConnection({ connectionId });
    expect((await caller.pacs.connections()).defaultConnectionId).toBe(connectionId);
    const b = await services.importer.importPaths([second as string]);
    const studyId = b.studyIds[0] as string;
    await writeAndSign(studyId, "Local study, default PACS set.");
    await until(
      "stored on the default PACS",
      async () => (await caller.pacs.outbox({ studyId }))[0]?.state === "stored",
    );
    const audit = await caller.reports.audit({ studyId });
    expect(audit.find((x) => x.action === "pacs.queued")?.details.message).toBe(
      "queued for Department PACS (the default PACS for local studies)",
    );
    const uid = (await caller.studies.get({ studyId })).studyInstanceUid as string;
    expect(await srsOnPacs(uid)).toHaveLength(1);
    await caller.pacs.setDefaultConnection({ connectionId: null });
    expect((await caller.pacs.connections()).defaultConnectionId).toBeNull();
  });

  it("with 'store PDF' on, the report also goes as Encapsulated PDF; SRs without their PDF get one at start", async () => {
    expect((await caller.pacs.connections()).connections[0]?.storePdf).toBe(false);
    await caller.pacs.updateConnection({
      connectionId,
      connection: {
        name: "Department PACS",
        baseUrl: pacs.dicomWebUrl,
        auth: { kind: "basic", username: pacs.user },
        storePdf: true,
      },
    });
    expect((await caller.pacs.connections()).connections[0]?.storePdf).toBe(true);
    await caller.pacs.setDefaultConnection({ connectionId });
    const imported = await services.importer.importPaths([sharedChestFiles()[2] as string]);
    const studyId = imported.studyIds[0] as string;
    await writeAndSign(studyId, "Local study, stored as SR and PDF.");
    await services.pacs.publisher.idle();
    await until("SR and PDF stored", async () => {
      const entries = await caller.pacs.outbox({ studyId });
      return entries.length === 2 && entries.every((e) => e.state === "stored");
    });
    const entries = await caller.pacs.outbox({ studyId });
    expect(entries.map((e) => e.kind).sort()).toEqual(["pdf", "sr"]);
    const pdfEntry = entries.find((e) => e.kind === "pdf");
    const uid = (await caller.studies.get({ studyId })).studyInstanceUid as string;
    const [found] = await client.searchInstances(uid, [["SOPInstanceUID", pdfEntry?.sopInstanceUid as string]]);
    const series = found?.["0020000E"]?.Value?.[0] as string;
    const ds = readDataset(await client.retrieveInstance(uid, series, pdfEntry?.sopInstanceUid as string));
    expect(ds.SOPClassUID).toBe(ENCAPSULATED_PDF_SOP_CLASS);
    expect(ds.MIMETypeOfEncapsulatedDocument).toBe("application/pdf");
    const pdf = Buffer.from(ds.EncapsulatedDocument[0]).subarray(0, ds.EncapsulatedDocumentLength);
    expect(pdf.subarray(0, 5).toString()).toBe("%PDF-");
    const exported = Buffer.from((await caller.reports.export({ studyId, format: "pdf" })).base64, "base64");
    expect(pdf.length).toBeGreaterThan(exported.length / 2); // the same report (pdfkit stamps no two files alike)

    // The SRs queued before "store PDF" was on (the tests above) lack their PDF: the start-up pass makes them.
    await services.pacs.publisher.reconcile((id) => services.reports.document(id));
    await until("every entry stored", async () =>
      (await caller.pacs.outbox({ connectionId })).every((e) => e.state === "stored"),
    );
    const all = await caller.pacs.outbox({ connectionId });
    const srs = all.filter((e) => e.kind === "sr");
    expect(all.filter((e) => e.kind === "pdf")).toHaveLength(srs.length);
    // The signed report and its addendum: two PDFs in that study, as for the SRs.
    const first = await caller.pacs.outbox({ studyId: srs.at(-1)?.studyId as string });
    expect(first.map((e) => e.kind).sort()).toEqual(["pdf", "pdf", "sr", "sr"]);
    console.log(`store PDF: ${srs.length} SRs, ${srs.length} Encapsulated PDFs on the PACS`);
    await caller.pacs.setDefaultConnection({ connectionId: null });
  });

  it("the workstation is killed with kill -9 mid-store: every signed report kept, each SR stored once", async () => {
    const uids = demoUids.slice(2);
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-pacs-sign-kill-"));
    const env = {
      ...process.env,
      RD_DATA_DIR: dataDir,
      ...orthancEnv(pacs),
      RD_STUDY_UIDS: uids.join(","),
      RD_EXPECT: String(uids.length),
    };
    const launch = (onLine: (msg: Record<string, number>, child: ChildProcess) => void) =>
      launchJsonLines("test/pacs/signing-process.ts", env, onLine).exited;
    const first = await launch((msg, child) => {
      if ((msg.sending ?? 0) >= 1 && (msg.stored ?? 0) >= 1) child.kill("SIGKILL");
    });
    expect(first.signal, first.stderr).toBe("SIGKILL");
    const db = openCaseDatabase(path.join(dataDir, "cases.sqlite"));
    const signed = (db.prepare("SELECT count(*) AS n FROM signed_reports").get() as { n: number }).n;
    db.close();
    const rows = outboxStates(dataDir);
    console.log(`kill -9 mid-store: ${signed} signed; outbox ${rows.map((r) => `${r.n} ${r.state}`).join(", ")}`);
    expect(signed).toBe(uids.length);
    expect(rows.reduce((n, r) => n + r.n, 0)).toBe(uids.length);
    expect(rows.find((r) => r.state === "sending")?.n ?? 0).toBeLessThanOrEqual(1);
    const second = await launch(() => {});
    expect(second.code, second.stderr).toBe(0);
    const reopened = openCaseDatabase(path.join(dataDir, "cases.sqlite"));
    const entries = reopened
      .prepare("SELECT study_instance_uid, sop_instance_uid, bytes FROM pacs_outbox")
      .all() as Array<{ study_instance_uid: string; sop_instance_uid: string; bytes: Buffer }>;
    reopened.close();
    for (const e of entries) {
      const found = await srsOnPacs(e.study_instance_uid);
      expect(found.map((d) => d["00080018"]?.Value?.[0])).toEqual([e.sop_instance_uid]);
      const series = found[0]?.["0020000E"]?.Value?.[0] as string;
      expect(
        Buffer.from(await client.retrieveInstance(e.study_instance_uid, series, e.sop_instance_uid)).equals(e.bytes),
      ).toBe(true);
    }
    console.log(`restart: ${entries.length} SRs on the PACS, each once, byte-identical`);
  });
});
