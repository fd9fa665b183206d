#!/usr/bin/env node
/**
 * better-sqlite3 is a native module: it must be built for the runtime that loads it. Plain Node (tests, harness,
 * CLIs) and Electron have different ABIs, so this script rebuilds it for the one asked for, when needed.
 *   node scripts/native-abi.mjs node       # before tests / harness / CLIs
 *   node scripts/native-abi.mjs electron   # before starting the Electron app (needs Electron's headers: network)
 * The runtime it was last built for is recorded in .native-abi (git-ignored).
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const stampFile = path.join(root, ".native-abi");
const target = process.argv[2];
if (target !== "node" && target !== "electron") {
  console.error("usage: node scripts/native-abi.mjs node|electron");
  process.exit(2);
}
const require = createRequire(import.meta.url);
const electronVersion = require("electron/package.json").version;
const wanted = target === "node" ? `node-${process.versions.modules}` : `electron-${electronVersion}`;
const current = fs.existsSync(stampFile) ? fs.readFileSync(stampFile, "utf8").trim() : null;

function loadsUnderNode() {
  const r = spawnSync(process.execPath, ["-e", "new (require('better-sqlite3'))(':memory:').close()"], { cwd: root });
  return r.status === 0;
}

if (target === "node" && (current === null || current === wanted) && loadsUnderNode()) {
  if (current === null) fs.writeFileSync(stampFile, wanted);
  process.exit(0);
}
if (target === "electron" && current === wanted) process.exit(0);

console.log(`native-abi: rebuilding better-sqlite3 for ${wanted}`);
const env = { ...process.env };
if (target === "electron") {
  // Electron's documented way to build native modules with npm: point node-gyp at Electron's headers.
  Object.assign(env, {
    npm_config_runtime: "electron",
    npm_config_target: electronVersion,
    npm_config_disturl: "https://electronjs.org/headers",
    npm_config_build_from_source: "true",
  });
}
execFileSync("npm", ["rebuild", "better-sqlite3", "--foreground-scripts"], { cwd: root, env, stdio: "inherit" });
fs.writeFileSync(stampFile, wanted);
