/// <reference lib="dom" />
import { expect, type Page } from "@playwright/test";

/** Signs the open report as a radiologist whose name the workstation does not know yet (it asks once), and waits until it is signed. */
export async function signAsNewSigner(
  page: Page,
  name: string,
  options: { attestUntouchedAi?: boolean } = {},
): Promise<void> {
  await page.getByRole("button", { name: "Sign", exact: true }).click();
  await page.getByLabel("Signing radiologist").fill(name);
  await page.getByRole("button", { name: "Save name" }).click();
  // Untouched AI sentences: the sign dialog's attestation (the sign-off safeguards, docs/reports.md).
  if (options.attestUntouchedAi) {
    await page.getByRole("checkbox", { name: "Attest the unchanged AI sentences" }).check();
  }
  await page.getByRole("button", { name: `Sign as ${name}` }).click();
  await expect(page.getByTestId("signed-report")).toBeVisible();
}

/** Signs the open report as the signed-in local account, typing its password or PIN, and waits until it is signed. */
export async function signAsAccount(
  page: Page,
  account: { displayName: string; secret: string },
  options: { attestUntouchedAi?: boolean } = {},
): Promise<void> {
  await page.getByRole("button", { name: "Sign", exact: true }).click();
  if (options.attestUntouchedAi) {
    await page.getByRole("checkbox", { name: "Attest the unchanged AI sentences" }).check();
  }
  const sign = page.getByRole("button", { name: `Sign as ${account.displayName}` });
  await expect(sign).toBeDisabled();
  await page.getByLabel("Password or PIN").fill(account.secret);
  await sign.click();
  await expect(page.getByTestId("signed-report")).toBeVisible();
}
