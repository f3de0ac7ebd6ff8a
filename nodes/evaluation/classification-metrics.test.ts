import type { Table } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { closeTestRuntime, makeContext, testRuntime, userError } from "../../test/helpers/node-context";
import { binaryTable, multiclassTable } from "../../test/nodes/synthetic-classification";
import { tableFromColumns, tableInfo } from "../core/arrow";
import type { ModelValue } from "../core/values";
import lr from "../training/logistic-regression";
import { loadModel, predictProba } from "../training/predict";
import cm from "./classification-metrics";
import { accuracy, logLoss, rocAuc } from "./metrics";

let binaryModel: ModelValue;
let multiModel: ModelValue;

beforeAll(async () => {
  const fast = { epochs: 20, batchSize: 32, learningRate: 0.05 };
  binaryModel = (await lr.run({ inputs: { train: binaryTable(400, 1) }, params: lr.params.parse({ ...fast, label: "label" }), ctx: makeContext() })).model;
  multiModel = (await lr.run({ inputs: { train: multiclassTable(300) }, params: lr.params.parse(fast), ctx: makeContext() })).model;
});
afterAll(closeTestRuntime);

function evaluate(model: ModelValue, data: Table, params: Record<string, unknown> = {}, ctx = makeContext()) {
  return cm.run({ inputs: { model, data }, params: cm.params.parse(params), ctx });
}

