import type { Table } from "apache-arrow";
import { describe, expect, test } from "vitest";
import { tableFromColumns } from "../../nodes/core/arrow";
import { mulberry32 } from "../../nodes/core/random";
import decisionTree from "../../nodes/training/decision-tree";
import { featuresPerSplit, predictForest } from "../../nodes/training/forest-node";
import type { ForestState } from "../../nodes/training/forest/model";
import randomForest from "../../nodes/training/random-forest";
import { isTreeModel, predictTreeModel } from "../../nodes/training/tree-models";
import { trainerSettings } from "../../nodes/tuning/trainers";
import fitEvaluate from "../../nodes/tuning/fit-evaluate";
import batchScore from "../../nodes/deploy/batch-score";
import { explainTarget, modelOutput } from "../../nodes/explain/model-output";
import { scoreClassifier } from "../../nodes/training/predict";
import { makeContext, userError, type RecordingContext } from "../helpers/node-context";

type Params = Parameters<typeof randomForest.params.parse>[0];

function fit(train: Table, params: Params, ctx: RecordingContext = makeContext()) {
  return randomForest.run({ inputs: { train }, params: randomForest.params.parse(params), ctx });
}

/** XOR on two numbers plus a text column that matters and one that is noise, with some missing cells. */
function data(n: number, seed: number) {
  const r = mulberry32(seed);
  const x1 = Float64Array.from({ length: n }, () => r() * 2 - 1);
  const x2 = Float64Array.from({ length: n }, (_, i) => (i % 17 === 0 ? NaN : r() * 2 - 1));
  const colour = Array.from({ length: n }, () => ["red", "green", "blue", "grey"][Math.floor(r() * 4)]!);
  const noise = Array.from({ length: n }, () => (r() < 0.1 ? null : ["a", "b", "c"][Math.floor(r() * 3)]!));
  const y = Array.from({ length: n }, (_, i) => ((x1[i]! * (x2[i]! || 0.5) > 0) !== (colour[i] === "red") ? "yes" : "no"));
  const target = Float64Array.from({ length: n }, (_, i) => 3 * x1[i]! + (colour[i] === "red" ? 2 : 0) + r() * 0.1);
  return { table: tableFromColumns({ x1, x2, colour, noise, y, target }), y };
}

function accuracy(model: Parameters<typeof predictForest>[0], t: Table, y: string[]): number {
  const { classes, proba } = predictForest(model, t);
  let ok = 0;
  y.forEach((v, i) => (ok += classes[proba[i * 2 + 1]! > 0.5 ? 1 : 0] === v ? 1 : 0));
  return ok / y.length;
}

