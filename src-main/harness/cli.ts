/**
 * npm run serve -- [--port N] [--host 127.0.0.1] [--data-dir DIR] [--renderer-dir DIR] [--no-demo-studies]
 *                  [--model-pack DIR|none] [--max-body-bytes N]
 * Starts the services and router under plain Node and serves the built renderer on loopback. On first start the
 * demo studies (resources/demo-studies) are imported before it listens, unless --no-demo-studies.
 * Prints one JSON line {"event":"listening",...} (machine-readable, used by the tests) and a human line.
 * The data folder is held by this process while it runs (a second one on it is refused, naming this one).
 */
import path from "node:path";
import { parseArgs } from "node:util";
import { setDataDirLockKind } from "../db/data-dir-lock";
import { appRoot, resolveDataDir } from "../paths";
import { createServices } from "../services";
import { startHarness } from "./harness-server";

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
  const services = createServices({
    dataDir,
    transport: "loopback",
    ...(pack === undefined ? {} : { modelPackDir: pack === "none" ? null : path.resolve(pack) }),
  });
  if (!values["no-demo-studies"]) {
    const seed = await services.importer.seedDemoStudies();
    if (seed.result && seed.result.failures.length > 0) {
      console.error(`demo studies: ${seed.result.failures.length} file(s) could not be imported from ${seed.folder}`);
    }
  }
  const harness = await startHarness({
    services,
    rendererDir: values["renderer-dir"] ?? path.join(appRoot(), "out", "renderer"),
    host: values.host,
    port,
    ...(maxBodyBytes === undefined ? {} : { maxBodyBytes }),
  });
  console.log(
    JSON.stringify({ event: "listening", url: harness.url, origin: harness.origin, token: harness.token, dataDir }),
  );
  console.error(`Radiology Draft harness: open ${harness.url}\n  data folder: ${dataDir}\n  Ctrl+C stops it.`);
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await harness.close();
    services.close();
    process.exit(0);
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
}

main().catch((err: unknown) => {
  console.error(`harness: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
