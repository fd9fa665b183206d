/**
 * Local user accounts (docs/security.md, "Accounts"): who is signed in, re-authentication with the password or PIN,
 * and the idle lock. Hashes: password-hash.ts (scrypt). Every account change and sign-in is audited (audit_log,
 * actor = the account's user name).
 */
import type Database from "better-sqlite3";
import {
  type Account,
  type AccountSession,
  type CreateAccountInput,
  CreateAccountInputSchema,
  type Credential,
  CredentialSchema,
  dicomPersonName,
  displayPersonName,
  type PersonNameParts,
} from "../../../src-shared/account-types";
import { insertAudit, setAuditAccountSource } from "../../db/audit-log";
import { RequestError } from "../request-error";
import { DEFAULT_SCRYPT, hashSecret, needsRehash, verifySecret } from "./password-hash";

export const IDLE_LOCK_SETTING = "accounts.idleLockSeconds";
export const DEFAULT_IDLE_LOCK_SECONDS = 15 * 60;

export class AccountError extends RequestError<"CONFLICT" | "UNAUTHORIZED" | "BAD_REQUEST"> {
  override name = "AccountError";
}

interface AccountRow {
  id: number;
  username: string;
  family_name: string;
  given_name: string;
  middle_name: string;
  name_prefix: string;
  name_suffix: string;
  password_hash: string;
  pin_hash: string | null;
  created_at: string;
}

function toAccount(r: AccountRow): Account {
  const name: PersonNameParts = {
    family: r.family_name,
    given: r.given_name,
    middle: r.middle_name,
    prefix: r.name_prefix,
    suffix: r.name_suffix,
  };
  return {
    id: r.id,
    username: r.username,
    name,
    displayName: displayPersonName(name),
    dicomName: dicomPersonName(name),
    hasPin: r.pin_hash !== null,
    createdAt: r.created_at,
  };
}

/** What an unknown user name's password is checked against: today's cost parameters, a salt and key nobody has. */
const UNKNOWN_USER_HASH = `scrypt$${DEFAULT_SCRYPT.N}$${DEFAULT_SCRYPT.r}$${DEFAULT_SCRYPT.p}$${Buffer.alloc(16).toString("base64")}$${Buffer.alloc(32).toString("base64")}`;

export class AccountsService {
  private current: { accountId: number; lastActivity: number } | null = null;

  constructor(
    private readonly db: Database.Database,
    private readonly now: () => number = Date.now,
  ) {
    // Every audit entry on this database records who is signed in (locked or not), by id and printed name.
    setAuditAccountSource(db, () => {
      const row = this.current ? this.row("id", this.current.accountId) : undefined;
      return row ? { id: row.id, name: toAccount(row).displayName } : null;
    });
  }

  private row(where: "id" | "username", value: number | string): AccountRow | undefined {
    return this.db.prepare(`SELECT * FROM accounts WHERE ${where} = ?`).get(value) as AccountRow | undefined;
  }

  private audit(actor: string, action: string, details: Record<string, unknown>): void {
    insertAudit(this.db, actor, action, null, details);
  }

  list(): Account[] {
    return (this.db.prepare("SELECT * FROM accounts ORDER BY id").all() as AccountRow[]).map(toAccount);
  }

  idleLockSeconds(): number {
    const r = this.db.prepare("SELECT value FROM settings WHERE key = ?").get(IDLE_LOCK_SETTING) as
      | { value: string }
      | undefined;
    const v = r ? (JSON.parse(r.value) as unknown) : undefined;
    return typeof v === "number" && Number.isInteger(v) && v >= 30 ? v : DEFAULT_IDLE_LOCK_SECONDS;
  }

  setIdleLockSeconds(seconds: number): AccountSession {
    const actor = this.requireUnlocked("changing the idle lock");
    if (!Number.isInteger(seconds) || seconds < 30 || seconds > 24 * 3600)
      throw new AccountError("the idle lock is between 30 seconds and 24 hours", "BAD_REQUEST");
    this.db
      .prepare(
        `INSERT INTO settings (key, value) VALUES (?, ?)
         ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')`,
      )
      .run(IDLE_LOCK_SETTING, JSON.stringify(seconds));
    this.audit(actor.username, "settings.idle-lock", { seconds });
    return this.session();
  }

