/**
 * Fixtures of the Vitest tests (unit and integration) that register Vitest hooks, kept apart from the fixtures the
 * Playwright specs share (report-fixtures) so that those never load vitest: the app's services on a fresh temporary
 * data folder, made by a test or for a whole describe block, and closing what a test opened after it.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, afterEach, beforeAll } from "vitest";
import { createServices, type Services } from "../../src-main/services";

/** Services on a fresh `<prefix>XXXXXX` folder in the system's temporary folder; the caller closes them. */
export function tempServices(prefix = "rd-services-"): Services {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  return createServices({ dataDir, transport: "in-process", modelPackDir: null });
}

/**
 * Services shared by the tests of the calling describe block (or file): made in its beforeAll, closed in its
 * afterAll. The returned function gives them inside a test or a later hook.
 */
export function servicesPerSuite(prefix?: string): () => Services {
  let services: Services | null = null;
  beforeAll(() => {
    services = tempServices(prefix);
  });
  afterAll(() => services?.close());
  return () => {
    if (!services) throw new Error("servicesPerSuite: the services are made in beforeAll, use them in a test or hook");
    return services;
  };
}

/**
 * Registers, in the calling file or describe block, an afterEach that closes what the test passed to the returned
 * function (reports harnesses, services), in that order; the function gives back what it was passed.
 */
export function closedAfterEach(): <T extends { close(): unknown }>(closable: T) => T {
  const open: Array<{ close(): unknown }> = [];
  afterEach(async () => {
    for (const c of open.splice(0)) await c.close();
  });
  return (closable) => {
    open.push(closable);
    return closable;
  };
}
