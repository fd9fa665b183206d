/// <reference lib="dom" />
/**
 * Sign-off safeguards (issue 18.2) in Chromium through the loopback harness: a draft holding IU-Xray's XXXX token,
 * then a laterality contradiction, is refused with what to fix and the cursor on it; the fixed draft still needs the
 * attestation of the untouched AI sentences before the Sign button works. The drafting engine is the FIXED-REPORT
 * TEST DOUBLE (test/support) returning the real IU-Xray report CXR2434_IM-0976. The fixed text names a pneumothorax: the
 * worklist flags the study critical and signing needs the communication record (issue 18.3). Screenshot:
 * test-results/sign-off-refused.png.
 */
import { expect, test } from "@playwright/test";
import { FixedReportTestEngine } from "../support/fixed-report-test-engine";
import { ADA_SIGNER, focusedSelection, servicesPerTest, shotPath } from "../support/in-process-harness";
import { dicomStudy, insertStudy } from "../support/report-fixtures";

const run = servicesPerTest();

const selection = focusedSelection;

test("signing is refused with the fix named and the cursor on it; untouched AI text needs the attestation", async ({
  page,
}) => {
  const services = run.services("signoff", { draftEngine: new FixedReportTestEngine({ reportId: "CXR2434_IM-0976" }) });
  const harness = await run.serve();
  insertStudy(services.db, { ...dicomStudy("study-s"), patientName: "Roe^Max", patientId: "P-0042" });
  await page.goto(harness.url);
  await page.getByRole("complementary", { name: "Worklist" }).getByRole("button", { name: /Roe/ }).click();
  const findings = page.getByTestId("report-findings");
  await expect(findings).toHaveValue(
    "The heart is normal in size. The mediastinum is unremarkable. There is XXXX biapical scarring.",
  );

  // The AI's own XXXX: refused, the sentence quoted, the cursor on the token.
  await page.getByRole("button", { name: "Sign", exact: true }).click();
  const issues = page.getByTestId("sign-off-issue");
  await expect(issues).toHaveCount(1);
  await expect(issues.first()).toContainText(
    'Findings: "There is XXXX biapical scarring." holds the anonymisation token XXXX; replace it with the word it stands for or remove it',
  );
  await expect(page.getByRole("dialog")).toHaveCount(0);
  expect(await selection(page)).toEqual({ testId: "report-findings", selected: "XXXX" });
  await page.screenshot({ path: shotPath("sign-off-refused.png") });

  // Fixed, but the Impression now calls a left-sided pneumothorax right-sided.
  await findings.fill(
    "The heart is normal in size. The mediastinum is unremarkable. There is mild biapical scarring. There is a small left apical pneumothorax.",
  );
  await page.getByTestId("report-impression").fill("Small right pneumothorax.");
  await page.getByRole("button", { name: "Sign", exact: true }).click();
  await expect(issues).toHaveCount(1);
  await expect(issues.first()).toContainText(
    'Laterality: Findings call the pneumothorax left-sided ("There is a small left apical pneumothorax."), Impression right-sided ("Small right pneumothorax."); make the sides agree',
  );
  expect(await selection(page)).toEqual({ testId: "report-impression", selected: "Small right pneumothorax." });

  // An empty Impression is named too; "Go there" puts the cursor in it.
  await page.getByTestId("report-impression").fill("");
  await page.getByRole("button", { name: "Sign", exact: true }).click();
  await expect(issues.first()).toContainText("Impression is empty; write the impression before signing");
  await page.getByTestId("report-findings").focus();
  await issues.first().getByRole("button", { name: "Go there" }).click();
  expect((await selection(page)).testId).toBe("report-impression");

  // Fixed: the dialog opens; two AI sentences are untouched, so Sign waits for the attestation.
  await page.getByTestId("report-impression").fill("Small left apical pneumothorax.");
  await page.getByRole("button", { name: "Sign", exact: true }).click();
  await expect(issues).toHaveCount(0);
  const signAs = page.getByRole("button", { name: `Sign as ${ADA_SIGNER.displayName}` });
  await expect(page.getByRole("dialog")).toContainText(
    "2 sentences the AI drafted are unchanged. I have reviewed each of them and attest that the report describes this study.",
  );
  await expect(signAs).toBeDisabled();
  await page.getByRole("checkbox", { name: "Attest the unchanged AI sentences" }).check();
  // A pneumothorax is a critical result (issue 18.3): the worklist flags the study, and Sign also waits for the
  // communication record.
  await expect(page.getByRole("complementary", { name: "Worklist" }).locator(".critical-badge")).toHaveText("critical");
  await expect(page.getByTestId("critical-communication")).toContainText("Critical result: pneumothorax.");
  await expect(signAs).toBeDisabled();
  await page.getByLabel("Communicated to").fill("Dr Ward, ED registrar");
  await page.getByLabel("Communicated how").selectOption("in person");
  await expect(signAs).toBeDisabled();
  await page.getByLabel("Password or PIN").fill(ADA_SIGNER.secret);
  await signAs.click();
  await expect(page.getByTestId("signed-report")).toBeVisible();
  const audit = services.reports.audit("study-s");
  const signed = audit.find((e) => e.action === "report.signed");
  expect(signed?.details).toMatchObject({ untouchedAiSentences: 2, untouchedAiAttested: true });
  expect(audit.find((e) => e.action === "report.critical-communicated")?.details).toMatchObject({
    recipient: "Dr Ward, ED registrar",
    method: "in person",
    findings: ["pneumothorax"],
  });
});
