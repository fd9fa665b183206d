/// <reference lib="dom" />
/**
 * The report pane and the similar-cases pane in Chromium through the loopback harness, on studies made of the real
 * DICOM files in ../shared/data/dicom. The drafting engine is the FIXED-REPORT TEST DOUBLE (test/support): it returns
 * a real IU-Xray report and word-overlap "similar cases"; the real engine plugs into the same DraftEngine seam.
 * Covers: the draft streams in without moving the layout, AI marks, editing with autosave surviving a restart,
 * inserting a sentence from a similar case, undo/redo, asking the signer's name once, signing, exports as downloads.
 * Screenshots: test-results/report-*.png.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, type Page, test } from "@playwright/test";
import { type Harness, startHarness } from "../../src-main/harness/harness-server";
import { createServices, type Services } from "../../src-main/services";
import { FixedReportTestEngine } from "../support/fixed-report-test-engine";
import { ADA_SIGNER, signInAda } from "../support/in-process-harness";
import { downloadExports } from "../support/report-exports";
import { dicomStudy, gate, insertStudy } from "../support/report-fixtures";
import { signAsAccount } from "../support/report-page";

const root = path.resolve(import.meta.dirname, "..", "..");
const rendererDir = process.env.RD_RENDERER_DIR ?? path.join(root, "out", "renderer");
const REPORT_ID = "CXR1451_IM-0291";
const shots = path.join(root, "test-results");

interface Running {
  services: Services;
  harness: Harness;
}

async function start(dataDir: string, engine: FixedReportTestEngine): Promise<Running> {
  const services = createServices({ dataDir, transport: "loopback", modelPackDir: null, draftEngine: engine });
  await signInAda(services);
  const harness = await startHarness({ services, rendererDir });
  return { services, harness };
}

async function stop(r: Running | null): Promise<void> {
  if (!r) return;
  await r.harness.close();
  r.services.close();
}

let running: Running | null = null;
test.afterEach(async () => {
  await stop(running);
  running = null;
});

/** Opens a study from the worklist by the patient's family name (however the worklist formats the name). */
async function openStudy(page: Page, familyName: string): Promise<void> {
  await page
    .getByRole("complementary", { name: "Worklist" })
    .getByRole("button", { name: new RegExp(familyName) })
    .click();
}

const boxOf = async (page: Page, testId: string) => page.getByTestId(testId).boundingBox();

