/**
 * evaluation/regression-metrics and evaluation/pr-calibration: outputs, charts and every error path.
 */
import { describe, expect, it } from "vitest";
import { tableFromColumns } from "../../nodes/core/arrow";
import { mulberry32 } from "../../nodes/core/random";
import { balancedAccuracy } from "../../nodes/evaluation/classification-extras";
import { averagePrecision, calibrationCurve } from "../../nodes/evaluation/curves";
import prCal from "../../nodes/evaluation/pr-calibration";
import cvSummary from "../../nodes/evaluation/cv-summary-node";
import regressionMetrics from "../../nodes/evaluation/regression-metrics";
import { regressionScores } from "../../nodes/evaluation/regression";
import { makeContext, userError } from "../helpers/node-context";

function regressionTable(n = 300) {
  const r = mulberry32(5);
  const actual = new Float64Array(n);
  const predicted = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    actual[i] = 10 + 5 * r();
    predicted[i] = actual[i]! + (r() - 0.5);
  }
  return tableFromColumns({ actual, predicted, note: Array.from({ length: n }, () => "x") }, { actual: "label", predicted: "prediction" });
}

describe("evaluation/regression-metrics", () => {
  const run = (table = regressionTable(), params: Record<string, unknown> = {}, ctx = makeContext()) =>
    regressionMetrics.run({ inputs: { data: table }, params: regressionMetrics.params.parse(params), ctx });

  it("RMSE, MAE, R², MAPE from role columns, with residual and fit charts", async () => {
    const t = regressionTable();
    const ctx = makeContext();
    const out = await run(t, {}, ctx);
    const expected = regressionScores(t.getChild("actual")!.toArray() as Float64Array, t.getChild("predicted")!.toArray() as Float64Array);
    expect(out.metrics.values).toEqual({ rmse: expected.rmse, mae: expected.mae, r2: expected.r2, mape: expected.mape, mse: expected.mse });
    expect(out.metrics.values.r2!).toBeGreaterThan(0.9);
    expect(out.residuals.kind).toBe("scatter");
    const pts = out.residuals.series![0]!;
    expect(pts.x).toHaveLength(300);
    expect(pts.y[0]).toBeCloseTo((t.getChild("actual")!.get(0) as number) - (t.getChild("predicted")!.get(0) as number), 12);
    expect(out.fit.series![1]!.name).toBe("perfect");
    expect(ctx.progressCalls.at(-1)).toBe(1);
    expect(regressionMetrics.keyMetric).toBe("rmse");
  });

  it("explicit pickers; rows with a missing value are left out; large tables are thinned in the chart only", async () => {
    const n = 5000;
    const a = Float64Array.from({ length: n }, (_, i) => i + 1);
    const b = Float64Array.from(a, (v, i) => (i === 3 ? NaN : v * 1.1));
    const ctx = makeContext();
    const out = await run(tableFromColumns({ a, b }), { truth: "a", predicted: "b" }, ctx);
    expect(out.metrics.details?.rows).toBe(n - 1);
    expect(out.metrics.values.mape).toBeCloseTo(0.1, 12);
    expect(out.residuals.series![0]!.x.length).toBeLessThanOrEqual(2000);
    expect(ctx.logs.some((l) => /1 rows with a missing/.test(l))).toBe(true);
  });

  it.each([
    ["zero rows", () => run(regressionTable().slice(0, 0)), "no_rows", "data"],
    ["no true-value column", () => run(tableFromColumns({ p: Float64Array.from([1]) }, { p: "prediction" })), "no_truth", "truth"],
    ["no prediction column", () => run(tableFromColumns({ y: Float64Array.from([1]) }, { y: "label" })), "no_prediction", "predicted"],
    ["picked column dropped upstream", () => run(regressionTable(), { predicted: "yhat" }), "unknown_column", "predicted"],
    ["same column twice", () => run(regressionTable(), { truth: "actual", predicted: "actual" }), "same_column", "predicted"],
    ["text in a numeric column", () => run(regressionTable(), { predicted: "note" }), "not_numeric", "note"],
    ["all rows missing", () => run(tableFromColumns({ y: Float64Array.from([NaN, 1]), p: Float64Array.from([1, NaN]) }, { y: "label", p: "prediction" })), "no_rows", "truth"],
  ])("%s", async (_n, call, code, field) => {
    const e = await userError(call());
    expect([e.code, e.field]).toEqual([code, field]);
  });
});

function predictions(n = 400, k = 2) {
  const r = mulberry32(9);
  const names = ["no", "yes", "maybe"].slice(0, k);
  const label: string[] = [];
  const prediction: string[] = [];
  const score = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const y = Math.floor(r() * k);
    label.push(names[y]!);
    score[i] = Math.min(1, Math.max(0, (y === 1 ? 0.7 : 0.3) + (r() - 0.5) * 0.8));
    prediction.push(k === 2 ? names[score[i]! >= 0.5 ? 1 : 0]! : r() < 0.7 ? names[y]! : names[(y + 1) % k]!);
  }
  return tableFromColumns({ label, prediction, score }, { label: "label", prediction: "prediction", score: "score" });
}

