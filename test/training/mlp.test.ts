import type { Table } from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import { numericColumn, stringColumn, tableFromColumns, tableInfo } from "../../nodes/core/arrow";
import { NodeUserError } from "../../nodes/core/errors";
import { mulberry32 } from "../../nodes/core/random";
import type { ModelValue } from "../../nodes/core/values";
import classificationMetrics from "../../nodes/evaluation/classification-metrics";
import { rocAuc } from "../../nodes/evaluation/metrics";
import mlp from "../../nodes/training/mlp";
import { isMlpRegressor, predictMlpRegression } from "../../nodes/training/mlp-model";
import { MODEL_JSON, WEIGHTS_BIN, readLayersModel, type ClassifierState } from "../../nodes/training/model-files";
import { scoreClassifier } from "../../nodes/training/predict";
import { closeTestRuntime, makeContext, testRuntime, userError, type RecordingContext } from "../helpers/node-context";
import { binaryTable, multiclassTable } from "../nodes/synthetic-classification";

afterAll(closeTestRuntime);

const FAST = { epochs: 15, batchSize: 32, learningRate: 0.01, hiddenLayers: [16, 8], validationFraction: 0, patience: 0 };
const getTf = () => testRuntime().tf();

async function train(table: Table, params: Record<string, unknown> = {}, ctx: RecordingContext = makeContext()) {
  return mlp.run({ inputs: { train: table }, params: mlp.params.parse({ ...FAST, ...params }), ctx });
}

function positiveScores(proba: Float64Array): number[] {
  return Array.from({ length: proba.length / 2 }, (_, i) => proba[i * 2 + 1]!);
}

function regressionTable(n: number, seed: number): Table {
  const r = mulberry32(seed);
  const a = Float64Array.from({ length: n }, () => r() * 4 - 2);
  const b = Float64Array.from({ length: n }, () => r() * 4 - 2);
  const kind = Array.from({ length: n }, () => (r() < 0.5 ? "up" : "down"));
  const y = Float64Array.from(a, (v, i) => 100 + 30 * v - 20 * b[i]! * b[i]! + (kind[i] === "up" ? 25 : 0) + r());
  return tableFromColumns({ a, b, kind, y });
}

