/**
 * The one writer of audit_log rows (append-only, migrations 1 and 15). Every entry records, besides its actor, the
 * account signed in when it was written (id and printed name), which the accounts service tells the database about
 * once (setAuditAccountSource); no account signed in: NULL.
 */
import type { CaseDatabase } from "./database";

export interface AuditAccount {
  id: number;
  name: string;
}

const sources = new WeakMap<CaseDatabase, () => AuditAccount | null>();

/** Who is signed in on this database's workstation (the accounts service registers itself). */
export function setAuditAccountSource(db: CaseDatabase, source: () => AuditAccount | null): void {
  sources.set(db, source);
}

export function insertAudit(
  db: CaseDatabase,
  actor: string,
  action: string,
  studyId: string | null,
  details: unknown,
): void {
  const account = sources.get(db)?.() ?? null;
  db.prepare(
    "INSERT INTO audit_log (actor, action, study_id, details, account_id, account_name) VALUES (?, ?, ?, ?, ?, ?)",
  ).run(actor, action, studyId, JSON.stringify(details), account?.id ?? null, account?.name ?? null);
}
