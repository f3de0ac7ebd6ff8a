import { DateDay, Table, vectorFromArray } from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import { closeTestRuntime, makeContext, testRuntime, type RecordingContext, userError } from "../../test/helpers/node-context";
import { binaryTable, multiclassTable } from "../../test/nodes/synthetic-classification";
import { tableFromColumns, tableInfo } from "../core/arrow";
import { NodeUserError } from "../core/errors";
import type { ModelValue } from "../core/values";
import { rocAuc } from "../evaluation/metrics";
import lr from "./logistic-regression";
import { MODEL_JSON, WEIGHTS_BIN, type ClassifierState } from "./model-files";
import { loadModel, predictProba } from "./predict";
import { applyPreprocess } from "./preprocess";

afterAll(closeTestRuntime);

/** The minibatch Adam trainer (version 1's, kept as solver "adam"); the exact solvers are tested below and in test/training/linear-golden.test.ts. */
const FAST = { solver: "adam", epochs: 25, batchSize: 32, learningRate: 0.05 };

async function train(table: Table, params: Record<string, unknown> = {}, ctx: RecordingContext = makeContext()) {
  return lr.run({ inputs: { train: table }, params: lr.params.parse({ ...FAST, ...params }), ctx });
}

async function score(model: ModelValue, table: Table) {
  const tf = await testRuntime().tf();
  const loaded = await loadModel(model, tf);
  try {
    return await predictProba(loaded, table, tf);
  } finally {
    loaded.dispose();
  }
}

/** P(positive) recomputed in float64 from weights.bin: checks that the files hold the model we think. */
function manualScores(model: ModelValue, table: Table): number[] {
  const state = model.state as ClassifierState;
  const json = JSON.parse(new TextDecoder().decode(model.files[MODEL_JSON])) as { weightsManifest: Array<{ weights: Array<{ name: string; shape: number[] }> }> };
  const specs = json.weightsManifest[0]!.weights;
  const bin = model.files[WEIGHTS_BIN]!;
  const w = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
  expect(specs.map((s) => s.shape)).toEqual([[state.preprocess.outputs.length, 1], [1]]);
  const d = state.preprocess.outputs.length;
  const x = applyPreprocess(state.preprocess, table);
  return Array.from({ length: table.numRows }, (_, i) => {
    let z = w[d]!;
    for (let j = 0; j < d; j++) z += x[i * d + j]! * w[j]!;
    return 1 / (1 + Math.exp(-z));
  });
}

