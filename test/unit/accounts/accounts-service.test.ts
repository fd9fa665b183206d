import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { openCaseDatabase } from "../../../src-main/db/database";
import { AccountsService } from "../../../src-main/services/accounts/accounts-service";
import { hashSecret, needsRehash, verifySecret } from "../../../src-main/services/accounts/password-hash";

const dirs: string[] = [];
function freshDb() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "accounts-"));
  dirs.push(dir);
  return openCaseDatabase(path.join(dir, "cases.sqlite"));
}
afterEach(() => {
  for (const d of dirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
});

const ADA = {
  username: "ada",
  name: { family: "Reviewer", given: "Ada", middle: "M", prefix: "Dr.", suffix: "MD" },
  password: "correct horse battery",
  pin: "4711",
};

describe("password hashes (scrypt)", () => {
  it("salts each hash, stores its parameters, verifies the right secret only", async () => {
    const a = await hashSecret("correct horse battery");
    const b = await hashSecret("correct horse battery");
    // OWASP's scrypt minimum: N = 2^17, r = 8, p = 1.
    expect(a).toMatch(/^scrypt\$131072\$8\$1\$[A-Za-z0-9+/=]{24}\$[A-Za-z0-9+/=]{44}$/);
    expect(needsRehash(a)).toBe(false);
    expect(a).not.toBe(b);
    expect(await verifySecret("correct horse battery", a)).toBe(true);
    expect(await verifySecret("correct horse batterY", a)).toBe(false);
    // Parameters are read from the hash: one made with other costs still verifies.
    const cheap = await hashSecret("pw", { N: 1024, r: 8, p: 1 });
    expect(cheap.startsWith("scrypt$1024$8$1$")).toBe(true);
    expect(await verifySecret("pw", cheap)).toBe(true);
    // Malformed or absurd hashes never match and never throw.
    expect(await verifySecret("pw", "plain")).toBe(false);
    expect(await verifySecret("pw", cheap.replace("$1024$", "$1000$"))).toBe(false);
    expect(await verifySecret("pw", cheap.replace("$1024$", "$1073741824$"))).toBe(false);
  });
});

describe("AccountsService (real SQLite)", () => {
  it("two first-run creates racing through their hashes: one account, the other is told to sign in", async () => {
    const accounts = new AccountsService(freshDb());
    const results = await Promise.allSettled([accounts.create(ADA), accounts.create({ ...ADA, username: "bob" })]);
    expect(results.map((r) => r.status).sort()).toEqual(["fulfilled", "rejected"]);
    const refused = results.find((r) => r.status === "rejected") as PromiseRejectedResult;
    expect(String(refused.reason)).toMatch(/an account was created meanwhile: sign in/);
    expect(accounts.list()).toHaveLength(1);
  });

  it("a re-authentication whose session ends during its hash does not count", async () => {
    const accounts = new AccountsService(freshDb());
    await accounts.create(ADA);
    const check = accounts.verify({ password: ADA.password }, "signing");
    accounts.signOut();
    await expect(check).rejects.toThrow(/the session changed while your signing credential was checked/);
  });

  it("a password or PIN hashed with weaker parameters (2^15) still verifies and is stored again with 2^17", async () => {
    const db = freshDb();
    const accounts = new AccountsService(db);
    await accounts.create(ADA);
    const weak = { N: 2 ** 15, r: 8, p: 1 };
    db.prepare("UPDATE accounts SET password_hash = ?, pin_hash = ?").run(
      await hashSecret(ADA.password, weak),
      await hashSecret(ADA.pin, weak),
    );
    const read = () => db.prepare("SELECT password_hash, pin_hash FROM accounts").get() as Record<string, string>;
    expect(needsRehash(read().password_hash!)).toBe(true);
    accounts.signOut();
    await accounts.signIn("ada", ADA.password);
    expect(read().password_hash).toMatch(/^scrypt\$131072\$/);
    expect(read().pin_hash).toMatch(/^scrypt\$32768\$/);
    await accounts.verify({ pin: ADA.pin }, "signing");
    expect(read().pin_hash).toMatch(/^scrypt\$131072\$/);
    expect(await verifySecret(ADA.pin, read().pin_hash!)).toBe(true);
    accounts.signOut();
    await accounts.signIn("ada", ADA.password);
    expect(accounts.session().account?.username).toBe("ada");
  });

  it("first run: creates the first account without signing in, with DICOM PN parts, and signs it in", async () => {
    const db = freshDb();
    const accounts = new AccountsService(db);
    expect(accounts.session()).toMatchObject({ firstRun: true, account: null, locked: false });
    const ada = await accounts.create(ADA);
    expect(ada).toMatchObject({
      username: "ada",
      displayName: "Dr. Ada M Reviewer, MD",
      dicomName: "Reviewer^Ada^M^Dr.^MD",
      hasPin: true,
    });
    expect(accounts.session()).toMatchObject({ firstRun: false, account: { username: "ada" }, locked: false });
    const stored = db.prepare("SELECT password_hash, pin_hash FROM accounts").get() as Record<string, string>;
    expect(stored.password_hash).not.toContain(ADA.password);
    expect(stored.pin_hash).toMatch(/^scrypt\$/);
    const audit = db.prepare("SELECT actor, action FROM audit_log").all();
    expect(audit).toEqual([{ actor: "ada", action: "account.created" }]);
  });

  it("refuses bad input with the reason, and a second account without a signed-in one", async () => {
    const db = freshDb();
    const accounts = new AccountsService(db);
    await expect(accounts.create({ ...ADA, password: "short" })).rejects.toThrow(/at least 10 characters/);
    await expect(accounts.create({ ...ADA, pin: "12a4" })).rejects.toThrow(/4 to 8 digits/);
    await expect(accounts.create({ ...ADA, name: { family: "Re^viewer" } })).rejects.toThrow(/PN delimiters/);
    await accounts.create(ADA);
    await expect(accounts.create(ADA)).rejects.toThrow(/taken/);
    accounts.signOut();
    await expect(accounts.create({ ...ADA, username: "bob" })).rejects.toThrow(/no one is signed in/);
  });

  it("signs in with the password, refuses a wrong one, re-authenticates with password or PIN", async () => {
    const db = freshDb();
    const accounts = new AccountsService(db);
    await accounts.create(ADA);
    accounts.signOut();
    await expect(accounts.signIn("ada", "wrong password!")).rejects.toThrow("wrong user name or password");
    await expect(accounts.signIn("nobody", ADA.password)).rejects.toThrow("wrong user name or password");
    expect((await accounts.signIn("ADA", ADA.password)).account?.username).toBe("ada");
    expect((await accounts.verify({ password: ADA.password }, "signing")).username).toBe("ada");
    expect((await accounts.verify({ pin: "4711" }, "signing")).username).toBe("ada");
    await expect(accounts.verify({ pin: "0000" }, "signing")).rejects.toThrow("wrong PIN");
    await expect(accounts.verify({ password: "nope" }, "signing")).rejects.toThrow("wrong password");
    const actions = (db.prepare("SELECT action FROM audit_log ORDER BY id").all() as { action: string }[]).map(
      (r) => r.action,
    );
    expect(actions).toEqual([
      "account.created",
      "account.signed-out",
      "account.sign-in-failed",
      "account.sign-in-failed",
      "account.signed-in",
      "account.reauth-failed",
      "account.reauth-failed",
    ]);
  });

  it("locks after the configured idle time; the PIN unlocks; activity keeps it open", async () => {
    const db = freshDb();
    let clock = 1_000_000;
    const accounts = new AccountsService(db, () => clock);
    await accounts.create(ADA);
    expect(accounts.setIdleLockSeconds(60).idleLockSeconds).toBe(60);
    expect(() => accounts.setIdleLockSeconds(5)).toThrow(/between 30 seconds/);
    clock += 50_000;
    accounts.touch("editing");
    clock += 50_000;
    expect(accounts.session().locked).toBe(false);
    clock += 11_000;
    expect(accounts.session().locked).toBe(true);
    expect(() => accounts.touch("editing")).toThrow("the session locked after 60 s idle: unlock it before editing");
    await expect(accounts.unlock({ pin: "1234" })).rejects.toThrow("wrong PIN");
    expect((await accounts.unlock({ pin: "4711" })).locked).toBe(false);
    accounts.lock();
    expect(accounts.session().locked).toBe(true);
    expect((await accounts.unlock({ password: ADA.password })).locked).toBe(false);
    // The renderer's activity heartbeat keeps it open, but never lifts a lock.
    clock += 50_000;
    expect(accounts.activity().locked).toBe(false);
    clock += 50_000;
    expect(accounts.session().locked).toBe(false);
    clock += 61_000;
    expect(accounts.activity().locked).toBe(true);
  });
});
