/**
 * Report macros and templates (issue 18.4, table `macros`, migration 14): each account's own macros (name, text with
 * pick-list slots and blanks, optional hotkey) after the built-in templates every account has (the normal chest
 * template, src-shared/templates.ts). While no account exists (a fresh workstation) macros
 * are the workstation's, and the first account adopts them. Export and import as a JSON file (src-shared/
 * macro-types.ts), validated entry by entry with errors that name the entry and the field. Every change is audited.
 */
import type { ZodError, z } from "zod";
import {
  MACROS_FILE_FORMAT,
  MAX_MACROS,
  MAX_MACROS_FILE_CHARS,
  type Macro,
  type MacroEdit,
  MacroEditSchema,
  type MacroInput,
  MacroInputSchema,
  type MacroList,
  type MacroOwner,
  type MacrosExport,
  MacrosFileSchema,
  type MacrosImportResult,
} from "../../../src-shared/macro-types";
import { BUILT_IN_TEMPLATES } from "../../../src-shared/templates";
import { insertAudit } from "../../db/audit-log";
import type { CaseDatabase } from "../../db/database";
import type { AccountsService } from "../accounts/accounts-service";
import { RequestError } from "../request-error";

/** A macro request that cannot be done as asked; `code` is the transport's (BAD_REQUEST, CONFLICT, NOT_FOUND). */
export class MacroError extends RequestError<"BAD_REQUEST" | "CONFLICT" | "NOT_FOUND"> {
  override name = "MacroError";
}

interface Row {
  id: number;
  account_id: number | null;
  name: string;
  text: string;
  hotkey: string | null;
  created_at: string;
  updated_at: string;
}

/** Who owns the macros of this request: an account id, or null for the workstation's. */
interface Owner {
  accountId: number | null;
  actor: string;
}

const fromRow = (r: Row): Macro => ({
  id: r.id,
  builtIn: false,
  name: r.name,
  text: r.text,
  hotkey: r.hotkey,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
});

const BUILT_INS: Macro[] = BUILT_IN_TEMPLATES.map((t) => ({
  id: null,
  builtIn: true,
  name: t.name,
  text: t.text,
  hotkey: null,
  createdAt: null,
  updatedAt: null,
}));

/** A zod failure as one line: "macros.2.name: the name is required; …". */
function issuesText(err: ZodError, prefix: string): string {
  return err.issues
    .slice(0, 5)
    .map((i) => {
      const where = [prefix, ...i.path.map((p) => (typeof p === "number" ? String(p + 1) : String(p)))]
        .filter(Boolean)
        .join(".");
      return where ? `${where}: ${i.message}` : i.message;
    })
    .join("; ");
}

function parsed<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) throw new MacroError(`${what}: ${issuesText(r.error, "")}`, "BAD_REQUEST");
  return r.data;
}

const ownerKey = "ifnull(account_id, 0) = ifnull(?, 0)";

export class MacrosService {
  constructor(
    private readonly db: CaseDatabase,
    private readonly accounts: AccountsService,
  ) {}

  /** The built-in templates, then the owner's macros by name; only the built-ins while no one is signed in. */
  list(): MacroList {
    const session = this.accounts.session();
    let owner: MacroOwner;
    let accountId: number | null = null;
    if (session.firstRun) owner = { kind: "workstation" };
    else if (!session.account) owner = { kind: "none", reason: "no one is signed in: sign in to use your macros" };
    else if (session.locked) owner = { kind: "none", reason: "the session is locked: unlock it to use your macros" };
    else {
      owner = { kind: "account", username: session.account.username, displayName: session.account.displayName };
      accountId = session.account.id;
      this.adoptWorkstationMacros(accountId, session.account.username);
    }
    const own =
      owner.kind === "none"
        ? []
        : (
            this.db
              .prepare(`SELECT * FROM macros WHERE ${ownerKey} ORDER BY name COLLATE NOCASE, id`)
              .all(accountId) as Row[]
          ).map(fromRow);
    return { owner, macros: [...BUILT_INS, ...own] };
  }

