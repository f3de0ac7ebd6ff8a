/**
 * Permutation feature importance (Breiman; scikit-learn's `permutation_importance`): how much a model's score
 * on labelled data drops when one feature's values are shuffled across rows, breaking its link with the
 * label. Repeated with seeded shuffles; reported as mean and standard deviation of the drop per feature.
 */
import type { Table } from "apache-arrow";
import { z } from "zod";
import { gatherRows, numericColumn, stringColumn, tableFromColumns } from "../core/arrow";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { p } from "../core/params";
import { port } from "../core/ports";
import { mulberry32, shuffleInPlace } from "../core/random";
import type { ChartValue } from "../core/values";
import { rocAuc, rocAucOvr } from "../evaluation/metrics";
import { scoreClassifier } from "../training/predict";
import { explainTarget, modelOutput, pickFeatures, requireFeatures, type ExplainTarget } from "./model-output";

const params = z.object({
  label: p.column({ port: "data", title: "Label", description: "Column with the true values. Empty: the model's label column." }),
  features: p.columns({ port: "data", title: "Features", description: "Features to measure. Empty: all of the model's features." }),
  metric: z.enum(["auto", "roc_auc", "accuracy", "r2"]).default("auto").meta({
    title: "Score",
    description: "What a shuffle may spoil. auto: ROC-AUC for classifiers (one-vs-rest for more than two classes), R² for regressors.",
  }),
  repeats: z.number().int().min(1).max(100).default(5).meta({ title: "Repeats", description: "Shuffles per feature; more give a steadier mean." }),
  maxRows: z.number().int().min(0).default(10000).meta({ title: "Max rows", description: "Score a seeded sample of at most this many rows (0: all rows)." }),
  seed: z.number().int().default(0).meta({ title: "Seed", description: "Shuffles and sample; same seed and data, same result." }),
});

type Params = z.output<typeof params>;
type Metric = Exclude<Params["metric"], "auto">;

export default defineNode({
  kind: "explain/permutation-importance",
  version: 1,
  title: "Permutation importance",
  category: "Explain",
  description:
    "Which features the model relies on: each feature's values are shuffled between rows, and the drop in the model's score (ROC-AUC, accuracy or R²) on labelled data is its importance. A feature whose shuffling costs nothing is not used. Works with any trained model.",
  inputs: { model: port.model({ label: "Model" }), data: port.table({ label: "Labelled data" }) },
  outputs: { importances: port.table({ label: "Importances" }), chart: port.chart({ label: "Importance chart" }) },
  params,
  resources: { heavy: true },
  infer: () => ({
    importances: {
      table: {
        columns: [
          { name: "feature", dtype: "string" },
          { name: "importance_mean", dtype: "float" },
          { name: "importance_std", dtype: "float" },
        ],
      },
    },
    chart: {},
  }),
  async run({ inputs, params, ctx }) {
    const { model } = inputs;
    const target = explainTarget(model, "");
    const features = pickFeatures(target, params.features);
    if (inputs.data.numRows === 0) fail("no_rows", "The data table has no rows to score.", "data");
    requireFeatures(target, inputs.data, "data");
    const metric: Metric = params.metric === "auto" ? (target.task === "regression" ? "r2" : "roc_auc") : params.metric;
    if ((metric === "r2") !== (target.task === "regression"))
      fail("metric_task", `${metric === "r2" ? "R²" : metric === "roc_auc" ? "ROC-AUC" : "Accuracy"} does not fit a ${target.task === "regression" ? "regression" : "classification"} model; pick ${target.task === "regression" ? "r2" : "roc_auc or accuracy"} (or auto).`, "metric");
    const label = params.label || model.info.label;
    if (!label) fail("no_label", "Pick the label column: the model does not say which column it predicts.", "label");
    if (!inputs.data.getChild(label)) fail("unknown_column", `The label column "${label}" is not in the data table.`, "label");

    const random = mulberry32(params.seed);
    const data = prepareRows(inputs.data, label, target, params.maxRows, random, ctx.log);
    const truth = readTruth(data, label, target, metric);
    const getTf = () => ctx.runtime.tf();
    const score = async (table: Table) => scoreWith(metric, truth, target, await predictionsOf(model, target, table, getTf));

    const baseline = await score(data);
    const means: number[] = [];
    const stds: number[] = [];
    const rows = data.numRows;
    for (const [j, f] of features.entries()) {
      const column = data.select([f]);
      const drops: number[] = [];
      for (let r = 0; r < params.repeats; r++) {
        ctx.signal.throwIfAborted();
        const order = shuffleInPlace(Int32Array.from({ length: rows }, (_, i) => i), random);
        const shuffled = gatherRows(column, order).getChild(f)!;
        drops.push(baseline - (await score(data.setChild(f, shuffled))));
        ctx.progress((j * params.repeats + r + 1) / (features.length * params.repeats));
      }
      const mean = drops.reduce((s, v) => s + v, 0) / drops.length;
      means.push(mean);
      stds.push(Math.sqrt(drops.reduce((s, v) => s + (v - mean) ** 2, 0) / drops.length));
    }
    const order = features.map((_, i) => i).sort((a, b) => means[b]! - means[a]! || (features[a]! < features[b]! ? -1 : 1));
    ctx.log(`Baseline ${metric} ${baseline.toFixed(4)} on ${rows} rows; ${features.length} features × ${params.repeats} shuffles`);
    const importances = tableFromColumns({
      feature: order.map((i) => features[i]!),
      importance_mean: Float64Array.from(order, (i) => means[i]!),
      importance_std: Float64Array.from(order, (i) => stds[i]!),
    });
    const chart: ChartValue = {
      kind: "bar",
      title: `Permutation importance (drop in ${metric}; baseline ${baseline.toFixed(3)})`,
      xLabel: "feature",
      yLabel: `mean drop in ${metric}`,
      categories: order.map((i) => features[i]!),
      series: [{ name: "importance", x: order.map((_, k) => k), y: order.map((i) => means[i]!) }],
    };
    return { importances, chart };
  },
});

