import type { Table } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { numericColumn, stringColumn, tableFromColumns, tableInfo } from "../../nodes/core/arrow";
import type { ModelValue } from "../../nodes/core/values";
import permutationImportance from "../../nodes/explain/permutation-importance";
import { closeTestRuntime, makeContext, userError } from "../helpers/node-context";
import { binaryTable, boostingModel, logisticModel, mlpRegressor, multiclassMlp, multiclassTable, regressionTable } from "./fixtures";

afterAll(closeTestRuntime);

let logistic: ModelValue;
beforeAll(async () => {
  logistic = await logisticModel();
});

function run(model: ModelValue, data: Table, params: Record<string, unknown> = {}, ctx = makeContext()) {
  return permutationImportance.run({ inputs: { model, data }, params: permutationImportance.params.parse(params), ctx });
}

function asRecord(t: Table): Record<string, { mean: number; std: number }> {
  const f = stringColumn(t, "feature") as string[];
  const mean = numericColumn(t, "importance_mean");
  const std = numericColumn(t, "importance_std");
  return Object.fromEntries(f.map((name, i) => [name, { mean: mean[i]!, std: std[i]! }]));
}

describe("explain/permutation-importance", () => {
  it("ranks the features the label depends on; a feature held constant in the data scores exactly 0", async () => {
    const base = binaryTable(400, 11);
    // Same rows, but every color is "red": shuffling color then changes nothing.
    const data = tableFromColumns({ x1: numericColumn(base, "x1"), x2: numericColumn(base, "x2"), color: new Array<string>(400).fill("red"), label: stringColumn(base, "label") });
    const ctx = makeContext();
    const { importances, chart } = await run(logistic, data, { repeats: 4, seed: 1 }, ctx);
    const r = asRecord(importances);
    expect(Object.keys(r)).toEqual(["x1", "x2", "color"]); // sorted by mean drop
    expect(r.x1!.mean).toBeGreaterThan(0.1);
    expect(r.x2!.mean).toBeGreaterThan(0.01);
    expect(r.color).toEqual({ mean: 0, std: 0 });
    expect(r.x1!.std).toBeGreaterThan(0);
    expect(chart).toMatchObject({ kind: "bar", categories: ["x1", "x2", "color"] });
    expect(chart.series![0]!.y).toEqual([r.x1!.mean, r.x2!.mean, 0]);
    expect(ctx.logs.at(-1)).toMatch(/^Baseline roc_auc 0\.9\d+ on 400 rows; 3 features × 4 shuffles/);
    expect(ctx.progressCalls.at(-1)).toBe(1);
  });

  it("is repeatable for a seed, changes with it, and measures only the picked features", async () => {
    const data = binaryTable(300, 12);
    const a = asRecord((await run(logistic, data, { seed: 3, repeats: 2 })).importances);
    const b = asRecord((await run(logistic, data, { seed: 3, repeats: 2 })).importances);
    const c = asRecord((await run(logistic, data, { seed: 4, repeats: 2 })).importances);
    expect(b).toEqual(a);
    expect(c.x1!.mean).not.toBe(a.x1!.mean);
    const one = asRecord((await run(logistic, data, { features: ["x2"], repeats: 1, metric: "accuracy" })).importances);
    expect(Object.keys(one)).toEqual(["x2"]);
    expect(one.x2!.std).toBe(0);
  });

  it("samples rows, skipping unlabelled ones", async () => {
    const base = binaryTable(300, 13);
    const labels = stringColumn(base, "label").map((v, i) => (i % 3 === 0 ? null : v));
    const data = tableFromColumns({ x1: numericColumn(base, "x1"), x2: numericColumn(base, "x2"), color: stringColumn(base, "color"), label: labels });
    const ctx = makeContext();
    await run(logistic, data, { maxRows: 50, repeats: 1 }, ctx);
    expect(ctx.logs[0]).toContain("Skipped 100 rows");
    expect(ctx.logs.at(-1)).toContain("on 50 rows");
  });

  it("uses R² for regressors and works with trees and multiclass models", async () => {
    const reg = await mlpRegressor();
    const ctx = makeContext();
    const r = asRecord((await run(reg, regressionTable(300, 5), { repeats: 2 }, ctx)).importances);
    expect(ctx.logs.at(-1)).toMatch(/^Baseline r2 0\.9/);
    expect(r.a!.mean).toBeGreaterThan(r.kind!.mean);
    expect(r.a!.mean).toBeGreaterThan(0.5);

    const gbdt = asRecord((await run(await boostingModel(), binaryTable(300, 14), { repeats: 2 })).importances);
    expect(gbdt.x1!.mean).toBeGreaterThan(0.05);

    const three = await multiclassMlp();
    for (const metric of ["roc_auc", "accuracy"] as const) {
      const m = asRecord((await run(three, multiclassTable(150, 15), { metric, repeats: 2 })).importances);
      expect(m.a!.mean).toBeGreaterThan(0.05);
      expect(m.b!.mean).toBeGreaterThan(0.05);
    }
  });

  it("stops when cancelled", async () => {
    const ctx = makeContext();
    ctx.abort();
    expect(((await run(logistic, binaryTable(50, 3), {}, ctx).catch((e: unknown) => e)) as Error).name).toBe("AbortError");
  });

  describe("errors", () => {
    it("a feature that is not in the model", async () => {
      const e = await userError(run(logistic, binaryTable(50, 3), { features: ["group"] }));
      expect(e).toMatchObject({ code: "unknown_feature", field: "features" });
      expect(e.message).toContain("x1, x2, color");
    });
    it("zero rows, or no labelled rows", async () => {
      expect(await userError(run(logistic, binaryTable(50, 3).slice(0, 0)))).toMatchObject({ code: "no_rows", field: "data" });
      const t = tableFromColumns({ x1: Float64Array.from([1]), x2: Float64Array.from([1]), color: ["red"], label: [null] as Array<string | null> });
      expect(await userError(run(logistic, t))).toMatchObject({ code: "no_rows", field: "label" });
    });
    it("a missing label or feature column", async () => {
      expect(await userError(run(logistic, binaryTable(50, 3).select(["x1", "x2", "color"])))).toMatchObject({ code: "unknown_column", field: "label" });
      expect(await userError(run(logistic, binaryTable(50, 3).select(["x1", "color", "label"])))).toMatchObject({ code: "missing_feature", field: "data" });
    });
    it("a score that does not fit the model", async () => {
      expect(await userError(run(logistic, binaryTable(50, 3), { metric: "r2" }))).toMatchObject({ code: "metric_task", field: "metric" });
      expect(await userError(run(await mlpRegressor(), regressionTable(20, 1), { metric: "accuracy" }))).toMatchObject({ code: "metric_task" });
    });
    it("labels the model does not know, or one class only for ROC-AUC", async () => {
      const base = binaryTable(20, 3);
      const cols = { x1: numericColumn(base, "x1"), x2: numericColumn(base, "x2"), color: stringColumn(base, "color") };
      expect((await userError(run(logistic, tableFromColumns({ ...cols, label: new Array<string>(20).fill("maybe") })))).code).toBe("unknown_label_values");
      expect((await userError(run(logistic, tableFromColumns({ ...cols, label: new Array<string>(20).fill("yes") })))).code).toBe("single_class");
    });
  });

  it("infers its output table", () => {
    const out = permutationImportance.infer!({ inputs: { model: { model: logistic.info }, data: { table: tableInfo(binaryTable(2)) } }, params: permutationImportance.params.parse({}) });
    expect(out.importances?.table?.columns.map((c) => c.name)).toEqual(["feature", "importance_mean", "importance_std"]);
  });
});
