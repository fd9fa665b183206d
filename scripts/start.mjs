#!/usr/bin/env node
/**
 * npm start: opens the workstation on the demo studies with the bundled model.
 * 1. fetches the Electron binary if the install skipped it (allowScripts denies its download during npm ci);
 * 2. rebuilds better-sqlite3 for Electron's ABI;
 * 3. builds main, preload and renderer, then starts Electron.
 * Where Electron cannot be had (no display, no download), it says so and starts the loopback harness instead,
 * which serves the same app to a browser on 127.0.0.1.
 */
import { execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const require = createRequire(import.meta.url);
const run = (cmd, args, opts = {}) => execFileSync(cmd, args, { cwd: root, stdio: "inherit", ...opts });

function electronBinary() {
  try {
    const p = require("electron");
    return typeof p === "string" && fs.existsSync(p) ? p : null;
  } catch {
    return null;
  }
}

function startHarness(reason) {
  console.log(
    `\nElectron is not available here (${reason}).\nStarting the loopback harness instead: open the URL it prints in Chromium or Chrome.\n`,
  );
  run(process.execPath, ["scripts/native-abi.mjs", "node"]);
  run("npx", ["electron-vite", "build"]);
  const child = spawn(process.execPath, ["--import", "tsx", "src-main/harness/cli.ts", ...process.argv.slice(2)], {
    cwd: root,
    stdio: "inherit",
  });
  child.on("exit", (code) => process.exit(code ?? 0));
}

const forceHarness = process.env.RADIOLOGY_DRAFT_HARNESS === "1";
const hasDisplay = process.platform !== "linux" || Boolean(process.env.DISPLAY || process.env.WAYLAND_DISPLAY);
if (forceHarness) startHarness("RADIOLOGY_DRAFT_HARNESS=1");
else if (!hasDisplay) startHarness("no display");
else {
  if (!electronBinary()) {
    try {
      run(process.execPath, ["node_modules/electron/install.js"]);
    } catch {
      /* reported below */
    }
  }
  if (!electronBinary()) startHarness("its binary could not be downloaded");
  else {
    run(process.execPath, ["scripts/native-abi.mjs", "electron"]);
    run("npx", ["electron-vite", "build"]);
    const child = spawn("npx", ["electron-vite", "preview", "--", ...process.argv.slice(2)], {
      cwd: root,
      stdio: "inherit",
    });
    child.on("exit", (code) => process.exit(code ?? 0));
  }
}
