/// <reference lib="dom" />
import { expect, type Page } from "@playwright/test";

/**
 * Signs the open report as the signed-in local account, typing its password or PIN, and waits until it is signed.
 * The e2e specs are signed in before the page opens (in-process-harness.ts `createAda`/`serve()`, or
 * harness-process.ts `startSignedInHarnessProcess`): ADA_SIGNER or E2E_SIGNER.
 */
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
