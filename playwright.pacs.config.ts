import { defineConfig } from "@playwright/test";
import base from "./playwright.config";

/** The PACS end-to-end tests (a real Orthanc): run by `npm run test:pacs` inside a loopback-only network namespace. */
export default defineConfig({ ...base, testDir: "test/pacs-e2e", outputDir: "test-results/playwright-pacs" });
