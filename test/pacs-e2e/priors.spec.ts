/// <reference lib="dom" />
/**
 * Priors in the browser against a real Orthanc: a study retrieved from the PACS lists the patient's earlier study on
 * the PACS (a demo file rewritten with dcmodify, with its SR), its report opens from the SR, and "Open beside"
 * retrieves it and shows it in the comparison viewport.
 */
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { createServices } from "../../src-main/services";
import type { HarnessProcess } from "../support/harness-process";
import { type OrthancProcess, startOrthanc, stowFiles } from "../support/orthanc";
import { demoFiles, readHeader, signedSr } from "../support/pacs-fixtures";
import { consoleErrorsOf } from "../support/viewer-page";
import { startPacsHarness, stopPacsSpec } from "./pacs-spec";

let pacs: OrthancProcess;
let harness: HarnessProcess;
const work = fs.mkdtempSync(path.join(os.tmpdir(), "rd-e2e-priors-"));
const current = demoFiles()[0] as string;

test.beforeAll(async () => {
  const prior = path.join(work, "prior.dcm");
  fs.copyFileSync(current, prior);
  execFileSync("dcmodify", ["-nb", "-gst", "-gse", "-gin", "-m", "(0008,0020)=20140101", prior]);
  const srFile = path.join(work, "prior-sr.dcm");
  fs.writeFileSync(
    srFile,
    signedSr(readHeader(prior), { findings: "Prior: the lungs are clear.", impression: "Normal chest." }).bytes,
  );
  pacs = await startOrthanc();
  expect(await stowFiles(pacs, [...demoFiles(), prior, srFile])).toBe(200);
  // The workstation already has the current study from the PACS (as after opening it there).
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-e2e-priors-data-"));
  const services = createServices({ dataDir, transport: "in-process", modelPackDir: null });
  try {
    const { id: connectionId } = services.pacs.addConnection({
      name: "Department PACS",
      baseUrl: pacs.dicomWebUrl,
      auth: { kind: "basic", username: pacs.user, password: pacs.password },
    });
    await services.pacs.retrieveStudy({ connectionId, studyInstanceUid: readHeader(current).studyInstanceUid });
  } finally {
    services.close();
  }
  harness = await startPacsHarness(dataDir);
});

test.afterAll(() => stopPacsSpec(harness, pacs));

test("lists the PACS prior, opens its SR report, and opens it beside the current study", async ({ page }) => {
  const consoleErrors = consoleErrorsOf(page);
  await page.goto(harness.url);
  // The local list (the PACS part of the worklist lists the prior too, until it is retrieved).
  await page
    .getByRole("list", { name: "Studies", exact: true })
    .locator(".worklist-row", { hasText: "CXR0012" })
    .click();
  const pane = page.getByRole("region", { name: "Priors" });
  const rows = pane.getByRole("list", { name: "Prior studies" }).locator("li");
  await expect(rows).toHaveCount(1, { timeout: 30_000 });
  await expect(rows.first()).toContainText("2014-01-01");
  await expect(rows.first()).toContainText("Department PACS");
  await expect(rows.first()).toContainText("report (SR)");
  await rows.first().getByRole("button", { name: "Report" }).click();
  await expect(pane.getByTestId("prior-report")).toContainText("Findings: Prior: the lungs are clear.");
  await expect(pane.getByTestId("prior-report")).toContainText("Verified by Test Radiologist");
  await rows.first().getByRole("button", { name: "Open beside" }).click();
  await expect(page.getByTestId("comparison-viewport")).toBeVisible({ timeout: 60_000 });
  await expect(rows.first()).toContainText("Department PACS · cached", { timeout: 30_000 });
  fs.mkdirSync("test-results", { recursive: true });
  await page.screenshot({ path: "test-results/pacs-priors.png" });
  expect(consoleErrors).toEqual([]);
});
