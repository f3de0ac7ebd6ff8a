/**
 * deploy/batch-score: the same numbers as the metrics nodes for the same rows, for every model kind Lattice
 * trains, with fitted transforms replayed in order; and a clear error for each kind of bad input.
 */
import type { Table } from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import { numericColumn, stringColumn, tableFromColumns, tableInfo } from "../../nodes/core/arrow";
import { mulberry32 } from "../../nodes/core/random";
import type { ModelValue, TransformValue } from "../../nodes/core/values";
import batchScore from "../../nodes/deploy/batch-score";
import classificationMetrics from "../../nodes/evaluation/classification-metrics";
import regressionMetrics from "../../nodes/evaluation/regression-metrics";
import impute from "../../nodes/features/impute";
import oneHotEncode from "../../nodes/features/one-hot-encode";
import scale from "../../nodes/features/scale";
import gradientBoosting, { predictGradientBoosting } from "../../nodes/training/gradient-boosting";
import logisticRegression from "../../nodes/training/logistic-regression";
import mlp from "../../nodes/training/mlp";
import { predictMlpRegression } from "../../nodes/training/mlp-model";
import { closeTestRuntime, makeContext, testRuntime, userError } from "../helpers/node-context";
import { binaryTable, multiclassTable } from "../nodes/synthetic-classification";

afterAll(closeTestRuntime);

const FAST_MLP = { epochs: 5, batchSize: 32, learningRate: 0.01, hiddenLayers: [8], validationFraction: 0, patience: 0 };

type Inputs = { model: ModelValue; table: Table; fitted1?: TransformValue; fitted2?: TransformValue; fitted3?: TransformValue };
const score = (inputs: Inputs, threshold = 0.5) => batchScore.run({ inputs: inputs as Parameters<typeof batchScore.run>[0]["inputs"], params: batchScore.params.parse({ threshold }), ctx: makeContext() });

async function metricsPredictions(model: ModelValue, data: Table) {
  const r = await classificationMetrics.run({ inputs: { model, data }, params: classificationMetrics.params.parse({}), ctx: makeContext() });
  return r.predictions;
}

function regressionTable(n: number, seed: number): Table {
  const r = mulberry32(seed);
  const a = Float64Array.from({ length: n }, () => r() * 4 - 2);
  const b = Float64Array.from({ length: n }, () => r() * 4 - 2);
  const kind = Array.from({ length: n }, () => (r() < 0.5 ? "up" : "down"));
  const y = Float64Array.from(a, (v, i) => 100 + 30 * v - 20 * b[i]! * b[i]! + (kind[i] === "up" ? 25 : 0) + r());
  return tableFromColumns({ a, b, kind, y });
}

function roleOf(t: Table, name: string) {
  return tableInfo(t).columns.find((c) => c.name === name)?.role;
}