describe("training/logistic-regression", () => {
  it("learns a nearly separable binary problem, leaving id and sensitive columns out", async () => {
    const ctx = makeContext();
    const { model, curve } = await train(binaryTable(600, 1), { label: "label" }, ctx);
    expect(model.format).toBe("tfjs-layers");
    expect(model.info).toMatchObject({ task: "binary", label: "label", classes: ["no", "yes"], algorithm: "logistic-regression" });
    expect(model.info.features?.map((f) => f.name)).toEqual(["x1", "x2", "color"]);

    const test = binaryTable(400, 7);
    const { proba, classes } = await score(model, test);
    expect(classes).toEqual(["no", "yes"]);
    const y = (test.getChild("label")!.toArray() as string[]).map((v) => (v === "yes" ? 1 : 0));
    const s = Array.from({ length: test.numRows }, (_, i) => proba[i * 2 + 1]!);
    expect(rocAuc(y, s)).toBeGreaterThan(0.97);

    const losses = ctx.metrics.filter((m) => m.name === "loss");
    expect(losses.map((m) => m.step)).toEqual(Array.from({ length: FAST.epochs }, (_, i) => i + 1));
    expect(losses.at(-1)!.value).toBeLessThan(losses[0]!.value);
    expect(ctx.progressCalls.at(-1)).toBe(1);
    expect(curve.series?.[0]?.y).toEqual(losses.map((m) => m.value));
    expect(ctx.metrics.some((m) => m.name === "val_loss")).toBe(false);
  });

  it("is deterministic for a seed and changes with it", async () => {
    const t = binaryTable(300, 3);
    const tf = await testRuntime().tf();
    const before = tf.memory().numTensors;
    const a = await train(t, { label: "label", seed: 5 });
    expect(tf.memory().numTensors).toBe(before); // every training tensor was disposed
    const b = await train(t, { label: "label", seed: 5 });
    const c = await train(t, { label: "label", seed: 6 });
    expect(b.model.files[WEIGHTS_BIN]).toEqual(a.model.files[WEIGHTS_BIN]);
    expect(b.model.state).toEqual(a.model.state);
    expect(c.model.files[WEIGHTS_BIN]).not.toEqual(a.model.files[WEIGHTS_BIN]);
  });

  it("round-trips through its files: load + predict equals the in-memory model and the weights", async () => {
    const { model } = await train(binaryTable(300, 4), { label: "label" });
    const test = binaryTable(50, 9);
    const direct = await score(model, test);
    // As the artifact store would hand it back: JSON for info/state, files as views into a larger buffer.
    const copy = (b: Uint8Array) => {
      const big = new Uint8Array(b.length + 16);
      big.set(b, 8);
      return big.subarray(8, 8 + b.length);
    };
    const stored: ModelValue = {
      ...(JSON.parse(JSON.stringify({ format: model.format, info: model.info, state: model.state })) as Omit<ModelValue, "files">),
      files: Object.fromEntries(Object.entries(model.files).map(([k, v]) => [k, copy(v)])),
    };
    const reloaded = await score(stored, test);
    expect(reloaded.proba).toEqual(direct.proba);
    manualScores(model, test).forEach((p, i) => expect(Math.abs(p - direct.proba[i * 2 + 1]!)).toBeLessThan(1e-5));
    // One row at a time (a published endpoint) gives exactly the batch result.
    const one = await score(stored, test.slice(3, 4));
    expect(Array.from(one.proba)).toEqual(Array.from(direct.proba.subarray(6, 8)));
  });

  it("scores unseen categories as all zeros and missing text via its indicator", async () => {
    const { model } = await train(binaryTable(300, 4), { label: "label" });
    const t = tableFromColumns({ x1: Float64Array.from([0.5, 0.5]), x2: Float64Array.from([10, 10]), color: ["purple", null], label: ["yes", "no"] });
    const { proba } = await score(model, t);
    const manual = manualScores(model, t);
    expect(Math.abs(proba[1]! - manual[0]!)).toBeLessThan(1e-5);
    expect(Math.abs(proba[3]! - manual[1]!)).toBeLessThan(1e-5);
    expect((model.state as ClassifierState).preprocess.outputs).toContain("color=(missing)");
    expect(proba[1]).not.toBe(proba[3]);
  });

  it("fails naming a feature column that the scored table lacks", async () => {
    const { model } = await train(binaryTable(200, 4), { label: "label" });
    const t = tableFromColumns({ x1: Float64Array.from([1]), color: ["red"] });
    const e = await userError(score(model, t));
    expect(e.code).toBe("missing_feature");
    expect(e.message).toContain('"x2"');
  });

  it("softmax regression for three classes; the label role picks the label", async () => {
    const { model } = await train(multiclassTable(300), { epochs: 15 });
    expect(model.info).toMatchObject({ task: "multiclass", label: "kind", classes: ["cat", "dog", "eel"] });
    const test = multiclassTable(150, 11);
    const { proba } = await score(model, test);
    const truth = test.getChild("kind")!.toArray() as string[];
    let right = 0;
    for (let i = 0; i < test.numRows; i++) {
      const row = Array.from(proba.subarray(i * 3, i * 3 + 3));
      expect(row.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      if (["cat", "dog", "eel"][row.indexOf(Math.max(...row))] === truth[i]) right++;
    }
    expect(right / test.numRows).toBeGreaterThan(0.9);
  });

  it("holds out a validation fraction, skips unlabelled rows and honours the positive class", async () => {
    const base = binaryTable(300, 5);
    const labels = (base.getChild("label")!.toArray() as string[]).map((v, i) => (i % 10 === 0 ? null : v));
    const t = tableFromColumns({ x1: base.getChild("x1")!.toArray() as Float64Array, color: stringArray(base, "color"), label: labels });
    const ctx = makeContext();
    const { model, curve } = await train(t, { label: "label", validationFraction: 0.2, positiveClass: "no" }, ctx);
    expect(model.info.classes).toEqual(["yes", "no"]);
    expect((model.state as ClassifierState).positiveClass).toBe("no");
    expect(ctx.metrics.filter((m) => m.name === "val_loss")).toHaveLength(FAST.epochs);
    expect(curve.series?.map((s) => s.name)).toEqual(["loss", "val_loss"]);
    expect(ctx.logs.some((l) => l.includes("Skipped 30 rows"))).toBe(true);
  });

  it("stops at the next batch when cancelled during training", async () => {
    const ctx = makeContext();
    ctx.metric = (name, value, step) => {
      ctx.metrics.push({ name, value, step });
      if (step === 2) ctx.abort();
    };
    const err = await train(binaryTable(300, 6), { label: "label", epochs: 50 }, ctx).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect((err as Error).name).toBe("AbortError");
    expect(ctx.metrics.filter((m) => m.name === "loss")).toHaveLength(2);
  });

  it("lets a Cancel arriving from outside (a timer) interrupt a long fit", async () => {
    const ctx = makeContext();
    const timer = setTimeout(() => ctx.abort(), 30);
    const err = await train(binaryTable(300, 6), { label: "label", epochs: 500, batchSize: 1 }, ctx).then(
      () => undefined,
      (e: unknown) => e,
    );
    clearTimeout(timer);
    expect((err as Error).name).toBe("AbortError");
    expect(ctx.metrics.filter((m) => m.name === "loss").length).toBeLessThan(500);
  });

  it("the default solver (newton) fits to convergence in a few iterations, seed-independent, with a loss per iteration", async () => {
    const t = binaryTable(400, 2);
    const ctx = makeContext();
    const params = (seed: number) => lr.params.parse({ label: "label", seed });
    const a = await lr.run({ inputs: { train: t }, params: params(1), ctx });
    const b = await lr.run({ inputs: { train: t }, params: params(2), ctx: makeContext() });
    expect(Array.from(b.model.files[WEIGHTS_BIN]!)).toEqual(Array.from(a.model.files[WEIGHTS_BIN]!));
    const losses = ctx.metrics.filter((m) => m.name === "loss");
    expect(losses.length).toBeGreaterThan(1);
    expect(losses.length).toBeLessThan(15);
    for (let i = 1; i < losses.length; i++) expect(losses[i]!.value).toBeLessThanOrEqual(losses[i - 1]!.value + 1e-12);
    expect(a.curve.xLabel).toBe("iteration");
    expect(ctx.logs.at(-1)).toMatch(/newton, C=1, \d+ iterations/);
    // A smaller C (stronger penalty) shrinks the coefficients.
    const strong = await lr.run({ inputs: { train: t }, params: lr.params.parse({ label: "label", C: 0.01 }), ctx: makeContext() });
    const norm = (m: ModelValue) => manualNorm(m);
    expect(norm(strong.model)).toBeLessThan(norm(a.model) * 0.8);
  });

  it("migrates a version-1 node to solver adam with its settings (it trains the model it trained before)", () => {
    const migrate = lr.migrate![1]!;
    expect(migrate({ epochs: 50, l2: 0.1 })).toEqual({ solver: "adam", epochs: 50, l2: 0.1 });
    expect(lr.params.parse(migrate({})).solver).toBe("adam");
    expect(lr.version).toBe(2);
  });

  it("newton is for two classes only; auto and lbfgs fit three", async () => {
    expect((await userError(train(multiclassTable(90), { solver: "newton" }))).code).toBe("newton_binary_only");
    const { model } = await train(multiclassTable(300), { solver: "auto" });
    const { proba } = await score(model, multiclassTable(60, 11));
    expect(proba.length).toBe(180);
  });

  describe("errors", () => {
    it("a label with a single class", async () => {
      const t = tableFromColumns({ x: Float64Array.from([1, 2, 3]), y: ["a", "a", "a"] });
      const e = await userError(train(t, { label: "y" }));
      expect(e.code).toBe("single_class");
      expect(e.message).toContain('"a"');
    });
    it("no label chosen and none marked", async () => {
      const e = await userError(train(tableFromColumns({ x: Float64Array.from([1, 2]), y: ["a", "b"] })));
      expect(e).toMatchObject({ code: "no_label", field: "label" });
      expect(e.message).toMatch(/Pick the label column/);
    });
    it("a positive class that is not a label value", async () => {
      const e = await userError(train(binaryTable(50), { label: "label", positiveClass: "maybe" }));
      expect(e).toMatchObject({ code: "unknown_class", field: "positiveClass" });
    });
    it("the label listed as a feature, or an unknown feature", async () => {
      expect((await userError(train(binaryTable(50), { label: "label", features: ["x1", "label"] }))).code).toBe("label_in_features");
      expect((await userError(train(binaryTable(50), { label: "label", features: ["nope"] }))).code).toBe("unknown_column");
    });
    it("a numeric target with many distinct values", async () => {
      const n = 150;
      const t = tableFromColumns({ x: Float64Array.from({ length: n }, (_, i) => i), y: Float64Array.from({ length: n }, (_, i) => i * 1.5) });
      expect((await userError(train(t, { label: "y" }))).code).toBe("too_many_classes");
    });
    it("a feature of an unsupported type, or no usable features", async () => {
      const dates = new Table({ d: vectorFromArray([new Date(0), new Date(1)], new DateDay()), y: vectorFromArray(["a", "b"]) });
      expect((await userError(train(dates, { label: "y", features: ["d"] }))).code).toBe("unsupported_feature");
      expect((await userError(train(dates, { label: "y" }))).code).toBe("no_features");
    });
    it("no labelled rows", async () => {
      const t = tableFromColumns({ x: Float64Array.from([1, 2]), y: [null, null] as Array<string | null> });
      expect((await userError(train(t, { label: "y" }))).code).toBe("no_rows");
    });
  });

  describe("infer", () => {
    it("describes the model from the input schema", () => {
      const info = tableInfo(binaryTable(10));
      const out = lr.infer!({ inputs: { train: { table: info } }, params: lr.params.parse({ label: "label" }) });
      expect(out.model?.model).toMatchObject({ label: "label", algorithm: "logistic-regression" });
      expect(out.model?.model?.features?.map((f) => f.name)).toEqual(["x1", "x2", "color"]);
    });
    it("asks for a label at design time", () => {
      const info = tableInfo(tableFromColumns({ x: Float64Array.from([1]), y: ["a"] }));
      expect(() => lr.infer!({ inputs: { train: { table: info } }, params: lr.params.parse({}) })).toThrow(NodeUserError);
    });
  });
});

/** Sum of squared coefficients (intercept excluded) of a binary model. */
function manualNorm(model: ModelValue): number {
  const bin = model.files[WEIGHTS_BIN]!;
  const w = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
  let s = 0;
  for (let j = 0; j < w.length - 1; j++) s += w[j]! * w[j]!;
  return s;
}

function stringArray(t: Table, name: string): Array<string | null> {
  return Array.from(t.getChild(name)!.toArray() as Array<string | null>);
}
