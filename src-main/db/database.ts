import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { acquireDataDirLock, type DataDirLock, DataFolderInUseError } from "./data-dir-lock";
import { migrations as allMigrations, type Migration } from "./migrations";

export type CaseDatabase = Database.Database;

export class DatabaseError extends Error {
  constructor(
    message: string,
    readonly databasePath: string,
    /** DATA_FOLDER_IN_USE: another live process holds the data folder (the cause names it). */
    readonly code: "DATA_FOLDER_IN_USE" | null = null,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "DatabaseError";
  }
}

export interface OpenOptions {
  /** Apply migrations up to this version only (tests build old databases this way). */
  targetVersion?: number;
  migrations?: readonly Migration[];
  readonly?: boolean;
}

/** How long a statement waits for another connection's write lock before SQLITE_BUSY (ms). */
export const BUSY_TIMEOUT_MS = 5000;

/** Whether an error (or its cause) is SQLite's "database is locked / busy". */
export function isDatabaseBusy(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && (code.startsWith("SQLITE_BUSY") || code.startsWith("SQLITE_LOCKED"))) return true;
  }
  return false;
}

/**
 * Opens (creating if needed) the case database with WAL, foreign keys and a busy timeout, and migrates it
 * to the latest schema in one transaction per migration. Refuses a database newer than this build knows.
 * A writable file database is opened only under its data folder's lock (`data-dir-lock.ts`): a second process on
 * the same folder gets a DatabaseError (code DATA_FOLDER_IN_USE) naming the folder and the holder; `db.close()`
 * releases the lock.
 */
export function openCaseDatabase(databasePath: string, options: OpenOptions = {}): CaseDatabase {
  const migrations = options.migrations ?? allMigrations;
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  const target = options.targetVersion ?? latest;
  const inMemory = databasePath === ":memory:" || databasePath === "";
  if (!inMemory) fs.mkdirSync(path.dirname(databasePath), { recursive: true });
  let lock: DataDirLock | null = null;
  try {
    lock = inMemory || options.readonly ? null : acquireDataDirLock(databasePath);
  } catch (err) {
    if (err instanceof DataFolderInUseError)
      throw new DatabaseError(err.message, databasePath, "DATA_FOLDER_IN_USE", { cause: err });
    throw new DatabaseError(
      `cannot lock the data folder of ${databasePath}: ${(err as Error).message}`,
      databasePath,
      null,
      { cause: err },
    );
  }
  let db: CaseDatabase;
  try {
    db = new Database(databasePath, { readonly: options.readonly ?? false });
  } catch (err) {
    lock?.release();
    throw new DatabaseError(`cannot open case database ${databasePath}: ${(err as Error).message}`, databasePath);
  }
  if (lock) {
    const hold = lock;
    const close = db.close.bind(db);
    db.close = () => {
      try {
        return close();
      } finally {
        hold.release();
      }
    };
  }
  try {
    // The busy timeout first: even the WAL switch waits for another connection instead of failing at once.
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    if (!options.readonly) db.pragma("journal_mode = WAL");
    db.pragma("foreign_keys = ON");
    db.pragma("synchronous = NORMAL");
    const quick = db.pragma("quick_check", { simple: true });
    if (quick !== "ok")
      throw new DatabaseError(`case database ${databasePath} is damaged: ${String(quick)}`, databasePath);
    const current = schemaVersion(db);
    if (current > latest) {
      throw new DatabaseError(
        `case database ${databasePath} has schema version ${current}, newer than this build supports (${latest}); update the application`,
        databasePath,
      );
    }
    for (const m of migrations) {
      if (m.version <= current || m.version > target) continue;
      db.transaction(() => {
        db.exec(m.sql);
        db.pragma(`user_version = ${m.version}`);
      })();
    }
    return db;
  } catch (err) {
    db.close();
    if (err instanceof DatabaseError) throw err;
    throw new DatabaseError(`cannot prepare case database ${databasePath}: ${(err as Error).message}`, databasePath);
  }
}

export function schemaVersion(db: CaseDatabase): number {
  return db.pragma("user_version", { simple: true }) as number;
}
