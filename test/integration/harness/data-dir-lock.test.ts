/**
 * One writer per data folder, with real processes: a second harness on a held folder is refused naming the folder
 * and the holder; a kill -9 leaves a stale lock that the next start takes over (also when the dead holder's pid now
 * belongs to an unrelated process); a clean stop removes the lock; the CLIs that write the case database refuse too.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCK_FORMAT, lockPathFor, processStartIdentity } from "../../../src-main/db/data-dir-lock";
import { type HarnessProcess, startHarnessProcess } from "../../support/harness-process";

const repoRoot = path.resolve(import.meta.dirname, "..", "..", "..");
let rendererDir: string;
const running: HarnessProcess[] = [];
const sleepers: ChildProcess[] = [];

beforeAll(() => {
  rendererDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-renderer-"));
  fs.writeFileSync(path.join(rendererDir, "index.html"), "<!doctype html><title>t</title>");
});

afterAll(async () => {
  for (const h of running) await h.stop();
  for (const s of sleepers) s.kill("SIGKILL");
});

async function start(dataDir: string): Promise<HarnessProcess> {
  const h = await startHarnessProcess(dataDir, [
    "--no-demo-studies",
    "--model-pack",
    "none",
    "--renderer-dir",
    rendererDir,
  ]);
  running.push(h);
  return h;
}

async function startRefused(dataDir: string): Promise<string> {
  const err = await start(dataDir).then(
    () => null,
    (e: Error) => e,
  );
  expect(err, "the second harness started").not.toBeNull();
  return err!.message;
}

async function appInfo(h: HarnessProcess): Promise<number> {
  const res = await fetch(`${h.origin}/trpc/app.info`, { headers: { authorization: `Bearer ${h.token}` } });
  return res.status;
}

const dbPath = (dataDir: string) => path.join(dataDir, "cases.sqlite");

describe("one writer per data folder", () => {
  it("refuses a second harness on a held folder, naming the folder and the holder; a clean stop releases it", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-lock-two-"));
    const first = await start(dataDir);
    const lock = JSON.parse(fs.readFileSync(lockPathFor(dbPath(dataDir)), "utf8"));
    expect(lock).toMatchObject({ format: LOCK_FORMAT, pid: first.pid, host: os.hostname(), kind: "harness", dataDir });
    expect(Date.parse(lock.startedAt)).toBeGreaterThan(Date.now() - 120_000);

    const message = await startRefused(dataDir);
    expect(message).toContain("harness exited with 1");
    expect(message).toContain(`the data folder ${dataDir} is in use by harness process ${first.pid}`);
    expect(message).toContain(`on host ${os.hostname()}, started ${lock.startedAt}`);
    expect(message).not.toMatch(/\n\s+at /);
    expect(await appInfo(first)).toBe(200); // the first is untouched

    await first.stop();
    expect(first.exitCode()).toBe(0);
    expect(fs.existsSync(lockPathFor(dbPath(dataDir)))).toBe(false);
    const again = await start(dataDir);
    expect(again.stderr()).not.toContain("taking over");
    await again.stop();
  }, 120_000);

  it("takes over the lock a kill -9 left behind", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-lock-kill-"));
    const first = await start(dataDir);
    await first.kill("SIGKILL");
    expect(fs.existsSync(lockPathFor(dbPath(dataDir)))).toBe(true); // left behind, as after a crash
    const second = await start(dataDir);
    expect(second.stderr()).toContain(
      `data folder ${dataDir}: taking over the lock of harness process ${first.pid} on host ${os.hostname()}`,
    );
    expect(second.stderr()).toContain(`process ${first.pid} no longer runs`);
    expect(await appInfo(second)).toBe(200);
    expect(JSON.parse(fs.readFileSync(lockPathFor(dbPath(dataDir)), "utf8")).pid).toBe(second.pid);
    await second.stop();
  }, 120_000);

  it("tells a live holder from a dead one whose pid now belongs to an unrelated process", async () => {
    const sleeper = spawn("sleep", ["120"], { stdio: "ignore" });
    sleepers.push(sleeper);
    await new Promise((r) => sleeper.once("spawn", r));
    const pid = sleeper.pid!;
    const identity = processStartIdentity(pid);
    const lockFor = (dataDir: string, processStart: string | null) => {
      fs.writeFileSync(
        lockPathFor(dbPath(dataDir)),
        JSON.stringify({
          format: LOCK_FORMAT,
          pid,
          host: os.hostname(),
          kind: "electron",
          startedAt: "2026-01-01T00:00:00.000Z",
          processStart,
          dataDir,
          nonce: "left-by-a-crash",
        }),
      );
    };
    // The pid runs, and it is the process the lock names: a live holder.
    const heldDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-lock-live-"));
    lockFor(heldDir, identity);
    const message = await startRefused(heldDir);
    expect(message).toContain(`is in use by electron process ${pid} on host ${os.hostname()}`);

    // The pid runs, but it started after the lock was written: the pid was reused, the lock is stale.
    if (identity === null) return; // no start identity on this platform (Windows): pid reuse cannot be told
    const reusedDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-lock-reused-"));
    lockFor(reusedDir, `${identity.slice(0, identity.lastIndexOf(":"))}:1`);
    const h = await start(reusedDir);
    expect(h.stderr()).toContain(`pid ${pid} now belongs to an unrelated process`);
    expect(await appInfo(h)).toBe(200);
    await h.stop();
  }, 120_000);

  it("the CLIs that write the case database refuse a held folder with one clear line", async () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-lock-cli-"));
    const holder = await start(dataDir);
    const cli = (script: string, args: string[]) =>
      spawnSync(process.execPath, ["--import", "tsx", path.join(repoRoot, "src-main/cli", script), ...args], {
        cwd: repoRoot,
        encoding: "utf8",
        timeout: 120_000,
      });
    const index = cli("index.ts", ["--info", "--data-dir", dataDir]);
    expect(index.status).toBe(1);
    expect(index.stderr).toContain(`index: the data folder ${dataDir} is in use by harness process ${holder.pid}`);
    expect(index.stderr).not.toMatch(/\n\s+at /);

    const png = path.join(repoRoot, "..", "shared", "data", "images", "nih");
    const file = path.join(png, fs.readdirSync(png).find((f) => f.endsWith(".png"))!);
    const generate = cli("generate.ts", [file, "--data-dir", dataDir, "--cpu"]);
    expect(generate.status).toBe(1);
    expect(generate.stderr).toContain(`the data folder ${dataDir} is in use by harness process ${holder.pid}`);
    expect(generate.stderr).not.toMatch(/\n\s+at /);
    expect(await appInfo(holder)).toBe(200);
    await holder.stop();
  }, 240_000);
});
