/**
 * The Cross-validation node against scikit-learn's cross_validate (test/fixtures/golden/make_cv.py writes the
 * fixture; see its header to regenerate): same rows, StratifiedKFold(5) unshuffled, StandardScaler +
 * LogisticRegression(C=1). The folds must be exactly scikit-learn's; counting metrics (accuracy, balanced
 * accuracy, F1) and ROC-AUC equal within 1e-9 (the models agree to far better than any decision margin);
 * log loss within 1e-5 (scoring runs the network in float32: measured 2.7e-6 off on one fold); mean ± std
 * follow within the same tolerances.
 */
import { readFileSync } from "node:fs";
import type { Table } from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import { tableFromColumns } from "../../nodes/core/arrow";
import type { MetricsValue } from "../../nodes/core/values";
import { assignFolds } from "../../nodes/features/k-fold-split";
import { closeTestRuntime } from "../helpers/node-context";
import { rows, runNode } from "../tuning/helpers";

afterAll(closeTestRuntime);

const fx = JSON.parse(readFileSync(new URL("../fixtures/golden/cv.json", import.meta.url), "utf8")) as {
  k: number;
  data: { x1: number[]; x2: number[]; x3: number[]; label: string[] };
  test_folds: number[][];
  per_fold: Record<string, number[]>;
  summary: Record<string, { mean: number; std: number }>;
};
const table: Table = tableFromColumns({ x1: Float64Array.from(fx.data.x1), x2: Float64Array.from(fx.data.x2), x3: Float64Array.from(fx.data.x3), label: fx.data.label }, { label: "label" });
const TOL: Record<string, number> = { accuracy: 1e-9, balanced_accuracy: 1e-9, f1_macro: 1e-9, roc_auc: 1e-9, log_loss: 1e-5 };

describe("Cross-validation node vs scikit-learn cross_validate", () => {
  it("splits into exactly scikit-learn's StratifiedKFold folds (unshuffled)", () => {
    const fold = assignFolds(table, { k: fx.k, stratify: "label", seed: 0, shuffle: false }, { signal: new AbortController().signal, log: () => {} });
    const ours = Array.from({ length: fx.k }, (_, f) => [...fold.keys()].filter((i) => fold[i] === f));
    expect(ours).toEqual(fx.test_folds);
  });

  it("reports scikit-learn's per-fold scores and their mean ± std", async () => {
    const r = await runNode("evaluation/cross-validation", { trainer: "logistic-regression", label: "label", k: fx.k, stratified: true, shuffle: false, settings: { solver: "newton", C: 1 } }, table);
    const m = r.outputs.metrics as MetricsValue;
    const folds = rows(r.outputs.folds as Table);
    expect(folds.map((f) => f.fold)).toEqual([1, 2, 3, 4, 5]);
    expect(folds.map((f) => f.test_rows)).toEqual(fx.test_folds.map((t) => t.length));
    for (const [name, expected] of Object.entries(fx.per_fold)) {
      folds.forEach((f, i) => expect(Math.abs((f[name] as number) - expected[i]!), `${name} fold ${i + 1}: ${f[name]} vs ${expected[i]}`).toBeLessThanOrEqual(TOL[name]!));
      expect(Math.abs((m.values[`${name}_mean`] as number) - fx.summary[name]!.mean), `${name} mean`).toBeLessThanOrEqual(TOL[name]!);
      expect(Math.abs((m.values[`${name}_std`] as number) - fx.summary[name]!.std), `${name} std`).toBeLessThanOrEqual(TOL[name]!);
    }
    expect(m.values.folds).toBe(5);
    expect(r.outputs.chart).toMatchObject({ kind: "bar", categories: expect.arrayContaining(["roc_auc", "accuracy"]) });
  });

  it("uses a fold column when given one, and names a bad trainer setting", async () => {
    const fold = assignFolds(table, { k: 4, stratify: "", seed: 1, shuffle: true }, { signal: new AbortController().signal, log: () => {} });
    const withFold = table.assign(tableFromColumns({ f: Int32Array.from(fold, (x) => x + 1) }));
    const r = await runNode("evaluation/cross-validation", { trainer: "gradient-boosting", label: "label", foldColumn: "f", settings: { maxIter: 10 } }, withFold);
    expect(rows(r.outputs.folds as Table).map((f) => f.test_rows)).toEqual([0, 1, 2, 3].map((f) => fold.filter((x) => x === f).length));
    const bad = await runNode("evaluation/cross-validation", { trainer: "gradient-boosting", label: "label", settings: { epochs: 5 } }, table).catch((e: unknown) => e);
    expect(bad).toMatchObject({ code: "unknown_setting", field: "settings" });
    expect((bad as Error).message).toMatch(/"epochs" is not a setting of Gradient boosting/);
  });
});
