/**
 * What the Chromium benchmarks (bench-viewer.ts, bench-startup.ts) share: the loopback harness started as a child
 * process exactly as `npm run serve` starts it (tsx, src-main/harness/cli.ts), Debian's Chromium launched as the
 * e2e tests launch it (chromium-launch.ts), the 2k×2k chest files made from the shared RG1 CR chest, and the
 * machine's load average. Benchmarks print timings; nothing here asserts them.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import readline from "node:readline";
import type { Browser } from "@playwright/test";
import { UserError } from "../cli/language-cli-support";
import { appRoot } from "../paths";
import { CHROMIUM_LAUNCH } from "./chromium-launch";

export interface BenchHarness {
  url: string;
  token: string;
  /** Milliseconds from spawn to the "listening" line. */
  listeningMs: number;
  /** performance.now() (this process) at spawn. */
  spawnedAt: number;
  stderr(): string;
  stop(): Promise<void>;
}

/**
 * How the harness runs: "source" through tsx (src-main/harness/cli.ts, as the tests start it) or "built", the
 * electron-vite bundle (out/main/harness.js, as `npm run serve` and, for the main process, Electron start it).
 */
export type HarnessEntry = "source" | "built";

export function harnessEntryArgs(entry: HarnessEntry): string[] {
  const root = appRoot();
  if (entry === "source") return ["--import", "tsx", path.join(root, "src-main/harness/cli.ts")];
  const built = path.join(root, "out", "main", "harness.js");
  if (!fs.existsSync(built)) throw new UserError(`${built} is missing: run npx electron-vite build first`);
  return [built];
}

/**
 * Spawns the harness on `dataDir` (port 0) and waits for its "listening" line. It is signed in with the demo account
 * (`--demo-account`), so the page opens on the worklist, as a radiologist's after signing in.
 */
export async function spawnHarness(
  dataDir: string,
  extraArgs: readonly string[] = [],
  entry: HarnessEntry = "source",
): Promise<BenchHarness> {
  const root = appRoot();
  const spawnedAt = performance.now();
  const child: ChildProcess = spawn(
    process.execPath,
    [...harnessEntryArgs(entry), "--port", "0", "--data-dir", dataDir, "--demo-account", ...extraArgs],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr += d.toString();
  });
  const started = await new Promise<{ url: string; token: string; at: number }>((resolve, reject) => {
    const rl = readline.createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`the harness did not start in 60 s:\n${stderr}`)), 60_000);
    rl.on("line", (line) => {
      try {
        const msg = JSON.parse(line) as { event?: string; url: string; token: string };
        if (msg.event === "listening") {
          clearTimeout(timer);
          resolve({ url: msg.url, token: msg.token, at: performance.now() });
        }
      } catch {
        /* not a JSON line */
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the harness exited with ${code}:\n${stderr}`));
    });
  });
  return {
    url: started.url,
    token: started.token,
    listeningMs: started.at - spawnedAt,
    spawnedAt,
    stderr: () => stderr,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
      }),
  };
}

/** Debian's Chromium as the e2e tests launch it (chromium-launch.ts). */
export async function launchChromium(): Promise<Browser> {
  const { chromium } = await import("@playwright/test");
  const { executablePath } = CHROMIUM_LAUNCH;
  if (!fs.existsSync(executablePath)) throw new UserError(`Chromium is not installed at ${executablePath}`);
  return chromium.launch({ executablePath, args: [...CHROMIUM_LAUNCH.args] });
}

/** The built renderer must exist: the harness serves out/renderer. */
export function requireBuiltRenderer(): void {
  const index = path.join(appRoot(), "out", "renderer", "index.html");
  if (!fs.existsSync(index)) throw new UserError(`${index} is missing: run npx electron-vite build first`);
}

function run(command: string, args: string[]): void {
  try {
    execFileSync(command, args, { stdio: ["ignore", "ignore", "pipe"] });
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT")
      throw new UserError(`${command} is not installed (Debian: libgdcm-tools / dcmtk; ./scripts/bootstrap.sh)`);
    throw new UserError(`${command} ${args.join(" ")} failed: ${String((error as Error).message).slice(0, 300)}`);
  }
}

/** The shared 1955×1841 15-bit CR chest that the 2k benchmarks are made from. */
export const RG1_SOURCE = path.resolve(appRoot(), "../shared/data/dicom/RG1_CR_chest_J2KI.dcm");

/**
 * `count` 2-view studies of 2k images in `dir`, each with its own Study / Series / SOP Instance UIDs and patient:
 * the frontal (View Position PA) written by GDCM as JPEG 2000 lossless, the lateral (LL) by dcmtk as JPEG-LS
 * lossless, both from the RG1 chest's pixels. Returns one folder per study.
 */
export function makeTwoKStudies(dir: string, count: number): { folder: string; description: string }[] {
  if (!fs.existsSync(RG1_SOURCE)) throw new UserError(`the shared 2k chest ${RG1_SOURCE} is missing`);
  fs.mkdirSync(dir, { recursive: true });
  const raw = path.join(dir, "raw.dcm");
  run("gdcmconv", ["--raw", RG1_SOURCE, raw]);
  const studies: { folder: string; description: string }[] = [];
  for (let i = 0; i < count; i++) {
    const folder = path.join(dir, `study-${i + 1}`);
    fs.mkdirSync(folder, { recursive: true });
    const description = `BENCH 2K STUDY ${i + 1}`;
    const frontalRaw = path.join(dir, `frontal-${i}.dcm`);
    const lateralRaw = path.join(dir, `lateral-${i}.dcm`);
    fs.copyFileSync(raw, frontalRaw);
    run("dcmodify", [
      "-nb",
      "-gst",
      "-gse",
      "-gin",
      "-i",
      `(0010,0010)=Bench^TwoK${i + 1}`,
      "-i",
      `(0010,0020)=BENCH2K${i + 1}`,
      "-i",
      `(0008,1030)=${description}`,
      "-i",
      "(0018,5101)=PA",
      frontalRaw,
    ]);
    fs.copyFileSync(frontalRaw, lateralRaw);
    run("dcmodify", ["-nb", "-gse", "-gin", "-i", "(0018,5101)=LL", lateralRaw]);
    run("gdcmconv", ["--j2k", frontalRaw, path.join(folder, "frontal-j2k.dcm")]);
    run("dcmcjpls", [lateralRaw, path.join(folder, "lateral-jpegls.dcm")]);
    fs.rmSync(frontalRaw);
    fs.rmSync(lateralRaw);
    studies.push({ folder, description });
  }
  return studies;
}

export const loadAverage = () => os.loadavg().map((x) => Number(x.toFixed(2)));

export function writeResults(outDir: string, name: string, result: object, markdown: string): string {
  fs.mkdirSync(outDir, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, "-");
  for (const file of [`${name}-${stamp}`, `${name}-latest`]) {
    fs.writeFileSync(path.join(outDir, `${file}.json`), `${JSON.stringify(result, null, 2)}\n`);
    fs.writeFileSync(path.join(outDir, `${file}.md`), `${markdown}\n`);
  }
  return path.join(outDir, `${name}-${stamp}.json`);
}
