import { defineConfig } from "@playwright/test";
import { CHROMIUM_LAUNCH } from "./src-main/bench/chromium-launch";

/** End-to-end tests: Debian's Chromium drives the built renderer through the loopback harness. */
export default defineConfig({
  testDir: "test/e2e",
  outputDir: "test-results/playwright",
  timeout: 120_000,
  workers: 1,
  reporter: [["list"]],
  use: {
    browserName: "chromium",
    viewport: { width: 1600, height: 1000 },
    launchOptions: { executablePath: CHROMIUM_LAUNCH.executablePath, args: [...CHROMIUM_LAUNCH.args] },
  },
});
