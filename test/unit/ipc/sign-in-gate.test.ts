/**
 * No account, no API (issue 18.1, src-main/ipc/sign-in-gate.ts): with nobody signed in, the real router
 * (createCaller) and the real loopback harness (HTTP, WebSocket) answer only the sign-in screens' procedures
 * (OPEN_PROCEDURES); every other procedure, and the file channel, is refused with UNAUTHORIZED naming it, and nothing
 * is written or audited. Signed in, the same read, draft save and image answer; a locked session still counts as
 * signed in (the autosave after the lock is kept, under the account), signing does not. Real services, a real SQLite
 * database, a real PNG.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { createTRPCUntypedClient, createWSClient, wsLink } from "@trpc/client";
import { TRPCError } from "@trpc/server";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type Harness, startHarness } from "../../../src-main/harness/harness-server";
import { appRouter } from "../../../src-main/ipc/router";
import { OPEN_PROCEDURES } from "../../../src-main/ipc/sign-in-gate";
import { createCallerFactory } from "../../../src-main/ipc/trpc";
import { createServices, type Services } from "../../../src-main/services";
import { listProcedures } from "../../../src-shared/contract";
import { EMPTY_SECTIONS } from "../../../src-shared/report-types";
import { ANNA_ACCOUNT, ANNA_CREDENTIAL, ANNA_NAME } from "../../support/accounts-fixtures";

const SHARED_IMAGES = path.resolve(import.meta.dirname, "..", "..", "..", "..", "shared", "data", "images");

let services: Services;
let harness: Harness;
let caller: ReturnType<ReturnType<typeof createCallerFactory<typeof appRouter>>>;
let png: string;

beforeAll(async () => {
  const rendererDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-renderer-"));
  fs.writeFileSync(path.join(rendererDir, "index.html"), "<!doctype html><title>t</title>");
  services = createServices({
    dataDir: fs.mkdtempSync(path.join(os.tmpdir(), "rd-gate-")),
    transport: "loopback",
    modelPackDir: null,
  });
  caller = createCallerFactory(appRouter)({ services });
  harness = await startHarness({ services, rendererDir, port: 0 });
  const found = fs
    .readdirSync(SHARED_IMAGES, { recursive: true })
    .map(String)
    .find((f) => f.endsWith(".png"));
  if (!found) throw new Error(`no PNG under ${SHARED_IMAGES}`);
  png = path.join(SHARED_IMAGES, found);
});

afterAll(async () => {
  await harness?.close();
  services?.close();
});

/** The error a call ends with ("ok" when it answered). */
const outcome = (p: Promise<unknown>): Promise<string> =>
  p.then(
    () => "ok",
    (e: unknown) => (e instanceof TRPCError ? `${e.code}: ${e.message}` : `not a TRPCError: ${String(e)}`),
  );

function procedureAt(p: string): (input: unknown) => Promise<unknown> {
  const [ns, name] = p.split(".") as [string, string];
  // biome-ignore lint/suspicious/noExplicitAny: walking the router by path.
  return (caller as any)[ns][name];
}

const auth = () => ({ authorization: `Bearer ${harness.token}` });
const auditCount = () => (services.db.prepare("SELECT COUNT(*) AS n FROM audit_log").get() as { n: number }).n;
const httpGet = (target: string) => fetch(`${harness.origin}${target}`, { headers: auth() });
const saveInput = (studyId: string, findings: string, base: { version: number; revision: number } | null) => ({
  studyId,
  sections: { ...EMPTY_SECTIONS, findings },
  baseVersion: base?.version ?? null,
  baseRevision: base?.revision ?? null,
  origin: "user" as const,
});

