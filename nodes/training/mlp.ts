/**
 * Multilayer perceptron (a small neural network) for classification and regression, trained with
 * TensorFlow.js by mlp-fit.ts. Preprocessing is preprocess.ts' (fitted on the train input only, stored in the
 * model); classifiers keep predict.ts' ClassifierState so they score like every other layers classifier.
 */
import type { Table } from "apache-arrow";
import { z } from "zod";
import { dtypeOf, numericColumn, stringColumn } from "../core/arrow";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { p } from "../core/params";
import { port } from "../core/ports";
import type { ColumnInfo, ModelInfo, TableInfo, Task } from "../core/schema";
import type { ChartValue, ModelValue } from "../core/values";
import { compare, labelledRows, orderClasses, resolveFeatures, resolveLabel, rowWeights } from "./columns";
import { fitMlp, type Head } from "./mlp-fit";
import { MLP_ALGORITHM, type MlpRegressorState } from "./mlp-model";
import { saveLayersModel, type ClassifierState } from "./model-files";
import { applyPreprocess, fitPreprocess } from "./preprocess";

/** More classes than this is almost surely a numeric target that should be regressed. */
const MAX_CLASSES = 100;
/** `task: auto` classifies a numeric label only when it holds at most this many distinct whole numbers. */
const AUTO_MAX_INTEGER_CLASSES = 10;

const params = z.object({
  label: p.column({ port: "train", title: "Label", description: "Column to predict. Empty: the column with the label role." }),
  features: p.columns({
    port: "train",
    title: "Features",
    description:
      "Columns to learn from. Empty: all other numeric and text columns, except those with role sensitive, id, weight, fold, score or prediction (protected attributes stay out unless you list them here).",
  }),
  task: z.enum(["auto", "classification", "regression"]).default("auto").meta({
    title: "Task",
    description: `auto: text and true/false labels are classified; a numeric label is classified when it holds at most ${AUTO_MAX_INTEGER_CLASSES} distinct whole numbers, otherwise predicted as a number (regression).`,
  }),
  positiveClass: z.string().default("").meta({
    title: "Positive class",
    description: "Two-class labels: the class whose probability is the score. Empty: the last class in sort order (e.g. >50K, 1, true).",
  }),
  hiddenLayers: z.array(z.number().int().min(1).max(4096)).min(1).max(10).default([64, 64]).meta({
    title: "Hidden layers",
    description: "Units (neurons) per hidden layer, first to last. [64, 64]: two layers of 64.",
  }),
  activation: z.enum(["relu", "tanh", "sigmoid"]).default("relu").meta({ title: "Activation", description: "Non-linearity of the hidden layers." }),
  dropout: z.number().min(0).max(0.9).default(0).meta({
    title: "Dropout",
    description: "Share of hidden units switched off at random in each training step, against overfitting. 0: none.",
  }),
  optimizer: z.enum(["adam", "sgd", "rmsprop"]).default("adam").meta({ title: "Optimizer" }),
  learningRate: z.number().positive().max(10).default(0.001).meta({ title: "Learning rate", description: "Step size of the optimizer." }),
  epochs: z.number().int().min(1).max(10000).default(20).meta({ title: "Epochs", description: "Passes over the training rows (fewer with early stopping)." }),
  batchSize: z.number().int().min(1).max(65536).default(256).meta({ title: "Batch size", description: "Rows per training step." }),
  l2: z.number().min(0).max(100).default(0).meta({ title: "L2 penalty", description: "Adds l2 × sum of squared weights to the loss." }),
  classWeight: z.enum(["none", "balanced"]).default("none").meta({
    title: "Class weights",
    description: "balanced: rows of rare classes count more (weight = rows / (classes × rows of the class)), so the model does not ignore them. Classification only.",
  }),
  validationFraction: z.number().min(0).max(0.5).default(0.1).meta({
    title: "Validation fraction",
    description: "Rows held out from training (stratified by class) to chart val_loss and decide early stopping. 0: none.",
  }),
  patience: z.number().int().min(0).max(1000).default(5).meta({
    title: "Early stopping patience",
    description: "Stop after this many epochs without a better validation loss (the training loss when nothing is held out) and keep the best epoch's weights. 0: always train every epoch.",
  }),
  maxCategories: z.number().int().min(1).max(1000).default(50).meta({
    title: "Max categories per text column",
    description: "The most frequent categories get their own indicator; rarer ones share an (other) indicator.",
  }),
  seed: z.number().int().default(42).meta({ title: "Seed", description: "Initial weights, validation split, row order and dropout. Same seed, data and backend: same model." }),
});