describe("deploy/batch-score: classifiers equal the metrics node", () => {
  it("logistic regression (binary): input columns kept, score/prediction with their roles", async () => {
    const { model } = await logisticRegression.run({ inputs: { train: binaryTable(400, 1) }, params: logisticRegression.params.parse({ label: "label", epochs: 5 }), ctx: makeContext() });
    const test = binaryTable(150, 9);
    const { scored } = await score({ model, table: test });
    const expected = await metricsPredictions(model, test);
    expect(scored.schema.fields.map((f) => f.name)).toEqual([...test.schema.fields.map((f) => f.name), "score", "prediction"]);
    expect(Array.from(numericColumn(scored, "score"))).toEqual(Array.from(numericColumn(expected, "score")));
    expect(stringColumn(scored, "prediction")).toEqual(stringColumn(expected, "prediction"));
    expect(roleOf(scored, "score")).toBe("score");
    expect(roleOf(scored, "prediction")).toBe("prediction");
    expect(roleOf(scored, "id")).toBe("id"); // input roles survive
  });

  it("applies the threshold to the positive class's score", async () => {
    const { model } = await logisticRegression.run({ inputs: { train: binaryTable(200, 1) }, params: logisticRegression.params.parse({ label: "label", epochs: 3 }), ctx: makeContext() });
    const test = binaryTable(50, 4);
    const low = await score({ model, table: test }, 0);
    const high = await score({ model, table: test }, 1);
    expect(new Set(stringColumn(low.scored, "prediction"))).toEqual(new Set(["yes"]));
    expect(stringColumn(high.scored, "prediction").every((p, i) => p === "no" || numericColumn(high.scored, "score")[i] === 1)).toBe(true);
  });

  it("MLP (multiclass): score/prediction equal the metrics node's, proba_<class> per class summing to 1", async () => {
    const { model } = await mlp.run({ inputs: { train: multiclassTable(300, 2) }, params: mlp.params.parse({ ...FAST_MLP, label: "kind" }), ctx: makeContext() });
    const test = multiclassTable(90, 5);
    const { scored } = await score({ model, table: test });
    const expected = await metricsPredictions(model, test);
    expect(Array.from(numericColumn(scored, "score"))).toEqual(Array.from(numericColumn(expected, "score")));
    expect(stringColumn(scored, "prediction")).toEqual(stringColumn(expected, "prediction"));
    const classes = model.info.classes!;
    expect(classes.length).toBe(3);
    const cols = classes.map((c) => numericColumn(scored, `proba_${c}`));
    for (let i = 0; i < test.numRows; i++) {
      const row = cols.map((c) => c[i]!);
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      expect(numericColumn(scored, "score")[i]).toBe(Math.max(...row));
    }
  });

  it("gradient boosting (binary) behind impute → scale → one-hot, replayed in order, equals metrics on the transformed rows", async () => {
    const train = binaryTable(400, 3);
    const test = binaryTable(120, 8);
    const ctx = makeContext();
    const imp = await impute.run({ inputs: { train, apply: test }, params: impute.params.parse({ columns: ["x2"] }), ctx });
    const sc = await scale.run({ inputs: { train: imp.train, apply: imp.apply }, params: scale.params.parse({ columns: ["x1", "x2"] }), ctx });
    const oh = await oneHotEncode.run({ inputs: { train: sc.train, apply: sc.apply }, params: oneHotEncode.params.parse({ columns: ["color"] }), ctx });
    const { model } = await gradientBoosting.run({ inputs: { train: oh.train }, params: gradientBoosting.params.parse({ label: "label", maxIter: 10 }), ctx });
    const { scored } = await score({ model, table: test, fitted1: imp.fitted, fitted2: sc.fitted, fitted3: oh.fitted });
    const expected = await metricsPredictions(model, oh.apply!);
    expect(Array.from(numericColumn(scored, "score"))).toEqual(Array.from(numericColumn(expected, "score")));
    expect(stringColumn(scored, "prediction")).toEqual(stringColumn(expected, "prediction"));
    expect(scored.numRows).toBe(test.numRows);
  });
});

describe("deploy/batch-score: regressors", () => {
  it("gradient boosting regression adds `prediction` (role prediction) that Regression metrics reads", async () => {
    const train = regressionTable(300, 1);
    const test = regressionTable(80, 2);
    const { model } = await gradientBoosting.run({ inputs: { train }, params: gradientBoosting.params.parse({ label: "y", task: "regression", maxIter: 20 }), ctx: makeContext() });
    const { scored } = await score({ model, table: test });
    expect(scored.getChild("score")).toBeNull();
    expect(roleOf(scored, "prediction")).toBe("prediction");
    expect(Array.from(numericColumn(scored, "prediction"))).toEqual(Array.from(predictGradientBoosting(model, test).proba));
    const m = await regressionMetrics.run({ inputs: { data: scored }, params: regressionMetrics.params.parse({ truth: "y" }), ctx: makeContext() });
    expect(m.metrics.values.r2).toBeGreaterThan(0.5);
  });

  it("MLP regression: predictions equal predictMlpRegression's, in the target's units", async () => {
    const train = regressionTable(300, 3);
    const test = regressionTable(60, 4);
    const { model } = await mlp.run({ inputs: { train }, params: mlp.params.parse({ ...FAST_MLP, label: "y", task: "regression" }), ctx: makeContext() });
    const { scored } = await score({ model, table: test });
    const expected = await predictMlpRegression(model, test, await testRuntime().tf());
    expect(Array.from(numericColumn(scored, "prediction"))).toEqual(Array.from(expected));
    expect(scored.schema.fields.map((f) => f.name)).toEqual(["a", "b", "kind", "y", "prediction"]);
  });

  it("replaces an input `prediction` column instead of duplicating it, with a warning", async () => {
    const { model } = await gradientBoosting.run({ inputs: { train: regressionTable(100, 1) }, params: gradientBoosting.params.parse({ label: "y", task: "regression", maxIter: 5 }), ctx: makeContext() });
    const once = (await score({ model, table: regressionTable(20, 2) })).scored;
    const ctx = makeContext();
    const twice = await batchScore.run({ inputs: { model, table: once, fitted1: undefined, fitted2: undefined, fitted3: undefined }, params: batchScore.params.parse({}), ctx });
    expect(twice.scored.schema.fields.filter((f) => f.name === "prediction")).toHaveLength(1);
    expect(ctx.logs.some((l) => l.includes('"prediction"'))).toBe(true);
  });
});