describe("evaluation/pr-calibration", () => {
  const run = (table = predictions(), params: Record<string, unknown> = {}, ctx = makeContext()) =>
    prCal.run({ inputs: { predictions: table }, params: prCal.params.parse(params), ctx });

  it("binary: average precision, PR and calibration charts, balanced accuracy and F1", async () => {
    const t = predictions();
    const out = await run(t);
    const y = (t.getChild("label")!.toArray() as string[]).map((v) => (v === "yes" ? 1 : 0));
    const s = t.getChild("score")!.toArray() as Float64Array;
    expect(out.metrics.values.average_precision).toBe(averagePrecision(y, s));
    expect(out.metrics.values.balanced_accuracy).toBe(balancedAccuracy(y, Array.from(s, (v) => (v >= 0.5 ? 1 : 0)), 2));
    expect(Object.keys(out.metrics.values).sort()).toEqual(["average_precision", "balanced_accuracy", "f1_macro", "f1_weighted"]);
    const pr = out.pr.series![0]!;
    expect([pr.x.at(-1), pr.y.at(-1)]).toEqual([0, 1]);
    const cal = calibrationCurve(y, s, 10, "uniform");
    expect(out.calibration.series![0]).toEqual({ name: "yes", x: cal.probPred, y: cal.probTrue });
    const q = await run(t, { bins: 4, binning: "quantile", positiveClass: "no" });
    expect(q.calibration.series![0]!.x).toHaveLength(4);
    expect(q.metrics.values.average_precision).not.toBe(out.metrics.values.average_precision);
  });

  it("multiclass: balanced accuracy and F1 only, empty curve charts that say why", async () => {
    const out = await run(predictions(300, 3));
    expect(Object.keys(out.metrics.values).sort()).toEqual(["balanced_accuracy", "f1_macro", "f1_weighted"]);
    expect(out.pr.series).toEqual([]);
    expect(out.pr.title).toMatch(/two-class/);
  });

  it.each([
    ["zero rows", () => run(predictions().slice(0, 0)), "no_rows", "predictions"],
    ["label with one class", () => run(tableFromColumns({ y: ["a", "a"], p: ["a", "a"] }, { y: "label", p: "prediction" })), "single_class", "label"],
    ["no label column", () => run(predictions().select(["prediction", "score"])), "no_label", "label"],
    ["no prediction or score", () => run(predictions().select(["label"])), "no_prediction", "prediction"],
    ["unknown positive class", () => run(predictions(), { positiveClass: "rich" }), "unknown_class", "positiveClass"],
    ["predictions that are not classes", () => run(predictions(), { prediction: "score" }), "unknown_prediction_values", "prediction"],
    ["scores outside 0–1", () => run(tableFromColumns({ y: ["a", "b"], s: Float64Array.from([-2, 3]) }, { y: "label", s: "score" })), "score_out_of_range", "score"],
    ["text score", () => run(predictions(), { score: "label" }), "not_numeric", "label"],
  ])("%s", async (_n, call, code, field) => {
    const e = await userError(call());
    expect([e.code, e.field]).toEqual([code, field]);
  });
});

describe("evaluation/cv-summary", () => {
  const oof = () => {
    const t = predictions(200);
    return t.assign(tableFromColumns({ fold: Int32Array.from({ length: 200 }, (_, i) => (i % 4) + 1) }, { fold: "fold" }));
  };
  const run = (table = oof(), params: Record<string, unknown> = {}, ctx = makeContext()) =>
    cvSummary.run({ inputs: { predictions: table }, params: cvSummary.params.parse(params), ctx });

  it("classification: mean ± std per metric, a per-fold table and chart", async () => {
    const out = await run();
    expect(out.metrics.values.folds).toBe(4);
    expect(Object.keys(out.metrics.values)).toEqual(expect.arrayContaining(["accuracy_mean", "accuracy_std", "roc_auc_mean", "f1_macro_std", "balanced_accuracy_mean"]));
    expect(out.folds.schema.fields.map((f) => f.name)).toEqual(["fold", "accuracy", "balanced_accuracy", "f1_macro", "roc_auc"]);
    expect(out.chart).toMatchObject({ kind: "bar", categories: ["accuracy", "balanced_accuracy", "f1_macro", "roc_auc"] });
    expect(out.chart.series).toHaveLength(4);
    expect(out.chart.title).toMatch(/roc_auc 0\.\d{3} ± 0\.\d{3}/);
  });

  it.each([
    ["zero rows", () => run(oof().slice(0, 0)), "no_rows", "predictions"],
    ["no fold column", () => run(predictions(20)), "no_fold", "fold"],
    ["one fold", () => run(predictions(20).assign(tableFromColumns({ fold: Int32Array.from({ length: 20 }, () => 1) }, { fold: "fold" }))), "single_fold", "fold"],
    ["no prediction column", () => run(oof().select(["fold", "label", "score"])), "no_prediction", "prediction"],
    ["label with one class", () => run(tableFromColumns({ f: Int32Array.from([1, 2]), y: ["a", "a"], p: ["a", "a"] }, { f: "fold", y: "label", p: "prediction" })), "single_class", "label"],
    ["predictions that are not classes", () => run(oof(), { prediction: "score" }), "unknown_prediction_values", "prediction"],
    ["unknown positive class", () => run(oof(), { positiveClass: "rich" }), "unknown_class", "positiveClass"],
    ["fold without usable rows", () => run(tableFromColumns({ f: Int32Array.from([1, 2, 2]), y: [null, "a", "b"], p: ["a", "a", "b"] }, { f: "fold", y: "label", p: "prediction" })), "empty_fold", "fold"],
    ["regression with text predictions", () => run(oof(), { task: "regression" }), "not_numeric", "label"],
  ])("%s", async (_n, call, code, field) => {
    const e = await userError(call());
    expect([e.code, e.field]).toEqual([code, field]);
  });
});
