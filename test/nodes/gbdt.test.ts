import type { Table } from "apache-arrow";
import { describe, expect, test } from "vitest";
import { tableFromColumns, withRoles } from "../../nodes/core/arrow";
import { mulberry32 } from "../../nodes/core/random";
import type { ModelValue } from "../../nodes/core/values";
import gradientBoosting, { predictGradientBoosting } from "../../nodes/training/gradient-boosting";
import { fitBinning, applyBinning } from "../../nodes/training/gbdt/binning";
import type { GbdtState } from "../../nodes/training/gbdt/model";
import { makeContext, userError, type RecordingContext } from "../helpers/node-context";

type Params = Parameters<typeof gradientBoosting.params.parse>[0];

async function fit(train: Table, params: Params, ctx: RecordingContext = makeContext()) {
  return gradientBoosting.run({ inputs: { train }, params: gradientBoosting.params.parse(params), ctx });
}


/** Probability of `classes[1]` per row. */
function positive(model: ModelValue, table: Table): Float64Array {
  const { proba } = predictGradientBoosting(model, table);
  return Float64Array.from({ length: table.numRows }, (_, i) => proba[i * 2 + 1]!);
}

function accuracy(p: Float64Array, labels: string[], positiveClass: string): number {
  let ok = 0;
  p.forEach((q, i) => (ok += (q > 0.5) === (labels[i] === positiveClass) ? 1 : 0));
  return ok / p.length;
}

/** XOR-like: the label depends only on the interaction of x1 and x2; each alone says nothing. */
function xor(n: number, seed: number) {
  const r = mulberry32(seed);
  const x1 = Float64Array.from({ length: n }, () => r() * 2 - 1);
  const x2 = Float64Array.from({ length: n }, () => r() * 2 - 1);
  const y = Array.from({ length: n }, (_, i) => (x1[i]! * x2[i]! > 0 ? "same" : "diff"));
  return { table: tableFromColumns({ x1, x2, y }), y };
}

