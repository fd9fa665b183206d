/**
 * The one place tests sign in as a local account (issue 18.1: only the signed-in, unlocked account signs). The
 * account is created on first run (which signs it in) or signed in with its password. Idempotent. No Playwright
 * here: unit, integration and PACS tests use it directly, the e2e harness through createAda (in-process-harness.ts).
 */
import type { AccountsService } from "../../src-main/services/accounts/accounts-service";
import type { Account, CreateAccountInput } from "../../src-shared/account-types";

/** The account the in-process e2e specs are signed in as (createAda) and sign with: "Dr. Ada Reviewer". */
export const ADA_PASSWORD = "correct horse battery";
export const ADA_PIN = "4711";
export const ADA_ACCOUNT = {
  username: "ada",
  name: { family: "Reviewer", given: "Ada", middle: "", prefix: "Dr.", suffix: "" },
  password: ADA_PASSWORD,
  pin: ADA_PIN,
} satisfies CreateAccountInput;
/** For signAsAccount (test/support/report-page.ts). */
export const ADA_SIGNER = { displayName: "Dr. Ada Reviewer", secret: ADA_PASSWORD };

/** The radiologist the service-level tests sign as: display name "Dr Anna Smith". */
export const ANNA_ACCOUNT = {
  username: "anna",
  name: { family: "Smith", given: "Anna", middle: "", prefix: "Dr", suffix: "" },
  password: "anna signs reports",
  pin: "2468",
} satisfies CreateAccountInput;
export const ANNA_NAME = "Dr Anna Smith";
/** What reports.sign / reports.addAddendum take over the API to confirm that Anna signs. */
export const ANNA_CREDENTIAL = { password: ANNA_ACCOUNT.password };

export async function signInAccount(
  accounts: AccountsService,
  input: CreateAccountInput = ANNA_ACCOUNT,
): Promise<Account> {
  const { firstRun, account, locked } = accounts.session();
  if (firstRun) return accounts.create(input);
  if (account?.username === input.username && !locked) return account;
  const s = await accounts.signIn(input.username, input.password);
  if (!s.account) throw new Error(`signInAccount: ${input.username} is not signed in`);
  return s.account;
}