/** Labelled rows only, sampled down to `maxRows`, as one record batch (so shuffles are column gathers). */
function prepareRows(data: Table, label: string, target: ExplainTarget, maxRows: number, random: () => number, log: (m: string, l?: "warn") => void): Table {
  const values = target.task === "regression" ? Array.from(numericColumn(data, label), (v) => (Number.isNaN(v) ? null : v)) : stringColumn(data, label);
  let keep: number[] = [];
  values.forEach((v, i) => v !== null && keep.push(i));
  if (!keep.length) fail("no_rows", `No rows have a value for "${label}", so there is nothing to score against.`, "label");
  if (keep.length < values.length) log(`Skipped ${values.length - keep.length} rows with no "${label}" value`, "warn");
  if (maxRows > 0 && keep.length > maxRows) keep = Array.from(shuffleInPlace(Int32Array.from(keep), random).subarray(0, maxRows)).sort((a, b) => a - b);
  return gatherRows(data, keep);
}

interface Truth {
  codes?: Int32Array;
  values?: Float64Array;
}

function readTruth(data: Table, label: string, target: ExplainTarget, metric: Metric): Truth {
  if (target.task === "regression") return { values: numericColumn(data, label) };
  const code = new Map(target.classes.map((c, i) => [c, i]));
  const raw = stringColumn(data, label) as string[];
  const unknown = [...new Set(raw.filter((v) => !code.has(v)))];
  if (unknown.length)
    fail("unknown_label_values", `"${label}" has values the model does not know: ${unknown.slice(0, 5).join(", ")} (model classes: ${target.classes.join(", ")}).`, "label");
  const codes = Int32Array.from(raw, (v) => code.get(v)!);
  if (metric === "roc_auc" && new Set(codes).size < 2)
    fail("single_class", `ROC-AUC needs rows of at least two classes of "${label}"; these rows have one. Use accuracy or more rows.`, "metric");
  return { codes };
}

async function predictionsOf(model: Parameters<typeof modelOutput>[0], target: ExplainTarget, table: Table, getTf: Parameters<typeof modelOutput>[3]): Promise<Float64Array> {
  return target.task === "regression" ? modelOutput(model, target, table, getTf) : (await scoreClassifier(model, table, getTf)).proba;
}

/** The score of predictions (class probabilities rows × k, or values) against the truth. */
export function scoreWith(metric: Metric, truth: Truth, target: ExplainTarget, pred: Float64Array): number {
  if (metric === "r2") {
    const y = truth.values!;
    const mean = y.reduce((s, v) => s + v, 0) / y.length;
    let res = 0;
    let tot = 0;
    for (let i = 0; i < y.length; i++) (res += (y[i]! - pred[i]!) ** 2), (tot += (y[i]! - mean) ** 2);
    return tot > 0 ? 1 - res / tot : 0;
  }
  const codes = truth.codes!;
  const k = target.classes.length;
  if (metric === "roc_auc") {
    if (k === 2) return rocAuc(Uint8Array.from(codes), Float64Array.from(codes, (_, i) => pred[i * 2 + 1]!));
    return rocAucOvr(codes, pred, k) ?? 0;
  }
  let right = 0;
  for (let i = 0; i < codes.length; i++) {
    // Two classes: the metrics node's default threshold (positive when P ≥ 0.5); more: the likeliest class.
    if (k === 2) {
      if ((pred[i * 2 + 1]! >= 0.5 ? 1 : 0) === codes[i]) right++;
      continue;
    }
    let best = 0;
    for (let c = 1; c < k; c++) if (pred[i * k + c]! > pred[i * k + best]!) best = c;
    if (best === codes[i]) right++;
  }
  return right / codes.length;
}
