import type { Table } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gatherRows, numericColumn, stringColumn, tableFromColumns, tableInfo } from "../../nodes/core/arrow";
import type { ModelValue } from "../../nodes/core/values";
import kernelShap from "../../nodes/explain/kernel-shap";
import { binomial, coalitions, solveShap } from "../../nodes/explain/shapley";
import { predictGradientBoosting } from "../../nodes/training/gradient-boosting";
import { predictMlpRegression } from "../../nodes/training/mlp-model";
import { scoreClassifier } from "../../nodes/training/predict";
import { mulberry32 } from "../../nodes/core/random";
import { closeTestRuntime, makeContext, testRuntime, userError } from "../helpers/node-context";
import { binaryTable, boostingModel, logisticModel, mlpRegressor, multiclassMlp, multiclassTable, regressionTable, rowSums } from "./fixtures";

afterAll(closeTestRuntime);

const getTf = () => testRuntime().tf();
let logistic: ModelValue;
beforeAll(async () => {
  logistic = await logisticModel();
});

function run(model: ModelValue, background: Table, rows: Table, params: Record<string, unknown> = {}, ctx = makeContext()) {
  return kernelShap.run({ inputs: { model, background, rows }, params: kernelShap.params.parse(params), ctx });
}

function column(t: Table, name: string): number[] {
  return Array.from(t.getChild(name)!.toArray() as Float64Array);
}

/** Shapley values by their definition: v(S) for every subset, weighted |S|!(m-|S|-1)!/m!. */
async function bruteForceShapley(model: ModelValue, background: Table, row: Table): Promise<number[]> {
  const features = model.info.features!.map((f) => f.name);
  const m = features.length;
  const B = background.numRows;
  const value = new Map<number, number>();
  for (let S = 0; S < 1 << m; S++) {
    const cols: Record<string, Float64Array | Array<string | null>> = {};
    features.forEach((f, j) => {
      const inS = (S >> j) & 1;
      if (f === "color") {
        const bg = stringColumn(background, f);
        const x = stringColumn(row, f)[0]!;
        cols[f] = Array.from({ length: B }, (_, b) => (inS ? x : bg[b]!));
      } else {
        const bg = numericColumn(background, f);
        const x = numericColumn(row, f)[0]!;
        cols[f] = Float64Array.from({ length: B }, (_, b) => (inS ? x : bg[b]!));
      }
    });
    const { proba } = await scoreClassifier(model, tableFromColumns(cols), getTf);
    let s = 0;
    for (let b = 0; b < B; b++) s += proba[b * 2 + 1]!;
    value.set(S, s / B);
  }
  const fact = (k: number): number => (k <= 1 ? 1 : k * fact(k - 1));
  return features.map((_, j) => {
    let phi = 0;
    for (let S = 0; S < 1 << m; S++) {
      if ((S >> j) & 1) continue;
      const size = [...Array(m).keys()].filter((k) => (S >> k) & 1).length;
      phi += ((fact(size) * fact(m - size - 1)) / fact(m)) * (value.get(S | (1 << j))! - value.get(S)!);
    }
    return phi;
  });
}

