/**
 * The harness's door, request by request: malformed URLs, oversized bodies (declared, chunked, 100-continue),
 * wrong methods, bad JSON and batches, and what error responses may say (a message and a code; never a stack or an
 * absolute path). Real services, a real SQLite database, the real HTTP server.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import Database from "better-sqlite3";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Harness, startHarness } from "../../../src-main/harness/harness-server";
import { setServerErrorLog } from "../../../src-main/ipc/trpc";
import { containsAbsolutePath } from "../../../src-main/security/redact";
import { createServices, type Services } from "../../../src-main/services";
import { signInAccount } from "../../support/accounts-fixtures";
import { errorEnvelope, type RawResponse, rawRequest } from "../../support/raw-http";

const repoRoot = path.resolve(import.meta.dirname, "..", "..", "..");
const sharedPng = path.join(repoRoot, "..", "shared", "data", "images");

let services: Services;
let harness: Harness;
let port: number;
let dataDir: string;
const serverLog: string[] = [];
let restoreLog: (line: string) => void;

const LIMIT = 64 * 1024;

beforeAll(async () => {
  const rendererDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-renderer-"));
  fs.writeFileSync(path.join(rendererDir, "index.html"), "<!doctype html><title>t</title>");
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-hardening-"));
  services = createServices({ dataDir, transport: "loopback", modelPackDir: null });
  restoreLog = setServerErrorLog((line) => serverLog.push(line));
  harness = await startHarness({
    services,
    rendererDir,
    port: 0,
    maxBodyBytes: LIMIT,
    log: (line) => serverLog.push(line),
  });
  port = Number(new URL(harness.origin).port);
  // The API and the file channel answer a signed-in account only (src-main/ipc/sign-in-gate.ts).
  await signInAccount(services.accounts);
});

afterAll(async () => {
  setServerErrorLog(restoreLog);
  await harness.close();
  services.close();
});

const hostLine = () => `Host: 127.0.0.1:${port}\r\n`;
const authLine = () => `Authorization: Bearer ${harness.token}\r\n`;

function get(target: string, extra = ""): Promise<RawResponse> {
  return rawRequest(port, { head: `GET ${target} HTTP/1.1\r\n${hostLine()}${extra}Connection: close\r\n\r\n` });
}

/** The given status with the JSON envelope, no stack and no absolute path. */
function expectRefusal(res: RawResponse, status: number, dataCode?: string): { message: string } {
  expect(res.status, res.body).toBe(status);
  const env = errorEnvelope(res);
  if (typeof env === "string") throw new Error(env);
  if (dataCode) expect(env.dataCode).toBe(dataCode);
  expect(res.body).not.toMatch(/"stack"|\n\s+at |node_modules/);
  expect(containsAbsolutePath(env.message), env.message).toBe(false);
  for (const secret of [repoRoot, dataDir, os.homedir()]) expect(res.body).not.toContain(secret);
  return env;
}

async function stillServes(): Promise<void> {
  const res = await get("/trpc/app.info", authLine());
  expect(res.status).toBe(200);
}

describe("harness: malformed URLs", () => {
  it("answers bad percent-encoding, NUL and control characters with 400 and keeps serving", async () => {
    const targets = [
      "/%zz",
      "/%",
      "/%c3%28",
      "/%00",
      "/index.html%00.png",
      "/files/%zz",
      "/files/%00",
      "/trpc/app.info%zz",
      "/trpc/app.info?input=%zz",
      "/%0a",
      "/%7f",
    ];
    for (const target of targets) {
      expectRefusal(await get(target, authLine()), 400, "BAD_REQUEST");
      await stillServes();
    }
  });

  it("refuses absolute-form and authority-form targets and a raw NUL in the request line", async () => {
    expectRefusal(await get("http://127.0.0.1/"), 400);
    expectRefusal(await get("//evil.example/x"), 400);
    const nul = await rawRequest(port, { head: Buffer.from(`GET /a\0b HTTP/1.1\r\n${hostLine()}\r\n`, "latin1") });
    expectRefusal(nul, 400);
    await stillServes();
  });

  it("answers an overlong URL with 414 and an overlong header block with 431", async () => {
    expectRefusal(await get(`/${"a".repeat(9000)}`), 414, "URI_TOO_LONG");
    expectRefusal(await get(`/${"a".repeat(20_000)}`), 431, "HEADERS_TOO_LARGE");
    expectRefusal(await get("/", `X-Big: ${"b".repeat(20_000)}\r\n`), 431, "HEADERS_TOO_LARGE");
    await stillServes();
  });
});