describe("deploy/batch-score: errors", () => {
  it("names the missing feature column", async () => {
    const { model } = await gradientBoosting.run({ inputs: { train: binaryTable(100, 1) }, params: gradientBoosting.params.parse({ label: "label", maxIter: 3 }), ctx: makeContext() });
    const test = binaryTable(10, 2).select(["id", "x1", "color", "label"]);
    const e = await userError(score({ model, table: test }));
    expect(e.code).toBe("missing_feature");
    expect(e.field).toBe("x2");
    expect(e.message).toContain('"x2"');
  });

  it("refuses a table with zero rows", async () => {
    const { model } = await gradientBoosting.run({ inputs: { train: binaryTable(100, 1) }, params: gradientBoosting.params.parse({ label: "label", maxIter: 3 }), ctx: makeContext() });
    const e = await userError(score({ model, table: binaryTable(10, 2).slice(0, 0) }));
    expect(e.code).toBe("no_rows");
    expect(e.field).toBe("table");
  });

  it("says which fitted transform does not match the table", async () => {
    const train = binaryTable(100, 1);
    const sc = await scale.run({ inputs: { train, apply: undefined }, params: scale.params.parse({ columns: ["x1", "x2"] }), ctx: makeContext() });
    const { model } = await gradientBoosting.run({ inputs: { train: sc.train }, params: gradientBoosting.params.parse({ label: "label", maxIter: 3 }), ctx: makeContext() });
    const e = await userError(score({ model, table: binaryTable(10, 2).select(["x2", "color", "label"]), fitted2: sc.fitted }));
    expect(e.code).toBe("fitted_mismatch");
    expect(e.field).toBe("fitted2");
    expect(e.message).toContain("features/scale");
    expect(e.message).toContain("x1");
  });

  it("refuses a fitted transform this build cannot apply", async () => {
    const { model } = await gradientBoosting.run({ inputs: { train: binaryTable(100, 1) }, params: gradientBoosting.params.parse({ label: "label", maxIter: 3 }), ctx: makeContext() });
    const e = await userError(score({ model, table: binaryTable(10, 2), fitted1: { transform: "features/unknown", state: {} } }));
    expect(e.code).toBe("fitted_mismatch");
    expect(e.field).toBe("fitted1");
  });

  it("refuses a model it cannot score", async () => {
    const model: ModelValue = { format: "json", info: { algorithm: "mystery", features: [{ name: "x1", dtype: "float" }] }, state: {}, files: {} };
    const e = await userError(score({ model, table: binaryTable(10, 2) }));
    expect(e.code).toBe("unsupported_model");
    expect(e.message).toContain("mystery");
  });
});

describe("deploy/batch-score: infer", () => {
  const table = { table: { columns: [{ name: "x", dtype: "float" as const }, { name: "score", dtype: "float" as const }] } };
  it("adds score/prediction (and proba per class for multiclass) or prediction for regressors", () => {
    const infer = batchScore.infer!;
    const none = { fitted1: undefined, fitted2: undefined, fitted3: undefined };
    const params = batchScore.params.parse({});
    const bin = infer({ inputs: { model: { model: { task: "binary", classes: ["a", "b"] } }, table, ...none }, params });
    expect(bin.scored?.table?.columns.map((c) => c.name)).toEqual(["x", "score", "prediction"]);
    const multi = infer({ inputs: { model: { model: { task: "multiclass", classes: ["a", "b", "c"] } }, table, ...none }, params });
    expect(multi.scored?.table?.columns.map((c) => c.name)).toEqual(["x", "score", "prediction", "proba_a", "proba_b", "proba_c"]);
    const reg = infer({ inputs: { model: { model: { task: "regression" } }, table, ...none }, params });
    expect(reg.scored?.table?.columns.map((c) => c.name)).toEqual(["x", "prediction"]);
    // After a fitted transform the columns are unknown until a run.
    expect(infer({ inputs: { model: { model: { task: "binary", classes: ["a", "b"] } }, table, ...none, fitted1: {} }, params }).scored).toBeUndefined();
  });
});
