import type { Table } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { numericColumn, stringColumn, tableFromColumns, tableInfo } from "../../nodes/core/arrow";
import type { ModelValue } from "../../nodes/core/values";
import partialDependence, { grid } from "../../nodes/explain/partial-dependence";
import { scoreClassifier } from "../../nodes/training/predict";
import { closeTestRuntime, makeContext, testRuntime, userError } from "../helpers/node-context";
import { binaryTable, logisticModel, mlpRegressor, multiclassMlp, multiclassTable, regressionTable } from "./fixtures";

afterAll(closeTestRuntime);

const getTf = () => testRuntime().tf();
let logistic: ModelValue;
beforeAll(async () => {
  logistic = await logisticModel();
});

function run(model: ModelValue, data: Table, params: Record<string, unknown>, ctx = makeContext()) {
  return partialDependence.run({ inputs: { model, data }, params: partialDependence.params.parse(params), ctx });
}

const GRID = { gridResolution: 20, lowerPercentile: 0.05, upperPercentile: 0.95 };

describe("explain/partial-dependence", () => {
  it("builds scikit-learn's grid: distinct values when few, else evenly spaced between percentiles", () => {
    const t = tableFromColumns({ x: Float64Array.from({ length: 100 }, (_, i) => i), few: Float64Array.from({ length: 100 }, (_, i) => (i % 4) * 2.5), c: Array.from({ length: 100 }, (_, i) => (i < 60 ? "b" : i < 90 ? "a" : i < 99 ? "c" : null)) });
    const g = grid(t, "x", GRID);
    if (!g.numeric) throw new Error("x is numeric");
    expect(g.values).toHaveLength(20);
    expect(g.values[0]).toBeCloseTo(4.95, 12); // numpy.percentile(range(100), 5)
    expect(g.values[19]).toBeCloseTo(94.05, 12);
    expect(g.values[1]! - g.values[0]!).toBeCloseTo((94.05 - 4.95) / 19, 12);
    expect(grid(t, "few", GRID).values).toEqual([0, 2.5, 5, 7.5]);
    expect(grid(t, "c", GRID)).toEqual({ name: "c", numeric: false, values: ["a", "b", "c"] });
    expect(grid(t, "c", { ...GRID, gridResolution: 2 }).values).toEqual(["a", "b"]); // the two most frequent
  });

  it("one numeric feature: the average probability over the rows at each grid value, as a line", async () => {
    const data = binaryTable(200, 5);
    const ctx = makeContext();
    const { values, chart } = await run(logistic, data, { features: ["x1"], gridResolution: 8 }, ctx);
    const xs = Array.from(numericColumn(values, "x1"));
    const avg = Array.from(numericColumn(values, "average"));
    expect(xs).toHaveLength(8);
    // By definition: every row gets x1 = v, the model scores them, the scores are averaged.
    for (const [i, v] of xs.entries()) {
      const t = tableFromColumns({ x1: new Float64Array(200).fill(v), x2: numericColumn(data, "x2"), color: stringColumn(data, "color") });
      const { proba } = await scoreClassifier(logistic, t, getTf);
      let s = 0;
      for (let r = 0; r < 200; r++) s += proba[r * 2 + 1]!;
      expect(Math.abs(avg[i]! - s / 200)).toBeLessThan(1e-6);
    }
    // x1 raises the odds of "yes" in this data, so the curve rises.
    for (let i = 1; i < 8; i++) expect(avg[i]!).toBeGreaterThan(avg[i - 1]!);
    expect(chart).toMatchObject({ kind: "line", xLabel: "x1", yLabel: "P(yes)" });
    expect(chart.series![0]).toEqual({ name: "P(yes)", x: xs, y: avg });
    expect(ctx.logs.at(-1)).toContain("8 grid points averaged over 200 rows");
    expect(ctx.progressCalls.at(-1)).toBe(1);
  });

  it("a text feature gives bars; two features give a heat map", async () => {
    const data = binaryTable(150, 6);
    const one = await run(logistic, data, { features: ["color"] });
    expect(one.chart).toMatchObject({ kind: "bar", categories: ["blue", "green", "red"] });
    const p = one.chart.series![0]!.y;
    expect(p[2]!).toBeGreaterThan(p[1]!); // red raised the odds, blue lowered them
    expect(p[1]!).toBeGreaterThan(p[0]!);

    const two = await run(logistic, data, { features: ["x1", "color"], gridResolution: 5 });
    expect(two.values.numRows).toBe(15);
    expect(two.chart).toMatchObject({ kind: "heatmap", xLabel: "color", yLabel: "x1", colLabels: ["blue", "green", "red"] });
    expect(two.chart.matrix).toHaveLength(5);
    expect(two.chart.matrix![0]).toHaveLength(3);
    expect(stringColumn(two.values, "color").slice(0, 3)).toEqual(["blue", "green", "red"]);
    // Whatever the color, the probability rises with x1 (down the matrix's rows).
    for (let c = 0; c < 3; c++) expect(two.chart.matrix![4]![c]!).toBeGreaterThan(two.chart.matrix![0]![c]!);
  });

  it("samples rows, and explains regressors and a chosen class", async () => {
    const ctx = makeContext();
    const reg = await run(await mlpRegressor(), regressionTable(300, 3), { features: ["b"], maxRows: 100, gridResolution: 9 }, ctx);
    expect(ctx.logs.at(-1)).toContain("averaged over 100 rows");
    const y = reg.chart.series![0]!.y;
    // y falls off as b² grows: the middle of the grid (b ≈ 0) is the top of the curve.
    expect(y[4]!).toBeGreaterThan(y[0]!);
    expect(y[4]!).toBeGreaterThan(y[8]!);
    expect(reg.chart.yLabel).toBe("predicted y");
    const three = await run(await multiclassMlp(), multiclassTable(90, 4), { features: ["a"], targetClass: "dog", gridResolution: 5 });
    const dog = three.chart.series![0]!.y;
    expect(dog[4]!).toBeGreaterThan(dog[0]!); // dogs sit at large a
  });

  it("stops when cancelled", async () => {
    const ctx = makeContext();
    ctx.abort();
    expect(((await run(logistic, binaryTable(30, 3), { features: ["x1"] }, ctx).catch((e: unknown) => e)) as Error).name).toBe("AbortError");
  });

  describe("errors", () => {
    it("no feature, or more than two", async () => {
      expect(await userError(run(logistic, binaryTable(30, 3), {}))).toMatchObject({ code: "no_features", field: "features" });
      expect(await userError(run(logistic, binaryTable(30, 3), { features: ["x1", "x2", "color"] }))).toMatchObject({ code: "too_many_features" });
    });
    it("a feature that is not in the model", async () => {
      const e = await userError(run(logistic, binaryTable(30, 3), { features: ["group"] }));
      expect(e).toMatchObject({ code: "unknown_feature", field: "features" });
      expect(e.message).toContain('"group" is not a feature of the model');
    });
    it("zero rows; a model feature missing from the data; a feature with no values", async () => {
      expect(await userError(run(logistic, binaryTable(30, 3).slice(0, 0), { features: ["x1"] }))).toMatchObject({ code: "no_rows", field: "data" });
      expect(await userError(run(logistic, binaryTable(30, 3).select(["x1", "x2"]), { features: ["x1"] }))).toMatchObject({ code: "missing_feature" });
      const t = tableFromColumns({ x1: new Float64Array(3).fill(NaN), x2: Float64Array.from([1, 2, 3]), color: ["red", "red", "blue"] });
      expect(await userError(run(logistic, t, { features: ["x1"] }))).toMatchObject({ code: "no_values" });
    });
    it("percentiles the wrong way round; an unknown class", async () => {
      expect(await userError(run(logistic, binaryTable(30, 3), { features: ["x1"], lowerPercentile: 0.9, upperPercentile: 0.1 }))).toMatchObject({ code: "bad_percentiles" });
      expect(await userError(run(logistic, binaryTable(30, 3), { features: ["x1"], targetClass: "maybe" }))).toMatchObject({ code: "unknown_class" });
    });
  });

  it("infers its output columns from the picked features", () => {
    const out = partialDependence.infer!({ inputs: { model: { model: logistic.info }, data: { table: tableInfo(binaryTable(2)) } }, params: partialDependence.params.parse({ features: ["x1", "color"] }) });
    expect(out.values?.table?.columns).toEqual([
      { name: "x1", dtype: "float" },
      { name: "color", dtype: "string" },
      { name: "average", dtype: "float" },
    ]);
  });
});
