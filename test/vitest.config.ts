import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

export default defineConfig({
  // Lives in test/ (the top level holds only the app's own folders); paths below are from the repository root.
  root: fileURLToPath(new URL("..", import.meta.url)),
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