  create(input: MacroInput): Macro {
    const owner = this.owner("creating a macro");
    const macro = parsed(MacroInputSchema, input, "macro not saved");
    const id = this.db.transaction(() => {
      this.requireFree(owner, macro.name, macro.hotkey, null);
      const count = (
        this.db.prepare(`SELECT COUNT(*) AS n FROM macros WHERE ${ownerKey}`).get(owner.accountId) as {
          n: number;
        }
      ).n;
      if (count >= MAX_MACROS) throw new MacroError(`at most ${MAX_MACROS} macros per account`, "CONFLICT");
      const info = this.db
        .prepare("INSERT INTO macros (account_id, name, text, hotkey) VALUES (?, ?, ?, ?)")
        .run(owner.accountId, macro.name, macro.text, macro.hotkey);
      const newId = Number(info.lastInsertRowid);
      this.audit(owner, "macro.created", { id: newId, name: macro.name, hotkey: macro.hotkey });
      return newId;
    })();
    return this.get(owner, id);
  }

  update(edit: MacroEdit): Macro {
    const owner = this.owner("editing a macro");
    const e = parsed(MacroEditSchema, edit, "macro not saved");
    this.db.transaction(() => {
      const current = this.get(owner, e.id);
      const name = e.name ?? current.name;
      const hotkey = e.hotkey === undefined ? current.hotkey : e.hotkey;
      this.requireFree(owner, name, hotkey, e.id);
      this.db
        .prepare(
          `UPDATE macros SET name = ?, text = ?, hotkey = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now')
           WHERE id = ?`,
        )
        .run(name, e.text ?? current.text, hotkey, e.id);
      this.audit(owner, "macro.edited", { id: e.id, name, hotkey });
    })();
    return this.get(owner, e.id);
  }

  delete(id: number): { id: number } {
    const owner = this.owner("deleting a macro");
    this.db.transaction(() => {
      const current = this.get(owner, id);
      this.db.prepare("DELETE FROM macros WHERE id = ?").run(id);
      this.audit(owner, "macro.deleted", { id, name: current.name });
    })();
    return { id };
  }

  /** The owner's macros as a JSON file (the built-in templates are not in it: every workstation has them). */
  exportJson(): MacrosExport {
    const owner = this.owner("exporting macros");
    const own = this.list().macros.filter((m) => !m.builtIn);
    const file = {
      format: MACROS_FILE_FORMAT,
      version: 1 as const,
      exportedAt: new Date().toISOString(),
      exportedBy: owner.actor,
      macros: own.map((m) => ({ name: m.name, text: m.text, hotkey: m.hotkey })),
    };
    this.audit(owner, "macros.exported", { count: own.length });
    const who = owner.actor.replace(/[^a-z0-9._-]/gi, "_");
    return { fileName: `macros-${who}.json`, json: `${JSON.stringify(file, null, 2)}\n`, count: own.length };
  }

  /**
   * Imports a macros file: each entry is added, or replaces the text and hotkey of the owner's macro of the same
   * name. All or nothing: the first problem (not JSON, wrong format, an invalid entry, two entries with one name or
   * hotkey, a hotkey another macro has) refuses the whole file, naming the entry.
   */
  importJson(json: string): MacrosImportResult {
    const owner = this.owner("importing macros");
    if (json.length > MAX_MACROS_FILE_CHARS)
      throw new MacroError(
        `the file is over ${MAX_MACROS_FILE_CHARS / 1_000_000} MB of text: not a macros file`,
        "BAD_REQUEST",
      );
    let data: unknown;
    try {
      data = JSON.parse(json);
    } catch (err) {
      throw new MacroError(`the file is not JSON (${(err as Error).message})`, "BAD_REQUEST");
    }
    const result = MacrosFileSchema.safeParse(data);
    if (!result.success) throw new MacroError(`macros file refused: ${issuesText(result.error, "")}`, "BAD_REQUEST");
    const entries = result.data.macros;
    const seenName = new Map<string, number>();
    const seenKey = new Map<string, number>();
    entries.forEach((m, i) => {
      const n = m.name.toLowerCase();
      const dup = seenName.get(n);
      if (dup !== undefined)
        throw new MacroError(
          `macros file refused: macros ${dup + 1} and ${i + 1} are both named "${m.name}"`,
          "BAD_REQUEST",
        );
      seenName.set(n, i);
      if (!m.hotkey) return;
      const other = seenKey.get(m.hotkey);
      if (other !== undefined)
        throw new MacroError(
          `macros file refused: macros ${other + 1} and ${i + 1} both have the hotkey ${m.hotkey}`,
          "BAD_REQUEST",
        );
      seenKey.set(m.hotkey, i);
    });
    let added = 0;
    let updated = 0;
    this.db.transaction(() => {
      const existing = this.db.prepare(`SELECT * FROM macros WHERE ${ownerKey}`).all(owner.accountId) as Row[];
      const byName = new Map(existing.map((r) => [r.name.toLowerCase(), r]));
      // A hotkey stays with a macro the file does not touch: the file may not take it.
      for (const [i, m] of entries.entries()) {
        if (!m.hotkey) continue;
        const holder = existing.find((r) => r.hotkey === m.hotkey && !seenName.has(r.name.toLowerCase()));
        if (holder)
          throw new MacroError(
            `macros file refused: macro ${i + 1} ("${m.name}") has the hotkey ${m.hotkey} of your macro "${holder.name}"`,
            "CONFLICT",
          );
      }
      // Hotkeys of replaced macros are cleared first, so two entries may swap theirs.
      const clear = this.db.prepare("UPDATE macros SET hotkey = NULL WHERE id = ?");
      for (const m of entries) {
        const r = byName.get(m.name.toLowerCase());
        if (r) clear.run(r.id);
      }
      if (existing.length + entries.filter((m) => !byName.has(m.name.toLowerCase())).length > MAX_MACROS)
        throw new MacroError(`macros file refused: at most ${MAX_MACROS} macros per account`, "CONFLICT");
      for (const m of entries) {
        const r = byName.get(m.name.toLowerCase());
        if (r) {
          this.db
            .prepare(
              `UPDATE macros SET text = ?, hotkey = ?, updated_at = strftime('%Y-%m-%dT%H:%M:%fZ', 'now') WHERE id = ?`,
            )
            .run(m.text, m.hotkey, r.id);
          updated++;
        } else {
          this.db
            .prepare("INSERT INTO macros (account_id, name, text, hotkey) VALUES (?, ?, ?, ?)")
            .run(owner.accountId, m.name, m.text, m.hotkey);
          added++;
        }
      }
      this.audit(owner, "macros.imported", { added, updated });
    })();
    return { added, updated, list: this.list() };
  }