describe("harness: error responses", () => {
  it("every refusal carries a message and a code", async () => {
    expectRefusal(await get("/trpc/app.info"), 401, "UNAUTHORIZED");
    expectRefusal(await get("/trpc/app.info", `${authLine()}Origin: http://evil.example\r\n`), 403, "FORBIDDEN");
    expectRefusal(
      await rawRequest(port, { head: "GET / HTTP/1.1\r\nHost: attacker.example\r\nConnection: close\r\n\r\n" }),
      403,
    );
    expectRefusal(await get("/no-such-file.js"), 404, "NOT_FOUND");
    expectRefusal(await get("/trpc/no.such.procedure", authLine()), 404, "NOT_FOUND");
    expectRefusal(await get("/files/no-such-image", authLine()), 404, "NOT_FOUND");
    expectRefusal(
      await rawRequest(port, {
        head: `DELETE /trpc/app.info HTTP/1.1\r\n${hostLine()}${authLine()}Connection: close\r\n\r\n`,
      }),
      405,
      "METHOD_NOT_SUPPORTED",
    );
    // tRPC's own answer to a GET of a mutation: no query of that name.
    expectRefusal(await get("/trpc/app.ping", authLine()), 404, "NOT_FOUND");
  });

  it("tRPC error shapes have no stack (tRPC adds one outside production) and no paths", async () => {
    expect(process.env.NODE_ENV).not.toBe("production");
    const res = await rawRequest(port, {
      head:
        `POST /trpc/app.ping HTTP/1.1\r\n${hostLine()}${authLine()}Content-Type: application/json\r\n` +
        `Content-Length: 15\r\nConnection: close\r\n\r\n{"message": 42}`,
    });
    const env = expectRefusal(res, 400, "BAD_REQUEST");
    expect(env.message).toMatch(/invalid input for app\.ping: message:/);
    expect(JSON.parse(res.body).error.data.stack).toBeUndefined();
  });

  it("an image file that vanished after import is named by its file name only", async () => {
    const png = fs
      .readdirSync(sharedPng, { recursive: true })
      .map(String)
      .find((f) => f.endsWith(".png"));
    expect(png).toBeDefined();
    const copyDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-vanish-"));
    const copy = path.join(copyDir, "vanishing.png");
    fs.copyFileSync(path.join(sharedPng, png!), copy);
    const result = await services.importer.importPaths([copy]);
    const study = services.studies.get(result.studyIds[0]!);
    const imageId = study.images[0]!.id;
    fs.rmSync(copy);
    const res = await get(`/files/${imageId}`, authLine());
    const env = expectRefusal(res, 410, "GONE");
    expect(env.message).toContain("…/vanishing.png");
    expect(env.message).not.toContain(copyDir);
  });

  it("bad JSON, bad batch inputs and oversized batches are 400s", async () => {
    const post = (target: string, body: string, type = "application/json") =>
      rawRequest(port, {
        head:
          `POST ${target} HTTP/1.1\r\n${hostLine()}${authLine()}Content-Type: ${type}\r\n` +
          `Content-Length: ${Buffer.byteLength(body, "latin1")}\r\nConnection: close\r\n\r\n${body}`,
      });
    expectRefusal(await post("/trpc/app.ping", "{not json"), 400, "PARSE_ERROR");
    expectRefusal(await post("/trpc/app.ping", '{"message":"x"', "text/plain"), 400, "PARSE_ERROR");
    expectRefusal(await post("/trpc/app.ping?batch=1", "[1,2]"), 400, "BAD_REQUEST");
    expectRefusal(await post("/trpc/app.ping?batch=1", "\u00ff\u00fe", "application/json; charset=latin1"), 400);
    const many = Array.from({ length: 65 }, () => "app.info").join(",");
    expectRefusal(await get(`/trpc/${many}?batch=1`, authLine()), 400, "BAD_REQUEST");
    const ok = await get(`/trpc/app.info,inference.status?batch=1&input=${encodeURIComponent("{}")}`, authLine());
    expect(ok.status).toBe(200);
    await stillServes();
  });
});

