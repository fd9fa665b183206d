import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import {
  acquireDataDirLock,
  DataFolderInUseError,
  inspectLock,
  LOCK_FORMAT,
  lockPathFor,
  processStartIdentity,
} from "../../../src-main/db/data-dir-lock";
import { DatabaseError, openCaseDatabase } from "../../../src-main/db/database";

const repoRoot = path.resolve(import.meta.dirname, "..", "..", "..");
const tempDb = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), "rd-lock-")), "cases.sqlite");

function writeLock(dbFile: string, fields: Record<string, unknown>): string {
  const lockPath = lockPathFor(dbFile);
  fs.writeFileSync(
    lockPath,
    JSON.stringify({
      format: LOCK_FORMAT,
      pid: process.pid,
      host: os.hostname(),
      kind: "harness",
      startedAt: "2026-01-01T00:00:00.000Z",
      processStart: null,
      dataDir: path.dirname(dbFile),
      nonce: "someone-else",
      ...fields,
    }),
  );
  return lockPath;
}

function thrownBy(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  return null;
}

describe("data folder lock", () => {
  it("writes the holder's details, shares one lock between opens of one process, removes it at the last release", () => {
    const db = tempDb();
    const a = acquireDataDirLock(db, { kind: "test" });
    const record = JSON.parse(fs.readFileSync(a.lockPath, "utf8"));
    expect(record).toMatchObject({ format: LOCK_FORMAT, pid: process.pid, host: os.hostname(), kind: "test" });
    expect(record.processStart).toBe(processStartIdentity(process.pid));
    if (process.platform === "linux") expect(record.processStart).toMatch(/^linux:[0-9a-f-]{36}:\d+$/);
    const b = acquireDataDirLock(db);
    expect(b.record.nonce).toBe(a.record.nonce);
    a.release();
    a.release(); // idempotent
    expect(fs.existsSync(a.lockPath)).toBe(true);
    b.release();
    expect(fs.existsSync(a.lockPath)).toBe(false);
    expect(fs.readdirSync(path.dirname(db))).toEqual([]); // no temporary files left
  });

  it("refuses a lock held on another host, naming it and the file to delete if nothing runs there", () => {
    const db = tempDb();
    const lockPath = writeLock(db, { host: "reading-room-2", pid: 4242, kind: "electron" });
    const err = thrownBy(() => acquireDataDirLock(db));
    expect(err).toBeInstanceOf(DataFolderInUseError);
    const message = (err as Error).message;
    expect(message).toContain(`the data folder ${path.dirname(db)} is in use by electron process 4242`);
    expect(message).toContain("on host reading-room-2, started 2026-01-01T00:00:00.000Z");
    expect(message).toContain(`delete ${lockPath}`);
    expect(JSON.parse(fs.readFileSync(lockPath, "utf8")).nonce).toBe("someone-else"); // untouched
  });

  it("takes over a lock whose process is gone, and a damaged lock file older than a few seconds", () => {
    const db = tempDb();
    // A pid above the kernel's maximum never runs.
    writeLock(db, { pid: 2 ** 22 + 17 });
    expect(inspectLock(lockPathFor(db))).toMatchObject({ state: "stale" });
    const taken: string[] = [];
    const lock = acquireDataDirLock(db, { onTakeover: (_r, reason) => taken.push(reason) });
    expect(taken).toEqual([`process ${2 ** 22 + 17} no longer runs`]);
    lock.release();

    const lockPath = lockPathFor(db);
    fs.writeFileSync(lockPath, "{ half a reco");
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(lockPath, old, old);
    const again = acquireDataDirLock(db);
    expect(JSON.parse(fs.readFileSync(lockPath, "utf8")).nonce).toBe(again.record.nonce);
    again.release();
  });

  it("takes over a lock this very pid left in an earlier run (containers reuse pid 1)", () => {
    const db = tempDb();
    writeLock(db, { pid: process.pid, processStart: "linux:another-boot:1" });
    const lock = acquireDataDirLock(db, { onTakeover: () => {} });
    expect(lock.record.nonce).not.toBe("someone-else");
    lock.release();
  });

  it("lets exactly one of several processes racing for a free folder have it", async () => {
    const db = tempDb();
    // Each racer loads the module, says "ready", waits for "go" on stdin, tries once, reports, and holds what it got
    // until stdin closes: all tries happen together, and the winner still holds while the others try.
    const script = `
      import { acquireDataDirLock } from ${JSON.stringify(path.join(repoRoot, "src-main/db/data-dir-lock.ts"))};
      console.log("ready");
      process.stdin.once("data", () => {
        try { acquireDataDirLock(${JSON.stringify(db)}); console.log("got"); }
        catch (e) { console.log(e.code); }
        process.stdin.once("end", () => process.exit(0));
      });`;
    const racers = Array.from({ length: 4 }, () => {
      const child = spawn(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], {
        cwd: repoRoot,
        stdio: ["pipe", "pipe", "inherit"],
      });
      let out = "";
      const lines = (n: number) =>
        new Promise<string[]>((resolve) => {
          const check = () => {
            const got = out.split("\n").filter(Boolean);
            if (got.length >= n) resolve(got);
            else
              child.stdout.once("data", (d: Buffer) => {
                out += d.toString();
                check();
              });
          };
          check();
        });
      const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
      return { child, lines, exited };
    });
    await Promise.all(racers.map((r) => r.lines(1)));
    for (const r of racers) r.child.stdin.write("go\n");
    const results = (await Promise.all(racers.map((r) => r.lines(2)))).map((l) => l[1]!).sort();
    expect(results).toEqual(["DATA_FOLDER_IN_USE", "DATA_FOLDER_IN_USE", "DATA_FOLDER_IN_USE", "got"]);
    for (const r of racers) r.child.stdin.end();
    await Promise.all(racers.map((r) => r.exited));
    expect(fs.existsSync(lockPathFor(db))).toBe(false); // the winner's clean exit removed it
  }, 60_000);
});

describe("openCaseDatabase and the lock", () => {
  it("holds the lock while open, releases it at close; read-only and in-memory opens take none", () => {
    const file = tempDb();
    const db = openCaseDatabase(file);
    expect(fs.existsSync(lockPathFor(file))).toBe(true);
    db.close();
    expect(fs.existsSync(lockPathFor(file))).toBe(false);
    const ro = openCaseDatabase(file, { readonly: true });
    expect(fs.existsSync(lockPathFor(file))).toBe(false);
    ro.close();
    openCaseDatabase(":memory:").close();
  });

  it("refuses a held folder with a DatabaseError (code DATA_FOLDER_IN_USE) naming the holder", () => {
    const file = tempDb();
    writeLock(file, { host: "other-host", pid: 77 });
    const err = thrownBy(() => openCaseDatabase(file));
    expect(err).toBeInstanceOf(DatabaseError);
    expect((err as DatabaseError).code).toBe("DATA_FOLDER_IN_USE");
    expect((err as Error).message).toContain("in use by harness process 77 on host other-host");
    expect(fs.existsSync(file)).toBe(false); // refused before SQLite touched the file
  });
});
