/**
 * One writer per data folder. Every process that opens a case database for writing (the Electron shell, the
 * loopback harness, the CLIs that write the index) holds `<database file>.lock` beside it while the database is
 * open. The file is created atomically (written under a temporary name, then hard-linked into place, which fails if
 * the name exists; O_EXCL where the file system has no hard links) and names its holder: pid, host, kind, start time
 * and the process's own start identity (Linux: boot id + start tick; macOS: `ps` start time), so that a lock left by
 * kill -9 is told apart from a live holder even when its pid has since been given to an unrelated process.
 * A stale lock is taken over; a live one refuses the second process with a message naming the folder and the holder.
 * Re-opening the same database within one process shares the lock (counted), and the last close releases it.
 */
import { execFileSync } from "node:child_process";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { z } from "zod";

export const LOCK_FORMAT = "radiology-draft/data-dir-lock@1";

const LockRecordSchema = z.object({
  format: z.literal(LOCK_FORMAT),
  pid: z.number().int().positive(),
  host: z.string(),
  kind: z.string(),
  startedAt: z.string(),
  /** The holder's start identity as this module reads it for any pid; null where the platform gives none. */
  processStart: z.string().nullable(),
  dataDir: z.string(),
  nonce: z.string(),
});
export type LockRecord = z.infer<typeof LockRecordSchema>;

/** A second process on a data folder that another live process holds. */
export class DataFolderInUseError extends Error {
  readonly code = "DATA_FOLDER_IN_USE";
  constructor(
    message: string,
    readonly dataDir: string,
    readonly lockPath: string,
    readonly holder: LockRecord | null,
  ) {
    super(message);
    this.name = "DataFolderInUseError";
  }
}

export interface DataDirLock {
  readonly lockPath: string;
  readonly record: LockRecord;
  /** Releases this hold; the file is removed when the last hold of this process ends. Idempotent. */
  release(): void;
}

let ownerKind = defaultKind();

function defaultKind(): string {
  const script = process.argv[1] ? path.basename(process.argv[1]).replace(/\.[cm]?[jt]s$/, "") : "node";
  return `cli ${script}`;
}

/** What the lock file says this process is ("harness", "electron"; CLIs default to "cli <script>"). */
export function setDataDirLockKind(kind: string): void {
  ownerKind = kind;
}

/** The lock file that guards a database file. */
export function lockPathFor(databasePath: string): string {
  return `${path.resolve(databasePath)}.lock`;
}

let bootId: string | null | undefined;
function linuxBootId(): string | null {
  if (bootId === undefined) {
    try {
      bootId = fs.readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim();
    } catch {
      bootId = null;
    }
  }
  return bootId;
}

/**
 * A string that changes when a pid is given to another process: Linux `boot id:start tick` from /proc, macOS the
 * start time `ps` reports; null where neither is available (Windows, or the process is gone).
 */
export function processStartIdentity(pid: number): string | null {
  if (process.platform === "linux") {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
      // Field 2 (comm) is in parentheses and may hold spaces; field 22 (starttime) is the 20th after it.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const startTicks = fields[19];
      return startTicks ? `linux:${linuxBootId() ?? "?"}:${startTicks}` : null;
    } catch {
      return null;
    }
  }
  if (process.platform === "darwin") {
    try {
      const out = execFileSync("ps", ["-o", "lstart=", "-p", String(pid)], { encoding: "utf8", timeout: 2000 }).trim();
      return out ? `darwin:${out}` : null;
    } catch {
      return null;
    }
  }
  return null;
}

/** Whether a process with this pid exists (EPERM: it exists, owned by another user). */
function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export type LockReading =
  | { state: "absent" }
  | { state: "unreadable"; reason: string; ageMs: number }
  | { state: "held"; record: LockRecord }
  | { state: "stale"; record: LockRecord; reason: string };

/** Reads a lock file and judges whether its holder still runs. */
export function inspectLock(lockPath: string): LockReading {
  let text: string;
  let ageMs = 0;
  try {
    ageMs = Date.now() - fs.statSync(lockPath).mtimeMs;
    text = fs.readFileSync(lockPath, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return { state: "absent" };
    return { state: "unreadable", reason: (err as Error).message, ageMs };
  }
  let record: LockRecord;
  try {
    const parsed = LockRecordSchema.safeParse(JSON.parse(text));
    if (!parsed.success) return { state: "unreadable", reason: "not a Radiology Draft lock record", ageMs };
    record = parsed.data;
  } catch {
    return { state: "unreadable", reason: "not JSON", ageMs };
  }
  if (record.host !== os.hostname()) return { state: "held", record }; // cannot look at another computer's processes
  if (record.pid === process.pid) {
    const mine = processStartIdentity(process.pid);
    if (record.processStart !== null && mine !== null && record.processStart !== mine)
      return { state: "stale", record, reason: `pid ${record.pid} now belongs to this process, started later` };
    return held.has(lockPath)
      ? { state: "held", record }
      : { state: "stale", record, reason: "left by an earlier run of this same process" };
  }
  if (!pidAlive(record.pid)) return { state: "stale", record, reason: `process ${record.pid} no longer runs` };
  const now = processStartIdentity(record.pid);
  if (record.processStart !== null && now !== null && now !== record.processStart) {
    return { state: "stale", record, reason: `pid ${record.pid} now belongs to an unrelated process` };
  }
  return { state: "held", record };
}

/** Holds of this process, by lock path: several opens of one database share one lock file. */
const held = new Map<string, { record: LockRecord; count: number }>();

let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // process.exit() and a normal end run 'exit' handlers: remove the lock files this process still holds.
  process.on("exit", () => {
    for (const [lockPath, hold] of held) removeIfOurs(lockPath, hold.record.nonce);
    held.clear();
  });
}

