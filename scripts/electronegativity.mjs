#!/usr/bin/env node
/**
 * npm run test:electron-security — Doyensec's Electronegativity over the main process, the preload and the
 * renderer's page (src-main, src-preload, src-renderer/index.html: scanned as one app, so that its global checks see
 * the CSP, navigation limits and permission handler wherever they live), held against docs/security.md: every finding must be explained there, in the table of
 * the "Electronegativity findings" section (one row per check and file), and every row must still match a finding.
 * Exits 1 on an unexplained finding, a stale row, or a file the scanner could not parse.
 *
 * AvailableSecurityFixesGlobalCheck is left out: it downloads Electron's release list (no network in CI) and judges
 * the pinned Electron version, not this code; the version is kept current with the dependencies.
 */
import fs from "node:fs";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const INPUTS = ["src-main", "src-preload", "src-renderer/index.html"];
const EXCLUDED = ["AvailableSecurityFixesGlobalCheck"];
const DOC = path.join(root, "docs", "security.md");

function electronVersion() {
  const lock = JSON.parse(fs.readFileSync(path.join(root, "package-lock.json"), "utf8"));
  return lock.packages?.["node_modules/electron"]?.version ?? "40.0.0";
}

/** Rows of the findings table: `CHECK_ID` | `file` | why. */
function explainedFindings() {
  const text = fs.readFileSync(DOC, "utf8");
  const start = text.indexOf("## Electronegativity findings");
  if (start === -1) throw new Error(`${DOC} has no "## Electronegativity findings" section`);
  const section = text.slice(start).split(/\n## /)[0];
  const rows = new Map();
  for (const line of section.split("\n")) {
    const m = /^\|\s*`([A-Z0-9_]+)`\s*\|\s*`([^`]+)`\s*\|\s*(.+?)\s*\|\s*$/.exec(line);
    if (m) rows.set(`${m[1]} ${m[2]}`, m[3]);
  }
  return rows;
}

/** One folder holding copies of the inputs at their repository paths (the scanner takes a single input). */
function stage() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-electronegativity-"));
  for (const input of INPUTS) {
    fs.mkdirSync(path.dirname(path.join(dir, input)), { recursive: true });
    fs.cpSync(path.join(root, input), path.join(dir, input), { recursive: true });
  }
  return dir;
}

async function scan(input) {
  let run;
  try {
    run = require("@doyensec/electronegativity/dist/runner.js");
  } catch {
    throw new Error("@doyensec/electronegativity is not installed (npm ci installs it: it is a devDependency)");
  }
  // The scanner logs "Could not retrieve updated translations" when offline; that is expected.
  const log = console.log;
  console.log = () => {};
  try {
    return await (run.default ?? run)(
      {
        input,
        output: undefined,
        isSarif: false,
        customScan: [],
        excludeFromScan: EXCLUDED.map((c) => c.toLowerCase()),
        severitySet: undefined,
        confidenceSet: undefined,
        isRelative: true,
        isVerbose: false,
        electronUpgrade: undefined,
        electronVersionOverride: electronVersion(),
        parserPlugins: [],
      },
      false,
    );
  } finally {
    console.log = log;
  }
}

async function main() {
  const explained = explainedFindings();
  const seen = new Set();
  const problems = [];
  const staged = stage();
  let checks = 0;
  try {
    const result = await scan(staged);
    checks = result.globalChecks + result.atomicChecks;
    for (const e of result.errors.filter((x) => !x.tolerable))
      problems.push(`cannot parse ${path.relative(staged, e.file)}: ${e.message}`);
    for (const issue of result.issues) {
      const file = issue.file.split(path.sep).join("/");
      const key = `${issue.id} ${file}`;
      const where = `${file}:${issue.location.line}:${issue.location.column}`;
      const level = `${issue.severity.name ?? issue.severity.format?.()} / ${issue.confidence.name ?? issue.confidence.format?.()}`;
      if (explained.has(key)) {
        seen.add(key);
        console.log(`explained  ${issue.id.padEnd(28)} ${where}  (${level})`);
      } else {
        problems.push(
          `unexplained finding ${issue.id} at ${where} (${level}): ${issue.description}; fix it or explain it in docs/security.md`,
        );
      }
    }
  } finally {
    fs.rmSync(staged, { recursive: true, force: true });
  }
  for (const key of explained.keys())
    if (!seen.has(key))
      problems.push(`docs/security.md explains "${key}", which Electronegativity no longer reports: remove the row`);
  console.log(
    `electronegativity: ${checks} checks over ${INPUTS.join(", ")} (Electron ${electronVersion()}; ` +
      `${EXCLUDED.join(", ")} left out): ${seen.size} finding(s) explained in docs/security.md, ` +
      `${problems.length} problem(s)`,
  );
  for (const p of problems) console.error(`  - ${p}`);
  if (problems.length) process.exitCode = 1;
}

main().catch((err) => {
  console.error(`electronegativity: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
});
