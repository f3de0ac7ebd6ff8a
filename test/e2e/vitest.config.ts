import { defineConfig } from "vitest/config";

/** Browser tests: `npx vitest run -c test/e2e/vitest.config.ts`. One file at a time; they start a real server. */
export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.test.ts"],
    testTimeout: 600_000,
    hookTimeout: 300_000,
    pool: "forks",
    maxWorkers: 1,
    fileParallelism: false,
  },
});