describe("no account, no API", () => {
  let studyId = "";
  let imageId = "";
  let draft: { version: number; revision: number } | null = null;

  it("the open procedures are few, exist, and each says why it is open", () => {
    const all = new Set(listProcedures().map(([p]) => p));
    for (const [p, why] of Object.entries(OPEN_PROCEDURES)) {
      expect(all.has(p), `${p} is not a procedure`).toBe(true);
      expect(why.length).toBeGreaterThan(10);
    }
    expect(Object.keys(OPEN_PROCEDURES).every((p) => p.startsWith("accounts.") || p.startsWith("app."))).toBe(true);
    expect(Object.keys(OPEN_PROCEDURES)).not.toContain("accounts.list");
    expect(Object.keys(OPEN_PROCEDURES)).not.toContain("accounts.setIdleLock");
  });

  it("refuses every other procedure while nobody is signed in, before reading its input, and writes nothing", async () => {
    expect(services.accounts.session()).toMatchObject({ firstRun: true, account: null });
    const before = auditCount();
    let refused = 0;
    for (const [p] of listProcedures()) {
      if (Object.hasOwn(OPEN_PROCEDURES, p)) continue;
      // An input no procedure accepts: the gate answers first, so it says nothing about the input's shape.
      expect(await outcome(procedureAt(p)(12345)), p).toBe(`UNAUTHORIZED: ${p} needs a signed-in account`);
      refused++;
    }
    expect(refused).toBeGreaterThan(50);
    // A read, an import and a draft save with valid input: refused the same way.
    expect(await outcome(caller.studies.list({}))).toBe("UNAUTHORIZED: studies.list needs a signed-in account");
    expect(await outcome(caller.import.paths({ paths: [png] }))).toBe(
      "UNAUTHORIZED: import.paths needs a signed-in account",
    );
    expect(await outcome(caller.reports.save(saveInput("any-study", "typed by nobody", null)))).toBe(
      "UNAUTHORIZED: reports.save needs a signed-in account",
    );
    expect(await outcome(caller.keyBindings.get())).toBe("UNAUTHORIZED: keyBindings.get needs a signed-in account");
    expect(auditCount()).toBe(before);
    expect(services.studies.list({})).toEqual([]);
    // The open ones answer.
    expect(await caller.app.ping({ message: "hi" })).toMatchObject({ message: "hi" });
    expect((await caller.accounts.session()).firstRun).toBe(true);
  });

  it("over HTTP: a procedure and the file channel answer 401 with the message, the open ones 200", async () => {
    const res = await httpGet(`/trpc/studies.list?input=${encodeURIComponent("{}")}`);
    expect(res.status).toBe(401);
    const body = (await res.json()) as { error: { message: string; data: { code: string } } };
    expect(body.error).toMatchObject({
      message: "studies.list needs a signed-in account",
      data: { code: "UNAUTHORIZED" },
    });
    const file = await httpGet("/files/any-image");
    expect(file.status).toBe(401);
    expect(await file.json()).toMatchObject({
      error: { message: "the file channel needs a signed-in account", data: { code: "UNAUTHORIZED" } },
    });
    expect((await httpGet("/files/thumbnail/any-study")).status).toBe(401);
    expect((await httpGet("/trpc/app.info")).status).toBe(200);
    expect((await httpGet("/trpc/accounts.session")).status).toBe(200);
  });

  it("over the WebSocket: the events subscription is refused", async () => {
    const wsClient = createWSClient({
      url: `${harness.origin.replace("http", "ws")}/trpc-ws?token=${harness.token}`,
      WebSocket: WebSocket as never,
    });
    try {
      const client = createTRPCUntypedClient({ links: [wsLink({ client: wsClient })] });
      const refusal = await new Promise<string>((resolve) => {
        client.subscription("events.onEvent", undefined, {
          onData: () => resolve("an event arrived"),
          onError: (e) => resolve(e.message),
        });
      });
      expect(refusal).toBe("events.onEvent needs a signed-in account");
    } finally {
      wsClient.close();
    }
  });

  it("signed in (the first account, over the API): the read, the draft save and the image answer, audited", async () => {
    await caller.accounts.create(ANNA_ACCOUNT);
    const imported = await caller.import.paths({ paths: [png] });
    studyId = imported.studyIds[0]!;
    expect((await caller.studies.list({})).map((s) => s.id)).toContain(studyId);
    const study = await caller.studies.get({ studyId });
    imageId = study.images[0]!.id;
    const saved = await caller.reports.save(saveInput(studyId, "Typed by Anna.", null));
    expect(saved.saved).toBe(true);
    draft = { version: saved.draft!.version, revision: saved.draft!.revision };

    const res = await httpGet(`/files/${encodeURIComponent(imageId)}`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe("image/png");
    expect(Buffer.from(await res.arrayBuffer()).equals(fs.readFileSync(png))).toBe(true);
    const trpc = await httpGet(`/trpc/studies.list?input=${encodeURIComponent("{}")}`);
    expect(trpc.status).toBe(200);

    // Every edit is audited under the account (the first account's own creation comes just before its sign-in).
    const unaudited = services.db
      .prepare("SELECT action FROM audit_log WHERE account_id IS NULL AND action <> 'account.created'")
      .all();
    expect(unaudited).toEqual([]);
    const names = services.db
      .prepare("SELECT DISTINCT account_name AS name FROM audit_log WHERE study_id = ?")
      .all(studyId) as Array<{ name: string }>;
    expect(names).toEqual([{ name: ANNA_NAME }]);
  });

  it("locked still counts as signed in: the autosave after the lock is kept under the account; signing is not", async () => {
    await caller.accounts.lock();
    expect(services.accounts.session()).toMatchObject({ locked: true, account: { username: "anna" } });
    const saved = await caller.reports.save(saveInput(studyId, "Typed by Anna, saved just after the lock.", draft));
    expect(saved.saved).toBe(true);
    expect((await httpGet(`/files/${encodeURIComponent(imageId)}`)).status).toBe(200);
    const last = services.db
      .prepare("SELECT account_name AS name FROM audit_log WHERE study_id = ? ORDER BY id DESC LIMIT 1")
      .get(studyId) as { name: string };
    expect(last.name).toBe(ANNA_NAME);
    // Signing demands an unlocked session (and the password), as before.
    const signing = await outcome(
      caller.reports.sign({ studyId, version: saved.draft!.version, credential: ANNA_CREDENTIAL }),
    );
    expect(signing).toMatch(/^UNAUTHORIZED: the session locked/);
    await caller.accounts.unlock(ANNA_CREDENTIAL);
    expect(services.accounts.session().locked).toBe(false);
  });

  it("signed out: refused again, the image too", async () => {
    await caller.accounts.signOut();
    expect(await outcome(caller.studies.get({ studyId }))).toBe("UNAUTHORIZED: studies.get needs a signed-in account");
    expect(await outcome(caller.reports.save(saveInput(studyId, "Typed by nobody.", draft)))).toBe(
      "UNAUTHORIZED: reports.save needs a signed-in account",
    );
    expect((await httpGet(`/files/${encodeURIComponent(imageId)}`)).status).toBe(401);
    // Signing in again opens it.
    await caller.accounts.signIn({ username: ANNA_ACCOUNT.username, password: ANNA_ACCOUNT.password });
    expect((await caller.studies.get({ studyId })).id).toBe(studyId);
  });
});
