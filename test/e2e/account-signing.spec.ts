/// <reference lib="dom" />
/**
 * Issue 18.1 in Chromium through the loopback harness: the first account is created (the seeding a demo or test
 * uses: services.accounts.create, as `npm run serve -- --demo-account` does), the radiologist signs with the
 * password (a wrong one is refused and nothing is signed), and the PDF, SR and FHIR downloads carry the account.
 */
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect, test } from "@playwright/test";
import { type Harness, startHarness } from "../../src-main/harness/harness-server";
import { createServices, type Services } from "../../src-main/services";
import { downloadExports } from "../support/report-exports";
import { dicomStudy, insertStudy } from "../support/report-fixtures";
import { signAsAccount } from "../support/report-page";

const root = path.resolve(import.meta.dirname, "..", "..");
const rendererDir = process.env.RD_RENDERER_DIR ?? path.join(root, "out", "renderer");

let services: Services | null = null;
let harness: Harness | null = null;
test.afterEach(async () => {
  await harness?.close();
  services?.close();
  harness = null;
  services = null;
});

test("create the first account, sign with its password; PDF, SR and FHIR carry the account", async ({ page }) => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "rd-e2e-account-"));
  services = createServices({ dataDir, transport: "loopback", modelPackDir: null });
  harness = await startHarness({ services, rendererDir });
  insertStudy(services.db, { ...dicomStudy("study-a"), patientName: "Roe^Max", patientId: "P-0077" });
  const ada = await services.accounts.create({
    username: "ada",
    name: { family: "Reviewer", given: "Ada", middle: "", prefix: "Dr.", suffix: "" },
    password: "correct horse battery",
  });
  await page.goto(harness.url);
  await page.getByRole("complementary", { name: "Worklist" }).getByRole("button", { name: /Roe/ }).click();
  await page.getByTestId("report-findings").fill("The lungs are clear. No pleural effusion.");
  await page.getByTestId("report-impression").fill("No acute cardiopulmonary disease.");

  // A wrong password: refused, not signed.
  await page.getByRole("button", { name: "Sign", exact: true }).click();
  await page.getByLabel("Password or PIN").fill("not the password");
  await page.getByRole("button", { name: `Sign as ${ada.displayName}` }).click();
  await expect(page.getByText(/Not signed: wrong password/)).toBeVisible();
  expect(services.reports.state("study-a").signed).toBeNull();

  await signAsAccount(page, { displayName: ada.displayName, secret: "correct horse battery" });
  await expect(page.getByTestId("signed-report")).toContainText("Dr. Ada Reviewer");
  const files = await downloadExports(page, fs.mkdtempSync(path.join(os.tmpdir(), "rd-e2e-account-dl-")));
  const fhir = JSON.parse(fs.readFileSync(files.fhir, "utf8")) as { resultsInterpreter: unknown };
  expect(fhir.resultsInterpreter).toEqual([
    { display: "Dr. Ada Reviewer", identifier: { system: "urn:radiology-draft:account", value: "ada" } },
  ]);
  expect(fs.readFileSync(files.sr).toString("latin1")).toContain("Reviewer^Ada^^Dr.");
  if (spawnSync("which", ["dsrdump"]).status === 0) {
    expect(execFileSync("dsrdump", [files.sr], { encoding: "utf8" })).toContain("Reviewer^Ada^^Dr.");
  }
  if (spawnSync("which", ["pdftotext"]).status === 0) {
    const text = execFileSync("pdftotext", [files.pdf, "-"], { encoding: "utf8" }).replace(/\s+/g, " ");
    expect(text).toContain("Electronically signed by Dr. Ada Reviewer");
  }
  const signedAudit = services.reports.audit("study-a").find((e) => e.action === "report.signed");
  expect(signedAudit).toMatchObject({ actor: "Dr. Ada Reviewer", details: { account: "ada" } });
});
