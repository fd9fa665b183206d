import { defineConfig } from "vitest/config";

/** The PACS integration tests: a real Orthanc, so only inside a loopback-only network namespace (npm run test:pacs). */
export default defineConfig({
  test: {
    include: ["test/pacs/**/*.test.ts"],
    environment: "node",
    testTimeout: 120_000,
    hookTimeout: 120_000,
    pool: "forks",
    // One Orthanc-heavy file at a time: the 2-core CI machine is shared.
    fileParallelism: false,
  },
});
