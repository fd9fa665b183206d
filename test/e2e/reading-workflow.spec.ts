/// <reference lib="dom" />
/**
 * The radiologist's whole day in one test, on the real product: the loopback harness started as `npm run serve`
 * starts it (demo studies seeded, the model pack in models/ loaded, the real ONNX engine), driven in Chromium.
 * open a demo study -> the AI draft appears -> edit it -> restart the app -> the edit is still there -> insert a
 * sentence from a similar case -> sign -> the four exports are written and valid (dsrdump reads the SR, the FHIR
 * JSON has the required elements, the PDF contains the text) -> a follow-up study of the same patient retrieves the
 * signed case among its similar cases, and opens it beside. Screenshots of each main screen: test-results/workflow-*.png.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, type Page, test } from "@playwright/test";
import { writeFollowUpStudy } from "../support/follow-up-study";
import { E2E_SIGNER, type HarnessProcess, startSignedInHarnessProcess } from "../support/harness-process";
import { downloadExports } from "../support/report-exports";
import { signAsAccount } from "../support/report-page";

const root = path.resolve(import.meta.dirname, "..", "..");
const shots = path.join(root, "test-results");
const DEMO = path.join(root, "resources", "demo-studies");
/** An uncompressed demo study (Explicit VR LE): its copy becomes the follow-up study. */
const FIRST_STUDY = "CXR12_IM-0133";
const FIRST_PATIENT_ID = "SYNTH-IU-CXR0012";
// The row names the patient, source and status first, then the ID, accession and date columns.
const FIRST_BUTTON = /CXR0012 demo (new|drafting|drafted)\b.* 2015-10-27/;

test.setTimeout(600_000);

let harness: HarnessProcess | null = null;
test.afterEach(async () => {
  await harness?.stop();
  harness = null;
});

const shot = (page: Page, name: string) => page.screenshot({ path: path.join(shots, `workflow-${name}.png`) });