test("draft, edit, restart, insert from a similar case, sign and export", async ({ page }) => {
  fs.mkdirSync(shots, { recursive: true });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-e2e-report-"));
  const hold = gate();
  running = await start(dataDir, new FixedReportTestEngine({ reportId: REPORT_ID, gate: hold.promise }));
  insertStudy(running.services.db, {
    ...dicomStudy("study-a"),
    patientName: "Doe^Jane",
    patientId: "P-0001",
    studyDate: "20240105",
  });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });

  await page.goto(running.harness.url);
  await openStudy(page, "Doe");

  // Drafting: progress is visible and the sections keep their place when the text arrives.
  await expect(page.locator("[data-testid=ai-strip][data-state=running]")).toBeVisible();
  const findingsBefore = await boxOf(page, "report-findings");
  const impressionBefore = await boxOf(page, "report-impression");
  await page.screenshot({ path: path.join(shots, "report-drafting.png") });
  hold.open();
  await expect(page.locator("[data-testid=ai-strip][data-state=done]")).toBeVisible();
  const findings = page.getByTestId("report-findings");
  await expect(findings).toHaveValue(/Left lower lobe calcified granuloma\./);
  expect((await boxOf(page, "report-findings"))?.y).toBe(findingsBefore?.y);
  expect((await boxOf(page, "report-impression"))?.y).toBe(impressionBefore?.y);
  await expect(page.locator(".section-findings .chip-ai")).toHaveText("AI · 4");
  await expect(page.getByTestId("similar-case")).toHaveCount(5);
  await page.screenshot({ path: path.join(shots, "report-drafted.png") });

  // Edit: the edited sentence stops being AI text; the autosave lands.
  await findings.fill(
    "Left lower lobe calcified granuloma. Heart size is mildly enlarged. No pleural effusion or pneumothorax. Mild medial right atelectasis.",
  );
  await page.getByTestId("report-indication").fill("Cough and fever for one week.");
  await expect(page.locator("[data-testid=save-state][data-status=saved]")).toBeVisible();
  await expect(page.locator(".section-findings .chip-ai")).toHaveText("AI · 3");

  // Restart the application on the same data folder: the edit is still there.
  expect(errors).toEqual([]);
  await stop(running);
  running = await start(dataDir, new FixedReportTestEngine({ reportId: REPORT_ID }));
  await page.goto(running.harness.url);
  // The old page's socket could not reconnect to the stopped service: expected, not an error of the new one.
  errors.length = 0;
  await openStudy(page, "Doe");
  await expect(page.getByTestId("report-findings")).toHaveValue(/Heart size is mildly enlarged\./);
  await expect(page.getByTestId("report-indication")).toHaveValue("Cough and fever for one week.");

  // Insert a sentence from the first similar case into Findings; it is marked as found in a prior case.
  const firstCase = page.getByTestId("similar-case").first();
  const insert = firstCase.getByRole("button", { name: /^Insert into findings: / }).first();
  const sentence = ((await insert.getAttribute("aria-label")) ?? "").replace(/^Insert into findings: /, "");
  await insert.click();
  await expect(page.getByTestId("report-findings")).toHaveValue(
    new RegExp(`${sentence.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}$`),
  );
  await expect(page.locator(".section-findings .chip-match")).toBeVisible();
  await expect(page.locator("[data-testid=save-state][data-status=saved]")).toBeVisible();
  const versions = await running.services.reports.versions("study-a");
  expect(versions[0]?.origin).toBe("insert");
  await page.screenshot({ path: path.join(shots, "report-inserted.png") });

  // Undo and redo the insertion (focus is outside the text fields).
  await page.keyboard.press("Control+z");
  await expect(page.getByTestId("report-findings")).not.toHaveValue(new RegExp(sentence.slice(0, 12)));
  await page.keyboard.press("Control+Shift+Z");
  await expect(page.getByTestId("report-findings")).toHaveValue(new RegExp(sentence.slice(0, 12)));

  // Sign as the signed-in account, with its password.
  await signAsAccount(page, ADA_SIGNER, { attestUntouchedAi: true });
  await expect(page.getByTestId("report-notice")).toContainText(`Signed by ${ADA_SIGNER.displayName}.`);
  const audit = running.services.reports.audit("study-a");
  expect(audit.find((e) => e.action === "report.signed")?.actor).toBe(ADA_SIGNER.displayName);

  // Exports arrive as downloads.
  const saved = await downloadExports(page, dataDir);
  await page.screenshot({ path: path.join(shots, "report-signed.png") });
  expect(path.basename(saved.pdf ?? "")).toBe("P-0001_2024-01-05_report.pdf");
  expect(
    fs
      .readFileSync(saved.pdf ?? "")
      .subarray(0, 5)
      .toString(),
  ).toBe("%PDF-");
  expect(fs.readFileSync(saved.text ?? "", "utf8")).toContain("Heart size is mildly enlarged.");
  const fhir = JSON.parse(fs.readFileSync(saved.fhir ?? "", "utf8"));
  expect(fhir).toMatchObject({ resourceType: "DiagnosticReport", status: "final" });
  if (spawnSync("which", ["dsrdump"]).status === 0) {
    const dump = spawnSync("dsrdump", [saved.sr ?? ""], { encoding: "utf8" });
    expect(dump.status).toBe(0);
    expect(dump.stderr).toBe("");
  }
  expect(errors).toEqual([]);
});

test("without a model pack the pane says so and the report is written by hand", async ({ page }) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-e2e-report-"));
  const services = createServices({ dataDir, transport: "loopback", modelPackDir: null });
  await signInAda(services);
  running = { services, harness: await startHarness({ services, rendererDir }) };
  insertStudy(services.db, { ...dicomStudy("study-b"), patientName: "Roe^Richard", patientId: "P-0002" });
  await page.goto(running.harness.url);
  await openStudy(page, "Roe");
  await expect(page.locator("[data-testid=ai-strip][data-state=unavailable]")).toContainText("No model pack loaded");
  await expect(page.getByRole("button", { name: "Regenerate" })).toBeDisabled();
  await expect(page.getByTestId("similar-empty")).toContainText("No model pack loaded");
  await page.getByTestId("report-findings").fill("The lungs are clear.");
  await page.getByTestId("report-findings").blur();
  await expect(page.locator("[data-testid=save-state][data-status=saved]")).toBeVisible();
  expect(services.reports.state("study-b").draft?.sections.findings).toBe("The lungs are clear.");
  await page.screenshot({ path: path.join(shots, "report-no-model.png") });
});
