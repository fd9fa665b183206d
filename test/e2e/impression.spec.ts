/// <reference lib="dom" />
/**
 * The Impression in Chromium through the loopback harness: Indication and Comparison prefilled from the study's
 * DICOM order attributes and the patient's earlier study; "Suggest impression" drafts the Impression again with the
 * REAL impression pack (models/iu-xray-impression, ONNX) from the Findings as the radiologist edited them, marks it
 * as AI text, and asks before it replaces an Impression the radiologist wrote (button and its rebindable key).
 * The findings drafter is the fixed-report test double (test/support), as in report-editing.spec.ts.
 * Screenshot: test-results/impression-suggested.png.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, type Page, test } from "@playwright/test";
import { type Harness, startHarness } from "../../src-main/harness/harness-server";
import { createServices, type Services } from "../../src-main/services";
import { FixedReportTestEngine } from "../support/fixed-report-test-engine";
import { signInAda } from "../support/in-process-harness";
import { dicomStudy, dicomWithAttributes, insertStudy } from "../support/report-fixtures";

const root = path.resolve(import.meta.dirname, "..", "..");
const rendererDir = process.env.RD_RENDERER_DIR ?? path.join(root, "out", "renderer");
const shots = path.join(root, "test-results");

let running: { services: Services; harness: Harness } | null = null;
test.afterEach(async () => {
  if (!running) return;
  await running.harness.close();
  running.services.close();
  running = null;
});

async function openStudy(page: Page, studyId: string): Promise<void> {
  await page.getByRole("complementary", { name: "Worklist" }).locator(`[data-study-id="${studyId}"]`).click();
}

test("prefilled Indication and Comparison; Suggest impression from edited findings, asking before replacing", async ({
  page,
}) => {
  fs.mkdirSync(shots, { recursive: true });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-e2e-impression-"));
  const services = createServices({
    dataDir,
    transport: "loopback",
    modelPackDir: null,
    draftEngine: new FixedReportTestEngine({ reportId: "CXR1451_IM-0291" }),
  });
  await signInAda(services);
  running = { services, harness: await startHarness({ services, rendererDir }) };
  await services.inference.start();
  const drafter = services.inference.impression;
  expect(drafter, "the impression pack in models/ loads").not.toBeNull();

  const file = dicomWithAttributes("CR-MONO1-10-chest_explicitLE.dcm", path.join(dataDir, "req", "a.dcm"), {
    RequestAttributesSequence: [{ ReasonForTheRequestedProcedure: "Shortness of breath", RequestedProcedureID: "RP1" }],
    AdmittingDiagnosesDescription: "Heart failure",
  });
  insertStudy(services.db, {
    ...dicomStudy("study-a", file),
    patientName: "Doe^Jane",
    patientId: "P-0001",
    studyDate: "20240105",
  });
  insertStudy(services.db, {
    id: "prior",
    patientName: "Doe^Jane",
    patientId: "P-0001",
    studyDate: "20230302",
    description: "CHEST PA LAT",
  });
  insertStudy(services.db, {
    ...dicomStudy("study-b", "NIH_DX_chest_implicitLE.dcm"),
    patientName: "Roe^Rick",
    patientId: "P-0002",
  });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));

  await page.goto(running.harness.url);
  await openStudy(page, "study-b");
  // No order attributes and no earlier study: both stay empty.
  await expect(page.locator("[data-testid=ai-strip][data-state=done]")).toBeVisible();
  await expect(page.getByTestId("report-indication")).toHaveValue("");
  await expect(page.getByTestId("report-comparison")).toHaveValue("");

  await openStudy(page, "study-a");
  await expect(page.getByTestId("report-indication")).toHaveValue(
    "Shortness of breath. Admitting diagnosis: Heart failure.",
  );
  await expect(page.getByTestId("report-comparison")).toHaveValue("CHEST PA LAT of 2023-03-02.");
  await expect(page.locator("[data-testid=ai-strip][data-state=done]")).toBeVisible();

  // The radiologist edits the findings, then asks for an impression of them: the real model drafts it.
  const edited =
    "The heart is enlarged. There is a large right pleural effusion. No pneumothorax. Mild pulmonary vascular congestion.";
  await page.getByTestId("report-findings").fill(edited);
  await expect(page.locator("[data-testid=save-state][data-status=saved]")).toBeVisible();
  const expected = (await drafter!.draft(edited)).text;
  expect(expected.length).toBeGreaterThan(0);
  const suggest = page.getByRole("button", { name: "Suggest impression", exact: true });
  await expect(suggest).toHaveAttribute("title", "Draft the Impression from the Findings as they are now (Alt+G)");
  await suggest.click();
  const impression = page.getByTestId("report-impression");
  await expect(impression).toHaveValue(expected);
  await expect(page.locator(".section-impression .chip-ai")).toBeVisible();
  await page.screenshot({ path: path.join(shots, "impression-suggested.png") });

  // The radiologist writes an impression: the key asks before replacing it; Cancel keeps the text.
  await impression.fill("Cardiomegaly with right effusion, as written by me.");
  await expect(page.locator("[data-testid=save-state][data-status=saved]")).toBeVisible();
  await page.keyboard.press("Alt+g");
  const ask = page.getByRole("dialog", { name: "Replace your impression?" });
  await expect(ask).toBeVisible();
  await ask.getByRole("button", { name: "Cancel" }).click();
  await expect(impression).toHaveValue("Cardiomegaly with right effusion, as written by me.");
  await suggest.click();
  await page
    .getByRole("dialog", { name: "Replace your impression?" })
    .getByRole("button", { name: "Suggest and replace" })
    .click();
  await expect(impression).toHaveValue(expected);
  // The radiologist's text stays in the history; the suggestion is an AI version.
  const versions = services.reports.versions("study-a");
  expect(versions.some((v) => v.sections.impression === "Cardiomegaly with right effusion, as written by me.")).toBe(
    true,
  );
  expect(versions.some((v) => v.origin === "ai" && v.sections.impression === expected)).toBe(true);
  expect(errors).toEqual([]);
});
