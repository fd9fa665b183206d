/**
 * Seeded, deterministic fuzzing of a real harness process (`npm run serve`'s code, in a child process): over a
 * thousand malformed requests on raw sockets — bad request lines, bad headers, bad percent-encoding, NUL and
 * control bytes, huge URLs and headers, lying or endless bodies, bad JSON and batch bodies, wrong methods and
 * WebSocket upgrades — with and without the token. After every one the server must still answer a good request.
 * Each answer must be a 4xx with the JSON envelope {message, code} (or no answer at all: a closed connection),
 * never a 5xx, never a stack, never an absolute path; no mutation may ever run (inputs are invalid by
 * construction, checked against the contract's schemas). FUZZ_SEED and FUZZ_COUNT change the run.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { containsAbsolutePath } from "../../../src-main/security/redact";
import { SeededRandom } from "../../../src-main/services/retrieval/seeded-random";
import { listProcedures } from "../../../src-shared/contract";
import { type HarnessProcess, startSignedInHarnessProcess } from "../../support/harness-process";
import { errorEnvelope, type RawRequestOptions, rawRequest } from "../../support/raw-http";

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_202);
const COUNT = Number(process.env.FUZZ_COUNT ?? 1200);
const BODY_LIMIT = 64 * 1024;
const repoRoot = path.resolve(import.meta.dirname, "..", "..", "..");

let harness: HarnessProcess;
let port: number;
let dataDir: string;

beforeAll(async () => {
  const rendererDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-renderer-"));
  fs.writeFileSync(path.join(rendererDir, "index.html"), "<!doctype html><title>t</title>");
  fs.mkdirSync(path.join(rendererDir, "assets"));
  fs.writeFileSync(path.join(rendererDir, "assets", "app.js"), "export {};");
  dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-fuzz-"));
  // Signed in (--demo-account): what lies behind the sign-in gate (src-main/ipc/sign-in-gate.ts) is fuzzed too.
  harness = await startSignedInHarnessProcess(dataDir, [
    "--no-demo-studies",
    "--model-pack",
    "none",
    "--renderer-dir",
    rendererDir,
    "--max-body-bytes",
    String(BODY_LIMIT),
  ]);
  port = Number(new URL(harness.origin).port);
});

afterAll(async () => {
  await harness?.stop();
});

const procedures = listProcedures();
const schemaOf = new Map(procedures.map(([p, d]) => [p, d]));

interface FuzzCase {
  family: string;
  request: RawRequestOptions;
  /** Mutations named in the request, their batch index and input: each input must fail the contract's schema. */
  mutationInputs: Array<[string, unknown, number]>;
}