describe("gradient boosting", () => {
  test("learns XOR, which an additive model (like logistic regression) cannot", async () => {
    const train = xor(2000, 1);
    const test = xor(1000, 2);
    const { model } = await fit(train.table, { label: "y" });
    expect(model.info).toMatchObject({ task: "binary", label: "y", classes: ["diff", "same"], algorithm: "gradient-boosting" });
    expect(accuracy(positive(model, test.table), test.y, "same")).toBeGreaterThan(0.93);
    // Stumps (one split per tree) add up per-feature effects only: no better than chance on XOR.
    const { model: additive } = await fit(train.table, { label: "y", maxLeafNodes: 2 });
    expect(accuracy(positive(additive, test.table), test.y, "same")).toBeLessThan(0.65);
  });

  test("same seed, same model; loss and val_loss are reported every round", async () => {
    const { table } = xor(1500, 3);
    const params = { label: "y", earlyStopping: "on", maxIter: 30, seed: 7 } as const;
    const ctx = makeContext();
    const a = await fit(table, params, ctx);
    const b = await fit(table, params);
    expect(JSON.stringify(a.model.state)).toBe(JSON.stringify(b.model.state));
    const rounds = (a.model.state as GbdtState).rounds;
    expect(ctx.metrics.filter((m) => m.name === "loss").map((m) => m.step)).toEqual([...Array(rounds).keys()].map((i) => i + 1));
    expect(ctx.metrics.filter((m) => m.name === "val_loss")).toHaveLength(rounds);
    expect(a.curve.series?.map((s) => [s.name, s.y.length])).toEqual([
      ["loss", rounds],
      ["val_loss", rounds],
    ]);
    const loss = a.curve.series![0]!.y;
    expect(loss[loss.length - 1]!).toBeLessThan(loss[0]! * 0.7);
    expect(ctx.progressCalls.at(-1)).toBeCloseTo(rounds / 30);
    // 10% of 1500 rows held out, stratified.
    expect((a.model.state as GbdtState).validationRows).toBe(150);
  });

  test("missing values are routed to the side that fits them", async () => {
    const r = mulberry32(5);
    const n = 2000;
    const x = Float64Array.from({ length: n }, () => (r() < 0.3 ? NaN : r()));
    const noise = Float64Array.from({ length: n }, () => r());
    // Missing x behaves like a small x. Bins scanned left to right send missing values right (with the large
    // values), so this needs the right-to-left scan that sends them left.
    const y = Array.from(x, (v) => (!Number.isNaN(v) && v > 0.3 ? "hi" : "lo"));
    const { model } = await fit(tableFromColumns({ x, noise, y }), { label: "y", positiveClass: "hi" });
    expect(model.info.classes).toEqual(["lo", "hi"]);
    const p = positive(model, tableFromColumns({ x: Float64Array.of(NaN, 0.9, 0.1, NaN), noise: Float64Array.of(0.5, 0.5, 0.5, 0.1) }));
    expect(p[0]).toBeLessThan(0.1);
    expect(p[1]).toBeGreaterThan(0.9);
    expect(p[2]).toBeLessThan(0.1);
    expect(p[3]).toBeLessThan(0.1);
    const root = (model.state as GbdtState).trees[0]!;
    expect(root.feature[0]).toBe(0);
    expect(root.missingLeft[0]).toBe(1);

    // Trained without missing values: a missing value at scoring time follows the larger child, no error.
    const { model: complete } = await fit(tableFromColumns({ x: Float64Array.from(x, (v) => (Number.isNaN(v) ? 0.8 : v)), y }), { label: "y" });
    const q = positive(complete, tableFromColumns({ x: Float64Array.of(NaN) }));
    expect(q[0]).toBeGreaterThan(0);
    expect(q[0]).toBeLessThan(1);
  });

  test("text columns are split as categories, not in alphabetical order; unseen ones count as missing", async () => {
    const colors = ["black", "blue", "green", "red", "white"];
    const r = mulberry32(9);
    const color = Array.from({ length: 1000 }, () => colors[Math.floor(r() * colors.length)]!);
    // blue, red, white vs black, green: no single threshold in sorted order separates them.
    const y = color.map((c) => (c === "blue" || c === "red" || c === "white" ? "yes" : "no"));
    const table = tableFromColumns({ color, y });
    const { model } = await fit(table, { label: "y", maxLeafNodes: 2, maxIter: 20 });
    expect(accuracy(positive(model, table), y, "yes")).toBe(1);
    const state = model.state as GbdtState;
    expect(state.binning.features[0]).toMatchObject({ kind: "categorical" });
    expect(state.trees[0]!.bitset[0]).toBe(0);
    const p = positive(model, tableFromColumns({ color: ["purple", null, "red"] }));
    expect(p[0]).toBe(p[1]);
    expect(p[2]).toBeGreaterThan(0.9);
  });

  test("the model state round-trips through JSON with identical predictions", async () => {
    const { table } = xor(1000, 11);
    const withText = tableFromColumns({
      x1: Float64Array.from(table.getChild("x1")!.toArray() as Float64Array, (v, i) => (i % 17 === 0 ? NaN : v)),
      x2: table.getChild("x2")!.toArray() as Float64Array,
      tag: Array.from({ length: 1000 }, (_, i) => (i % 13 === 0 ? null : ["a", "b", "c"][i % 3]!)),
      y: table.getChild("y")!.toArray() as string[],
    });
    const { model } = await fit(withText, { label: "y", maxIter: 40 });
    const copy: ModelValue = { ...model, state: JSON.parse(JSON.stringify(model.state)), info: JSON.parse(JSON.stringify(model.info)) };
    expect(predictGradientBoosting(copy, withText).proba).toEqual(predictGradientBoosting(model, withText).proba);
  });

  test("cancel stops training between rounds", async () => {
    const { table } = xor(1000, 13);
    const ctx = makeContext();
    const metric = ctx.metric;
    ctx.metric = (name, value, step) => {
      metric(name, value, step);
      if (name === "loss" && step === 3) ctx.abort();
    };
    await expect(fit(table, { label: "y", maxIter: 100 }, ctx)).rejects.toMatchObject({ name: "AbortError" });
    expect(ctx.metrics.filter((m) => m.name === "loss")).toHaveLength(3);
  });

  test("early stopping ends training once the validation loss stops improving", async () => {
    const r = mulberry32(17);
    const x = Float64Array.from({ length: 3000 }, () => r());
    const y = Array.from(x, (v) => (r() < 0.2 + 0.6 * v ? "1" : "0"));
    const { model, curve } = await fit(tableFromColumns({ x, y }), { label: "y", maxIter: 500, earlyStopping: "on", learningRate: 0.3 });
    const state = model.state as GbdtState;
    expect(state.stoppedEarly).toBe(true);
    expect(state.rounds).toBeLessThan(500);
    expect(curve.series![0]!.y).toHaveLength(state.rounds);
  });

  test("three classes: softmax probabilities", async () => {
    const r = mulberry32(19);
    const n = 1500;
    const kind = Array.from({ length: n }, (_, i) => ["a", "b", "c"][i % 3]!);
    const x = Float64Array.from(kind, (k) => (k === "a" ? 0 : k === "b" ? 2 : 4) + r());
    const z = Float64Array.from({ length: n }, () => r());
    const { model } = await fit(tableFromColumns({ x, z, kind }), { label: "kind", maxIter: 30 });
    expect(model.info).toMatchObject({ task: "multiclass", classes: ["a", "b", "c"] });
    const { classes, proba } = predictGradientBoosting(model, tableFromColumns({ x: Float64Array.of(0.5, 2.5, 4.5), z: Float64Array.of(0.5, 0.5, 0.5) }));
    expect(classes).toEqual(["a", "b", "c"]);
    for (let i = 0; i < 3; i++) {
      expect(proba[i * 3]! + proba[i * 3 + 1]! + proba[i * 3 + 2]!).toBeCloseTo(1, 12);
      expect(proba[i * 3 + i]).toBeGreaterThan(0.9);
    }
  });

  test("a numeric label with many values is regressed (squared error)", async () => {
    const r = mulberry32(23);
    const n = 2000;
    const x = Float64Array.from({ length: n }, () => r() * 6);
    const target = Float64Array.from(x, (v) => Math.sin(v) + (r() - 0.5) * 0.1);
    const { model, curve } = await fit(tableFromColumns({ x, target }), { label: "target" });
    expect(model.info.task).toBe("regression");
    expect(curve.yLabel).toBe("mean squared error");
    const xt = Float64Array.from({ length: 200 }, (_, i) => (i + 0.5) * 0.03);
    const { classes, proba } = predictGradientBoosting(model, tableFromColumns({ x: xt }));
    expect(classes).toEqual([]);
    let se = 0;
    let ss = 0;
    xt.forEach((v, i) => ((se += (proba[i]! - Math.sin(v)) ** 2), (ss += Math.sin(v) ** 2)));
    expect(se / ss).toBeLessThan(0.02);
  });

  test("features default to all but the label and sensitive/id columns", async () => {
    const { table } = xor(600, 29);
    const t = withRoles(tableFromColumns({ ...columnsOf(table), id: Float64Array.from({ length: 600 }, (_, i) => i) }), { id: "id", y: "label" });
    const { model } = await fit(t, { maxIter: 5 });
    expect(model.info.label).toBe("y");
    expect(model.info.features?.map((f) => f.name)).toEqual(["x1", "x2"]);
  });

  test("binning: distinct values get their own bins; quantiles cap the count; missing gets the next bin", () => {
    const few = { name: "a", kind: "numeric" as const, values: Float64Array.of(3, 1, 2, 2, NaN) };
    const b = fitBinning([few], 255, 0);
    expect(b.features[0]).toEqual({ name: "a", kind: "numeric", thresholds: [1.5, 2.5] });
    expect(Array.from(applyBinning(b, [few], 5))).toEqual([2, 0, 1, 1, 3]);
    const many = { name: "m", kind: "numeric" as const, values: Float64Array.from({ length: 1000 }, (_, i) => i) };
    const thresholds = (fitBinning([many], 10, 0).features[0] as { thresholds: number[] }).thresholds;
    expect(thresholds).toHaveLength(9);
    expect(thresholds[4]).toBeCloseTo(499.5, 9);
  });

  describe("errors", () => {
    test("a label with one class names it", async () => {
      const e = await userError(fit(tableFromColumns({ x: Float64Array.of(1, 2, 3), y: ["a", "a", "a"] }), { label: "y" }));
      expect(e.code).toBe("single_class");
      expect(e.message).toContain('"a"');
    });
    test("no feature columns", async () => {
      const e = await userError(fit(tableFromColumns({ y: ["a", "b"] }), { label: "y" }));
      expect(e.code).toBe("no_features");
    });
    test("zero rows", async () => {
      const e = await userError(fit(tableFromColumns({ x: new Float64Array(0), y: [] as string[] }), { label: "y" }));
      expect(e.code).toBe("no_rows");
    });
    test("a feature column missing at prediction", async () => {
      const { table } = xor(300, 31);
      const { model } = await fit(table, { label: "y", maxIter: 3 });
      const e = await userError(Promise.resolve().then(() => predictGradientBoosting(model, tableFromColumns({ x1: Float64Array.of(0) }))));
      expect(e.code).toBe("missing_feature");
      expect(e.field).toBe("x2");
    });
    test("a model from another node is refused", async () => {
      const other: ModelValue = { format: "tfjs-layers", info: { algorithm: "logistic-regression" }, state: {}, files: {} };
      const e = await userError(Promise.resolve().then(() => predictGradientBoosting(other, tableFromColumns({ x: Float64Array.of(0) }))));
      expect(e.code).toBe("unsupported_model");
    });
  });
});

function columnsOf(t: Table): Record<string, Float64Array | string[]> {
  const out: Record<string, Float64Array | string[]> = {};
  for (const f of t.schema.fields) out[f.name] = t.getChild(f.name)!.toArray() as Float64Array | string[];
  return out;
}