describe("explain/kernel-shap", () => {
  it("is additive: base value + Σ SHAP = the model's probability for each row (exact enumeration)", async () => {
    const rows = binaryTable(8, 21);
    const ctx = makeContext();
    const { shap, chart } = await run(logistic, binaryTable(60, 3), rows, {}, ctx);
    expect(shap.numRows).toBe(8);
    expect(shap.schema.fields.map((f) => f.name)).toEqual(["row", "base_value", "output", "shap_x1", "shap_x2", "shap_color"]);
    const { proba } = await scoreClassifier(logistic, rows, getTf);
    const output = column(shap, "output");
    const base = column(shap, "base_value");
    const sums = rowSums(shap, "shap_");
    for (let i = 0; i < 8; i++) {
      expect(Math.abs(output[i]! - proba[i * 2 + 1]!)).toBeLessThan(1e-6);
      expect(Math.abs(base[i]! + sums[i]! - output[i]!)).toBeLessThan(1e-6);
    }
    expect(ctx.logs.at(-1)).toMatch(/^Exact Kernel SHAP of P\(yes\): 3 features, 6 coalitions \(all\) × 50 background rows, 8 rows/);
    expect(ctx.progressCalls.at(-1)).toBe(1);
    expect(chart).toMatchObject({ kind: "bar", yLabel: "mean |SHAP value|" });
    expect([...chart.categories!].sort()).toEqual(["color", "x1", "x2"]);
  });

  it("equals the Shapley values computed from their definition", async () => {
    const background = binaryTable(20, 4);
    const row = gatherRows(binaryTable(10, 22), [3]);
    const { shap, chart } = await run(logistic, background, row);
    const expected = await bruteForceShapley(logistic, background, row);
    ["x1", "x2", "color"].forEach((f, j) => expect(Math.abs(column(shap, `shap_${f}`)[0]! - expected[j]!)).toBeLessThan(1e-6));
    // One row: the chart shows its signed values, largest magnitude first.
    expect(chart.yLabel).toBe("SHAP value");
    expect(chart.series![0]!.y.map(Math.abs)).toEqual([...chart.series![0]!.y.map(Math.abs)].sort((a, b) => b - a));
  });

  it("stays additive with a sampled coalition set, repeatably for a seed", async () => {
    const model = await mlpRegressor();
    const rows = regressionTable(4, 9);
    const background = regressionTable(40, 10);
    const ctx = makeContext();
    // 3 features need 6 coalitions for exactness; 4 forces sampling.
    const sampled = await run(model, background, rows, { coalitions: 4, seed: 3 }, ctx);
    expect(ctx.logs.at(-1)).toMatch(/^Sampled/);
    const again = await run(model, background, rows, { coalitions: 4, seed: 3 });
    expect(column(again.shap, "shap_a")).toEqual(column(sampled.shap, "shap_a"));
    const pred = await predictMlpRegression(model, rows, await getTf());
    const sums = rowSums(sampled.shap, "shap_");
    const base = column(sampled.shap, "base_value");
    for (let i = 0; i < 4; i++) expect(Math.abs(base[i]! + sums[i]! - pred[i]!)).toBeLessThan(1e-6);
    expect(sampled.chart.title).toContain("predicted y");
  });

  it("estimates from a sample: exact for an additive model, close to exact with interactions", () => {
    const m = 10;
    const coef = Array.from({ length: m }, (_, j) => (j % 3) - 0.7 * j);
    const value = (c: ReturnType<typeof coalitions>, k: number, pair: number) => {
      const z = (j: number) => c.masks[k * m + j]!;
      return coef.reduce((s, w, j) => s + w * z(j), 0) + pair * z(0) * z(1);
    };
    const total = (pair: number) => coef.reduce((s, w) => s + w, 0) + pair;
    const exact = coalitions(m, 1022, () => 0.5);
    expect(exact.exact).toBe(true);
    const sample = coalitions(m, 300, mulberry32(1));
    expect(sample.exact).toBe(false);
    const solve = (c: typeof exact, pair: number) => solveShap(c, Array.from(c.weights, (_, k) => value(c, k, pair)), 0, total(pair));
    Array.from(solve(sample, 0)).forEach((phi, j) => expect(phi).toBeCloseTo(coef[j]!, 9));
    // An interaction of features 0 and 1 is split evenly between them by the exact values.
    const truth = solve(exact, 2);
    expect(truth[0]).toBeCloseTo(coef[0]! + 1, 9);
    Array.from(solve(sample, 2)).forEach((phi, j) => expect(Math.abs(phi - truth[j]!)).toBeLessThan(0.1));
  });

  it("explains gradient-boosted trees and a chosen class of a multiclass model", async () => {
    const gbdt = await boostingModel();
    const rows = binaryTable(5, 30);
    const { shap } = await run(gbdt, binaryTable(30, 31), rows);
    const { proba } = predictGradientBoosting(gbdt, rows);
    const sums = rowSums(shap, "shap_");
    column(shap, "base_value").forEach((b, i) => expect(Math.abs(b + sums[i]! - proba[i * 2 + 1]!)).toBeLessThan(1e-6));

    const three = await multiclassMlp();
    const mRows = multiclassTable(6, 5);
    const res = await run(three, multiclassTable(30, 6), mRows, { targetClass: "dog" });
    const p = (await scoreClassifier(three, mRows, getTf)).proba;
    const s3 = rowSums(res.shap, "shap_");
    column(res.shap, "base_value").forEach((b, i) => expect(Math.abs(b + s3[i]! - p[i * 3 + 1]!)).toBeLessThan(1e-6));
    expect(res.chart.title).toContain("P(dog)");
  });

  it("plans coalitions: all of them when they fit, kernel-weighted, never empty or full", () => {
    const all = coalitions(4, 14, () => 0.5);
    expect(all.exact).toBe(true);
    expect(all.weights.length).toBe(14);
    expect(all.weights.reduce((s, w) => s + w, 0)).toBeCloseTo(1, 12);
    const sizes = Array.from({ length: 14 }, (_, k) => all.masks.subarray(k * 4, k * 4 + 4).reduce((s, v) => s + v, 0));
    expect(Math.min(...sizes)).toBe(1);
    expect(Math.max(...sizes)).toBe(3);
    const some = coalitions(12, 200, Math.random);
    expect(some.exact).toBe(false);
    expect(some.weights.length).toBeLessThanOrEqual(200);
    expect(some.weights.reduce((s, w) => s + w, 0)).toBeCloseTo(1, 9);
    expect(binomial(12, 4)).toBe(495);
    // A linear value function: SHAP values are its coefficients.
    const coef = [0.5, -1, 2, 0.25];
    const v = Array.from({ length: 14 }, (_, k) => coef.reduce((s, c, j) => s + c * all.masks[k * 4 + j]!, 0));
    Array.from(solveShap(all, v, 0, 1.75)).forEach((phi, j) => expect(phi).toBeCloseTo(coef[j]!, 12));
  });

  it("stops when cancelled", async () => {
    const ctx = makeContext();
    ctx.abort();
    const err = await run(logistic, binaryTable(20, 3), binaryTable(3, 4), {}, ctx).catch((e: unknown) => e);
    expect((err as Error).name).toBe("AbortError");
  });

  describe("errors", () => {
    it("too many rows to explain, naming the limit", async () => {
      const e = await userError(run(logistic, binaryTable(10, 3), binaryTable(12, 4), { maxRows: 10 }));
      expect(e).toMatchObject({ code: "too_many_rows", field: "rows" });
      expect(e.message).toContain("at most 10 rows");
      expect(e.message).toContain("500");
      expect(kernelShap.params.safeParse({ maxRows: 501 }).success).toBe(false);
    });
    it("zero rows to explain, or an empty background", async () => {
      const empty = binaryTable(10, 3).slice(0, 0);
      expect(await userError(run(logistic, binaryTable(10, 3), empty))).toMatchObject({ code: "no_rows", field: "rows" });
      expect(await userError(run(logistic, empty, binaryTable(2, 3)))).toMatchObject({ code: "no_rows", field: "background" });
    });
    it("a model feature missing from the rows or the background", async () => {
      const noColor = binaryTable(5, 3).select(["x1", "x2"]);
      const e = await userError(run(logistic, binaryTable(10, 3), noColor));
      expect(e).toMatchObject({ code: "missing_feature", field: "rows" });
      expect(e.message).toContain('"color"');
      expect((await userError(run(logistic, noColor, binaryTable(2, 3)))).field).toBe("background");
    });
    it("a feature whose type differs between rows and background", async () => {
      const bg = binaryTable(10, 3);
      const texty = tableFromColumns({ x1: Array.from({ length: 10 }, () => "1"), x2: numericColumn(bg, "x2"), color: stringColumn(bg, "color") });
      expect((await userError(run(logistic, texty, binaryTable(2, 3)))).code).toBe("type_mismatch");
    });
    it("an unknown class, or a model that cannot be scored", async () => {
      expect(await userError(run(logistic, binaryTable(10, 3), binaryTable(2, 3), { targetClass: "maybe" }))).toMatchObject({ code: "unknown_class", field: "targetClass" });
      const bogus: ModelValue = { format: "json", info: { features: [{ name: "x1", dtype: "float" }] }, state: {}, files: {} };
      expect((await userError(run(bogus, binaryTable(10, 3), binaryTable(2, 3)))).code).toBe("unsupported_model");
    });
  });

  it("infers one SHAP column per model feature", () => {
    const out = kernelShap.infer!({
      inputs: { model: { model: logistic.info }, background: { table: tableInfo(binaryTable(2)) }, rows: { table: tableInfo(binaryTable(2)) } },
      params: kernelShap.params.parse({}),
    });
    expect(out.shap?.table?.columns.map((c) => c.name)).toEqual(["row", "base_value", "output", "shap_x1", "shap_x2", "shap_color"]);
  });
});