describe("training/mlp", () => {
  it("learns a binary problem, streams loss and val_loss per epoch, and scores through scoreClassifier", async () => {
    const ctx = makeContext();
    const { model, curve } = await train(binaryTable(600, 1), { label: "label", validationFraction: 0.2 }, ctx);
    expect(model.format).toBe("tfjs-layers");
    expect(model.info).toMatchObject({ task: "binary", label: "label", classes: ["no", "yes"], algorithm: "mlp" });
    expect(model.info.features?.map((f) => f.name)).toEqual(["x1", "x2", "color"]);
    expect(model.state as ClassifierState).toMatchObject({ output: "sigmoid", positiveClass: "yes" });

    const test = binaryTable(400, 7);
    const { proba, classes } = await scoreClassifier(model, test, getTf);
    expect(classes).toEqual(["no", "yes"]);
    const y = (test.getChild("label")!.toArray() as string[]).map((v) => (v === "yes" ? 1 : 0));
    expect(rocAuc(y, positiveScores(proba))).toBeGreaterThan(0.97);

    const steps = Array.from({ length: FAST.epochs }, (_, i) => i + 1);
    const loss = ctx.metrics.filter((m) => m.name === "loss");
    expect(loss.map((m) => m.step)).toEqual(steps);
    expect(ctx.metrics.filter((m) => m.name === "val_loss").map((m) => m.step)).toEqual(steps);
    expect(loss.at(-1)!.value).toBeLessThan(loss[0]!.value);
    expect(ctx.progressCalls.at(-1)).toBe(1);
    expect(curve.series?.map((s) => s.name)).toEqual(["loss", "val_loss"]);
    expect(curve.series?.[0]?.y).toEqual(loss.map((m) => m.value));
  });

  it("saves the standard tfjs layers format: hidden layers as configured, loadable and scoring the same", async () => {
    const { model } = await train(binaryTable(200, 2), { label: "label", hiddenLayers: [5, 4, 3], activation: "tanh" });
    const json = JSON.parse(new TextDecoder().decode(model.files[MODEL_JSON])) as { weightsManifest: Array<{ weights: Array<{ shape: number[] }> }> };
    const d = (model.state as ClassifierState).preprocess.outputs.length;
    expect(json.weightsManifest[0]!.weights.map((w) => w.shape)).toEqual([[d, 5], [5], [5, 4], [4], [4, 3], [3], [3, 1], [1]]);
    const tf = await getTf();
    const layers = await readLayersModel(model, tf);
    expect(layers.layers.map((l) => (l.getConfig() as { activation?: string }).activation)).toEqual(["tanh", "tanh", "tanh", "sigmoid"]);
    layers.dispose();
    const stored = JSON.parse(JSON.stringify({ format: model.format, info: model.info, state: model.state })) as Omit<ModelValue, "files">;
    const t = binaryTable(30, 3);
    const a = await scoreClassifier(model, t, getTf);
    const b = await scoreClassifier({ ...stored, files: model.files }, t, getTf);
    expect(b.proba).toEqual(a.proba);
  });

  it("is deterministic for a seed (dropout included), changes with it, and frees its tensors", async () => {
    const t = binaryTable(300, 3);
    const tf = await getTf();
    const before = tf.memory().numTensors;
    const a = await train(t, { label: "label", seed: 5, dropout: 0.3, validationFraction: 0.2, patience: 3 });
    expect(tf.memory().numTensors).toBe(before);
    const b = await train(t, { label: "label", seed: 5, dropout: 0.3, validationFraction: 0.2, patience: 3 });
    const c = await train(t, { label: "label", seed: 6, dropout: 0.3, validationFraction: 0.2, patience: 3 });
    const noDropout = await train(t, { label: "label", seed: 5, validationFraction: 0.2, patience: 3 });
    expect(b.model.files[WEIGHTS_BIN]).toEqual(a.model.files[WEIGHTS_BIN]);
    expect(c.model.files[WEIGHTS_BIN]).not.toEqual(a.model.files[WEIGHTS_BIN]);
    expect(noDropout.model.files[WEIGHTS_BIN]).not.toEqual(a.model.files[WEIGHTS_BIN]);
  });

  it("trains three classes with softmax", async () => {
    const { model } = await train(multiclassTable(300), { epochs: 20 });
    expect(model.info).toMatchObject({ task: "multiclass", label: "kind", classes: ["cat", "dog", "eel"] });
    expect((model.state as ClassifierState).output).toBe("softmax");
    const test = multiclassTable(150, 11);
    const { proba } = await scoreClassifier(model, test, getTf);
    const truth = test.getChild("kind")!.toArray() as string[];
    let right = 0;
    for (let i = 0; i < test.numRows; i++) {
      const row = Array.from(proba.subarray(i * 3, i * 3 + 3));
      expect(row.reduce((s, v) => s + v, 0)).toBeCloseTo(1, 5);
      if (["cat", "dog", "eel"][row.indexOf(Math.max(...row))] === truth[i]) right++;
    }
    expect(right / test.numRows).toBeGreaterThan(0.9);
  });

  it.each(["sgd", "rmsprop"] as const)("trains with the %s optimizer", async (optimizer) => {
    const ctx = makeContext();
    const { model } = await train(binaryTable(300, 4), { label: "label", optimizer, learningRate: optimizer === "sgd" ? 0.1 : 0.01 }, ctx);
    const loss = ctx.metrics.filter((m) => m.name === "loss").map((m) => m.value);
    expect(loss.at(-1)!).toBeLessThan(loss[0]! * 0.7);
    const test = binaryTable(200, 8);
    const y = (test.getChild("label")!.toArray() as string[]).map((v) => (v === "yes" ? 1 : 0));
    expect(rocAuc(y, positiveScores((await scoreClassifier(model, test, getTf)).proba))).toBeGreaterThan(0.95);
  });

  it("regresses a numeric target (auto task), reporting the loss in the target's units", async () => {
    const ctx = makeContext();
    const { model, curve } = await train(regressionTable(800, 1), { label: "y", epochs: 40, hiddenLayers: [32, 16] }, ctx);
    expect(model.info).toMatchObject({ task: "regression", label: "y", algorithm: "mlp" });
    expect(model.info.classes).toBeUndefined();
    expect(isMlpRegressor(model)).toBe(true);
    expect(curve.yLabel).toBe("mean squared error");
    const test = regressionTable(300, 2);
    const pred = await predictMlpRegression(model, test, await getTf());
    const y = test.getChild("y")!.toArray() as Float64Array;
    const mean = y.reduce((s, v) => s + v, 0) / y.length;
    let ssRes = 0;
    let ssTot = 0;
    y.forEach((v, i) => ((ssRes += (v - pred[i]!) ** 2), (ssTot += (v - mean) ** 2)));
    expect(1 - ssRes / ssTot).toBeGreaterThan(0.9);
    // The variance of y is in the hundreds; a loss in standardized units would start near 1.
    expect(ctx.metrics.find((m) => m.name === "loss")!.value).toBeGreaterThan(10);
    // A regressor is not a classifier: the metrics node says so instead of scoring nonsense.
    const e = await userError(classificationMetrics.run({ inputs: { model, data: test }, params: classificationMetrics.params.parse({ label: "y" }), ctx: makeContext() }));
    expect(e.code).toBe("unsupported_model");
  });

  it("stops early when the validation loss stops improving and keeps the best epoch", async () => {
    // Random labels: the held-out loss can only get worse once the network starts memorizing.
    const r = mulberry32(9);
    const n = 300;
    const t = tableFromColumns({ a: Float64Array.from({ length: n }, () => r()), b: Float64Array.from({ length: n }, () => r()), y: Array.from({ length: n }, () => (r() < 0.5 ? "p" : "q")) });
    const ctx = makeContext();
    await train(t, { label: "y", epochs: 300, hiddenLayers: [64, 64], learningRate: 0.01, validationFraction: 0.3, patience: 3 }, ctx);
    const val = ctx.metrics.filter((m) => m.name === "val_loss").map((m) => m.value);
    expect(val.length).toBeLessThan(300);
    const best = val.indexOf(Math.min(...val)) + 1;
    expect(val.length).toBe(best + 3);
    expect(ctx.logs.at(-1)).toContain(`stopped early, kept epoch ${best}`);
  });

  it("balanced class weights raise the scores of a rare class", async () => {
    const r = mulberry32(3);
    const n = 600;
    const x = Float64Array.from({ length: n }, () => r() * 2 - 1);
    const y = Array.from(x, (v) => (v + (r() - 0.5) > 0.9 ? "rare" : "common"));
    const t = tableFromColumns({ x, y });
    const plain = await train(t, { label: "y" });
    const balanced = await train(t, { label: "y", classWeight: "balanced" });
    const mean = async (m: ModelValue) => positiveScores((await scoreClassifier(m, t, getTf)).proba).reduce((s, v) => s + v, 0) / n;
    expect(plain.model.info.classes).toEqual(["common", "rare"]);
    expect(await mean(balanced.model)).toBeGreaterThan((await mean(plain.model)) + 0.1);
  });

  it("weights rows by the column with role weight", async () => {
    const base = binaryTable(300, 5);
    const cols = { x1: numericColumn(base, "x1"), x2: numericColumn(base, "x2"), color: stringColumn(base, "color"), label: stringColumn(base, "label") };
    const plain = await train(tableFromColumns(cols), { label: "label" });
    const ones = await train(tableFromColumns({ ...cols, w: new Float64Array(300).fill(1) }, { w: "weight" }), { label: "label" });
    expect(ones.model.info.features?.map((f) => f.name)).toEqual(["x1", "x2", "color"]);
    expect(ones.model.files[WEIGHTS_BIN]).toEqual(plain.model.files[WEIGHTS_BIN]); // weight 1 changes nothing
    const heavyYes = Float64Array.from(cols.label, (v) => (v === "yes" ? 10 : 1));
    const ctx = makeContext();
    const up = await train(tableFromColumns({ ...cols, w: heavyYes }, { w: "weight" }), { label: "label" }, ctx);
    expect(ctx.logs).toContain('Rows are weighted by "w"');
    const mean = async (m: ModelValue) => positiveScores((await scoreClassifier(m, base, getTf)).proba).reduce((s, v) => s + v, 0) / 300;
    expect(await mean(up.model)).toBeGreaterThan((await mean(plain.model)) + 0.02);
    const bad = Float64Array.from({ length: 300 }, (_, i) => (i === 7 ? -1 : 1));
    expect(await userError(train(tableFromColumns({ ...cols, w: bad }, { w: "weight" }), { label: "label" }))).toMatchObject({ code: "bad_weight", field: "w" });
  });

  it("stops at the next batch when cancelled, freeing its tensors", async () => {
    const tf = await getTf();
    const before = tf.memory().numTensors;
    const ctx = makeContext();
    ctx.metric = (name, value, step) => {
      ctx.metrics.push({ name, value, step });
      if (step === 2) ctx.abort();
    };
    const err = await train(binaryTable(300, 6), { label: "label", epochs: 50 }, ctx).catch((e: unknown) => e);
    expect((err as Error).name).toBe("AbortError");
    expect(ctx.metrics.filter((m) => m.name === "loss")).toHaveLength(2);
    expect(tf.memory().numTensors).toBe(before);
  });

  it("lets a Cancel arriving from outside (a timer) interrupt a long fit", async () => {
    const ctx = makeContext();
    const timer = setTimeout(() => ctx.abort(), 30);
    const err = await train(binaryTable(300, 6), { label: "label", epochs: 500, batchSize: 1 }, ctx).catch((e: unknown) => e);
    clearTimeout(timer);
    expect((err as Error).name).toBe("AbortError");
    expect(ctx.metrics.filter((m) => m.name === "loss").length).toBeLessThan(500);
  });

  describe("errors", () => {
    it("zero rows, or no labelled rows", async () => {
      const empty = tableFromColumns({ x: new Float64Array(0), y: [] as string[] });
      expect(await userError(train(empty, { label: "y" }))).toMatchObject({ code: "no_rows", field: "train" });
      const t = tableFromColumns({ x: Float64Array.from([1, 2]), y: [null, null] as Array<string | null> });
      expect((await userError(train(t, { label: "y" }))).code).toBe("no_rows");
    });
    it("a label with a single class", async () => {
      const e = await userError(train(tableFromColumns({ x: Float64Array.from([1, 2, 3]), y: ["a", "a", "a"] }), { label: "y" }));
      expect(e.code).toBe("single_class");
    });
    it("no label chosen and none marked; an unknown feature", async () => {
      expect((await userError(train(tableFromColumns({ x: Float64Array.from([1, 2]), y: ["a", "b"] })))).code).toBe("no_label");
      expect((await userError(train(binaryTable(50), { label: "label", features: ["nope"] }))).code).toBe("unknown_column");
    });
    it("regression on a text label", async () => {
      expect(await userError(train(binaryTable(50), { label: "label", task: "regression" }))).toMatchObject({ code: "label_not_numeric", field: "task" });
    });
    it("class weights on a regression", async () => {
      expect(await userError(train(regressionTable(50, 1), { label: "y", classWeight: "balanced" }))).toMatchObject({ code: "class_weight_regression", field: "classWeight" });
    });
    it("too many classes for classification", async () => {
      const n = 150;
      const t = tableFromColumns({ x: Float64Array.from({ length: n }, (_, i) => i), y: Array.from({ length: n }, (_, i) => `c${i}`) });
      expect((await userError(train(t, { label: "y" }))).code).toBe("too_many_classes");
    });
    it("a diverging fit, pointing at the learning rate", async () => {
      const tf = await getTf();
      const before = tf.memory().numTensors;
      const e = await userError(train(regressionTable(200, 1), { label: "y", optimizer: "sgd", learningRate: 10, epochs: 30 }));
      expect(e).toMatchObject({ code: "diverged", field: "learningRate" });
      expect(tf.memory().numTensors).toBe(before);
    });
    it("params out of range do not parse", () => {
      expect(mlp.params.safeParse({ hiddenLayers: [] }).success).toBe(false);
      expect(mlp.params.safeParse({ dropout: 1 }).success).toBe(false);
      expect(mlp.params.safeParse({ optimizer: "lbfgs" }).success).toBe(false);
    });
  });

  describe("infer", () => {
    it("describes the model from the input schema", () => {
      const out = mlp.infer!({ inputs: { train: { table: tableInfo(binaryTable(10)) } }, params: mlp.params.parse({ label: "label" }) });
      expect(out.model?.model).toMatchObject({ label: "label", algorithm: "mlp" });
      expect(out.model?.model?.features?.map((f) => f.name)).toEqual(["x1", "x2", "color"]);
      const reg = mlp.infer!({ inputs: { train: { table: tableInfo(regressionTable(5, 1)) } }, params: mlp.params.parse({ label: "y", task: "regression" }) });
      expect(reg.model?.model?.task).toBe("regression");
    });
    it("asks for a label at design time", () => {
      const info = tableInfo(tableFromColumns({ x: Float64Array.from([1]), y: ["a"] }));
      expect(() => mlp.infer!({ inputs: { train: { table: info } }, params: mlp.params.parse({}) })).toThrow(NodeUserError);
    });
  });
});
