/// <reference lib="dom" />
/**
 * The department workflow in the browser against a real Orthanc: Settings → add a DICOMweb connection, Test
 * connection (wrong password, then right), PACS studies → search (CR/DX by default), open a study (WADO-RS into the
 * cache, then the viewer shows it like a local study), signs it (the SR goes back to that PACS and the report pane
 * says "Stored on …", an addendum is a second SR), it is then listed as cached; the worklist shows the PACS's
 * studies beside the local ones with their source (its Filters button naming the current key of the PACS command) and
 * opens one by retrieving it; a second connection is removed.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { E2E_SIGNER, type HarnessProcess } from "../support/harness-process";
import { freePort, type OrthancProcess, startOrthanc, stowFiles } from "../support/orthanc";
import { basicAuth, demoFiles, readHeader, sharedChestFiles } from "../support/pacs-fixtures";
import { signAsAccount } from "../support/report-page";
import { consoleErrorsOf } from "../support/viewer-page";
import { startPacsHarness, stopPacsSpec } from "./pacs-spec";

let pacs: OrthancProcess;
let harness: HarnessProcess;

test.beforeAll(async () => {
  pacs = await startOrthanc();
  expect(await stowFiles(pacs, [...demoFiles(), ...sharedChestFiles()])).toBe(200);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-e2e-pacs-"));
  harness = await startPacsHarness(dataDir);
});

test.afterAll(() => stopPacsSpec(harness, pacs));

test("adds and tests a PACS connection, searches it, opens a study from it", async ({ page }) => {
  const consoleErrors = consoleErrorsOf(page);
  await page.goto(harness.url);
  await expect(page.getByTestId("worklist-empty")).toBeVisible();

  // Settings, opened by its command (Ctrl+,).
  await page.keyboard.press("Control+,");
  const settings = page.getByRole("dialog", { name: "Settings" });
  await expect(settings).toBeVisible();
  await expect(settings.getByTestId("secret-protection")).toContainText("readable by this user only");
  const form = settings.getByRole("form", { name: "Add a PACS connection" });
  await form.getByLabel("Name", { exact: true }).fill("Department PACS");
  await form.getByLabel("DICOMweb base URL").fill(pacs.dicomWebUrl);
  await form.getByLabel("Authentication").selectOption("basic");
  await form.getByLabel("User name").fill(pacs.user);
  await form.getByLabel("Password").fill("wrong-password");
  await form.getByRole("button", { name: "Test connection" }).click();
  await expect(settings.getByTestId("pacs-form-result")).toContainText("401");
  await form.getByLabel("Password").fill(pacs.password);
  await form.getByRole("button", { name: "Test connection" }).click();
  await expect(settings.getByTestId("pacs-form-result")).toContainText("✓ QIDO-RS answered");
  await form.getByRole("button", { name: "Add connection" }).click();
  const rows = settings.getByRole("list", { name: "PACS connections" }).locator("li[data-connection-id]");
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText("Department PACS");
  await expect(rows.first()).toContainText(`Basic (${pacs.user})`);
  await rows.first().getByRole("button", { name: "Test connection" }).click();
  await expect(rows.first().getByRole("status")).toContainText("✓ QIDO-RS answered");
  // A second connection, removed again.
  await form.getByLabel("Name", { exact: true }).fill("Old PACS");
  await form.getByLabel("DICOMweb base URL").fill(`http://127.0.0.1:${await freePort()}/dicom-web`);
  await form.getByLabel("Authentication").selectOption("none");
  await form.getByRole("button", { name: "Add connection" }).click();
  await expect(rows).toHaveCount(2);
  const old = rows.filter({ hasText: "Old PACS" });
  await old.getByRole("button", { name: "Test connection" }).click();
  await expect(old.getByRole("status")).toContainText("unreachable (connection refused)");
  await old.getByRole("button", { name: "Remove" }).click();
  await expect(rows).toHaveCount(1);
  fs.mkdirSync("test-results", { recursive: true });
  await page.screenshot({ path: "test-results/pacs-settings.png" });
  await page.keyboard.press("Escape");
  await expect(settings).toBeHidden();

  // PACS studies, from the status bar button.
  await page.getByTestId("status-bar").getByRole("button", { name: "PACS" }).click();
  const panel = page.getByRole("dialog", { name: "PACS studies" });
  await expect(panel).toBeVisible();
  await panel.getByRole("button", { name: "Search" }).click();
  const results = panel.getByRole("table", { name: "PACS search results" }).locator("tbody tr[data-study-uid]");
  await expect(results).toHaveCount(10); // 6 demo + 4 shared chest radiographs, all CR or DX
  await panel.getByLabel("Patient name").fill("SYNTHETIC^IU CXR0039");
  await panel.getByRole("button", { name: "Search" }).click();
  await expect(results).toHaveCount(1);
  const target = readHeader(demoFiles().find((f) => f.includes("CXR39_IM-1978") && f.endsWith("PA.dcm"))!);
  const row = results.first();
  await expect(row).toHaveAttribute("data-study-uid", target.studyInstanceUid);
  await expect(row).toContainText("PACS");
  await row.getByRole("button", { name: "Open" }).click();
  await expect(panel).toBeHidden({ timeout: 60_000 });

  // The retrieved study is open like a local one: in the worklist, selected, its two views in the viewer.
  const selected = page.locator('.worklist-row[aria-current="true"]');
  await expect(selected).toContainText("CXR0039");
  await expect(page.getByRole("list", { name: "Images of the study" }).locator("[data-image-id]")).toHaveCount(2, {
    timeout: 30_000,
  });
  // ... and drafted like one.
  await expect(selected.locator(".status")).toHaveText("drafted", { timeout: 120_000 });
  await page.screenshot({ path: "test-results/pacs-opened.png" });

  // Signed: the report goes back to the PACS it came from, and the pane says so; an addendum is a second SR.
  // (The demo pack drafts no Impression and the sign-off safeguards refuse an empty one: the radiologist writes it.)
  await page.getByTestId("report-impression").fill("No acute cardiopulmonary abnormality.");
  await signAsAccount(page, E2E_SIGNER, { attestUntouchedAi: true });
  const pacsStatus = page.getByTestId("report-pacs-status");
  await expect(pacsStatus.locator("li")).toHaveCount(1);
  await expect(pacsStatus).toContainText(/Report: Stored on Department PACS · \d\d:\d\d/, { timeout: 30_000 });
  await page.getByLabel("New addendum").fill("Compared with the outside film: no change.");
  await page.getByLabel("Password or PIN for the addendum").fill(E2E_SIGNER.pin);
  await page.getByRole("button", { name: "Add addendum" }).click();
  await expect(pacsStatus.locator("li")).toHaveCount(2);
  await expect(pacsStatus.locator("li").first()).toContainText(/Addendum 1: Stored on Department PACS/, {
    timeout: 30_000,
  });
  const srs = await fetch(
    `${pacs.dicomWebUrl}/studies/${target.studyInstanceUid}/instances?SOPClassUID=1.2.840.10008.5.1.4.1.1.88.11`,
    { headers: { Authorization: basicAuth(pacs.user, pacs.password) } },
  );
  expect(((await srs.json()) as unknown[]).length).toBe(2);
  await page.screenshot({ path: "test-results/pacs-signed-stored.png" });

  // Listed as cached now.
  await page.keyboard.press("Control+Shift+O");
  await expect(panel).toBeVisible();
  await panel.getByLabel("Patient name").fill("SYNTHETIC^IU CXR0039");
  await panel.getByRole("button", { name: "Search" }).click();
  await expect(results.first()).toContainText("PACS · cached");

  // The worklist shows the PACS beside the local studies, with the panel's filters: the last search here.
  await panel.getByLabel("Patient name").fill("");
  await panel.getByRole("button", { name: "Search" }).click();
  await expect(results).toHaveCount(10);
  await page.keyboard.press("Escape");
  const local = page.getByRole("list", { name: "Studies", exact: true }).locator(".worklist-row");
  await expect(local).toHaveCount(1);
  await expect(local.first().locator(".source-badge")).toHaveText("PACS · cached");
  const onPacs = page.getByRole("list", { name: "Studies on Department PACS" }).locator(".worklist-row");
  await expect(onPacs).toHaveCount(9); // the tenth is cached, in the local list
  await expect(onPacs.first().locator(".source-badge")).toHaveText("PACS");
  // The section's Filters button names the PACS studies command's current key, rebound or not (issue 13.5).
  const filters = page.getByRole("region", { name: "On Department PACS" }).getByRole("button", { name: "Filters…" });
  await expect(filters).toHaveAttribute("title", "Change the PACS search filters (Ctrl+Shift+O)");
  await page.keyboard.press("?");
  const help = page.getByRole("dialog", { name: "Keyboard shortcuts" });
  const pacsRow = help.locator('tr[data-command="pacs.studies"]');
  await pacsRow.getByRole("button", { name: /Change the key/ }).click();
  await page.keyboard.press("Alt+y"); // bound to nothing else
  await expect(pacsRow.locator("kbd")).toHaveText("Alt+Y");
  await page.keyboard.press("Escape");
  await expect(help).toBeHidden();
  await expect(filters).toHaveAttribute("title", "Change the PACS search filters (Alt+Y)");
  await page.keyboard.press("?");
  await pacsRow.getByRole("button", { name: /Restore the default/ }).click();
  await expect(pacsRow.locator("kbd")).toHaveText("Ctrl+Shift+O");
  await page.keyboard.press("Escape");
  await expect(help).toBeHidden();
  await expect(filters).toHaveAttribute("title", "Change the PACS search filters (Ctrl+Shift+O)");
  // Opening one from the worklist retrieves it and opens it like a local study.
  await onPacs.filter({ hasText: "CXR0012" }).click();
  await expect(selected).toContainText("CXR0012", { timeout: 60_000 });
  await expect(selected.locator(".source-badge")).toHaveText("PACS · cached");
  await expect(local).toHaveCount(2);
  await expect(onPacs).toHaveCount(8);
  await expect(page.getByRole("list", { name: "Images of the study" }).locator("[data-image-id]")).toHaveCount(2, {
    timeout: 30_000,
  });
  await page.screenshot({ path: "test-results/pacs-worklist.png" });
  expect(consoleErrors).toEqual([]);
});
