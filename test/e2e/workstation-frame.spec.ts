/// <reference lib="dom" />
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { type HarnessProcess, startSignedInHarnessProcess } from "../support/harness-process";
import { consoleErrorsOf } from "../support/viewer-page";

let harness: HarnessProcess;

test.beforeAll(async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-e2e-frame-"));
  harness = await startSignedInHarnessProcess(dataDir);
});

test.afterAll(async () => {
  await harness?.stop();
});

test("opens the workstation frame, round-trips IPC and shows what main reports", async ({ page }) => {
  const consoleErrors = consoleErrorsOf(page);
  await page.goto(harness.url);
  await expect(page.getByRole("complementary", { name: "Worklist" })).toBeVisible();
  await expect(page.getByRole("main", { name: "Viewer" })).toBeVisible();
  await expect(page.getByLabel("frontal view", { exact: true })).toBeVisible();
  await expect(page.getByLabel("lateral view", { exact: true })).toBeVisible();
  await expect(page.getByRole("region", { name: "Report" })).toBeVisible();
  await expect(page.getByRole("region", { name: "Similar cases" })).toBeVisible();
  // The status bar shows what main reports over the transport.
  const status = page.getByTestId("status-bar");
  await expect(status).toContainText("Radiology Draft 0.1.0");
  await expect(status).toContainText("loopback");
  await expect(status).toContainText(path.join(harness.dataDir, "cases.sqlite"));
  // The token left the address bar.
  expect(page.url()).not.toContain("token");
  // An IPC round trip from the page, through the same typed transport the app uses.
  const echoed = await page.evaluate(async () => {
    const token = sessionStorage.getItem("radiology-draft.harness-token");
    const res = await fetch("/trpc/app.ping", {
      method: "POST",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify({ message: "hello from the renderer" }),
    });
    return (await res.json()) as { result: { data: { message: string } } };
  });
  expect(echoed.result.data.message).toBe("hello from the renderer");
  // Keyboard-shortcut registry: the help overlay lists it.
  await page.keyboard.press("?");
  const help = page.getByRole("dialog", { name: "Keyboard shortcuts" });
  await expect(help).toBeVisible();
  await expect(help).toContainText("Search the worklist");
  fs.mkdirSync("test-results", { recursive: true });
  await page.screenshot({ path: "test-results/workstation-frame-help.png" });
  await page.keyboard.press("Escape");
  await expect(help).toBeHidden();
  await page.screenshot({ path: "test-results/workstation-frame.png" });
  expect(consoleErrors).toEqual([]);
});