type Params = z.output<typeof params>;

export default defineNode({
  kind: "training/mlp",
  version: 1,
  title: "Neural network (MLP)",
  category: "Training",
  description:
    "A multilayer perceptron: a small neural network for classification (two or more classes) or for predicting a number. Numeric features are mean-imputed and standardized, text features one-hot encoded, all fitted on the train input only. Choose the layers, activation, dropout and optimizer; early stopping on a held-out share keeps the best epoch. A column with role weight (e.g. from Reweighing) weights the rows. The loss curve grows live while it trains.",
  inputs: { train: port.table({ label: "Train" }) },
  outputs: { model: port.model({ label: "Model" }), curve: port.chart({ label: "Loss curve" }) },
  params,
  resources: { heavy: true },
  infer: ({ inputs, params }) => {
    const t = inputs.train?.table;
    if (!t) return {};
    return { model: { model: modelInfo(t, params) }, curve: {} };
  },
  async run({ inputs, params, ctx }) {
    const started = performance.now();
    const { info, features, target, train } = labelledRows(inputs.train, params, (t, l) => readTarget(t, l, params), ctx.log);
    if (params.classWeight === "balanced" && target.task === "regression")
      fail("class_weight_regression", "Class weights apply to classification; set Class weights to none for a numeric target.", "classWeight");

    const preprocess = fitPreprocess(train, features, params.maxCategories);
    const x = applyPreprocess(preprocess, train);
    ctx.progress(0.02, "Training");

    const k = target.classes.length;
    const head: Head = target.task === "regression" ? "linear" : k === 2 ? "sigmoid" : "softmax";
    const scaleLoss = target.task === "regression" ? target.scale * target.scale : 1;
    const tf = await ctx.runtime.tf();
    const loss: number[] = [];
    const valLoss: number[] = [];
    const fit = await fitMlp(
      tf,
      {
        x,
        width: preprocess.outputs.length,
        y: target.y,
        head,
        units: head === "softmax" ? k : 1,
        weights: lossWeights(train, info, target, params.classWeight === "balanced", ctx.log),
        strata: target.task === "regression" ? undefined : Int32Array.from(target.y),
      },
      params,
      {
        signal: ctx.signal,
        onEpoch(epoch, l, v) {
          loss.push(l * scaleLoss);
          ctx.metric("loss", l * scaleLoss, epoch);
          if (v !== undefined) (valLoss.push(v * scaleLoss), ctx.metric("val_loss", v * scaleLoss, epoch));
          ctx.progress(0.02 + (0.97 * epoch) / params.epochs);
        },
      },
    );
    let files: Record<string, Uint8Array>;
    try {
      files = await saveLayersModel(fit.model, tf);
    } finally {
      fit.model.dispose();
    }
    ctx.progress(1);
    ctx.log(
      `Trained ${fit.epochsRun} epochs${fit.stoppedEarly ? ` (stopped early, kept epoch ${fit.bestEpoch})` : ""} on ${fit.trainRows} rows${fit.validationRows ? ` (+${fit.validationRows} validation)` : ""}, ${features.length} features (${preprocess.outputs.length} after encoding), layers ${params.hiddenLayers.join("-")}, backend ${tf.getBackend()}, ${Math.round(performance.now() - started)} ms`,
    );

    const task: Task = target.task === "regression" ? "regression" : k === 2 ? "binary" : "multiclass";
    const state: ClassifierState | MlpRegressorState =
      head === "linear"
        ? { preprocess, output: "linear", target: { mean: target.mean, scale: target.scale } }
        : { preprocess, output: head, ...(k === 2 ? { positiveClass: target.classes[1] } : {}) };
    const model: ModelValue = {
      format: "tfjs-layers",
      info: { ...modelInfo(info, params), task, ...(task === "regression" ? {} : { classes: target.classes }) },
      state,
      files,
    };
    const epochs = loss.map((_, i) => i + 1);
    const curve: ChartValue = {
      kind: "line",
      title: "Training loss",
      xLabel: "epoch",
      yLabel: task === "regression" ? "mean squared error" : "cross-entropy",
      series: [{ name: "loss", x: epochs, y: loss }, ...(valLoss.length ? [{ name: "val_loss", x: epochs, y: valLoss }] : [])],
    };
    return { model, curve };
  },
});

interface Target {
  task: "classification" | "regression";
  /** Class codes, or the standardized numeric target. */
  y: Float32Array;
  classes: string[];
  mean: number;
  scale: number;
  /** Rows with a label, when some rows have none. */
  keep?: Int32Array;
}