function makeFuzzer(seed: number, token: string) {
  const random = new SeededRandom(seed);
  const rnd = () => random.next();
  const int = (n: number) => random.int(n);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  const chance = (p: number) => rnd() < p;
  const randomBytes = (n: number) => Buffer.from(Array.from({ length: n }, () => int(256)));
  const hostHeader = () => `Host: 127.0.0.1:${port}\r\n`;

  const badPercent = ["%zz", "%", "%0", "%e0%80", "%c3%28", "%00", "%0d%0a", "%ff", "%ed%a0%80", "%%", "%g1"];
  const basePaths = [
    "/",
    "/index.html",
    "/assets/app.js",
    "/trpc/app.info",
    "/trpc/app.ping",
    "/trpc/import.paths",
    "/trpc/reports.sign",
    "/trpc/studies.list",
    "/files/img-1",
    "/files/",
    "/trpc-ws",
    "/trpc/",
  ];
  const methods = ["GET", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "FOO", "get", "PROPFIND"];
  const authHeaders = (): string =>
    pick([
      "",
      `Authorization: Bearer ${token}\r\n`,
      `Authorization: Bearer ${token}\r\n`,
      "Authorization: Bearer wrong-token\r\n",
      "Authorization: Bearer \r\n",
      `Authorization: Basic ${Buffer.from("a:b").toString("base64")}\r\n`,
      `Authorization: Bearer ${token}x\r\n`,
      `Authorization: Bearer ${token.slice(1)}\r\n`,
    ]);
  /** Mostly the right token: what lies behind the token check is fuzzed too. */
  const mostlyToken = () => (chance(0.7) ? `Authorization: Bearer ${token}\r\n` : authHeaders());
  const nastyValues: unknown[] = [
    null,
    0,
    -1,
    1e308,
    true,
    "",
    "\u0000",
    "x".repeat(5000),
    [],
    [1, [2, [3]]],
    JSON.parse('{"__proto__": {"polluted": true}}'),
    { constructor: { prototype: { polluted: true } } },
    { studyId: 5 },
    { studyId: "", extra: 1 },
    { paths: [] },
    { paths: [5] },
    { message: 42 },
    { message: "x".repeat(1001) },
    { name: "" },
    { "0": { "0": null } },
  ];
  /** A value the procedure's schema refuses (queries may get anything; mutations must never get a valid input). */
  const invalidInputFor = (procedure: string): unknown => {
    const def = schemaOf.get(procedure);
    for (let i = 0; i < 20; i++) {
      const v = pick(nastyValues);
      if (!def?.input.safeParse(v).success) return v;
    }
    return 12345;
  };
  const randomProcedure = () =>
    chance(0.8) ? pick(procedures)[0] : pick(["no.such", "app", "..", "app.info.x", "__proto__.x", "a".repeat(300)]);

  const mutate = (p: string): string => {
    switch (int(12)) {
      case 0:
        return p + pick(badPercent);
      case 1:
        return `${p}/${pick(badPercent)}/x`;
      case 2:
        return `${p}/${pick(["../../etc/passwd", "..%2f..%2fetc%2fpasswd", "%2e%2e/%2e%2e/", "..\\..\\x", "....//"])}`;
      case 3:
        return `/${"a".repeat(pick([8200, 9000, 15_000, 17_000, 40_000]))}`;
      case 4:
        return p + String.fromCharCode(pick([0, 1, 8, 9, 11, 12, 27, 127]));
      case 5:
        return p + String.fromCharCode(0x80 + int(0x80)) + String.fromCharCode(0x80 + int(0x80));
      case 6:
        return pick(["*", "http://127.0.0.1/", "//evil.example/x", "evil.example:80", "", "?x", "\\\\x"]);
      case 7:
        return `${p}?input=${pick(["%zz", "{", "%7B%22a%22", "null", encodeURIComponent('{"0":1}'), "%00"])}`;
      case 8:
        return `${p}?batch=1&input=${encodeURIComponent(JSON.stringify(pick(nastyValues)))}`;
      case 9:
        return `${p}${" ".repeat(1 + int(2))}x`;
      case 10:
        return p.replace(/\//g, "%2f");
      default:
        return p;
    }
  };

  const family = (): FuzzCase => {
    const f = int(11);
    const mutationInputs: Array<[string, unknown, number]> = [];
    if (f === 0) {
      // Bad request lines.
      const line = pick([
        "GET\r\n",
        "GET /\r\n",
        "GET / HTTP/9.9\r\n",
        "GET / HTTP/1.1 extra\r\n",
        "GET  /  HTTP/1.1\r\n",
        " GET / HTTP/1.1\r\n",
        "GET / HTTP/1.1\n",
        "GET / HTTP/1.1\r",
        "\r\n\r\n",
        "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
        "G\u0000T / HTTP/1.1\r\n",
        `${"A".repeat(20_000)} / HTTP/1.1\r\n`,
      ]);
      return {
        family: "request-line",
        request: { head: `${line}${hostHeader()}\r\n`, endAfterWrite: true },
        mutationInputs,
      };
    }
    if (f === 1) {
      // Random bytes, or a TLS ClientHello, on the plain port.
      const head = chance(0.2)
        ? Buffer.from("16030100a5010000a10303", "hex")
        : Buffer.concat([randomBytes(1 + int(400)), Buffer.from("\r\n\r\n")]);
      return { family: "garbage", request: { head, endAfterWrite: true }, mutationInputs };
    }
    if (f === 2) {
      // Bad headers.
      const bad = pick([
        "NoColonHere\r\n",
        "Bad Name: x\r\n",
        "X-Nul: a\u0000b\r\n",
        "X-CR: a\rb\r\n",
        `X-Big: ${"b".repeat(17_000)}\r\n`,
        Array.from({ length: 2500 }, (_, i) => `X-${i}: y\r\n`).join(""),
        "X-Fold: a\r\n  folded\r\n",
        "Content-Length: 5\r\nContent-Length: 6\r\n",
        "Content-Length: abc\r\n",
        "Content-Length: -1\r\n",
        "Content-Length: 1e3\r\n",
        "Transfer-Encoding: chunked\r\nContent-Length: 3\r\n",
        "Transfer-Encoding: gzip\r\n",
        "Transfer-Encoding: chunked, chunked\r\n",
        ": empty-name\r\n",
        `Host: 127.0.0.1:${port}\r\n`, // a second Host
        "Host: attacker.example\r\n",
        "Origin: http://evil.example\r\n",
        "Origin: null\r\n",
        "Expect: 200-ok\r\n",
        "Content-Type: multipart/form-data; boundary=x\r\n",
        `Cookie: ${"c=1; ".repeat(500)}\r\n`,
      ]);
      const target = pick(basePaths);
      return {
        family: "header",
        request: {
          head: `${pick(["GET", "POST"])} ${target} HTTP/1.1\r\n${hostHeader()}${authHeaders()}${bad}Connection: close\r\n\r\n`,
          endAfterWrite: true,
        },
        mutationInputs,
      };
    }
    if (f === 3 || f === 4) {
      // Mutated targets, any method, with or without the token.
      const target = mutate(pick(basePaths));
      const method = pick(methods);
      return {
        family: "target",
        request: {
          head: Buffer.from(
            `${method} ${target} HTTP/1.1\r\n${hostHeader()}${authHeaders()}Connection: close\r\n\r\n`,
            "latin1",
          ),
          endAfterWrite: true,
        },
        mutationInputs,
      };
    }
    if (f === 5 || f === 6) {
      // tRPC calls with invalid inputs: single or batched, GET or POST, good or bad JSON.
      const batch = chance(0.4);
      const names = Array.from({ length: batch ? 1 + int(5) : 1 }, randomProcedure);
      const inputs = names.map((n) => invalidInputFor(n));
      const method = pick(["GET", "POST", "POST", "PUT"]);
      const bodyObj = batch ? Object.fromEntries(inputs.map((v, i) => [String(i), v])) : inputs[0];
      let body = JSON.stringify(bodyObj) ?? "";
      if (chance(0.25)) body = pick(["{", "[1,", '{"0":', "nul", "\u00ff\u00fe", '"\\ud800"', "{}".repeat(3)]);
      if (chance(0.1)) body = `${"[".repeat(5000)}${"]".repeat(5000)}`;
      const query =
        method === "GET"
          ? `?${batch ? "batch=1&" : ""}input=${encodeURIComponent(JSON.stringify(bodyObj) ?? "")}`
          : batch
            ? "?batch=1"
            : "";
      for (const [i, n] of names.entries())
        if (schemaOf.get(n)?.kind === "mutation") mutationInputs.push([n, inputs[i], i]);
      const contentType = pick([
        "application/json",
        "application/json",
        "text/plain",
        "",
        "application/x-www-form-urlencoded",
      ]);
      const bytes = Buffer.from(body, "utf8");
      return {
        family: "trpc",
        request: {
          head: Buffer.concat([
            Buffer.from(
              `${method} /trpc/${names.join(",")}${query} HTTP/1.1\r\n${hostHeader()}${mostlyToken()}` +
                (contentType ? `Content-Type: ${contentType}\r\n` : "") +
                (method === "GET" ? "" : `Content-Length: ${bytes.length}\r\n`) +
                "Connection: close\r\n\r\n",
              "latin1",
            ),
            method === "GET" ? Buffer.alloc(0) : bytes,
          ]),
          endAfterWrite: true,
        },
        mutationInputs,
      };
    }
    if (f === 7) {
      // Bodies over the limit: declared, chunked without end, or lying about their length.
      const kind = int(4);
      const target = pick(["/trpc/app.ping", "/trpc/import.paths", "/", "/files/x"]);
      if (kind === 0) {
        return {
          family: "body-declared",
          request: {
            head: `POST ${target} HTTP/1.1\r\n${hostHeader()}${mostlyToken()}Content-Type: application/json\r\nContent-Length: ${BODY_LIMIT + 1 + int(1e9)}\r\n\r\n`,
          },
          mutationInputs: [],
        };
      }
      if (kind === 1) {
        const chunk = Buffer.from(`1000\r\n${"z".repeat(0x1000)}\r\n`, "latin1");
        let n = 0;
        return {
          family: "body-chunked",
          request: {
            head: `POST ${target} HTTP/1.1\r\n${hostHeader()}${mostlyToken()}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n`,
            stream: () => (n++ < 256 ? chunk : null), // up to 1 MiB, 16 times the limit
            endAfterWrite: true,
          },
          mutationInputs: [],
        };
      }
      if (kind === 2) {
        return {
          family: "body-bad-chunks",
          request: {
            head: `POST ${target} HTTP/1.1\r\n${hostHeader()}${mostlyToken()}Transfer-Encoding: chunked\r\n\r\n${pick(["zz\r\nabc\r\n", "5\r\nabc\r\n0\r\n\r\n", "-1\r\n", "ffffffffffffffff\r\n"])}`,
            endAfterWrite: true,
          },
          mutationInputs: [],
        };
      }
      return {
        family: "body-short",
        request: {
          head: `POST ${target} HTTP/1.1\r\n${hostHeader()}${mostlyToken()}Content-Type: application/json\r\nContent-Length: ${100 + int(1000)}\r\n\r\n{"message":`,
          endAfterWrite: true,
        },
        mutationInputs: [],
      };
    }
    if (f === 8) {
      // WebSocket upgrades: wrong paths, tokens, origins, versions, keys.
      const target = pick([
        "/trpc-ws",
        "/trpc-ws?token=wrong",
        `/trpc-ws?token=${token}%zz`,
        "/other-ws",
        "/trpc-ws?token=%00",
        `/trpc-ws?token=${token.slice(2)}`,
      ]);
      const extra = pick([
        "Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
        "Sec-WebSocket-Version: 99\r\nSec-WebSocket-Key: x\r\n",
        "Origin: http://evil.example\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
        "",
      ]);
      return {
        family: "websocket",
        request: {
          head: `GET ${target} HTTP/1.1\r\n${hostHeader()}Connection: Upgrade\r\nUpgrade: websocket\r\n${extra}\r\n`,
          endAfterWrite: true,
        },
        mutationInputs,
      };
    }
    if (f === 9) {
      // Wrong Host / Origin with an otherwise good call.
      const host = pick([
        "Host: evil.example\r\n",
        "",
        `Host: 127.0.0.1:${port + 1}\r\n`,
        "Host: localhost\r\n",
        "Host: \r\n",
      ]);
      const origin = pick([
        "",
        "Origin: http://evil.example\r\n",
        "Origin: file://\r\n",
        `Origin: http://127.0.0.1:${port}.evil\r\n`,
      ]);
      return {
        family: "host-origin",
        request: {
          head: `GET /trpc/app.info HTTP/1.1\r\n${host}${origin}${authHeaders()}Connection: close\r\n\r\n`,
          endAfterWrite: true,
        },
        mutationInputs,
      };
    }
    // HTTP/1.0 and keep-alive pipelines of bad requests.
    const second = pick(["GET /%zz HTTP/1.1\r\n", "BAD\r\n", `GET /trpc/${randomProcedure()}?input=%7B HTTP/1.1\r\n`]);
    return {
      family: "pipeline",
      request: {
        head: `GET /%zz HTTP/1.0\r\n\r\n${second}${hostHeader()}\r\n`,
        endAfterWrite: true,
      },
      mutationInputs,
    };
  };
  return family;
}

const secrets = () => [repoRoot, dataDir, os.homedir(), fs.realpathSync(os.tmpdir()), process.execPath, "node_modules"];

describe("harness fuzz", () => {
  it(`answers ${COUNT} seeded malformed requests correctly and serves a good request after each`, async () => {
    const next = makeFuzzer(SEED, harness.token);
    const outcomes = new Map<string, number>();
    const failures: string[] = [];
    const started = Date.now();
    for (let i = 0; i < COUNT; i++) {
      const c = next();
      const where = `#${i} (${c.family}, seed ${SEED}): ${JSON.stringify(Buffer.from(c.request.head).toString("latin1").slice(0, 160))}`;
      for (const [name, input] of c.mutationInputs) {
        if (schemaOf.get(name)!.input.safeParse(input).success)
          throw new Error(`the fuzzer built a valid input for mutation ${name}: ${where}`);
      }
      const res = await rawRequest(port, { timeoutMs: 15_000, ...c.request });
      if (process.env.FUZZ_VERBOSE && res.status === null) console.log(`${res.ended}: ${where}`);
      const key = `${c.family} ${res.status ?? res.ended}`;
      outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
      if (res.ended === "timeout") failures.push(`no answer and no close in 15 s: ${where}`);
      if (res.status !== null) {
        if (res.status >= 500) failures.push(`${res.status}: ${where}: ${res.body.slice(0, 300)}`);
        const isHead = /^HEAD /.test(Buffer.from(c.request.head).toString("latin1"));
        if (res.status >= 400 && !isHead) {
          // (A HEAD answer has no body by definition.)
          const env = errorEnvelope(res);
          if (typeof env === "string") failures.push(`${res.status} without the envelope (${env}): ${where}`);
          else if (containsAbsolutePath(env.message)) failures.push(`absolute path in "${env.message}": ${where}`);
        }
        if (/"stack"|\n\s+at \S/.test(res.body)) failures.push(`stack in the body: ${where}`);
        for (const s of secrets()) if (res.body.includes(s)) failures.push(`"${s}" in the body: ${where}`);
        if (c.mutationInputs.length > 0 && res.status < 300) {
          // A batch may partly succeed (its queries); every mutation in it must have failed.
          let items: unknown[] = [];
          try {
            const parsed = JSON.parse(res.body) as unknown;
            items = Array.isArray(parsed) ? parsed : [parsed];
          } catch {
            failures.push(`a ${res.status} answer that is not JSON: ${where}`);
          }
          for (const [name, , index] of c.mutationInputs) {
            const item = items[index] as { error?: unknown } | undefined;
            if (item && !item.error) failures.push(`mutation ${name} ran: ${where}: ${res.body.slice(0, 300)}`);
          }
        }
      }
      const good = await rawRequest(port, {
        head: `GET /trpc/app.info HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${harness.token}\r\nConnection: close\r\n\r\n`,
      });
      if (good.status !== 200) {
        failures.push(`the good request after ${where} got ${good.status ?? good.ended}`);
        break;
      }
      if (failures.length > 20) break;
    }
    const seconds = (Date.now() - started) / 1000;
    const summary = [...outcomes.entries()].sort().map(([k, n]) => `${k}: ${n}`);
    console.log(`harness fuzz: ${COUNT} requests (seed ${SEED}) in ${seconds.toFixed(1)} s\n  ${summary.join("\n  ")}`);
    expect(failures).toEqual([]);
    expect(harness.exitCode()).toBeNull(); // still running
    expect(harness.stderr()).not.toContain("[server error]"); // no request reached an unexpected error
    // Every family was exercised.
    const families = new Set([...outcomes.keys()].map((k) => k.split(" ")[0]));
    expect(families.size).toBeGreaterThanOrEqual(12);
  }, 170_000);
});
