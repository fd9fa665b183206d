/**
 * npm run serve -- [--port N] [--host 127.0.0.1] [--data-dir DIR] [--renderer-dir DIR] [--no-demo-studies]
 *                  [--model-pack DIR|none] [--max-body-bytes N] [--demo-account]
 * Starts the services and router under plain Node and serves the built renderer on loopback. On first start the
 * demo studies (resources/demo-studies) are imported, unless --no-demo-studies.
 * Start-up order (issue 19.4, docs/viewer.md): the data folder's lock is taken and the server listens first, so the
 * browser loads the renderer while the services' modules load and the services start; API calls wait until the
 * services (and the demo studies, the demo account) are ready. The model pack loads after that, in the background.
 * Prints one JSON line {"event":"listening",...} (machine-readable, used by the tests) and a human line.
 * --demo-account creates the demo account (DEMO_ACCOUNT in demo-account.ts, docs/security.md) when no account exists and signs
 * it in at every start, so a test or a demo can sign with its password or PIN. Never for real reports.
 * The data folder is held by this process while it runs (a second one on it is refused, naming this one).
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { acquireDataDirLock, setDataDirLockKind } from "../db/data-dir-lock";
import { appRoot, caseDatabasePath, resolveDataDir } from "../paths";
import type { Services } from "../services";
import { DEMO_ACCOUNT } from "./demo-account";
import { startHarness } from "./harness-server";

/** The background work's latest start after the services are ready (ms), when no worklist was asked for. */
const BACKGROUND_AFTER_MS = 1000;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      port: { type: "string", default: "0" },
      host: { type: "string", default: "127.0.0.1" },
      "data-dir": { type: "string" },
      "renderer-dir": { type: "string" },
      "no-demo-studies": { type: "boolean", default: false },
      "model-pack": { type: "string" },
      "max-body-bytes": { type: "string" },
      "demo-account": { type: "boolean", default: false },
    },
    strict: true,
  });
  const port = Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535)
    throw new Error(`--port must be 0..65535, got ${values.port}`);
  const maxBodyBytes = values["max-body-bytes"] === undefined ? undefined : Number(values["max-body-bytes"]);
  if (maxBodyBytes !== undefined && (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1024))
    throw new Error(`--max-body-bytes must be an integer of at least 1024, got ${values["max-body-bytes"]}`);
  const dataDir = resolveDataDir(values["data-dir"]);
  const pack = values["model-pack"];
  setDataDirLockKind("harness");
  // The lock before listening: a second harness on a held folder is refused before it prints "listening".
  // The database opens under this same hold (counted); this one is released once the services hold it too.
  const lock = acquireDataDirLock(caseDatabasePath(dataDir));
  let services: Services | null = null;
  // The model pack, impression pack, index completion and PACS outbox start once the first worklist is answered
  // (or BACKGROUND_AFTER_MS after the services are ready, for a client that never asks for one).
  let openBackground = () => {};
  const backgroundAfter = new Promise<void>((resolve) => {
    openBackground = resolve;
  });
  const boot = async (): Promise<Services> => {
    const { createServices } = await import("../services");
    services = createServices({
      dataDir,
      transport: "loopback",
      backgroundAfter,
      ...(pack === undefined ? {} : { modelPackDir: pack === "none" ? null : path.resolve(pack) }),
    });
    lock.release();
    const s = services;
    const seedDemoStudies = async () => {
      if (values["no-demo-studies"]) return;
      const seed = await s.importer.seedDemoStudies();
      if (seed.result && seed.result.failures.length > 0) {
        console.error(`demo studies: ${seed.result.failures.length} file(s) could not be imported from ${seed.folder}`);
      }
    };
    // The demo account's password hash (scrypt, ~0.3 s in the thread pool) runs while the demo studies are checked.
    const signInDemoAccount = async () => {
      if (!values["demo-account"]) return;
      const { firstRun } = s.accounts.session();
      if (firstRun) await s.accounts.create(DEMO_ACCOUNT);
      else await s.accounts.signIn(DEMO_ACCOUNT.username, DEMO_ACCOUNT.password);
      console.error(
        `demo account: signed in as ${DEMO_ACCOUNT.username} (password and PIN in src-main/harness/demo-account.ts)`,
      );
    };
    await Promise.all([seedDemoStudies(), signInDemoAccount()]);
    setTimeout(openBackground, BACKGROUND_AFTER_MS);
    return services;
  };
  let settle: { resolve(services: Services): void; reject(err: unknown): void } | null = null;
  const ready = new Promise<Services>((resolve, reject) => {
    settle = { resolve, reject };
  });
  const harness = await startHarness({
    services: ready,
    rendererDir: values["renderer-dir"] ?? path.join(appRoot(), "out", "renderer"),
    host: values.host,
    port,
    ...(maxBodyBytes === undefined ? {} : { maxBodyBytes }),
    onAnswered: (procedures) => {
      if (procedures.split(",").includes("studies.list")) openBackground();
    },
  });
  console.log(
    JSON.stringify({ event: "listening", url: harness.url, origin: harness.origin, token: harness.token, dataDir }),
  );
  console.error(`Radiology Draft harness: open ${harness.url}\n  data folder: ${dataDir}\n  Ctrl+C stops it.`);
  // Only now the services' modules load, while the browser loads the renderer.
  boot().then(settle!.resolve, settle!.reject);
  // A start that fails after listening ends the process as a failure before listening did.
  ready.catch((err: unknown) => {
    console.error(`harness: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await harness.close();
    // Stopped during start-up: the services that were made are closed; a start still under way is not awaited.
    (services as Services | null)?.close();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((err: unknown) => {
  console.error(`harness: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
