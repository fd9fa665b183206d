/// <reference lib="dom" />
/**
 * Issue 18.1, who signs, in Chromium through the loopback harness on a fresh data folder: nothing of the workstation
 * shows until the first account is created (name in DICOM PN parts, password, PIN); sign out and in again (a wrong
 * password is refused with a clear message); Ctrl+Shift+L and a short configured idle time lock the session, and
 * only the same account's password or PIN unlocks it, the open draft kept; the help lists the Lock command; the
 * report's audit view names the account for the edit and the signature. Screenshots: test-results/sign-in.png,
 * test-results/lock-screen.png.
 */
import { expect, type Page, test } from "@playwright/test";
import { servicesPerTest, shotPath } from "../support/in-process-harness";
import { dicomStudy, insertStudy } from "../support/report-fixtures";

const run = servicesPerTest();
const PASSWORD = "analytical engine 1843";
const PIN = "1357";
const DISPLAY = "Dr. Grace B. Hopper, MD";

const worklist = (page: Page) => page.getByRole("complementary", { name: "Worklist" });
const lockScreen = (page: Page) => page.getByRole("dialog", { name: "Workstation locked" });

test("first account, sign-in (wrong password refused), Ctrl+Shift+L and idle lock with unlock, audit names the account", async ({
  page,
}) => {
  test.setTimeout(180_000);
  const services = run.services("sign-in");
  insertStudy(services.db, { ...dicomStudy("study-g"), patientName: "Roe^Max", patientId: "P-0042" });
  insertStudy(services.db, {
    ...dicomStudy("study-h"),
    studyInstanceUid: "2.25.4711",
    patientName: "Doe^Jane",
    patientId: "P-0043",
  });
  const harness = await run.serve({ signedIn: false });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  await page.goto(harness.url);

  // First run: only the first-account screen; no worklist, no report.
  const first = page.getByRole("main", { name: "Create the first account" });
  await expect(first).toBeVisible();
  await expect(worklist(page)).toHaveCount(0);
  await first.getByLabel("User name").fill("grace");
  await first.getByLabel("Prefix").fill("Dr.");
  await first.getByLabel("Given name").fill("Grace");
  await first.getByLabel("Middle name").fill("B.");
  await first.getByLabel("Family name").fill("Hopper");
  await first.getByLabel("Suffix").fill("MD");
  await first.getByLabel("Password", { exact: false }).first().fill("short");
  await first.getByLabel("Repeat the password").fill("short");
  await first.getByRole("button", { name: "Create account and sign in" }).click();
  await expect(first.getByRole("alert")).toHaveText("Not created: the password needs at least 10 characters");
  await first.getByLabel("Password", { exact: false }).first().fill(PASSWORD);
  await first.getByLabel("Repeat the password").fill(PASSWORD);
  await first.getByLabel("PIN").fill(PIN);
  await first.getByRole("button", { name: "Create account and sign in" }).click();

  // Signed in at once: the workstation, with the account in the status bar.
  await expect(worklist(page)).toBeVisible();
  await expect(page.getByTestId("status-account")).toContainText(DISPLAY);
  const [account] = services.accounts.list();
  expect(account).toMatchObject({ username: "grace", dicomName: "Hopper^Grace^B.^Dr.^MD", hasPin: true });

  // Sign out: the sign-in screen; a wrong password is refused and says so; the right one signs in.
  await page.getByTestId("status-account").getByRole("button", { name: "Sign out" }).click();
  const signIn = page.getByRole("main", { name: "Sign in" });
  await expect(signIn).toBeVisible();
  await expect(worklist(page)).toHaveCount(0);
  await signIn.getByLabel("User name").fill("grace");
  await signIn.getByLabel("Password").fill("not the password");
  await signIn.getByRole("button", { name: "Sign in" }).click();
  await expect(signIn.getByRole("alert")).toHaveText("Not signed in: wrong user name or password");
  expect(services.accounts.session().account).toBeNull();
  await page.screenshot({ path: shotPath("sign-in.png") });
  await signIn.getByLabel("Password").fill(PASSWORD);
  await signIn.getByRole("button", { name: "Sign in" }).click();
  await expect(worklist(page)).toBeVisible();

  // An edit, then Ctrl+Shift+L while typing: locked; the text stays; typing reaches nothing underneath.
  await worklist(page).getByRole("button", { name: /Roe/ }).click();
  const findings = page.getByTestId("report-findings");
  await findings.fill("The lungs are clear. No pleural effusion.");
  await page.getByTestId("report-impression").fill("No acute cardiopulmonary disease.");
  await page.getByTestId("report-impression").focus();
  await page.keyboard.press("Control+Shift+L");
  await expect(lockScreen(page)).toBeVisible();
  await expect(lockScreen(page)).toContainText(
    `${DISPLAY} (grace) is signed in. The workstation was locked (Ctrl+Shift+L).`,
  );
  // Opaque: no patient data shows around the lock screen.
  expect(await lockScreen(page).evaluate((el) => getComputedStyle(el).backgroundColor)).toBe("rgb(11, 13, 16)");
  expect(services.accounts.session().locked).toBe(true);
  // What was typed was saved before the lock, under the account.
  expect(services.reports.state("study-g").draft?.sections.impression).toBe("No acute cardiopulmonary disease.");
  await page.keyboard.press("Control+Shift+S"); // report.sign: no command runs under the lock screen
  await expect(page.getByRole("dialog", { name: /Sign/ })).toHaveCount(0);
  await lockScreen(page).getByLabel("Password or PIN").fill("0000");
  await lockScreen(page).getByRole("button", { name: "Unlock" }).click();
  await expect(lockScreen(page).getByRole("alert")).toHaveText("Not unlocked: wrong PIN");
  await page.screenshot({ path: shotPath("lock-screen.png") });
  await lockScreen(page).getByLabel("Password or PIN").fill(PIN);
  await lockScreen(page).getByRole("button", { name: "Unlock" }).click();
  await expect(lockScreen(page)).toHaveCount(0);
  await expect(findings).toHaveValue("The lungs are clear. No pleural effusion.");
  expect(services.accounts.session().locked).toBe(false);

  // The help lists the Lock command with its key (rebindable there like every command).
  await page.locator("body").click({ position: { x: 5, y: 5 } });
  await page.keyboard.press("F1");
  const lockRow = page.getByRole("dialog", { name: "Keyboard shortcuts" }).locator('[data-command="session.lock"]');
  await expect(lockRow).toContainText("Lock the workstation");
  await expect(lockRow).toContainText("Ctrl+Shift+L");
  await page.keyboard.press("Escape");

  // Idle lock: 30 s configured in the settings; no input for that long locks; the password unlocks.
  await page.keyboard.press("Control+,");
  const settings = page.getByRole("dialog", { name: "Settings" });
  await settings.getByLabel("Idle lock (seconds)").fill("30");
  await settings.getByRole("button", { name: "Apply" }).click();
  await expect(settings.getByRole("status").first()).toHaveText("Locks after 30 s without input.");
  expect(services.accounts.idleLockSeconds()).toBe(30);
  await page.keyboard.press("Escape");
  await expect(settings).toHaveCount(0);
  const idleFrom = Date.now();
  await expect(lockScreen(page)).toBeVisible({ timeout: 45_000 });
  const idleFor = (Date.now() - idleFrom) / 1000;
  console.log(`idle lock: locked after ${idleFor.toFixed(1)} s without input (configured 30 s)`);
  expect(idleFor).toBeGreaterThan(25);
  await expect(lockScreen(page)).toContainText("locked after 30 s without input");
  expect(services.accounts.session().locked).toBe(true);
  await lockScreen(page).getByLabel("Password or PIN").fill(PASSWORD);
  await lockScreen(page).getByRole("button", { name: "Unlock" }).click();
  await expect(lockScreen(page)).toHaveCount(0);

  // Sign with the PIN; the audit view names the account for the edit and the signature.
  await page.getByRole("button", { name: "Sign", exact: true }).click();
  await page.getByLabel("Password or PIN").fill(PIN);
  await page.getByRole("button", { name: `Sign as ${DISPLAY}` }).click();
  await expect(page.getByTestId("signed-report")).toContainText(`Signed by ${DISPLAY}`);
  await page.getByRole("button", { name: "Audit", exact: true }).click();
  const audit = page.getByTestId("audit-log");
  const shown = `${DISPLAY} (#${account!.id})`;
  await expect(audit.locator('tr[data-action="report.signed"]')).toContainText(shown);
  await expect(audit.locator('tr[data-action="report.edited"]').first()).toContainText(shown);
  const entries = services.reports.audit("study-g");
  for (const e of entries.filter((x) => x.action === "report.edited" || x.action === "report.signed"))
    expect(e.account).toEqual({ id: account!.id, name: DISPLAY });

  // Switching account (sign out, sign in as another): a fresh workstation with that account's macros only.
  await page.keyboard.press("Escape");
  services.macros.create({ name: "Grace only", text: "Heart size normal." });
  await services.accounts.create({
    username: "ada",
    name: { family: "Lovelace", given: "Ada", middle: "", prefix: "", suffix: "" },
    password: "notes on the engine",
  });
  const macroNames = async () => {
    await worklist(page).getByRole("button", { name: /Doe/ }).click();
    await expect(page.getByTestId("report-findings")).toBeEditable();
    await page.keyboard.press("Control+Shift+M");
    const picker = page.getByRole("dialog", { name: "Insert a macro" });
    await expect(picker).toBeVisible();
    const names = await picker.getByRole("option").allInnerTexts();
    await page.keyboard.press("Escape");
    return names.join(" | ");
  };
  const switchTo = async (username: string, password: string) => {
    await page.getByTestId("status-account").getByRole("button", { name: "Sign out" }).click();
    await signIn.getByLabel("User name").fill(username);
    await signIn.getByLabel("Password").fill(password);
    await signIn.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByTestId("status-account")).toBeVisible();
  };
  await switchTo("ada", "notes on the engine");
  await expect(page.getByTestId("status-account")).toContainText("Ada Lovelace");
  await expect(page.getByTestId("signed-report")).toHaveCount(0); // no study open: a fresh workstation
  expect(await macroNames()).not.toContain("Grace only");
  await switchTo("grace", PASSWORD);
  expect(await macroNames()).toContain("Grace only");
  expect(errors).toEqual([]);
});
