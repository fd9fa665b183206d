#!/usr/bin/env node
/**
 * npm run test:pacs — the tests against a real Orthanc (test/pacs with vitest, test/pacs-e2e with Playwright).
 * Orthanc has no bind-address option and listens on every interface, so these tests run inside a network namespace
 * that has only loopback: `unshare -n` (root, as in CI) or `unshare -rn` (an unprivileged user namespace), then
 * `ip link set lo up`. Where neither is permitted, or Orthanc or its DICOMweb plugin is missing, the tests are
 * skipped with a line saying why (exit 0), unless RD_REQUIRE_PACS_TESTS=1 makes that a failure.
 * Extra arguments go to vitest (e.g. a test file); --no-e2e skips the Playwright part.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";

const args = process.argv.slice(2);
const noE2e = args.includes("--no-e2e");
const vitestArgs = args.filter((a) => a !== "--no-e2e");
const ORTHANC = process.env.ORTHANC_BIN ?? "/usr/sbin/Orthanc";
const PLUGIN = process.env.ORTHANC_DICOMWEB_PLUGIN ?? "/usr/share/orthanc/plugins/libOrthancDicomWeb.so";
const required = process.env.RD_REQUIRE_PACS_TESTS === "1";

function skip(reason) {
  const line = `test:pacs: SKIPPED — ${reason}`;
  if (required) {
    console.error(`${line} (RD_REQUIRE_PACS_TESTS=1: failing)`);
    process.exit(1);
  }
  console.log(line);
  process.exit(0);
}

if (!fs.existsSync(ORTHANC) || !fs.existsSync(PLUGIN))
  skip(`Orthanc (${ORTHANC}) or its DICOMweb plugin (${PLUGIN}) is not installed: run ./scripts/bootstrap.sh`);

const probe = (flags) =>
  spawnSync("unshare", [...flags, "sh", "-c", "ip link set lo up"], { stdio: "ignore" }).status === 0;
const flags = probe(["-n"]) ? ["-n"] : probe(["-rn"]) ? ["-rn"] : null;
if (!flags)
  skip(
    "cannot create a loopback-only network namespace here (unshare -n / unshare -rn not permitted), and Orthanc must not listen on the real network",
  );

const quote = (s) => `'${s.replace(/'/g, "'\\''")}'`;
const steps = [`npx vitest run -c vitest.pacs.config.ts ${vitestArgs.map(quote).join(" ")}`];
if (!noE2e && vitestArgs.length === 0) steps.push("npx playwright test -c playwright.pacs.config.ts");
const script = `set -e; ip link set lo up; ${steps.join("; ")}`;
console.log(`test:pacs: in a loopback-only network namespace (unshare ${flags.join(" ")})`);
const run = spawnSync("unshare", [...flags, "sh", "-c", script], { stdio: "inherit" });
process.exit(run.status ?? 1);