async function api<T>(page: Page, procedure: string, input?: unknown): Promise<T> {
  return page.evaluate(
    async ([p, i]) => {
      const token = sessionStorage.getItem("radiology-draft.harness-token");
      const query = i === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(i))}`;
      const res = await fetch(`/trpc/${p}${query}`, { headers: { authorization: `Bearer ${token}` } });
      const body = (await res.json()) as { result: { data: unknown } };
      return body.result.data;
    },
    [procedure, input] as const,
  ) as Promise<T>;
}

async function openStudyByDate(page: Page, date: RegExp): Promise<void> {
  await page.getByRole("complementary", { name: "Worklist" }).getByRole("button", { name: date }).first().click();
}

test("demo study: AI draft, edit survives restart, insert, sign, export, signed case retrieved for a follow-up", async ({
  page,
}) => {
  fs.mkdirSync(shots, { recursive: true });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-e2e-workflow-"));
  harness = await startSignedInHarnessProcess(dataDir);
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));

  await page.goto(harness.url);
  const worklist = page.getByRole("complementary", { name: "Worklist" });
  await expect(worklist.getByRole("button")).not.toHaveCount(0);
  // The status bar reports the model and where it runs once the pack is loaded.
  await expect(page.getByTestId("status-model")).toContainText(/Model .* · (cpu|cuda)/i, { timeout: 120_000 });
  const studies = await api<Array<{ id: string; patientId: string | null }>>(page, "studies.list", {});
  const first = studies.find((s) => s.patientId === FIRST_PATIENT_ID);
  expect(first, `demo study ${FIRST_STUDY} seeded`).toBeTruthy();
  await shot(page, "1-worklist");

  // Open it: the AI draft arrives from the real engine.
  await worklist.getByRole("button", { name: FIRST_BUTTON }).click();
  await expect(page.locator("[data-testid=ai-strip][data-state=done]")).toBeVisible({ timeout: 180_000 });
  const findings = page.getByTestId("report-findings");
  const aiText = await findings.inputValue();
  expect(aiText.length).toBeGreaterThan(20);
  expect(aiText[0]).toBe(aiText[0]?.toUpperCase());
  await expect(page.getByTestId("similar-case")).toHaveCount(5);
  // The similar cases are the pack's gallery cases: each shows the pack's thumbnail of its frontal view.
  const thumbnails = page.getByTestId("similar-case").locator(".case-thumb img");
  await expect(thumbnails).toHaveCount(5);
  await expect(page.getByTestId("similar-case").getByText("no image")).toHaveCount(0);
  await expect
    .poll(() =>
      thumbnails.evaluateAll((imgs) =>
        imgs.map((img) => Math.max((img as HTMLImageElement).naturalWidth, (img as HTMLImageElement).naturalHeight)),
      ),
    )
    .toEqual([96, 96, 96, 96, 96]);
  await shot(page, "2-draft");

  // Edit, wait for the autosave, restart the app on the same data folder.
  const edited = `${aiText} Follow-up chest radiograph recommended.`;
  await findings.fill(edited);
  await findings.blur();
  await expect(page.locator("[data-testid=save-state][data-status=saved]")).toBeVisible();
  await harness.stop();
  harness = await startSignedInHarnessProcess(dataDir);
  await page.goto(harness.url);
  await worklist.getByRole("button", { name: FIRST_BUTTON }).click();
  await expect(page.getByTestId("report-findings")).toHaveValue(edited, { timeout: 60_000 });

  // Insert a sentence from the first similar case.
  await expect(page.getByTestId("similar-case").first()).toBeVisible({ timeout: 120_000 });
  const insert = page
    .getByTestId("similar-case")
    .first()
    .getByRole("button", { name: /^Insert into findings: / })
    .first();
  const sentence = ((await insert.getAttribute("aria-label")) ?? "").replace(/^Insert into findings: /, "");
  await insert.click();
  await expect(page.getByTestId("report-findings")).toHaveValue(
    new RegExp(sentence.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")),
  );
  await expect(page.locator("[data-testid=save-state][data-status=saved]")).toBeVisible();
  await shot(page, "3-inserted");

  // Sign. (The demo pack drafts no Impression, and the sign-off safeguards refuse an empty one: the radiologist writes it.)
  await page.getByTestId("report-impression").fill("No acute cardiopulmonary abnormality.");
  await signAsAccount(page, E2E_SIGNER, { attestUntouchedAi: true });
  await expect(page.getByTestId("report-notice")).toContainText("Signed by Dr. Demo Radiologist.");

  // Exports are written and valid.
  const saved = await downloadExports(page, path.join(dataDir, "exports"));
  await shot(page, "4-signed");
  const pdfText = spawnSync("pdftotext", [saved.pdf!, "-"], { encoding: "utf8" });
  expect(pdfText.status, pdfText.stderr).toBe(0);
  expect(pdfText.stdout.replace(/\s+/g, " ")).toContain("Follow-up chest radiograph recommended.");
  const sr = spawnSync("dsrdump", ["+Pl", saved.sr!], { encoding: "utf8" });
  expect(sr.status, sr.stderr).toBe(0);
  expect(sr.stderr).toBe("");
  expect(sr.stdout).toContain("Follow-up chest radiograph recommended.");
  const fhir = JSON.parse(fs.readFileSync(saved.fhir!, "utf8")) as Record<string, unknown>;
  // R4 DiagnosticReport requires status and code; a signed report also carries subject, issued and the text.
  for (const key of ["resourceType", "status", "code", "subject", "issued", "performer", "presentedForm"]) {
    expect(fhir, `FHIR DiagnosticReport has ${key}`).toHaveProperty(key);
  }
  expect(fhir.resourceType).toBe("DiagnosticReport");
  expect(fhir.status).toBe("final");
  const form = (fhir.presentedForm as Array<{ data: string }>)[0];
  expect(Buffer.from(form?.data ?? "", "base64").toString("utf8")).toContain("Follow-up chest radiograph recommended.");
  expect(fs.readFileSync(saved.text!, "utf8")).toContain("Follow-up chest radiograph recommended.");

  // A follow-up study of the same patient: the signed case is among its similar cases and opens beside it.
  const followUpDir = path.join(dataDir, "follow-up");
  writeFollowUpStudy(followUpDir, path.join(DEMO, FIRST_STUDY));
  const panel = page.getByRole("region", { name: "Import studies" });
  if (!(await panel.isVisible())) await page.getByRole("button", { name: "Import", exact: true }).first().click();
  await panel.locator("#import-paths").fill(followUpDir);
  await panel.getByRole("button", { name: "Import", exact: true }).click();
  await expect(panel.getByTestId("import-result")).toBeVisible({ timeout: 120_000 });
  await openStudyByDate(page, /2025-06-01|20250601/);
  await expect(page.locator("[data-testid=ai-strip][data-state=done]")).toBeVisible({ timeout: 180_000 });
  const signedCase = page.locator(`[data-testid=similar-case][data-study-id="${first!.id}"]`);
  await expect(signedCase).toBeVisible();
  // The signed case joined the index with a thumbnail of its frontal view.
  await expect(signedCase.locator("img")).toBeVisible();
  await signedCase.getByRole("button", { name: "Open beside" }).click();
  await expect(page.getByTestId("comparison-viewport")).toContainText(`Similar prior case ${first!.id}`);
  await page.waitForTimeout(1500);
  await shot(page, "5-follow-up-similar");
  expect(errors).toEqual([]);
});
