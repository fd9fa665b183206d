import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { createTRPCUntypedClient, createWSClient, wsLink } from "@trpc/client";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type Harness, startHarness } from "../../../src-main/harness/harness-server";
import { createServices, type Services } from "../../../src-main/services";
import type { AppEvent } from "../../../src-shared/domain";
import { signInAccount } from "../../support/accounts-fixtures";

let services: Services;
let harness: Harness;
let rendererDir: string;

beforeAll(async () => {
  // A minimal built renderer stands in for out/renderer so this test does not depend on the build.
  rendererDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-renderer-"));
  fs.writeFileSync(path.join(rendererDir, "index.html"), "<!doctype html><title>t</title>");
  services = createServices({
    dataDir: fs.mkdtempSync(path.join(os.tmpdir(), "rd-harness-")),
    transport: "loopback",
    modelPackDir: null,
  });
  harness = await startHarness({ services, rendererDir, port: 0 });
  // The API answers a signed-in account only (src-main/ipc/sign-in-gate.ts; its own test: sign-in-gate.test.ts).
  await signInAccount(services.accounts);
});

afterAll(async () => {
  await harness.close();
  services.close();
});

const call = (procedure: string, init: RequestInit = {}) => fetch(`${harness.origin}/trpc/${procedure}`, init);
const auth = () => ({ authorization: `Bearer ${harness.token}` });

function rawRequest(options: http.RequestOptions): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { ...new URL(harness.origin), ...options, hostname: "127.0.0.1", port: new URL(harness.origin).port },
      (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("loopback harness", () => {
  it("listens on 127.0.0.1 and puts the token in the URL fragment", () => {
    expect(harness.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(harness.url).toBe(`${harness.origin}/#token=${harness.token}`);
    expect(harness.token.length).toBeGreaterThanOrEqual(32);
  });

  it("refuses calls without the token or with a wrong one", async () => {
    expect((await call("app.info")).status).toBe(401);
    expect((await call("app.info", { headers: { authorization: "Bearer nope" } })).status).toBe(401);
  });

  it("answers calls that carry the token", async () => {
    const res = await call("app.info", { headers: auth() });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { result: { data: { transport: string } } };
    expect(body.result.data.transport).toBe("loopback");
  });

  it("refuses other origins and foreign Host headers, even with the token", async () => {
    const res = await call("app.info", { headers: { ...auth(), origin: "http://evil.example" } });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain("origin http://evil.example is not allowed");
    expect(await rawRequest({ path: "/trpc/app.info", headers: { ...auth(), host: "attacker.example:80" } })).toBe(403);
    const same = await call("app.info", { headers: { ...auth(), origin: harness.origin } });
    expect(same.status).toBe(200);
  });

  it("answers invalid input with a validation error naming the field", async () => {
    const res = await call("app.ping", {
      method: "POST",
      headers: { ...auth(), "content-type": "application/json" },
      body: JSON.stringify({ message: 42 }),
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/invalid input for app\.ping: message: .*string/i);
  });

  it("serves the renderer with a strict CSP and refuses paths outside it", async () => {
    const res = await fetch(`${harness.origin}/`);
    expect(res.status).toBe(200);
    const csp = res.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain("unsafe-inline");
    expect(await rawRequest({ path: "/..%2f..%2fetc%2fpasswd" })).toBeGreaterThanOrEqual(403);
  });

  it("refuses sockets without the token and streams events to sockets with it", async () => {
    const wsOrigin = harness.origin.replace("http", "ws");
    const refused = await new Promise<string>((resolve) => {
      const ws = new WebSocket(`${wsOrigin}/trpc-ws?token=wrong`);
      ws.on("unexpected-response", (_req, res) => resolve(String(res.statusCode)));
      ws.on("open", () => resolve("opened"));
      ws.on("error", () => resolve("error"));
    });
    expect(refused).toBe("403");

    const wsClient = createWSClient({
      url: `${wsOrigin}/trpc-ws?token=${harness.token}`,
      WebSocket: WebSocket as never,
    });
    const client = createTRPCUntypedClient({ links: [wsLink({ client: wsClient })] });
    const received = new Promise<AppEvent>((resolve, reject) => {
      client.subscription("events.onEvent", undefined, { onData: (e) => resolve(e as AppEvent), onError: reject });
    });
    // Give the subscription a moment to register, then publish.
    await new Promise((r) => setTimeout(r, 200));
    services.events.publish({ type: "notice", level: "info", message: "hello" });
    expect(await received).toEqual({ type: "notice", level: "info", message: "hello" });
    wsClient.close();
  });
});
