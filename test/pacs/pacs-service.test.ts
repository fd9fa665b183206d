/**
 * The PACS service against a real Orthanc (authentication on, loopback only): connections as settings with secrets
 * kept out of the database, Test connection, QIDO-RS search with every filter and paging, WADO-RS retrieval into the
 * cache (byte-identical, progress, cancel, resume, offline when cached), through the IPC router and its contract.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "../../src-main/ipc/router";
import { createCallerFactory } from "../../src-main/ipc/trpc";
import { containsAbsolutePath } from "../../src-main/security/redact";
import { createServices, type Services } from "../../src-main/services";
import { FileSecretStore, SECRETS_FILE } from "../../src-main/services/pacs/secret-store";
import type { AppEvent } from "../../src-shared/domain";
import { signInAccount } from "../support/accounts-fixtures";
import { freePort, type OrthancProcess, startOrthanc, startTlsProxy, stowFiles } from "../support/orthanc";
import { demoFiles, HIP_FILE, readHeader, sharedChestFiles } from "../support/pacs-fixtures";

let pacs: OrthancProcess;
let services: Services;
let caller: ReturnType<ReturnType<typeof createCallerFactory<typeof appRouter>>>;
let dataDir: string;
let connectionId: string;
const events: AppEvent[] = [];

beforeAll(async () => {
  pacs = await startOrthanc();
  const started = performance.now();
  expect(await stowFiles(pacs, [...demoFiles(), ...sharedChestFiles(), HIP_FILE])).toBe(200);
  console.log(
    `STOW-RS of ${demoFiles().length + sharedChestFiles().length + 1} instances: ${(performance.now() - started).toFixed(0)} ms`,
  );
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-pacs-svc-"));
  services = createServices({ dataDir, transport: "in-process", modelPackDir: null });
  services.events.subscribe((e) => events.push(e));
  caller = createCallerFactory(appRouter)({ services });
  // The router answers a signed-in account only (src-main/ipc/sign-in-gate.ts).
  await signInAccount(services.accounts);
});

afterAll(async () => {
  services?.close();
  await pacs?.stop();
});

describe("PACS connections as settings", () => {
  it("adds a connection; the password is in a 0600 file, never in the case database", async () => {
    const added = await caller.pacs.addConnection({
      name: "Test PACS",
      baseUrl: `${pacs.dicomWebUrl}/`,
      auth: { kind: "basic", username: pacs.user, password: pacs.password },
    });
    connectionId = added.id;
    expect(added).toMatchObject({
      name: "Test PACS",
      baseUrl: pacs.dicomWebUrl,
      auth: { kind: "basic", username: pacs.user, hasSecret: true },
      hasCaCertificate: false,
    });
    const listed = await caller.pacs.connections();
    expect(listed.connections.map((c) => c.id)).toEqual([connectionId]);
    expect(JSON.stringify(listed)).not.toContain(pacs.password);
    const file = path.join(dataDir, SECRETS_FILE);
    expect(fs.statSync(file).mode & 0o777).toBe(0o600);
    expect(fs.statSync(dataDir).isDirectory()).toBe(true);
    // Nothing in the database file (nor its WAL) holds the password.
    services.db.pragma("wal_checkpoint(TRUNCATE)");
    for (const f of fs.readdirSync(dataDir).filter((n) => n.startsWith("cases.sqlite"))) {
      expect(fs.readFileSync(path.join(dataDir, f)).includes(Buffer.from(pacs.password)), f).toBe(false);
    }
  });

  it("refuses a secrets file that others can read, and bad input with a message naming the field", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-secrets-"));
    const store = new FileSecretStore(dir);
    store.set("pacs-000000000001", "s3cret");
    expect(fs.statSync(store.file).mode & 0o777).toBe(0o600);
    expect(store.get("pacs-000000000001")).toBe("s3cret");
    fs.chmodSync(store.file, 0o644);
    expect(() => store.get("pacs-000000000001")).toThrow(
      /^the PACS secrets file \(pacs-secrets.json in the data folder\) can be read by other users \(mode 644\): run chmod 600/,
    );
    // Errors name the problem, never the absolute path (they reach the UI and the logs).
    fs.chmodSync(store.file, 0o600);
    fs.writeFileSync(store.file, "{not json");
    for (const run of [() => store.get("pacs-000000000001"), () => store.set("pacs-000000000002", "x")]) {
      const message = (() => {
        try {
          run();
          return "";
        } catch (error) {
          return (error as Error).message;
        }
      })();
      expect(message).toMatch(/PACS secrets file .* is damaged/);
      expect(containsAbsolutePath(message), message).toBe(false);
    }
    fs.rmSync(store.file);
    fs.chmodSync(dir, 0o500);
    try {
      const message = (() => {
        try {
          store.set("pacs-000000000001", "x");
          return "";
        } catch (error) {
          return (error as Error).message;
        }
      })();
      // root ignores the folder's mode: then the write succeeds and there is nothing to check
      if (message) {
        expect(message).toMatch(/^cannot write the PACS secrets file \(pacs-secrets.json in the data folder\): EACCES/);
        expect(containsAbsolutePath(message), message).toBe(false);
      }
    } finally {
      fs.chmodSync(dir, 0o700);
    }
    await expect(
      caller.pacs.addConnection({ name: "x", baseUrl: "ftp://pacs", auth: { kind: "none" } }),
    ).rejects.toThrow(/the URL must be http or https/);
    await expect(
      caller.pacs.addConnection({ name: "x", baseUrl: "http://u:p@pacs/dicom-web", auth: { kind: "none" } }),
    ).rejects.toThrow(/credentials in the authentication fields/);
    await expect(
      caller.pacs.addConnection({
        name: "x",
        baseUrl: "http://pacs",
        auth: { kind: "none" },
        caCertificate: "-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----",
      }),
    ).rejects.toThrow(/not a PEM certificate/);
    await expect(
      caller.pacs.addConnection({ name: "x", baseUrl: "http://pacs", auth: { kind: "basic", username: "u" } }),
    ).rejects.toThrow(/give the password/);
  });

  it("Test connection: OK with the right password, 401 with a wrong one, unreachable on a closed port", async () => {
    const ok = await caller.pacs.testConnection({ connectionId });
    expect(ok.ok, ok.message).toBe(true);
    console.log(`Test connection: ${ok.message}`);
    const wrong = await caller.pacs.testConnection({
      connection: {
        name: "w",
        baseUrl: pacs.dicomWebUrl,
        auth: { kind: "basic", username: pacs.user, password: "nope" },
      },
    });
    expect(wrong).toMatchObject({ ok: false, status: 401 });
    expect(wrong.message).toMatch(/answered 401.*wrong or missing credentials/);
    expect(wrong.message).not.toContain("nope");
    const port = await freePort();
    const down = await caller.pacs.testConnection({
      connection: { name: "d", baseUrl: `http://127.0.0.1:${port}/dicom-web`, auth: { kind: "none" } },
    });
    expect(down).toMatchObject({ ok: false, status: null });
    expect(down.message).toBe(`http://127.0.0.1:${port}/dicom-web/studies is unreachable (connection refused)`);
  });

  it("updates a connection keeping the stored password when none is given, and removes one", async () => {
    const other = await caller.pacs.addConnection({
      name: "Other",
      baseUrl: pacs.dicomWebUrl,
      auth: { kind: "bearer", token: "tok-123" },
    });
    const renamed = await caller.pacs.updateConnection({
      connectionId,
      connection: { name: "Department PACS", baseUrl: pacs.dicomWebUrl, auth: { kind: "basic", username: pacs.user } },
    });
    expect(renamed).toMatchObject({ name: "Department PACS", auth: { hasSecret: true } });
    expect((await caller.pacs.testConnection({ connectionId })).ok).toBe(true);
    expect(await caller.pacs.removeConnection({ connectionId: other.id })).toEqual({ removed: true });
    expect(new FileSecretStore(dataDir).get(other.id)).toBeNull();
    await expect(caller.pacs.removeConnection({ connectionId: other.id })).rejects.toMatchObject({ code: "NOT_FOUND" });
  });
});

describe("QIDO-RS study search", () => {
  it("finds the chest radiograph studies (CR, DX by default), with filters and paging", async () => {
    const all = await caller.pacs.searchStudies({ connectionId, modalities: [] });
    const chest = await caller.pacs.searchStudies({ connectionId });
    const demo = await caller.pacs.searchStudies({ connectionId, patientName: "SYNTHETIC^IU" });
    console.log(`QIDO-RS: ${all.studies.length} studies, ${chest.studies.length} CR/DX, ${demo.studies.length} demo`);
    expect(all.studies.length).toBe(11); // 6 demo + 4 shared chest + 1 hip
    expect(chest.studies.length).toBe(11);
    expect(demo.studies).toHaveLength(6);
    expect((await caller.pacs.searchStudies({ connectionId, modalities: ["CT"] })).studies).toHaveLength(0);
    const pa = readHeader(demoFiles()[0] as string);
    // A space in the name is sent as the one-character wildcard (Orthanc does not decode %20).
    const byName = await caller.pacs.searchStudies({ connectionId, patientName: pa.patientName!.replace("^", " ") });
    expect(byName.studies.map((s) => s.studyInstanceUid)).toEqual([pa.studyInstanceUid]);
    const byId = await caller.pacs.searchStudies({ connectionId, patientId: pa.patientId! });
    expect(byId.studies).toHaveLength(1);
    expect(byId.studies[0]).toMatchObject({
      studyInstanceUid: pa.studyInstanceUid,
      patientId: pa.patientId,
      accessionNumber: pa.accessionNumber,
      modalities: ["DX"],
      seriesCount: 2,
      instanceCount: 2,
      cached: "no",
      localStudyId: null,
    });
    const byAccession = await caller.pacs.searchStudies({ connectionId, accessionNumber: pa.accessionNumber! });
    expect(byAccession.studies).toHaveLength(1);
    const inRange = await caller.pacs.searchStudies({ connectionId, dateFrom: "2004-08-01", dateTo: "2004-08-31" });
    expect(inRange.studies.map((s) => s.studyDate)).toEqual(["20040826", "20040826"]); // RG1 and the hip
    const page1 = await caller.pacs.searchStudies({ connectionId, patientName: "SYNTHETIC*", limit: 4, offset: 0 });
    const page2 = await caller.pacs.searchStudies({ connectionId, patientName: "SYNTHETIC*", limit: 4, offset: 4 });
    expect(page1).toMatchObject({ limit: 4, offset: 0, more: true });
    expect(page1.studies).toHaveLength(4);
    expect(page2.studies).toHaveLength(2);
    expect(page2.more).toBe(false);
    const uids = [...page1.studies, ...page2.studies].map((s) => s.studyInstanceUid);
    expect(new Set(uids).size).toBe(6);
    await expect(caller.pacs.searchStudies({ connectionId, patientName: "a&b=c" })).rejects.toThrow(
      /use letters, digits, spaces/,
    );
  });
});

describe("WADO-RS retrieval into the local cache", () => {
  it("retrieves a study byte-identical, imports it, reports progress, and opens it offline once cached", async () => {
    const files = demoFiles().slice(0, 2);
    const header = readHeader(files[0] as string);
    events.length = 0;
    const started = performance.now();
    const result = await caller.pacs.retrieveStudy({
      connectionId,
      studyInstanceUid: header.studyInstanceUid,
      jobId: "retrieve-1",
    });
    console.log(`WADO-RS retrieve + import of 2 instances: ${(performance.now() - started).toFixed(0)} ms`);
    expect(result).toMatchObject({ fetched: 2, cached: 0, skipped: 0, offline: false, importFailures: [] });
    const study = await caller.studies.get({ studyId: result.studyId });
    expect(study.studyInstanceUid).toBe(header.studyInstanceUid);
    expect(study.images).toHaveLength(2);
    expect(study.images.map((i) => i.view).sort()).toEqual(["frontal", "lateral"]);
    for (const source of files) {
      const h = readHeader(source);
      const cachedFile = study.images.find((i) => i.sopInstanceUid === h.sopInstanceUid)?.filePath as string;
      expect(fs.readFileSync(cachedFile).equals(fs.readFileSync(source))).toBe(true);
    }
    const progress = events.filter((e) => e.type === "job-progress" && e.jobId === "retrieve-1");
    expect(progress.length).toBeGreaterThan(1);
    expect(events.some((e) => e.type === "studies-changed" && e.studyIds.includes(result.studyId))).toBe(true);
    const listed = await caller.pacs.searchStudies({ connectionId, patientId: header.patientId! });
    expect(listed.studies[0]).toMatchObject({ cached: "complete", localStudyId: result.studyId });
    // The PACS goes away: the cached study still opens, without a request.
    await pacs.stop();
    try {
      const again = await caller.pacs.retrieveStudy({ connectionId, studyInstanceUid: header.studyInstanceUid });
      expect(again).toMatchObject({ studyId: result.studyId, offline: true, fetched: 0, cached: 2 });
      await expect(caller.pacs.searchStudies({ connectionId })).rejects.toThrow(/unreachable \(connection refused\)/);
    } finally {
      await pacs.restart();
    }
  });

  it("cancels a retrieval and resumes it without fetching what was cached", async () => {
    // The shared CRs are single-instance studies; a multi-instance study for this: the demo studies' 12 instances
    // under one new study would need rewriting, so use a 2-instance demo study and cancel after the first instance.
    const files = demoFiles().slice(2, 4);
    const header = readHeader(files[0] as string);
    const jobId = "retrieve-cancel";
    const off = services.events.subscribe((e) => {
      if (e.type === "job-progress" && e.jobId === jobId && e.total > 0 && e.done === 1)
        services.pacs.cancelRetrieve(jobId);
    });
    const cancelled = await caller.pacs
      .retrieveStudy({ connectionId, studyInstanceUid: header.studyInstanceUid, jobId })
      .then(
        () => null,
        (e: unknown) => e,
      );
    off();
    // Either the cancel landed after the first instance (then the cache holds 1) or, on a very fast machine, after
    // both were already written; both leave whole files only.
    const folder = path.join(dataDir, "pacs-cache", connectionId, header.studyInstanceUid);
    const cachedBefore = fs.readdirSync(folder).filter((f) => f.endsWith(".dcm"));
    expect(fs.readdirSync(folder).filter((f) => f.endsWith(".part"))).toEqual([]);
    if (cancelled) {
      expect(cancelled).toMatchObject({ code: "CLIENT_CLOSED_REQUEST" });
      expect((cancelled as Error).message).toMatch(/cancelled; it resumes where it stopped/);
    }
    const resumed = await caller.pacs.retrieveStudy({ connectionId, studyInstanceUid: header.studyInstanceUid });
    console.log(`cancel then resume: ${cachedBefore.length} cached before, fetched ${resumed.fetched} on resume`);
    expect(resumed.cached).toBe(cachedBefore.length);
    expect(resumed.fetched).toBe(2 - cachedBefore.length);
    expect((await caller.studies.get({ studyId: resumed.studyId })).images).toHaveLength(2);
  });

  it("names an unknown study, and refuses a bad UID at the contract", async () => {
    await expect(caller.pacs.retrieveStudy({ connectionId, studyInstanceUid: "1.2.3.4.5" })).rejects.toThrow(
      /Department PACS has no study 1\.2\.3\.4\.5/,
    );
    await expect(caller.pacs.retrieveStudy({ connectionId, studyInstanceUid: "../../etc" })).rejects.toMatchObject({
      code: "BAD_REQUEST",
    });
  });
});

describe("TLS with a custom CA", () => {
  it("trusts the PACS's certificate only with the connection's CA", async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-tls-"));
    const run = (...args: string[]) => execFileSync("openssl", args, { cwd: dir, stdio: "pipe" });
    run(
      "req",
      "-x509",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "ca.key",
      "-out",
      "ca.pem",
      "-days",
      "2",
      "-subj",
      "/CN=RD Test CA",
    );
    run(
      "req",
      "-newkey",
      "rsa:2048",
      "-nodes",
      "-keyout",
      "server.key",
      "-out",
      "server.csr",
      "-subj",
      "/CN=127.0.0.1",
    );
    fs.writeFileSync(path.join(dir, "ext.cnf"), "subjectAltName=IP:127.0.0.1\n");
    run(
      "x509",
      "-req",
      "-in",
      "server.csr",
      "-CA",
      "ca.pem",
      "-CAkey",
      "ca.key",
      "-CAcreateserial",
      "-out",
      "server.pem",
      "-days",
      "2",
      "-extfile",
      "ext.cnf",
    );
    const proxy = await startTlsProxy(pacs, {
      cert: fs.readFileSync(path.join(dir, "server.pem"), "utf8"),
      key: fs.readFileSync(path.join(dir, "server.key"), "utf8"),
    });
    const secure = { dicomWebUrl: proxy.dicomWebUrl, user: pacs.user, password: pacs.password };
    try {
      const ca = fs.readFileSync(path.join(dir, "ca.pem"), "utf8");
      const auth = { kind: "basic" as const, username: secure.user, password: secure.password };
      const withCa = await caller.pacs.testConnection({
        connection: { name: "tls", baseUrl: secure.dicomWebUrl, auth, caCertificate: ca },
      });
      expect(withCa.ok, withCa.message).toBe(true);
      const without = await caller.pacs.testConnection({
        connection: { name: "tls", baseUrl: secure.dicomWebUrl, auth },
      });
      expect(without.ok).toBe(false);
      expect(without.message).toMatch(/TLS failed \(.*\); check the URL and the CA certificate/);
      console.log(`TLS: with the CA "${withCa.message}"; without it "${without.message}"`);
    } finally {
      await proxy.close();
    }
  });
});
