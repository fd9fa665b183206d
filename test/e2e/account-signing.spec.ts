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
import { ADA_PASSWORD, createAda, servicesPerTest } from "../support/in-process-harness";
import { downloadExports } from "../support/report-exports";
import { dicomStudy, insertStudy } from "../support/report-fixtures";
import { signAsAccount } from "../support/report-page";

const run = servicesPerTest();

test("create the first account, sign with its password; PDF, SR and FHIR carry the account", async ({ page }) => {
  const services = run.services("account");
  const harness = await run.serve();
  insertStudy(services.db, { ...dicomStudy("study-a"), patientName: "Roe^Max", patientId: "P-0077" });
  const ada = await createAda(services);
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

  await signAsAccount(page, { displayName: ada.displayName, secret: ADA_PASSWORD });
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
