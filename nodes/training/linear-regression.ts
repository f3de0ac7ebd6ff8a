/**
 * Linear regression (ordinary least squares, or ridge with a penalty), solved exactly like scikit-learn's
 * LinearRegression / Ridge on the same encoded features (linear-solvers.ts). Preprocessing is the one every
 * Lattice model carries (preprocess.ts). The model is stored like an MLP regressor (a one-layer linear
 * TensorFlow.js model plus {@link MlpRegressorState}), so metrics, batch scoring, explanations and endpoints
 * score it without knowing it is linear.
 */
import type { Table } from "apache-arrow";
import { z } from "zod";
import { dtypeOf, numericColumn } from "../core/arrow";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { p } from "../core/params";
import { port } from "../core/ports";
import type { ColumnInfo, ModelInfo, TableInfo } from "../core/schema";
import type { ChartValue, ModelValue } from "../core/values";
import { labelledRows, resolveFeatures, resolveLabel, rowWeights } from "./columns";
import { linearLayersModel } from "./fit-linear";
import { leastSquares } from "./linear-solvers";
import type { MlpRegressorState } from "./mlp-model";
import { saveLayersModel } from "./model-files";
import { applyPreprocessSparse, fitPreprocess } from "./preprocess";

const params = z.object({
  label: p.column({ port: "train", dtype: "numeric", title: "Target", description: "Numeric column to predict. Empty: the column with the label role." }),
  features: p.columns({
    port: "train",
    title: "Features",
    description: "Columns to learn from. Empty: all other numeric and text columns, except those with role sensitive, id, weight, fold, score or prediction.",
  }),
  alpha: z.number().min(0).max(1e12).default(0).meta({
    title: "Ridge penalty (alpha)",
    description: "0: ordinary least squares (scikit-learn's LinearRegression). More than 0: adds alpha × ‖w‖² to the squared error (scikit-learn's Ridge(alpha)); the intercept is not penalized.",
  }),
  maxCategories: z.number().int().min(1).max(1000).default(50).meta({
    title: "Max categories per text column",
    description: "The most frequent categories get their own indicator; rarer ones share an (other) indicator.",
  }),
});
type Params = z.output<typeof params>;

export const LINEAR_REGRESSION_ALGORITHM = "linear-regression";

export default defineNode({
  kind: "training/linear-regression",
  version: 1,
  title: "Linear regression",
  category: "Training",
  description:
    "Predicts a number as a weighted sum of the features, fitted exactly (least squares, optionally with a ridge penalty) as scikit-learn's LinearRegression or Ridge would on the same features. Numeric features are mean-imputed and standardized, text features one-hot encoded, all fitted on the train input only. A column with role weight weights the rows.",
  inputs: { train: port.table({ label: "Train" }) },
  outputs: { model: port.model({ label: "Model" }), coefficients: port.chart({ label: "Coefficients" }) },
  params,
  resources: { heavy: true },
  infer: ({ inputs, params }) => {
    const t = inputs.train?.table;
    if (!t) return {};
    return { model: { model: modelInfo(t, params) }, coefficients: {} };
  },
  async run({ inputs, params, ctx }) {
    const started = performance.now();
    const { info, features, target, train } = labelledRows(inputs.train, params, readTarget, ctx.log);
    const preprocess = fitPreprocess(train, features, params.maxCategories);
    const x = applyPreprocessSparse(preprocess, train);
    const weights = rowWeights(train, info, ctx.log);
    ctx.progress(0.3, "Solving");
    ctx.signal.throwIfAborted();
    const { W, b } = leastSquares(x, target.y, weights, params.alpha);
    if (![...W, b].every(Number.isFinite)) fail("not_finite", "The fit produced non-finite coefficients; check the target and features for extreme values.", "train");

    const tf = await ctx.runtime.tf();
    const layers = linearLayersModel(tf, x.d, 1, Float32Array.from(W), Float32Array.of(b), "linear");
    let files: Record<string, Uint8Array>;
    try {
      files = await saveLayersModel(layers, tf);
    } finally {
      layers.dispose();
    }
    // Stored like an MLP regressor with an identity target transform: scored by predictMlpRegression.
    const state: MlpRegressorState = { preprocess, output: "linear", target: { mean: 0, scale: 1 } };
    const model: ModelValue = { format: "tfjs-layers", info: { ...modelInfo(info, params), task: "regression" }, state, files };
    ctx.log(`Fitted on ${train.numRows} rows, ${features.length} features (${x.d} after encoding), alpha ${params.alpha}, ${Math.round(performance.now() - started)} ms`);
    ctx.progress(1);

    // Coefficients per standardized feature: comparable in size, largest first.
    const order = [...W.keys()].sort((i, j) => Math.abs(W[j]!) - Math.abs(W[i]!)).slice(0, 30);
    const coefficients: ChartValue = {
      kind: "bar",
      title: "Coefficients (standardized features)",
      xLabel: "feature",
      yLabel: "coefficient",
      categories: order.map((i) => preprocess.outputs[i]!),
      series: [{ name: "coefficient", x: order.map((_, j) => j), y: order.map((i) => W[i]!) }],
    };
    return { model, coefficients };
  },
});

function readTarget(table: Table, label: string): { y: Float64Array; keep?: Int32Array } {
  const dtype = dtypeOf(table.getChild(label)!.type);
  if (dtype !== "float" && dtype !== "int" && dtype !== "bool")
    fail("label_not_numeric", `Linear regression predicts a number, but "${label}" holds ${dtype} values. Use Logistic regression to predict a category.`, "label");
  const all = numericColumn(table, label);
  let missing = 0;
  for (const v of all) if (v !== v) missing++;
  if (!missing) return { y: all };
  const keep = new Int32Array(all.length - missing);
  for (let i = 0, j = 0; i < all.length; i++) if (all[i] === all[i]) keep[j++] = i;
  return { y: Float64Array.from(keep, (i) => all[i]!), keep };
}

function modelInfo(t: TableInfo, params: Params): ModelInfo {
  const label = resolveLabel(t, params.label);
  const names = new Set(resolveFeatures(t, label, params.features));
  const features: ColumnInfo[] = t.columns.filter((c) => names.has(c.name)).map((c) => ({ name: c.name, dtype: c.dtype }));
  return { algorithm: LINEAR_REGRESSION_ALGORITHM, label, features, task: "regression" };
}
