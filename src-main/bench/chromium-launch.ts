/**
 * How Debian's Chromium is launched for the e2e tests (playwright.config.ts) and the Chromium benchmarks
 * (harness-bench-support.ts): one executable and one set of flags, so that a benchmark measures the browser the
 * tests drive.
 */
export const CHROMIUM_LAUNCH = {
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
} as const;
