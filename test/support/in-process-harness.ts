/**
 * E2E specs that run the services in the test process (to seed studies, accounts or a scripted drafting engine)
 * and serve them over the loopback harness: one place for the data folder, the renderer build, the screenshot
 * folder and the per-test clean-up.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { type Page, test } from "@playwright/test";
import { type Harness, startHarness } from "../../src-main/harness/harness-server";
import { createServices, type Services, type ServicesOptions } from "../../src-main/services";
import type { Account } from "../../src-shared/account-types";
import { ADA_ACCOUNT, signInAccount } from "./accounts-fixtures";

export const REPO_ROOT = path.resolve(import.meta.dirname, "..", "..");
export const RENDERER_DIR = process.env.RD_RENDERER_DIR ?? path.join(REPO_ROOT, "out", "renderer");
/** Where the specs leave their screenshots (created on first use). */
export const SHOTS_DIR = path.join(REPO_ROOT, "test-results");

export function shotPath(name: string): string {
  fs.mkdirSync(SHOTS_DIR, { recursive: true });
  return path.join(SHOTS_DIR, name);
}

export type InProcessServicesOptions = Omit<ServicesOptions, "dataDir" | "transport">;

/**
 * Registers the clean-up of each test's services and harness, and returns how a test makes them: `services(name)`
 * on a fresh `rd-e2e-<name>-` data folder (no model pack unless given), then `serve()`.
 */
export function servicesPerTest() {
  let services: Services | null = null;
  let harness: Harness | null = null;
  let dataDir = "";
  test.afterEach(async () => {
    await harness?.close();
    services?.close();
    harness = null;
    services = null;
  });
  return {
    services(name: string, options: InProcessServicesOptions = {}): Services {
      dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `rd-e2e-${name}-`));
      services = createServices({ modelPackDir: null, ...options, dataDir, transport: "loopback" });
      return services;
    },
    /** The services made last (a test that made them in a helper function). */
    current(): Services {
      if (!services) throw new Error("servicesPerTest: no services yet");
      return services;
    },
    /** The data folder of the services made last. */
    dataDir: (): string => dataDir,
    /** Starts the harness, signed in as Ada unless `signedIn: false` (the sign-in screen's own spec). */
    async serve(options: { signedIn?: boolean } = {}): Promise<Harness> {
      if (!services) throw new Error("servicesPerTest: call services() before serve()");
      if (options.signedIn !== false) await createAda(services);
      harness = await startHarness({ services, rendererDir: RENDERER_DIR });
      return harness;
    },
  };
}

/** The account the in-process specs are signed in as (serve() signs it in), and sign with (accounts-fixtures.ts). */
export { ADA_ACCOUNT, ADA_PASSWORD, ADA_PIN, ADA_SIGNER } from "./accounts-fixtures";

/**
 * The one place the in-process e2e specs sign in: Ada is created on first run (which signs her in) or signed in
 * with her password, so the renderer opens past its sign-in screen (the screen itself: test/e2e/sign-in.spec.ts).
 * Idempotent: a spec may call it again (or before serve()).
 */
export function createAda(services: Services): Promise<Account> {
  return signInAccount(services.accounts, ADA_ACCOUNT);
}
/** Alias of createAda for specs that start the harness themselves (startHarness). */
export const signInAda = createAda;

/** The focused element's test id and its selected text. */
export const focusedSelection = (page: Page) =>
  page.evaluate(() => {
    const el = document.activeElement as HTMLTextAreaElement | null;
    return {
      testId: el?.getAttribute("data-testid") ?? null,
      selected: el ? el.value.slice(el.selectionStart, el.selectionEnd) : "",
    };
  });
