/**
 * Issue 14.6: the report pane lists what the model saw (finding, probability, threshold), links each finding to the
 * draft sentences that name it, and the sign dialog flags a finding the model saw that the text does not mention
 * and one the text names that the model did not see. Real harness, real pack, a demo study rendered with a
 * bilateral effusion, cardiomegaly, airspace opacity and a dialysis catheter. Screenshot: test-results/model-findings.png.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { type HarnessProcess, startSignedInHarnessProcess } from "../support/harness-process";

const root = path.resolve(import.meta.dirname, "..", "..");
test.setTimeout(400_000);

let harness: HarnessProcess | null = null;
test.afterEach(async () => {
  await harness?.stop();
  harness = null;
});

test("model findings: listed with probability and threshold, linked to sentences, disagreements flagged before signing", async ({
  page,
}) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-e2e-findings-"));
  harness = await startSignedInHarnessProcess(dataDir);
  await page.goto(harness.url);
  const worklist = page.getByRole("complementary", { name: "Worklist" });
  await expect(page.getByTestId("status-model")).toContainText(/Model .* · (cpu|cuda)/i, { timeout: 120_000 });
  await worklist
    .getByRole("button", { name: /CXR0379/ })
    .first()
    .click();
  await expect(page.locator("[data-testid=ai-strip][data-state=done]")).toBeVisible({ timeout: 180_000 });

  const panel = page.getByTestId("model-findings");
  await expect(panel).toBeVisible();
  const effusion = panel.locator("[data-testid=model-finding][data-finding=pleural-effusion]");
  await expect(effusion).toHaveClass(/positive/);
  await expect(effusion).toContainText(/\d\.\d\d \/ \d\.\d\d/);

  // The radiologist names the effusion: the finding links to that sentence, and clicking it selects it.
  const findings = page.getByTestId("report-findings");
  const added = "There are small bilateral pleural effusions.";
  await findings.fill(`${added} The lungs are otherwise clear.`);
  await findings.blur();
  await expect(page.locator("[data-testid=save-state][data-status=saved]")).toBeVisible();
  const link = effusion.getByRole("button", { name: added });
  await expect(link).toBeVisible();
  await link.click();
  expect(await findings.evaluate((el) => (el as HTMLTextAreaElement).selectionEnd)).toBe(added.length);

  // Before signing: the model saw cardiomegaly, which the text does not mention. (The sign-off safeguards refuse an
  // empty Impression, which this draft has: the radiologist writes one that names nothing new.)
  await page.getByTestId("report-impression").fill("Small bilateral pleural effusions.");
  await page.getByRole("button", { name: "Sign", exact: true }).click();
  const warnings = page.getByTestId("sign-finding-warning");
  await expect(warnings.filter({ hasText: "The model saw cardiomegaly; the report does not mention it." })).toHaveCount(
    1,
  );
  await expect(warnings.filter({ hasText: "pleural effusion" })).toHaveCount(0);
  fs.mkdirSync(path.join(root, "test-results"), { recursive: true });
  await page.screenshot({ path: path.join(root, "test-results", "model-findings.png") });
  await page.getByRole("button", { name: "Cancel" }).click();
  await expect(page.getByTestId("signed-report")).toHaveCount(0);
});