  /**
   * Whether an account is signed in, locked or not: the sign-in gate's question on every API call and image request
   * (src-main/ipc/sign-in-gate.ts), one indexed read where session() makes three.
   */
  isSignedIn(): boolean {
    return this.current !== null && this.row("id", this.current.accountId) !== undefined;
  }

  session(): AccountSession {
    const firstRun = (this.db.prepare("SELECT COUNT(*) AS n FROM accounts").get() as { n: number }).n === 0;
    const row = this.current ? this.row("id", this.current.accountId) : undefined;
    if (this.current && !row) this.current = null;
    const idleLockSeconds = this.idleLockSeconds();
    const locked = this.current !== null && this.now() - this.current.lastActivity > idleLockSeconds * 1000;
    return { firstRun, account: row ? toAccount(row) : null, locked, idleLockSeconds };
  }

  /**
   * Creates an account. The first one is created without signing in (first run) and is signed in at once; later
   * ones need a signed-in, unlocked account.
   */
  async create(input: CreateAccountInput): Promise<Account> {
    const parsed = CreateAccountInputSchema.safeParse(input);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new AccountError(issue?.message ?? "invalid account", "BAD_REQUEST");
    }
    const { firstRun } = this.session();
    const creator = firstRun ? null : this.requireUnlocked("creating an account");
    const a = parsed.data;
    if (this.row("username", a.username)) throw new AccountError(`the user name ${a.username} is taken`, "CONFLICT");
    const passwordHash = await hashSecret(a.password);
    const pinHash = a.pin ? await hashSecret(a.pin) : null;
    const id = this.db.transaction(() => {
      if (this.row("username", a.username)) throw new AccountError(`the user name ${a.username} is taken`, "CONFLICT");
      // Two first-run creates racing through their hashes: only the first is a first run; the other must sign in.
      if (firstRun && (this.db.prepare("SELECT COUNT(*) AS n FROM accounts").get() as { n: number }).n > 0)
        throw new AccountError("an account was created meanwhile: sign in with it", "CONFLICT");
      const info = this.db
        .prepare(
          `INSERT INTO accounts (username, family_name, given_name, middle_name, name_prefix, name_suffix,
             password_hash, pin_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          a.username,
          a.name.family,
          a.name.given,
          a.name.middle,
          a.name.prefix,
          a.name.suffix,
          passwordHash,
          pinHash,
        );
      const newId = Number(info.lastInsertRowid);
      this.audit(creator?.username ?? a.username, "account.created", {
        username: a.username,
        dicomName: dicomPersonName(a.name),
        pin: pinHash !== null,
        firstRun,
      });
      return newId;
    })();
    if (firstRun) this.current = { accountId: id, lastActivity: this.now() };
    return toAccount(this.row("id", id) as AccountRow);
  }

  async signIn(username: string, password: string): Promise<AccountSession> {
    const row = this.row("username", username.trim().toLowerCase());
    // An unknown user name costs one hash too (against a well-formed hash of today's parameters that nothing
    // matches), so timing does not tell which user names exist.
    const ok = await verifySecret(password, row?.password_hash ?? UNKNOWN_USER_HASH);
    if (!row || !ok) {
      this.audit(username.trim().toLowerCase() || "?", "account.sign-in-failed", {});
      throw new AccountError("wrong user name or password", "UNAUTHORIZED");
    }
    await this.rehashIfWeak(row, "password_hash", password);
    this.current = { accountId: row.id, lastActivity: this.now() };
    this.audit(row.username, "account.signed-in", {});
    return this.session();
  }

  /**
   * A verified secret whose stored hash has weaker cost parameters than today's is stored again with today's. Best
   * effort: a failure (memory, a busy database) keeps the old hash, which still verifies, and never fails the
   * sign-in or re-authentication that verified it.
   */
  private async rehashIfWeak(row: AccountRow, column: "password_hash" | "pin_hash", secret: string): Promise<void> {
    const stored = row[column];
    if (!stored || !needsRehash(stored)) return;
    try {
      const hash = await hashSecret(secret);
      this.db.prepare(`UPDATE accounts SET ${column} = ? WHERE id = ? AND ${column} = ?`).run(hash, row.id, stored);
    } catch (err) {
      console.error(`accounts: ${row.username}'s ${column} kept with its old cost: ${(err as Error).message}`);
    }
  }

  signOut(): AccountSession {
    const s = this.session();
    if (s.account) this.audit(s.account.username, "account.signed-out", {});
    this.current = null;
    return this.session();
  }

  /** Locks the session at once (the UI's "Lock" command); the password or PIN unlocks it. */
  lock(): AccountSession {
    if (this.current) this.current.lastActivity = Number.NEGATIVE_INFINITY;
    return this.session();
  }

  /** Checks the password or PIN of the signed-in account (re-authentication before signing, unlocking). */
  async verify(credential: Credential, purpose: string, options: { unlocking?: boolean } = {}): Promise<Account> {
    const parsed = CredentialSchema.safeParse(credential);
    if (!parsed.success) throw new AccountError(`enter your password or PIN for ${purpose}`, "BAD_REQUEST");
    // A locked session is unlocked first (unlock), so a credential typed for signing never lifts the lock silently.
    if (!options.unlocking) this.requireUnlocked(purpose);
    const session = this.current;
    const row = session ? this.row("id", session.accountId) : undefined;
    if (!row) throw new AccountError(`no one is signed in: sign in before ${purpose}`, "UNAUTHORIZED");
    const c = parsed.data;
    let ok: boolean;
    if ("pin" in c) {
      if (!row.pin_hash) throw new AccountError("this account has no PIN: enter the password", "BAD_REQUEST");
      ok = await verifySecret(c.pin, row.pin_hash);
    } else ok = await verifySecret(c.password, row.password_hash);
    if (!ok) {
      this.audit(row.username, "account.reauth-failed", { purpose, with: "pin" in c ? "pin" : "password" });
      throw new AccountError(`wrong ${"pin" in c ? "PIN" : "password"}`, "UNAUTHORIZED");
    }
    if ("pin" in c) await this.rehashIfWeak(row, "pin_hash", c.pin);
    else await this.rehashIfWeak(row, "password_hash", c.password);
    // The hash takes a while: a sign-out (and maybe another sign-in) meanwhile voids this check.
    if (this.current !== session)
      throw new AccountError(
        `the session changed while your ${purpose} credential was checked: try again`,
        "UNAUTHORIZED",
      );
    if (this.current) this.current.lastActivity = this.now();
    return toAccount(row);
  }

  async unlock(credential: Credential): Promise<AccountSession> {
    const account = await this.verify(credential, "unlocking", { unlocking: true });
    this.audit(account.username, "account.unlocked", {});
    return this.session();
  }

  /**
   * The user is at the workstation (the renderer reports keyboard and pointer input, at most every few seconds):
   * keeps an unlocked session alive; a locked or signed-out one is only reported back, never unlocked.
   */
  activity(): AccountSession {
    const s = this.session();
    // Unlocked: the session read above stays true after the clock is moved on; otherwise nothing changed.
    if (this.current && s.account && !s.locked) this.current.lastActivity = this.now();
    return s;
  }

  /** Activity (any edit or command): keeps an unlocked session alive; refuses when locked. */
  touch(purpose: string): Account {
    const account = this.requireUnlocked(purpose);
    if (this.current) this.current.lastActivity = this.now();
    return account;
  }

  /** The signed-in account, if the session is not locked; else a clear error. */
  requireUnlocked(purpose: string): Account {
    const s = this.session();
    if (!s.account) throw new AccountError(`no one is signed in: sign in before ${purpose}`, "UNAUTHORIZED");
    if (s.locked)
      throw new AccountError(
        `the session locked after ${s.idleLockSeconds} s idle: unlock it before ${purpose}`,
        "UNAUTHORIZED",
      );
    return s.account;
  }
}