  /** The signed-in, unlocked account (kept active), or the workstation while no account exists. */
  private owner(purpose: string): Owner {
    if (this.accounts.session().firstRun) return { accountId: null, actor: "workstation" };
    const account = this.accounts.touch(purpose);
    this.adoptWorkstationMacros(account.id, account.username);
    return { accountId: account.id, actor: account.username };
  }

  /** Macros made before any account existed go to the first account that uses macros. */
  private adoptWorkstationMacros(accountId: number, username: string): void {
    if (!this.db.prepare("SELECT 1 FROM macros WHERE account_id IS NULL LIMIT 1").get()) return;
    const first = this.db.prepare("SELECT MIN(id) AS id FROM accounts").get() as { id: number | null };
    if (first.id !== accountId) return;
    this.db.transaction(() => {
      const n = this.db.prepare("UPDATE macros SET account_id = ? WHERE account_id IS NULL").run(accountId).changes;
      this.audit({ accountId, actor: username }, "macros.adopted", { count: n });
    })();
  }

  private get(owner: Owner, id: number): Macro {
    const row = this.db.prepare(`SELECT * FROM macros WHERE id = ? AND ${ownerKey}`).get(id, owner.accountId) as
      | Row
      | undefined;
    if (!row) throw new MacroError(`macro ${id} does not exist (deleted, or another account's)`, "NOT_FOUND");
    return fromRow(row);
  }

  /** The name and hotkey are the owner's only macro's (besides `except`), else a clear conflict. */
  private requireFree(owner: Owner, name: string, hotkey: string | null, except: number | null): void {
    const sameName = this.db
      .prepare(`SELECT name FROM macros WHERE ${ownerKey} AND name = ? COLLATE NOCASE AND id <> ifnull(?, 0)`)
      .get(owner.accountId, name, except) as { name: string } | undefined;
    if (sameName) throw new MacroError(`you have a macro named "${sameName.name}" already`, "CONFLICT");
    if (!hotkey) return;
    const sameKey = this.db
      .prepare(`SELECT name FROM macros WHERE ${ownerKey} AND hotkey = ? AND id <> ifnull(?, 0)`)
      .get(owner.accountId, hotkey, except) as { name: string } | undefined;
    if (sameKey) throw new MacroError(`the hotkey ${hotkey} is the macro "${sameKey.name}"'s already`, "CONFLICT");
  }

  private audit(owner: Owner, action: string, details: Record<string, unknown>): void {
    insertAudit(this.db, owner.actor, action, null, details);
  }
}