function readTarget(table: Table, label: string, params: Params): Target {
  const dtype = dtypeOf(table.getChild(label)!.type);
  const numeric = dtype === "float" || dtype === "int";
  let regression = params.task === "regression";
  if (regression && !numeric) fail("label_not_numeric", `Regression needs a numeric label, but "${label}" holds ${dtype} values.`, "task");
  if (params.task === "auto" && numeric) {
    const distinct = new Set<number>();
    for (const v of numericColumn(table, label)) {
      if (v !== v) continue;
      if (!Number.isInteger(v) || (distinct.add(v), distinct.size > AUTO_MAX_INTEGER_CLASSES)) {
        regression = true;
        break;
      }
    }
  }
  if (regression) {
    const all = numericColumn(table, label);
    const keep = keepRows(all.length, (i) => all[i] === all[i]);
    if (keep?.length === 0) fail("no_rows", `No training rows have a value for "${label}".`, "label");
    const values = keep ? Float64Array.from(keep, (i) => all[i]!) : all;
    let sum = 0;
    for (const v of values) sum += v;
    const mean = values.length ? sum / values.length : 0;
    let ss = 0;
    for (const v of values) ss += (v - mean) * (v - mean);
    const std = values.length ? Math.sqrt(ss / values.length) : 0;
    const scale = std > 0 && Number.isFinite(std) ? std : 1;
    return { task: "regression", y: Float32Array.from(values, (v) => (v - mean) / scale), classes: [], mean, scale, keep };
  }
  const all = stringColumn(table, label);
  const keep = keepRows(all.length, (i) => all[i] !== null);
  if (keep?.length === 0) fail("no_rows", `No training rows have a value for "${label}".`, "label");
  const labels = (keep ? Array.from(keep, (i) => all[i]!) : all) as string[];
  const classes = orderClasses(labels, label, params.positiveClass);
  if (classes.length > MAX_CLASSES)
    fail("too_many_classes", `The label "${label}" has ${classes.length} distinct values; set Task to regression for a numeric target (classification allows at most ${MAX_CLASSES} classes).`, "label");
  const code = new Map(classes.map((c, i) => [c, i]));
  return { task: "classification", y: Float32Array.from(labels, (v) => code.get(v)!), classes, mean: 0, scale: 1, keep };
}

/**
 * Per-row loss weights: the row's weight column (role weight, e.g. Reweighing's output; missing = 1) times its
 * class weight (`balanced`: scikit-learn's n / (k × n_c)). Undefined when every weight is 1.
 */
function lossWeights(train: Table, info: TableInfo, target: Target, balanced: boolean, log: (m: string, level?: "warn") => void): Float32Array | undefined {
  const n = target.y.length;
  let out = rowWeights(train, info, log);
  if (balanced) {
    const k = target.classes.length;
    const counts = new Array<number>(k).fill(0);
    for (const c of target.y) counts[c]!++;
    const perClass = counts.map((c) => (c ? n / (k * c) : 0));
    out ??= new Float32Array(n).fill(1);
    for (let i = 0; i < n; i++) out[i]! *= perClass[target.y[i]!]!;
  }
  return out;
}

function keepRows(n: number, has: (i: number) => boolean): Int32Array | undefined {
  let missing = 0;
  for (let i = 0; i < n; i++) if (!has(i)) missing++;
  if (!missing) return undefined;
  const keep = new Int32Array(n - missing);
  for (let i = 0, j = 0; i < n; i++) if (has(i)) keep[j++] = i;
  return keep;
}

/** What is known about the model from the input schema. */
function modelInfo(t: TableInfo, params: Params): ModelInfo {
  const label = resolveLabel(t, params.label);
  const names = new Set(resolveFeatures(t, label, params.features));
  const features: ColumnInfo[] = t.columns.filter((c) => names.has(c.name)).map((c) => ({ name: c.name, dtype: c.dtype }));
  const info: ModelInfo = { algorithm: MLP_ALGORITHM, label, features };
  if (params.task === "regression") return { ...info, task: "regression" };
  const cats = t.columns.find((c) => c.name === label)?.categories;
  if (cats && cats.length >= 2) {
    const sorted = [...cats].sort(compare);
    if (sorted.length === 2 && params.positiveClass === sorted[0]) sorted.reverse();
    return { ...info, task: sorted.length === 2 ? "binary" : "multiclass", classes: sorted };
  }
  return info;
}
