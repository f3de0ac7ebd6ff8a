/**
 * The bundled regression example as a user runs it (`lattice run examples/cars-mpg.workflow.json --json`),
 * pinned against scikit-learn doing the same steps on the same split (test/fixtures/golden/make_linear.py
 * re-implements the split's seeded permutation, the median imputation and the encoding, then fits
 * LinearRegression). Least squares has one set of fitted values, so the test metrics agree to float32
 * precision; the GBDT branch is compared with HistGradientBoostingRegressor's R² loosely (different trees).
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, expect, it } from "vitest";

const root = resolve(import.meta.dirname, "../..");
const artifacts = mkdtempSync(join(tmpdir(), "lattice-cars-"));
afterAll(() => rmSync(artifacts, { recursive: true, force: true }));

const golden = JSON.parse(readFileSync(join(root, "test/fixtures/golden/linear.json"), "utf8")) as {
  cars: { train_rows: number; test_rows: number; test_rows_with_label: number; horsepower_median: number; linear: Record<"rmse" | "mae" | "r2" | "mape", number>; hist_gradient_boosting_r2: number };
};

type Summary = { status: string; nodes: Record<string, { status: string; metrics: Record<string, number> }> };

it("examples/cars-mpg.workflow.json: linear regression's test metrics equal scikit-learn's on the same split", () => {
  const r = spawnSync(process.execPath, [join(root, "server/cli/lattice.mjs"), "run", "examples/cars-mpg.workflow.json", "--json", "--out", join(artifacts, "out")], {
    cwd: root,
    encoding: "utf8",
    env: { ...process.env, LATTICE_ARTIFACTS: join(artifacts, "store") },
    timeout: 240_000,
  });
  expect(r.status, r.stderr).toBe(0);
  const s = JSON.parse(r.stdout) as Summary;
  expect(s.status).toBe("succeeded");
  const g = golden.cars;
  expect(s.nodes.split!.metrics).toMatchObject({ train_rows: g.train_rows, test_rows: g.test_rows });
  // Rows without a true MPG are scored but left out of the metrics, as scikit-learn's side drops them.
  expect(r.stderr).toMatch(new RegExp(`${g.test_rows - g.test_rows_with_label} rows with a missing true or predicted value are left out`));
  const linear = s.nodes.linearMetrics!.metrics;
  for (const k of ["rmse", "mae", "r2", "mape"] as const) expect(Math.abs(linear[k]! - g.linear[k]), k).toBeLessThan(1e-5 * Math.max(1, Math.abs(g.linear[k])));
  expect(Math.abs(s.nodes.gbdtMetrics!.metrics.r2! - g.hist_gradient_boosting_r2)).toBeLessThan(0.03);
  // Batch scoring wrote a prediction per test row; the imputed horsepower is the training median.
  const scored = readFileSync(join(artifacts, "out/linearScore/scored.csv"), "utf8").trim().split("\n");
  expect(scored[0]!.split(",")).toContain("prediction");
  expect(scored).toHaveLength(g.test_rows + 1);
  const fitted = JSON.parse(readFileSync(join(artifacts, "out/impute/fitted.json"), "utf8")) as { state: { columns: Array<{ name: string; value: number }> } };
  expect(fitted.state.columns.find((c) => c.name === "Horsepower")?.value).toBe(g.horsepower_median);
}, 300_000);