describe("random forest", () => {
  test("learns an interaction of numbers, a category and missing values; OOB score per tree", async () => {
    const train = data(2000, 1);
    const test = data(1000, 2);
    const ctx = makeContext();
    const { model, importance, curve } = await fit(train.table, { label: "y", features: ["x1", "x2", "colour", "noise"], nEstimators: 30, maxFeatures: "all" }, ctx);
    expect(model.info).toMatchObject({ algorithm: "random-forest", task: "binary", classes: ["no", "yes"] });
    expect(isTreeModel(model)).toBe(true);
    expect(accuracy(model, test.table, test.y)).toBeGreaterThan(0.9);
    const state = model.state as ForestState;
    expect(state.trees).toHaveLength(30);
    expect(ctx.metrics.filter((m) => m.name === "oob_score").map((m) => m.step)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    expect(state.oobScore).toBeGreaterThan(0.85);
    expect(curve.series![0]!.y).toHaveLength(30);
    // The noise column matters least.
    expect(importance.categories!.at(-1)).toBe("noise");
    expect(Object.values(state.featureImportance).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
    // JSON round trip (artifact store) scores the same.
    const copy = { ...model, state: JSON.parse(JSON.stringify(model.state)) };
    expect(predictTreeModel(copy, test.table).proba).toEqual(predictForest(model, test.table).proba);
  });

  test("same seed, same forest; another seed, another forest", async () => {
    const { table } = data(500, 3);
    const a = await fit(table, { label: "y", nEstimators: 5, seed: 4 });
    const b = await fit(table, { label: "y", nEstimators: 5, seed: 4 });
    const c = await fit(table, { label: "y", nEstimators: 5, seed: 5 });
    expect(JSON.stringify(a.model.state)).toBe(JSON.stringify(b.model.state));
    expect(JSON.stringify(a.model.state)).not.toBe(JSON.stringify(c.model.state));
  });

  test("regression: squared error, mean of the trees, OOB R²", async () => {
    const train = data(1500, 5);
    const test = data(500, 6);
    const { model } = await fit(train.table, { label: "target", features: ["x1", "colour"], nEstimators: 20, minSamplesLeaf: 3 });
    expect(model.info).toMatchObject({ task: "regression", algorithm: "random-forest" });
    const pred = predictTreeModel(model, test.table).proba;
    const y = test.table.getChild("target")!.toArray() as Float64Array;
    let ss = 0;
    let st = 0;
    const mean = y.reduce((a, b) => a + b, 0) / y.length;
    y.forEach((v, i) => ((ss += (v - pred[i]!) ** 2), (st += (v - mean) ** 2)));
    expect(1 - ss / st).toBeGreaterThan(0.97);
    expect((model.state as ForestState).oobScore).toBeGreaterThan(0.95);
  });

  test("cancel stops training between trees", async () => {
    const { table } = data(800, 7);
    const ctx = makeContext();
    const metric = ctx.metric;
    ctx.metric = (name, value, step) => {
      metric(name, value, step);
      if (name === "oob_score" && step === 3) ctx.abort();
    };
    await expect(fit(table, { label: "y", nEstimators: 100 }, ctx)).rejects.toMatchObject({ name: "AbortError" });
    expect(ctx.metrics.filter((m) => m.name === "oob_score")).toHaveLength(3);
  });

  test("max features: scikit-learn's rules", () => {
    const p = (maxFeatures: "auto" | "sqrt" | "log2" | "all" | "fraction", maxFeaturesFraction = 0.5) => ({ maxFeatures, maxFeaturesFraction });
    expect(featuresPerSplit(p("auto"), 14, false)).toBe(3);
    expect(featuresPerSplit(p("auto"), 14, true)).toBe(14);
    expect(featuresPerSplit(p("log2"), 14, false)).toBe(3);
    expect(featuresPerSplit(p("fraction", 0.3), 14, false)).toBe(4);
    expect(featuresPerSplit(p("fraction", 0.01), 14, false)).toBe(1);
  });

  test("balanced class weights raise the rare class's recall", async () => {
    const r = mulberry32(9);
    const x = Float64Array.from({ length: 2000 }, () => r());
    const y = Array.from(x, (v) => (r() < 0.05 + 0.25 * v ? "rare" : "common"));
    const table = tableFromColumns({ x, y });
    const recall = async (classWeight: "none" | "balanced") => {
      const { model } = await decisionTree.run({ inputs: { train: table }, params: decisionTree.params.parse({ label: "y", maxDepth: 3, classWeight }), ctx: makeContext() });
      const { classes, proba } = predictForest(model, table);
      const rare = classes.indexOf("rare");
      let hit = 0;
      let all = 0;
      y.forEach((v, i) => v === "rare" && (all++, (hit += proba[i * 2 + rare]! > 0.5 ? 1 : 0)));
      return hit / all;
    };
    expect(await recall("none")).toBeLessThan(0.2);
    expect(await recall("balanced")).toBeGreaterThan(0.5);
  });

  test("errors name the field: no label, too few rows, one class, bad settings", async () => {
    const { table } = data(50, 8);
    expect(await userError(fit(table, {}))).toMatchObject({ code: "no_label", field: "label" });
    const one = tableFromColumns({ x: Float64Array.of(1), y: ["a"] });
    expect(await userError(fit(one, { label: "y", task: "regression" }))).toMatchObject({ field: "task" });
    const single = tableFromColumns({ x: Float64Array.of(1), y: Float64Array.of(2) });
    expect(await userError(fit(single, { label: "y", task: "regression" }))).toMatchObject({ code: "too_few_rows", field: "train" });
    const same = tableFromColumns({ x: Float64Array.of(1, 2, 3), y: ["a", "a", "a"] });
    expect(await userError(fit(same, { label: "y" }))).toMatchObject({ code: "single_class", field: "label" });
    expect(await userError(fit(table, { label: "target", classWeight: "balanced" }))).toMatchObject({ field: "classWeight" });
    for (const [bad, field] of [[{ nEstimators: 0 }, "nEstimators"], [{ maxLeafNodes: 1 }, "maxLeafNodes"], [{ minSamplesSplit: 1 }, "minSamplesSplit"], [{ maxFeaturesFraction: 0 }, "maxFeaturesFraction"], [{ criterion: "log_loss" }, "criterion"]] as const) {
      const r = randomForest.params.safeParse({ label: "y", ...bad });
      expect(r.success).toBe(false);
      expect(r.error!.issues[0]!.path).toEqual([field]);
    }
  });

  test("scored wherever models are: metrics/CV (fit-evaluate), batch score, explanations", async () => {
    const { table } = data(600, 10);
    for (const [trainer, label, metric] of [["random-forest", "y", "roc_auc"], ["decision-tree", "target", "r2"]] as const) {
      const ctx = makeContext();
      const settings = { label, ...(trainer === "random-forest" ? { nEstimators: 10, features: ["x1", "x2", "colour", "noise"] } : { maxDepth: 6, features: ["x1", "colour"] }) };
      const { metrics } = await fitEvaluate.run({ inputs: { train: table }, params: fitEvaluate.params.parse({ trainer, label, settings, k: 3 }), ctx });
      expect(metrics.values[metric]).toBeGreaterThan(trainer === "random-forest" ? 0.85 : 0.9);
    }
    const { model } = await fit(table, { label: "y", nEstimators: 10, features: ["x1", "x2", "colour", "noise"] });
    const probs = await scoreClassifier(model, table, () => Promise.reject(new Error("tree models need no tfjs")));
    expect(probs.proba).toEqual(predictForest(model, table).proba);
    const ctx = makeContext();
    const { scored } = await batchScore.run({ inputs: { model, table, fitted1: undefined, fitted2: undefined, fitted3: undefined }, params: batchScore.params.parse({}), ctx });
    expect(Array.from(scored.getChild("score")!.toArray() as Float64Array)).toEqual(Array.from({ length: table.numRows }, (_, i) => probs.proba[i * 2 + 1]!));
    const { model: regressor } = await decisionTree.run({ inputs: { train: table }, params: decisionTree.params.parse({ label: "target", features: ["x1", "colour"] }), ctx });
    const target = explainTarget(regressor, "");
    expect(target.task).toBe("regression");
    expect(await modelOutput(regressor, target, table, () => Promise.reject(new Error("no tfjs")))).toEqual(predictForest(regressor, table).proba);
  });

  test("tuning can drive both tree trainers", () => {
    expect([...trainerSettings("random-forest").keys()]).toEqual(expect.arrayContaining(["nEstimators", "maxDepth", "maxFeatures", "minSamplesLeaf"]));
    expect(trainerSettings("decision-tree").get("criterion")?.enum).toEqual(["gini", "entropy"]);
  });
});
