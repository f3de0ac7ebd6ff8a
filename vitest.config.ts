import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["nodes/**/*.test.ts", "server/**/*.test.ts", "test/**/*.test.ts"],
    exclude: ["node_modules/**", "test/e2e/**"],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: "forks",
    // Two cores here: keep file-level parallelism modest so timing-sensitive engine tests are not starved.
    maxWorkers: 2,
  },
});
