/**
 * The harness's demo account (`npm run serve -- --demo-account`, docs/security.md): public credentials, for tests
 * and demonstrations only, never for real reports. The end-to-end specs that start the harness process sign with it.
 */
import { displayPersonName } from "../../src-shared/account-types";

export const DEMO_ACCOUNT = {
  username: "demo",
  name: { family: "Radiologist", given: "Demo", middle: "", prefix: "Dr.", suffix: "" },
  password: "demo-password",
  pin: "2468",
};

/** "Dr. Demo Radiologist": the name signed reports of the demo account carry. */
export const DEMO_DISPLAY_NAME = displayPersonName(DEMO_ACCOUNT.name);
