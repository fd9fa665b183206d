import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import { migrations as allMigrations, type Migration } from "./migrations";

export type CaseDatabase = Database.Database;

export class DatabaseError extends Error {
  constructor(
    message: string,
    readonly databasePath: string,
  ) {
    super(message);
    this.name = "DatabaseError";
  }
}

export interface OpenOptions {
  /** Apply migrations up to this version only (tests build old databases this way). */
  targetVersion?: number;
  migrations?: readonly Migration[];
  readonly?: boolean;
}

/**
 * Opens (creating if needed) the case database with WAL, foreign keys and a busy timeout, and migrates it
 * to the latest schema in one transaction per migration. Refuses a database newer than this build knows.
 */
export function openCaseDatabase(databasePath: string, options: OpenOptions = {}): CaseDatabase {
  const migrations = options.migrations ?? allMigrations;
  const latest = migrations[migrations.length - 1]?.version ?? 0;
  const target = options.targetVersion ?? latest;
  if (databasePath !== ":memory:") fs.mkdirSync(path.dirname(databasePath), { recursive: true });
  let db: CaseDatabase;
  try {
    db = new Database(databasePath, { readonly: options.readonly ?? false });
  } catch (err) {
    throw new DatabaseError(`cannot open case database ${databasePath}: ${(err as Error).message}`, databasePath);
  }
  try {
    if (!options.readonly) db.pragma("journal_mode = WAL");
    db.pragma("foreign_keys = ON");
    db.pragma("busy_timeout = 5000");
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
