/**
 * The durable STOW-RS outbox against a real Orthanc: the PACS killed (SIGKILL) in the middle of storing a batch of
 * signed reports and started again later, and the process holding the outbox killed with kill -9 in the middle of a
 * store and started again: every report ends up stored, byte-identical, exactly once (QIDO-RS counts each SOP
 * Instance UID once and the SR count equals the queue), with the state and last error visible on the way.
 */
import type { ChildProcess } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BASIC_TEXT_SR_SOP_CLASS } from "../../src-main/services/export/dicom-sr";
import type { DicomWebClient } from "../../src-main/services/pacs/dicomweb-client";
import type { OutboxEntry } from "../../src-shared/pacs-types";
import { type OrthancProcess, startOrthanc, stowFiles } from "../support/orthanc";
import { demoFiles, readHeader, signedSr } from "../support/pacs-fixtures";
import { launchJsonLines, orthancClient, orthancEnv, outboxStates } from "../support/pacs-processes";
import { openPacsService } from "../support/pacs-service";

let pacs: OrthancProcess;
let client: DicomWebClient;

beforeAll(async () => {
  pacs = await startOrthanc();
  expect(await stowFiles(pacs, demoFiles())).toBe(200);
  client = orthancClient(pacs);
});

afterAll(async () => {
  await client?.close();
  await pacs?.stop();
});

/** `count` distinct signed SRs over the demo studies (distinct signed-report ids give distinct SOP Instance UIDs). */
function makeSrs(count: number, offset: number): Array<{ bytes: Buffer; sopInstanceUid: string; studyUid: string }> {
  const headers = demoFiles()
    .filter((f) => f.endsWith("PA.dcm"))
    .map(readHeader);
  return Array.from({ length: count }, (_, i) => {
    const h = headers[i % headers.length]!;
    const sr = signedSr(
      h,
      { findings: `Finding ${offset + i}: the lungs are clear.`, impression: "No acute disease." },
      offset + i,
    );
    return { ...sr, studyUid: h.studyInstanceUid };
  });
}

async function srCountOnPacs(): Promise<number> {
  return (
    await client.searchInstances(null, [
      ["SOPClassUID", BASIC_TEXT_SR_SOP_CLASS],
      ["limit", "1000"],
    ])
  ).length;
}

