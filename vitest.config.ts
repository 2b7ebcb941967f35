import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/unit/**/*.test.ts", "test/integration/**/*.test.ts", "test/e2e/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // native addons (better-sqlite3, node-llama-cpp) and child processes: forks, not threads
    pool: "forks",
    // @oclif/core writes through console.log; without this @oclif/test's captured stdout is empty
    disableConsoleIntercept: true,
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});