function removeIfOurs(lockPath: string, nonce: string): void {
  try {
    const current = JSON.parse(fs.readFileSync(lockPath, "utf8")) as { nonce?: unknown };
    if (current.nonce === nonce) fs.unlinkSync(lockPath);
  } catch {
    /* gone already, or not ours */
  }
}

function describeHolder(r: LockRecord): string {
  return `${r.kind} process ${r.pid} on host ${r.host}, started ${r.startedAt}`;
}

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Creates the lock file atomically with `record`; false when the name is taken. */
function createExclusive(lockPath: string, record: LockRecord): boolean {
  const text = `${JSON.stringify(record, null, 2)}\n`;
  const temp = `${lockPath}.${process.pid}.${record.nonce}.tmp`;
  fs.writeFileSync(temp, text, { mode: 0o644 });
  try {
    fs.linkSync(temp, lockPath); // the complete record appears at once, or EEXIST
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === "EEXIST") return false;
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "EOPNOTSUPP" && code !== "ENOSYS") throw err;
    // No hard links on this file system (e.g. FAT, some network shares): O_EXCL instead.
    let fd: number;
    try {
      fd = fs.openSync(lockPath, "wx", 0o644);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
      throw e;
    }
    try {
      fs.writeSync(fd, text);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    return true;
  } finally {
    fs.rmSync(temp, { force: true });
  }
}

/**
 * Moves a stale lock out of the way. It is renamed to a name of our own first and checked to be the record we
 * judged stale: if another starter replaced it meanwhile, its fresh lock is put back.
 */
function removeStale(lockPath: string, stale: LockRecord): void {
  const aside = `${lockPath}.stale-${process.pid}-${crypto.randomBytes(4).toString("hex")}`;
  try {
    fs.renameSync(lockPath, aside);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return;
    throw err;
  }
  let moved: { nonce?: unknown } = {};
  try {
    moved = JSON.parse(fs.readFileSync(aside, "utf8")) as { nonce?: unknown };
  } catch {
    /* unreadable: it was the stale one */
  }
  if (moved.nonce !== undefined && moved.nonce !== stale.nonce) {
    try {
      fs.linkSync(aside, lockPath);
    } catch {
      /* a third starter got in: it holds the folder now */
    }
  }
  fs.rmSync(aside, { force: true });
}

export interface AcquireOptions {
  /** What the lock says this process is; default: setDataDirLockKind()'s value. */
  kind?: string;
  /** Called when a stale lock is taken over (default: a line on stderr). */
  onTakeover?: (stale: LockRecord, reason: string) => void;
}

/**
 * Takes the lock of `databasePath`'s data folder, or throws DataFolderInUseError naming the folder and the live
 * holder. A stale lock (its process gone, its pid reused, or a damaged lock file older than a few seconds) is
 * taken over.
 */
export function acquireDataDirLock(databasePath: string, options: AcquireOptions = {}): DataDirLock {
  const lockPath = lockPathFor(databasePath);
  const dataDir = path.dirname(lockPath);
  const existing = held.get(lockPath);
  if (existing) {
    existing.count++;
    return makeHandle(lockPath, existing.record);
  }
  const record: LockRecord = {
    format: LOCK_FORMAT,
    pid: process.pid,
    host: os.hostname(),
    kind: options.kind ?? ownerKind,
    startedAt: new Date().toISOString(),
    processStart: processStartIdentity(process.pid),
    dataDir,
    nonce: crypto.randomBytes(12).toString("hex"),
  };
  const onTakeover =
    options.onTakeover ??
    ((stale: LockRecord, reason: string) =>
      console.error(`data folder ${dataDir}: taking over the lock of ${describeHolder(stale)} (${reason})`));
  fs.mkdirSync(dataDir, { recursive: true });
  for (let attempt = 0; attempt < 20; attempt++) {
    if (createExclusive(lockPath, record)) {
      held.set(lockPath, { record, count: 1 });
      installExitHook();
      return makeHandle(lockPath, record);
    }
    const reading = inspectLock(lockPath);
    if (reading.state === "absent") continue;
    if (reading.state === "held") {
      const r = reading.record;
      const otherHost = r.host !== os.hostname();
      throw new DataFolderInUseError(
        `the data folder ${dataDir} is in use by ${describeHolder(r)}: ` +
          (otherHost
            ? `if no Radiology Draft runs there any more, delete ${lockPath}`
            : "close it first, or give this one another data folder (--data-dir)"),
        dataDir,
        lockPath,
        r,
      );
    }
    if (reading.state === "stale") {
      onTakeover(reading.record, reading.reason);
      removeStale(lockPath, reading.record);
      continue;
    }
    // Unreadable: a starter between O_EXCL and its write (fallback path only), or a damaged file. Wait a little;
    // a damaged file that stays so for 5 s is stale.
    if (reading.ageMs > 5000) {
      console.error(`data folder ${dataDir}: removing a damaged lock file (${reading.reason})`);
      try {
        fs.unlinkSync(lockPath);
      } catch {
        /* someone else did */
      }
      continue;
    }
    sleepSync(250);
  }
  throw new DataFolderInUseError(
    `the data folder ${dataDir} is locked (${lockPath}) and the lock could not be taken over; try again`,
    dataDir,
    lockPath,
    null,
  );
}

function makeHandle(lockPath: string, record: LockRecord): DataDirLock {
  let released = false;
  return {
    lockPath,
    record,
    release: () => {
      if (released) return;
      released = true;
      const hold = held.get(lockPath);
      if (!hold || hold.record.nonce !== record.nonce) return;
      if (--hold.count > 0) return;
      held.delete(lockPath);
      removeIfOurs(lockPath, record.nonce);
    },
  };
}