describe("harness: body limits", () => {
  it("refuses a declared body over the limit before reading it (413)", async () => {
    const res = await rawRequest(port, {
      head:
        `POST /trpc/app.ping HTTP/1.1\r\n${hostLine()}${authLine()}Content-Type: application/json\r\n` +
        `Content-Length: ${200 * 1024 * 1024}\r\n\r\n`,
    });
    expectRefusal(res, 413, "PAYLOAD_TOO_LARGE");
    expect(res.bytesWritten).toBeLessThan(1024); // answered without a byte of the body
    await stillServes();
  });

  it("stops a chunked body as soon as it passes the limit (413), holding no more than the limit", async () => {
    const chunk = Buffer.from(`4000\r\n${"x".repeat(0x4000)}\r\n`, "latin1");
    let sent = 0;
    const res = await rawRequest(port, {
      head:
        `POST /trpc/app.ping HTTP/1.1\r\n${hostLine()}${authLine()}Content-Type: application/json\r\n` +
        "Transfer-Encoding: chunked\r\n\r\n",
      // Up to 64 MiB if the server kept reading; it answers after a little over 64 KiB.
      stream: () => (sent++ < 4096 ? chunk : null),
    });
    expectRefusal(res, 413, "PAYLOAD_TOO_LARGE");
    expect(res.bytesWritten).toBeLessThan(16 * 1024 * 1024);
    await stillServes();
  });

  it("answers Expect: 100-continue with 413 instead of 100 when the declared body is too large", async () => {
    const res = await rawRequest(port, {
      head:
        `POST /trpc/app.ping HTTP/1.1\r\n${hostLine()}${authLine()}Content-Type: application/json\r\n` +
        `Content-Length: ${LIMIT + 1}\r\nExpect: 100-continue\r\n\r\n`,
    });
    expect(res.interim).toEqual([]);
    expectRefusal(res, 413, "PAYLOAD_TOO_LARGE");
    const body = JSON.stringify({ message: "hello" });
    const ok = await rawRequest(port, {
      head:
        `POST /trpc/app.ping HTTP/1.1\r\n${hostLine()}${authLine()}Content-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\nExpect: 100-continue\r\nConnection: close\r\n\r\n${body}`,
    });
    expect(ok.status, ok.body).toBe(200);
    expect(JSON.parse(ok.body).result.data.message).toBe("hello");
  });

  it("a body cut off mid-way is a 400, or the connection closes; the server keeps serving", async () => {
    const res = await rawRequest(port, {
      head:
        `POST /trpc/app.ping HTTP/1.1\r\n${hostLine()}${authLine()}Content-Type: application/json\r\n` +
        'Content-Length: 100\r\n\r\n{"message":',
      endAfterWrite: true,
    });
    if (res.status !== null) expectRefusal(res, 400);
    await stillServes();
  });
});

describe("harness: a busy database", () => {
  it("maps SQLITE_BUSY after the busy timeout to a clear 409, never 'database is locked'", async () => {
    const other = new Database(path.join(dataDir, "cases.sqlite"));
    other.pragma("busy_timeout = 0");
    other.exec("BEGIN IMMEDIATE");
    try {
      const body = JSON.stringify({ findings: ["pneumothorax"] });
      const started = Date.now();
      const res = await rawRequest(port, {
        head:
          `POST /trpc/reports.setCriticalFindings HTTP/1.1\r\n${hostLine()}${authLine()}Content-Type: application/json\r\n` +
          `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
        timeoutMs: 20_000,
      });
      const env = expectRefusal(res, 409, "CONFLICT");
      expect(env.message).toMatch(/case database was busy/);
      expect(env.message).not.toMatch(/database is locked/i);
      expect(Date.now() - started).toBeGreaterThanOrEqual(4500); // it waited for the busy timeout first
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    await stillServes();
  }, 30_000);
});

describe("harness: the server log", () => {
  it("a server error answers with a message and a code; its stack goes to the server log only", async () => {
    expect(serverLog.filter((l) => l.startsWith("[server error]"))).toEqual([]); // nothing above was one
    services.db.pragma("query_only = ON"); // as when the disk turns read-only under the app
    try {
      const body = JSON.stringify({ findings: ["pneumothorax"] });
      const res = await rawRequest(port, {
        head:
          `POST /trpc/reports.setCriticalFindings HTTP/1.1\r\n${hostLine()}${authLine()}Content-Type: application/json\r\n` +
          `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`,
      });
      const env = expectRefusal(res, 500, "INTERNAL_SERVER_ERROR");
      expect(env.message).toMatch(/readonly/);
    } finally {
      services.db.pragma("query_only = OFF");
    }
    const logged = serverLog.filter((l) => l.startsWith("[server error] reports.setCriticalFindings"));
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/\n\s+at /); // the stack, with its paths, is in the log
  });
});