describe("evaluation/classification-metrics", () => {
  it("measures a binary model and outputs scored rows, ROC and confusion charts", async () => {
    const data = binaryTable(300, 8);
    const tf = await testRuntime().tf();
    const before = tf.memory().numTensors;
    const out = await evaluate(binaryModel, data);
    expect(tf.memory().numTensors).toBe(before); // the loaded model and scoring tensors were freed
    const v = out.metrics.values;
    expect(Object.keys(v).sort()).toEqual(["accuracy", "balanced_accuracy", "f1", "f1_macro", "f1_weighted", "log_loss", "precision", "recall", "roc_auc"]);
    expect(tableInfo(out.predictions).columns.find((c) => c.name === "label")?.role).toBe("label");
    expect(v.roc_auc).toBeGreaterThan(0.97);

    // Same numbers as scoring by hand with predict.ts and metrics.ts.
    const loaded = await loadModel(binaryModel, tf);
    const { proba } = await predictProba(loaded, data, tf);
    loaded.dispose();
    const y = (data.getChild("label")!.toArray() as string[]).map((s) => (s === "yes" ? 1 : 0));
    const p = y.map((_, i) => proba[i * 2 + 1]!);
    expect(v.roc_auc).toBe(rocAuc(y, p));
    expect(v.accuracy).toBe(accuracy(y, p.map((q) => (q >= 0.5 ? 1 : 0))));
    expect(v.log_loss).toBe(logLoss(y, proba, 2));

    const info = tableInfo(out.predictions);
    expect(info.columns.map((c) => c.name)).toEqual([...data.schema.fields.map((f) => f.name), "score", "prediction"]);
    expect(info.columns.find((c) => c.name === "score")?.role).toBe("score");
    expect(info.columns.find((c) => c.name === "prediction")?.role).toBe("prediction");
    expect(info.columns.find((c) => c.name === "group")?.role).toBe("sensitive");
    expect(Array.from(out.predictions.getChild("score")!.toArray() as Float64Array)).toEqual(p);

    const m = out.metrics.details?.confusionMatrix as number[][];
    expect(m.flat().reduce((a, b) => a + b, 0)).toBe(300);
    expect(out.confusion).toMatchObject({ kind: "heatmap", matrix: m, rowLabels: ["no", "yes"] });
    const s = out.roc.series![0]!;
    expect([s.x[0], s.y[0], s.x.at(-1), s.y.at(-1)]).toEqual([0, 0, 1, 1]);
  });

  it("threshold and positive class change predictions and precision/recall", async () => {
    const data = binaryTable(200, 9);
    const base = await evaluate(binaryModel, data);
    const strict = await evaluate(binaryModel, data, { threshold: 0.95 });
    expect(strict.metrics.values.precision!).toBeGreaterThanOrEqual(base.metrics.values.precision!);
    expect(strict.metrics.values.recall!).toBeLessThan(base.metrics.values.recall!);
    const flipped = await evaluate(binaryModel, data, { positiveClass: "no" });
    expect(flipped.metrics.values.roc_auc).toBeCloseTo(base.metrics.values.roc_auc!, 12);
    expect(flipped.metrics.details?.positiveClass).toBe("no");
  });

  it("multiclass: macro averages, one-vs-rest AUC, a curve per class", async () => {
    const out = await evaluate(multiModel, multiclassTable(150, 12));
    expect(out.metrics.values.accuracy).toBeGreaterThan(0.9);
    expect(out.metrics.values.roc_auc).toBeGreaterThan(0.95);
    expect(out.metrics.values.f1_weighted).toBeTypeOf("number");
    expect(out.roc.series?.map((s) => s.name)).toEqual(["cat", "dog", "eel"]);
    expect(out.confusion.matrix).toHaveLength(3);
  });

  it("scores rows without a label but measures only labelled ones", async () => {
    const base = binaryTable(100, 3);
    const labels = (base.getChild("label")!.toArray() as string[]).map((v, i) => (i < 10 ? null : v));
    const data = tableFromColumns({ x1: base.getChild("x1")!.toArray() as Float64Array, x2: base.getChild("x2")!.toArray() as Float64Array, color: Array.from(base.getChild("color")!.toArray() as string[]), label: labels });
    const ctx = makeContext();
    const out = await evaluate(binaryModel, data, {}, ctx);
    expect(out.predictions.numRows).toBe(100);
    expect(out.metrics.details?.rows).toBe(90);
    expect(ctx.logs.some((l) => l.includes("10 rows have no"))).toBe(true);
  });

  describe("errors", () => {
    it("a label with a single class in the data names it", async () => {
      const data = binaryTable(50, 3);
      const only = tableFromColumns({ x1: data.getChild("x1")!.toArray() as Float64Array, x2: data.getChild("x2")!.toArray() as Float64Array, color: Array.from(data.getChild("color")!.toArray() as string[]), label: new Array<string>(50).fill("yes") });
      const e = await userError(evaluate(binaryModel, only));
      expect(e.code).toBe("single_class");
      expect(e.message).toContain('"yes"');
    });
    it("label values the model does not know", async () => {
      const data = tableFromColumns({ x1: Float64Array.from([0, 1]), x2: Float64Array.from([1, 2]), color: ["red", "blue"], label: ["yes", "perhaps"] });
      const e = await userError(evaluate(binaryModel, data));
      expect(e.code).toBe("unknown_label_values");
      expect(e.message).toContain('"perhaps"');
    });
    it("zero rows", async () => {
      const data = binaryTable(10).slice(0, 0);
      expect((await userError(evaluate(binaryModel, data))).code).toBe("no_rows");
    });
    it("a label column missing from the data, and an unknown positive class", async () => {
      expect((await userError(evaluate(binaryModel, binaryTable(20), { label: "nope" }))).code).toBe("unknown_column");
      expect((await userError(evaluate(binaryModel, binaryTable(20), { positiveClass: "maybe" }))).code).toBe("unknown_class");
    });
    it("no label column chosen and none in the model", async () => {
      const noLabel: ModelValue = { ...binaryModel, info: { ...binaryModel.info, label: undefined } };
      expect((await userError(evaluate(noLabel, binaryTable(20)))).code).toBe("no_label");
    });
    it("a model this node cannot score", async () => {
      const other: ModelValue = { format: "json", info: { classes: ["a", "b"], label: "label" }, state: {}, files: {} };
      expect((await userError(evaluate(other, binaryTable(20)))).code).toBe("unsupported_model");
    });
    it("a feature column missing from the data", async () => {
      const data = tableFromColumns({ x1: Float64Array.from([0, 1]), color: ["red", "blue"], label: ["yes", "no"] });
      const e = await userError(evaluate(binaryModel, data));
      expect(e.code).toBe("missing_feature");
      expect(e.message).toContain('"x2"');
    });
  });

  it("infer adds score and prediction columns to the data's schema", () => {
    const out = cm.infer!({ inputs: { model: { model: binaryModel.info }, data: { table: tableInfo(binaryTable(5)) } }, params: cm.params.parse({}) });
    expect(out.predictions?.table?.columns.slice(-2)).toEqual([
      { name: "score", dtype: "float", role: "score" },
      { name: "prediction", dtype: "string", role: "prediction" },
    ]);
  });
});
