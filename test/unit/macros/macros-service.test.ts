/**
 * Report macros (issue 18.4) on a real case database (migration 14) with real accounts: the built-in normal chest
 * template for everyone, macros per account, the workstation's macros before any account exists (adopted by the
 * first), create / edit / delete with name and hotkey conflicts, a locked session refused, persistence across a
 * restart, JSON export and import (validated, all or nothing, errors naming the entry), and the IPC layer's
 * validation and error codes.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { TRPCError } from "@trpc/server";
import { afterEach, describe, expect, it } from "vitest";
import { openCaseDatabase } from "../../../src-main/db/database";
import { appRouter } from "../../../src-main/ipc/router";
import { createCallerFactory } from "../../../src-main/ipc/trpc";
import { createServices } from "../../../src-main/services";
import { AccountsService } from "../../../src-main/services/accounts/accounts-service";
import { type MacroError, MacrosService } from "../../../src-main/services/macros/macros-service";
import { MACROS_FILE_FORMAT } from "../../../src-shared/macro-types";
import { NORMAL_CHEST_TEMPLATE } from "../../../src-shared/templates";
import { signInAccount } from "../../support/accounts-fixtures";

const dirs: string[] = [];
const closers: Array<() => void> = [];
function freshDir() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-macros-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const c of closers.splice(0)) c();
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

function open(dir: string, now: () => number = Date.now) {
  const db = openCaseDatabase(path.join(dir, "cases.sqlite"));
  closers.push(() => db.close());
  const accounts = new AccountsService(db, now);
  return { db, accounts, macros: new MacrosService(db, accounts) };
}

const person = (username: string, family: string) => ({
  username,
  name: { family, given: "Ada", middle: "", prefix: "Dr.", suffix: "" },
  password: "correct horse battery",
  pin: "4711",
});

const EFFUSION = {
  name: "Effusion",
  text: "Small [left|right] pleural effusion measuring [___] cm.",
  hotkey: "Alt+Shift+e",
};

const refusal = (fn: () => unknown) => {
  try {
    fn();
  } catch (err) {
    return err as MacroError;
  }
  throw new Error("not refused");
};

describe("MacrosService (real SQLite)", () => {
  it("offers the normal chest template always, and keeps the workstation's macros until an account adopts them", async () => {
    const dir = freshDir();
    const { db, accounts, macros } = open(dir);
    const first = macros.list();
    expect(first.owner).toEqual({ kind: "workstation" });
    expect(first.macros).toEqual([
      {
        id: null,
        builtIn: true,
        name: "Normal chest",
        text: NORMAL_CHEST_TEMPLATE.text,
        hotkey: null,
        createdAt: null,
        updatedAt: null,
      },
    ]);
    const made = macros.create(EFFUSION);
    expect(made).toMatchObject({ builtIn: false, name: "Effusion", hotkey: "Alt+Shift+e" });
    expect(db.prepare("SELECT account_id FROM macros").all()).toEqual([{ account_id: null }]);

    // The first account adopts the workstation's macro; a second account starts with the built-in only.
    const ada = await accounts.create(person("ada", "Reviewer"));
    expect(macros.list()).toMatchObject({
      owner: { kind: "account", username: "ada", displayName: ada.displayName },
      macros: [{ name: "Normal chest" }, { name: "Effusion", id: made.id }],
    });
    await accounts.create(person("bob", "Second"));
    await accounts.signIn("bob", "correct horse battery");
    expect(macros.list().macros.map((m) => m.name)).toEqual(["Normal chest"]);
    // Bob may use Ada's name and hotkey: they are per account. Ada's macro is not Bob's to edit.
    const bobs = macros.create({ ...EFFUSION, text: "Bob's [a|b]." });
    expect(refusal(() => macros.update({ id: made.id as number, text: "x" }))).toMatchObject({
      code: "NOT_FOUND",
      message: `macro ${made.id} does not exist (deleted, or another account's)`,
    });
    await accounts.signIn("ada", "correct horse battery");
    expect(macros.list().macros.map((m) => m.text)).toEqual([NORMAL_CHEST_TEMPLATE.text, EFFUSION.text]);
    expect(bobs.id).not.toBe(made.id);
    const audit = db.prepare("SELECT actor, action FROM audit_log WHERE action LIKE 'macro%' ORDER BY id").all();
    expect(audit).toEqual([
      { actor: "workstation", action: "macro.created" },
      { actor: "ada", action: "macros.adopted" },
      { actor: "bob", action: "macro.created" },
    ]);
  });

  it("edits and deletes; refuses duplicate names and hotkeys, the built-in's name, bad input; persists", async () => {
    const dir = freshDir();
    const { accounts, macros } = open(dir);
    await accounts.create(person("ada", "Reviewer"));
    const a = macros.create(EFFUSION);
    const b = macros.create({ name: "Lines", text: "The [ETT|NGT] tip is [___] cm above the carina." });
    expect(refusal(() => macros.create({ ...EFFUSION, name: "effusion" }))).toMatchObject({
      code: "CONFLICT",
      message: 'you have a macro named "Effusion" already',
    });
    expect(refusal(() => macros.update({ id: b.id as number, hotkey: "Alt+Shift+e" }))).toMatchObject({
      code: "CONFLICT",
      message: 'the hotkey Alt+Shift+e is the macro "Effusion"\'s already',
    });
    expect(refusal(() => macros.create({ name: "normal CHEST", text: "x" }))).toMatchObject({
      code: "BAD_REQUEST",
      message: "macro not saved: name: this is the built-in template's name; choose another",
    });
    expect(refusal(() => macros.create({ name: "No key", text: "x", hotkey: "m" })).message).toBe(
      "macro not saved: hotkey: a hotkey is Ctrl or Alt (optionally with Shift) and one key, e.g. Alt+Shift+n",
    );
    expect(refusal(() => macros.create({ name: "Empty", text: "  " })).message).toBe(
      "macro not saved: text: the text is empty",
    );

    const edited = macros.update({ id: a.id as number, name: "Pleural effusion", hotkey: null });
    expect(edited).toMatchObject({ name: "Pleural effusion", hotkey: null, text: EFFUSION.text });
    expect(macros.update({ id: b.id as number, hotkey: "Alt+Shift+e" }).hotkey).toBe("Alt+Shift+e");
    expect(macros.delete(a.id as number)).toEqual({ id: a.id });
    expect(refusal(() => macros.delete(a.id as number)).code).toBe("NOT_FOUND");

    // A restart: the same macros come back for the same account.
    for (const c of closers.splice(0)) c();
    const again = open(dir);
    await again.accounts.signIn("ada", "correct horse battery");
    expect(again.macros.list().macros.map((m) => [m.name, m.hotkey])).toEqual([
      ["Normal chest", null],
      ["Lines", "Alt+Shift+e"],
    ]);
  });

  it("refuses changes while signed out or locked; the built-in template stays listed", async () => {
    let t = 1_000_000;
    const { accounts, macros } = open(freshDir(), () => t);
    await accounts.create(person("ada", "Reviewer"));
    macros.create(EFFUSION);
    t += 16 * 60 * 1000;
    expect(macros.list()).toMatchObject({
      owner: { kind: "none", reason: "the session is locked: unlock it to use your macros" },
      macros: [{ name: "Normal chest" }],
    });
    expect(() => macros.create({ name: "X", text: "y" })).toThrow(
      "the session locked after 900 s idle: unlock it before creating a macro",
    );
    accounts.signOut();
    expect(macros.list().owner).toEqual({ kind: "none", reason: "no one is signed in: sign in to use your macros" });
    expect(() => macros.exportJson()).toThrow("no one is signed in: sign in before exporting macros");
  });

  it("exports JSON that imports again; import adds or replaces by name, all or nothing, naming the entry", async () => {
    const { accounts, macros } = open(freshDir());
    await accounts.create(person("ada", "Reviewer"));
    macros.create(EFFUSION);
    macros.create({ name: "Lines", text: "The [ETT|NGT] tip is [___] cm above the carina.", hotkey: "Alt+Shift+l" });
    const file = macros.exportJson();
    expect(file.fileName).toBe("macros-ada.json");
    expect(file.count).toBe(2);
    const parsed = JSON.parse(file.json);
    expect(parsed).toMatchObject({ format: MACROS_FILE_FORMAT, version: 1, exportedBy: "ada" });
    expect(parsed.macros).toEqual([
      { name: "Effusion", text: EFFUSION.text, hotkey: "Alt+Shift+e" },
      { name: "Lines", text: "The [ETT|NGT] tip is [___] cm above the carina.", hotkey: "Alt+Shift+l" },
    ]);

    // Into a fresh account: both added. Again with one changed and one new: one replaced, one added; the two
    // existing hotkeys swap.
    await accounts.create(person("bob", "Second"));
    await accounts.signIn("bob", "correct horse battery");
    expect(macros.importJson(file.json)).toMatchObject({ added: 2, updated: 0 });
    const next = {
      ...parsed,
      macros: [
        { name: "effusion", text: "Moderate [left|right] effusion.", hotkey: "Alt+Shift+l" },
        { name: "Lines", text: parsed.macros[1].text, hotkey: "Alt+Shift+e" },
        { name: "Cardiomegaly", text: "The heart is enlarged." },
      ],
    };
    const result = macros.importJson(JSON.stringify(next));
    expect([result.added, result.updated]).toEqual([1, 2]);
    expect(result.list.macros.map((m) => [m.name, m.text.slice(0, 8), m.hotkey])).toEqual([
      ["Normal chest", "Findings", null],
      ["Cardiomegaly", "The hear", null],
      ["Effusion", "Moderate", "Alt+Shift+l"],
      ["Lines", "The [ETT", "Alt+Shift+e"],
    ]);

    const before = JSON.stringify(macros.list());
    const refused = (json: string) => refusal(() => macros.importJson(json));
    expect(refused("{not json").message).toMatch(/^the file is not JSON \(/);
    expect(refused(JSON.stringify({ format: "other", version: 1, macros: [] })).message).toBe(
      'macros file refused: format: not a macros file (format must be "radiology-draft/macros")',
    );
    expect(
      refused(JSON.stringify({ ...parsed, macros: [parsed.macros[0], { name: "", text: "x" }, { name: "Ok" }] }))
        .message,
    ).toBe(
      "macros file refused: macros.2.name: the name is required; macros.3.text: Invalid input: expected string, received undefined",
    );
    expect(
      refused(JSON.stringify({ ...parsed, macros: [parsed.macros[0], { ...parsed.macros[0], hotkey: null }] })).message,
    ).toBe('macros file refused: macros 1 and 2 are both named "Effusion"');
    expect(
      refused(JSON.stringify({ ...parsed, macros: [{ name: "New", text: "x", hotkey: "Alt+Shift+e" }] })),
    ).toMatchObject({
      code: "CONFLICT",
      message: 'macros file refused: macro 1 ("New") has the hotkey Alt+Shift+e of your macro "Lines"',
    });
    expect(JSON.stringify(macros.list())).toBe(before);
  });
});

describe("macros over IPC", () => {
  it("validates input at the boundary and answers domain errors with their codes", async () => {
    const services = createServices({ dataDir: freshDir(), transport: "in-process", modelPackDir: null });
    closers.push(() => services.close());
    const caller = createCallerFactory(appRouter)({ services });
    // The router answers a signed-in account only (src-main/ipc/sign-in-gate.ts): Anna, whose macros these are.
    await signInAccount(services.accounts);
    const code = (p: Promise<unknown>) =>
      p.then(
        () => "ok",
        (e: unknown) => (e instanceof TRPCError ? `${e.code}: ${e.message}` : String(e)),
      );
    // The contract's schema refuses it before the service runs (the wire message is formatted by trpc.ts).
    const bad = await code(caller.macros.create({ name: "X", text: "y", hotkey: "Ctrl" }));
    expect(bad).toMatch(/^BAD_REQUEST: /);
    expect(bad).toContain("a hotkey is Ctrl or Alt (optionally with Shift) and one key, e.g. Alt+Shift+n");
    expect(await code(caller.macros.create({ name: "X", text: "y", extra: 1 } as never))).toMatch(/^BAD_REQUEST: /);
    const made = await caller.macros.create({ name: "Clear", text: "The lungs are clear.", hotkey: "Ctrl+Alt+c" });
    expect(made).toMatchObject({ name: "Clear", hotkey: "Ctrl+Alt+c" });
    expect(await code(caller.macros.create({ name: "clear", text: "z" }))).toBe(
      'CONFLICT: you have a macro named "Clear" already',
    );
    expect(await code(caller.macros.delete({ id: 999 }))).toBe(
      "NOT_FOUND: macro 999 does not exist (deleted, or another account's)",
    );
    expect(await code(caller.macros.importJson({ json: "[]" }))).toBe(
      "BAD_REQUEST: macros file refused: Invalid input: expected object, received array",
    );
    const exported = await caller.macros.exportJson();
    expect(exported).toMatchObject({ fileName: "macros-anna.json", count: 1 });
    expect((await caller.macros.list()).macros.map((m) => m.name)).toEqual(["Normal chest", "Clear"]);
  });
});
