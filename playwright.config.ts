import { defineConfig } from "@playwright/test";

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
    launchOptions: {
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
  },
});