async function expectStoredOnceAndIdentical(srs: ReturnType<typeof makeSrs>): Promise<void> {
  for (const sr of srs) {
    const found = await client.searchInstances(sr.studyUid, [["SOPInstanceUID", sr.sopInstanceUid]]);
    expect(found, sr.sopInstanceUid).toHaveLength(1);
    const series = found[0]!["0020000E"]!.Value![0] as string;
    const back = await client.retrieveInstance(sr.studyUid, series, sr.sopInstanceUid);
    expect(Buffer.from(back).equals(sr.bytes)).toBe(true);
  }
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe("STOW-RS outbox", () => {
  it("the PACS is killed mid-batch and comes back: every report stored once, the wait visible meanwhile", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-outbox-a-"));
    const srs = makeSrs(20, 100);
    let killed: Promise<void> | null = null;
    const seen: OutboxEntry[] = [];
    const { db, service } = openPacsService(dataDir, (e) => {
      seen.push(e);
      if (e.state === "stored" && !killed) killed = pacs.kill();
    });
    try {
      const before = await srCountOnPacs();
      const { id: connectionId } = service.addConnection({
        name: "Test PACS",
        baseUrl: pacs.dicomWebUrl,
        auth: { kind: "basic", username: pacs.user, password: pacs.password },
      });
      for (const sr of srs) service.storeReport({ bytes: sr.bytes, sopInstanceUid: sr.sopInstanceUid, connectionId });
      // Enqueueing the same report again is the same entry.
      const again = service.storeReport({ bytes: srs[0]!.bytes, sopInstanceUid: srs[0]!.sopInstanceUid, connectionId });
      expect(service.listOutbox().length).toBe(20);
      expect(again.sopInstanceUid).toBe(srs[0]!.sopInstanceUid);
      service.start();
      await until("the PACS to be killed", () => killed !== null);
      await killed;
      await until("an entry waiting with the connection error", () =>
        service
          .listOutbox()
          .some((e) => e.state === "pending" && /unreachable/.test(e.lastError ?? "") && e.attempts >= 2),
      );
      const waiting = service.listOutbox().filter((e) => e.state !== "stored");
      console.log(
        `PACS killed: ${20 - waiting.length} stored, ${waiting.length} waiting; e.g. "${waiting[0]?.lastError}" after ${waiting[0]?.attempts} attempts`,
      );
      expect(waiting.length).toBeGreaterThan(0);
      await new Promise((r) => setTimeout(r, 500));
      await pacs.restart();
      await until("every entry stored", () => service.listOutbox().every((e) => e.state === "stored"));
      const total = service.listOutbox().reduce((n, e) => n + e.attempts, 0);
      console.log(`after the restart: 20 stored with ${total} attempts in all; ${seen.length} state changes seen`);
      expect((await srCountOnPacs()) - before).toBe(20);
      await expectStoredOnceAndIdentical(srs);
    } finally {
      await service.close();
      db.close();
    }
  });

  it("the process holding the outbox is killed with kill -9 mid-store: after a restart nothing is lost or doubled", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-outbox-b-"));
    const srDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-outbox-srs-"));
    const srs = makeSrs(20, 200);
    for (const [i, sr] of srs.entries())
      fs.writeFileSync(path.join(srDir, `${String(i).padStart(2, "0")}.dcm`), sr.bytes);
    const before = await srCountOnPacs();
    const env = {
      ...process.env,
      RD_DATA_DIR: dataDir,
      RD_SR_DIR: srDir,
      ...orthancEnv(pacs),
    };
    const launch = (onLine: (msg: { state?: string; done?: boolean }, child: ChildProcess) => void) =>
      launchJsonLines("test/pacs/outbox-process.ts", env, onLine);
    // First run: kill -9 as soon as a store is in flight after at least one entry was stored.
    let stored = 0;
    const first = launch((msg, child) => {
      if (msg.state === "stored") stored++;
      if (msg.state === "sending" && stored >= 3) child.kill("SIGKILL");
    });
    const end1 = await first.exited;
    expect(end1.signal, end1.stderr).toBe("SIGKILL");
    const rows = outboxStates(dataDir);
    console.log(`killed -9 mid-store: outbox ${rows.map((r) => `${r.n} ${r.state}`).join(", ")}`);
    expect(rows.reduce((n, r) => n + r.n, 0)).toBe(20);
    expect(rows.find((r) => r.state === "sending")?.n ?? 0).toBeLessThanOrEqual(1);
    // Second run: the same queue (re-enqueueing the same files is idempotent) drains to stored.
    const notes: string[] = [];
    const second = launch((msg) => {
      const m = msg as { state?: string; lastError?: string | null };
      if (m.state === "stored" && m.lastError) notes.push(m.lastError);
    });
    const end2 = await second.exited;
    expect(end2.code, end2.stderr).toBe(0);
    console.log(`restart: all stored; notes: ${notes.join(" | ") || "(none)"}`);
    expect((await srCountOnPacs()) - before).toBe(20);
    await expectStoredOnceAndIdentical(srs);
  });

  it("an instance an interrupted try had already stored is found by QIDO-RS and not sent again", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-outbox-c-"));
    const [sr] = makeSrs(1, 300);
    const file = path.join(dataDir, "sr.dcm");
    fs.writeFileSync(file, sr!.bytes);
    const { db, service } = openPacsService(dataDir);
    try {
      const { id: connectionId } = service.addConnection({
        name: "Test PACS",
        baseUrl: pacs.dicomWebUrl,
        auth: { kind: "basic", username: pacs.user, password: pacs.password },
      });
      const entry = service.storeReport({ bytes: sr!.bytes, sopInstanceUid: sr!.sopInstanceUid, connectionId });
      await service.outbox.idle();
      // As if the process had died after the PACS stored it and before the answer was recorded:
      db.prepare(
        "UPDATE pacs_outbox SET state = 'pending', attempts = 1, stored_at = NULL, next_attempt_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?",
      ).run(entry.id);
      expect(await stowFiles(pacs, [file])).toBe(200);
      service.outbox.kick();
      await until("stored", () => service.outbox.get(entry.id).state === "stored");
      expect(service.outbox.get(entry.id)).toMatchObject({
        attempts: 2,
        lastError: "found on the PACS (an earlier try had stored it)",
      });
    } finally {
      await service.close();
      db.close();
    }
  });

  it("wrong credentials fail visibly; fixing the connection sends the report", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-outbox-d-"));
    const [sr] = makeSrs(1, 400);
    const { db, service } = openPacsService(dataDir);
    try {
      const { id: connectionId } = service.addConnection({
        name: "Test PACS",
        baseUrl: pacs.dicomWebUrl,
        auth: { kind: "basic", username: pacs.user, password: "wrong" },
      });
      const entry = service.storeReport({ bytes: sr!.bytes, sopInstanceUid: sr!.sopInstanceUid, connectionId });
      await until("failed", () => service.outbox.get(entry.id).state === "failed");
      expect(service.outbox.get(entry.id).lastError).toMatch(/answered 401.*wrong or missing credentials/);
      expect(() => service.removeConnection(connectionId)).toThrow(/1 signed report\(s\) still wait in the outbox/);
      expect(() =>
        service.storeReport({ bytes: makeSrs(1, 401)[0]!.bytes, sopInstanceUid: sr!.sopInstanceUid, connectionId }),
      ).toThrow(/carry SOP Instance UID .*, not/);
      service.updateConnection(connectionId, {
        name: "Test PACS",
        baseUrl: pacs.dicomWebUrl,
        auth: { kind: "basic", username: pacs.user, password: pacs.password },
      });
      await until("stored", () => service.outbox.get(entry.id).state === "stored");
      expect(db.prepare("DELETE FROM pacs_outbox WHERE state = 'stored'").run().changes).toBe(1);
    } finally {
      await service.close();
      db.close();
    }
  });
});
