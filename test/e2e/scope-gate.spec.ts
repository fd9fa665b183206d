/// <reference lib="dom" />
/**
 * The scope gate in the report pane, in Chromium through the loopback harness (issue 12 point 1): the pane's words
 * for a not-eligible study (an MR header around the real CR chest's pixels, made with dcmodify at test time) and for
 * an uncertain one (the real NIH DX chest, which has no Body Part Examined); the override ("Draft anyway…") and its
 * record in the audit log and the exports; the sign dialog's explicit confirmation. The drafting engine is the
 * FIXED-REPORT TEST DOUBLE (test/support), behind the same DraftEngine seam as the real engine. Screenshots:
 * test-results/scope-*.png.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, type Page, test } from "@playwright/test";
import { type Harness, startHarness } from "../../src-main/harness/harness-server";
import { createServices, type Services } from "../../src-main/services";
import { FixedReportTestEngine } from "../support/fixed-report-test-engine";
import { ADA_PIN, ADA_SIGNER, signInAda } from "../support/in-process-harness";
import { downloadExports } from "../support/report-exports";
import { dicomStudy, insertStudy, SHARED_DICOM_DIR } from "../support/report-fixtures";
import { modifiedCopy } from "../unit/imaging/derived-files";

const root = path.resolve(import.meta.dirname, "..", "..");
const rendererDir = process.env.RD_RENDERER_DIR ?? path.join(root, "out", "renderer");
const shots = path.join(root, "test-results");
const CHEST = path.join(SHARED_DICOM_DIR, "CR-MONO1-10-chest_explicitLE.dcm");
const NIH_DX = path.join(SHARED_DICOM_DIR, "NIH_DX_chest_implicitLE.dcm");

let running: { services: Services; harness: Harness } | null = null;
test.afterEach(async () => {
  await running?.harness.close();
  running?.services.close();
  running = null;
});

function addStudy(services: Services, id: string, file: string, patientName: string): void {
  const base = dicomStudy(id);
  insertStudy(services.db, {
    ...base,
    studyInstanceUid: `2.25.${Buffer.from(id).toString("hex")}`,
    patientName,
    patientId: id.toUpperCase(),
    images: [{ ...base.images![0]!, filePath: file }],
  });
}

async function openStudy(page: Page, familyName: string): Promise<void> {
  await page
    .getByRole("complementary", { name: "Worklist" })
    .getByRole("button", { name: new RegExp(familyName) })
    .click();
}

test("not eligible: the pane says why, no draft or similar cases; the override drafts, is audited and exported; signing asks", async ({
  page,
}) => {
  fs.mkdirSync(shots, { recursive: true });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-e2e-scope-"));
  const mr = modifiedCopy(dataDir, CHEST, "mr.dcm", {
    "(0008,0060)": "MR",
    "(0008,0016)": "1.2.840.10008.5.1.4.1.1.4",
    "(0018,0015)": "",
  });
  const engine = new FixedReportTestEngine({ reportId: "CXR1451_IM-0291" });
  const services = createServices({ dataDir, transport: "loopback", modelPackDir: null, draftEngine: engine });
  await signInAda(services);
  running = { services, harness: await startHarness({ services, rendererDir }) };
  addStudy(services, "mr-study", mr, "Mann^Rita");
  addStudy(services, "dx-study", NIH_DX, "Dix^Xavier");
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(String(e)));

  await page.goto(running.harness.url);
  await openStudy(page, "Mann");
  const banner = page.getByTestId("scope-banner");
  await expect(banner).toHaveAttribute("data-outcome", "not-eligible");
  await expect(banner).toContainText("Not eligible for an AI draft");
  await expect(page.getByTestId("scope-headline")).toHaveText("MR images: this model drafts chest radiographs only");
  await expect(banner).toContainText("No AI draft and no similar-case search");
  await expect(page.locator("[data-testid=ai-strip][data-state=idle]")).toBeVisible();
  await expect(page.getByTestId("similar-empty")).toHaveText(
    "No similar-case search: MR images: this model drafts chest radiographs only.",
  );
  await expect(page.getByRole("button", { name: "Regenerate" })).toBeDisabled();
  await page.screenshot({ path: path.join(shots, "scope-not-eligible.png") });
  expect(engine.calls).toEqual([]);

  // Override: the reason (the signed-in account overrides), then the AI drafts; the pane keeps saying "not eligible".
  await page.getByRole("button", { name: "Draft anyway…" }).click();
  await page.getByLabel("Reason for the override").fill("chest coil localiser, teaching");
  await page.getByRole("button", { name: "Draft anyway", exact: true }).click();
  await expect(page.locator("[data-testid=ai-strip][data-state=done]")).toBeVisible();
  await expect(page.getByTestId("scope-override")).toContainText(
    "(chest coil localiser, teaching): the AI drafted anyway.",
  );
  await expect(banner).toHaveAttribute("data-overridden", "true");
  await expect(page.getByTestId("similar-case")).toHaveCount(5);
  expect(engine.calls).toEqual(["mr-study"]);
  const override = services.reports.audit("mr-study").find((e) => e.action === "scope.override");
  expect(override).toMatchObject({
    actor: ADA_SIGNER.displayName,
    details: { reason: "chest coil localiser, teaching" },
  });

  // Sign: the confirmation checkbox gates the Sign button.
  await page.getByRole("button", { name: "Sign", exact: true }).click();
  const signAs = page.getByRole("button", { name: `Sign as ${ADA_SIGNER.displayName}` });
  await expect(signAs).toBeDisabled();
  const confirm = page.getByRole("checkbox", { name: /I confirm that this AI-assisted report applies to this study/ });
  await expect(page.getByRole("dialog")).toContainText("The scope check was overridden (MR images");
  await page.screenshot({ path: path.join(shots, "scope-sign-confirm.png") });
  await confirm.check();
  await page.getByRole("checkbox", { name: "Attest the unchanged AI sentences" }).check();
  await expect(signAs).toBeDisabled();
  await page.getByLabel("Password or PIN").fill(ADA_SIGNER.secret);
  await signAs.click();
  await expect(page.getByTestId("signed-report")).toBeVisible();
  const signed = services.reports.audit("mr-study").find((e) => e.action === "report.signed");
  expect(signed?.details.scope).toMatchObject({ outcome: "not-eligible", confirmed: true });
  const saved = await downloadExports(page, dataDir);
  expect(fs.readFileSync(saved.text ?? "", "utf8")).toMatch(
    /Scope override: the AI drafted although the study is not eligible \(MR images: this model drafts chest radiographs only\); overridden by Dr\. Ada Reviewer at \S+ \(chest coil localiser, teaching\)\./,
  );

  // Uncertain: the DX without Body Part Examined drafts under a caution; signing asks the same way.
  await openStudy(page, "Dix");
  await expect(banner).toHaveAttribute("data-outcome", "uncertain");
  await expect(banner).toContainText("Uncertain: the AI draft may not apply to this study");
  await expect(page.getByTestId("scope-headline")).toHaveText(
    "DX without Body Part Examined, and no description names the chest",
  );
  await expect(banner).toContainText("signing asks you to confirm");
  await expect(page.locator("[data-testid=ai-strip][data-state=done]")).toBeVisible();
  await page.screenshot({ path: path.join(shots, "scope-uncertain.png") });
  await page.getByRole("button", { name: "Sign", exact: true }).click();
  await expect(page.getByRole("button", { name: `Sign as ${ADA_SIGNER.displayName}` })).toBeDisabled();
  await expect(page.getByRole("dialog")).toContainText("The scope check is uncertain (DX without Body Part Examined");
  await page.getByRole("checkbox", { name: /I confirm/ }).check();
  await page.getByRole("checkbox", { name: "Attest the unchanged AI sentences" }).check();
  await page.getByLabel("Password or PIN").fill(ADA_PIN);
  await page.getByRole("button", { name: `Sign as ${ADA_SIGNER.displayName}` }).click();
  await expect(page.getByTestId("signed-report")).toBeVisible();
  expect(errors).toEqual([]);
});
