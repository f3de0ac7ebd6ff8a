/**
 * Logistic regression (softmax regression for more than two classes) with built-in preprocessing, trained
 * with TensorFlow.js. The model's files are the standard tfjs layers format; its state holds the fitted
 * preprocessing (see preprocess.ts), so scoring needs nothing but the model.
 */
import type { Table } from "apache-arrow";
import { z } from "zod";
import { gatherRows, numericColumn, stringColumn, tableInfo } from "../core/arrow";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { p } from "../core/params";
import { port } from "../core/ports";
import type { ColumnInfo, ModelInfo, TableInfo } from "../core/schema";
import type { ChartValue, ModelValue } from "../core/values";
import { compare, orderClasses, resolveFeatures, resolveLabel, rowWeights } from "./columns";
import { fitLinear } from "./fit-linear";
import { saveLayersModel, type ClassifierState } from "./model-files";
import { applyPreprocess, fitPreprocess } from "./preprocess";

/** More classes than this is almost surely a numeric target picked by mistake. */
const MAX_CLASSES = 100;

const params = z.object({
  label: p.column({ port: "train", title: "Label", description: "Column to predict. Empty: the column with the label role." }),
  features: p.columns({
    port: "train",
    title: "Features",
    description: "Columns to learn from. Empty: all other numeric and text columns, except those with role sensitive, id, weight, fold, score or prediction (protected attributes stay out unless you list them here).",
  }),
  positiveClass: z.string().default("").meta({
    title: "Positive class",
    description: "Two-class labels: the class whose probability is the score. Empty: the last class in sort order (e.g. >50K, 1, true). Ignored for more than two classes.",
  }),
  epochs: z.number().int().min(1).max(1000).default(20).meta({ title: "Epochs" }),
  learningRate: z.number().positive().max(10).default(0.01).meta({ title: "Learning rate", description: "Adam step size." }),
  batchSize: z.number().int().min(1).max(65536).default(256).meta({ title: "Batch size" }),
  l2: z.number().min(0).max(100).default(0).meta({ title: "L2 penalty", description: "Adds l2 × sum of squared weights to the loss." }),
  validationFraction: z.number().min(0).max(0.5).default(0).meta({
    title: "Validation fraction",
    description: "Rows held out from training to chart val_loss per epoch. 0: none.",
  }),
  maxCategories: z.number().int().min(1).max(1000).default(50).meta({
    title: "Max categories per text column",
    description: "The most frequent categories get their own indicator; rarer ones share an (other) indicator.",
  }),
  seed: z.number().int().default(42).meta({ title: "Seed", description: "Same seed, data and backend: same model." }),
});

export default defineNode({
  kind: "training/logistic-regression",
  version: 1,
  title: "Logistic regression",
  category: "Training",
  description:
    "Binary or multiclass logistic regression. Numeric features are mean-imputed and standardized, text features one-hot encoded (missing values get their own indicator; categories not seen in training score as all zeros), all fitted on the train input only. Columns with role sensitive (and id, weight, fold) are left out unless listed as features.",
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
    const info = tableInfo(inputs.train);
    const label = resolveLabel(info, params.label);
    const features = resolveFeatures(info, label, params.features);
    const train = dropMissingLabels(inputs.train, label, ctx.log);
    if (train.numRows === 0) fail("no_rows", `No training rows have a value for "${label}".`, "label");
    const labels = stringColumn(train, label) as string[];
    const classes = orderClasses(labels, label, params.positiveClass);
    if (classes.length > MAX_CLASSES)
      fail("too_many_classes", `The label "${label}" has ${classes.length} distinct values; this node classifies (at most ${MAX_CLASSES} classes). Is it a numeric target?`, "label");
    const code = new Map(classes.map((c, i) => [c, i]));
    const y = Int32Array.from(labels, (v) => code.get(v)!);

    const preprocess = fitPreprocess(train, features, params.maxCategories);
    const x = applyPreprocess(preprocess, train);
    ctx.progress(0.02, "Training");

    const tf = await ctx.runtime.tf();
    const loss: number[] = [];
    const valLoss: number[] = [];
    const weights = rowWeights(train, info, ctx.log);
    const layers = await fitLinear(tf, { x, width: preprocess.outputs.length, y, classes: classes.length, weights }, params, {
      signal: ctx.signal,
      onEpoch(epoch, l, v) {
        loss.push(l);
        ctx.metric("loss", l, epoch);
        if (v !== undefined) (valLoss.push(v), ctx.metric("val_loss", v, epoch));
        ctx.progress(epoch / params.epochs);
      },
    });
    let files: Record<string, Uint8Array>;
    try {
      files = await saveLayersModel(layers, tf);
    } finally {
      layers.dispose();
    }
    ctx.log(
      `Trained on ${train.numRows} rows, ${features.length} features (${preprocess.outputs.length} after encoding), ${classes.length} classes, backend ${tf.getBackend()}, ${Math.round(performance.now() - started)} ms`,
    );

    const state: ClassifierState = { preprocess, output: classes.length === 2 ? "sigmoid" : "softmax", ...(classes.length === 2 ? { positiveClass: classes[1] } : {}) };
    const model: ModelValue = {
      format: "tfjs-layers",
      info: { ...modelInfo(info, params), task: classes.length === 2 ? "binary" : "multiclass", classes },
      state,
      files,
    };
    const epochs = loss.map((_, i) => i + 1);
    const curve: ChartValue = {
      kind: "line",
      title: "Training loss",
      xLabel: "epoch",
      yLabel: "cross-entropy",
      series: [{ name: "loss", x: epochs, y: loss }, ...(valLoss.length ? [{ name: "val_loss", x: epochs, y: valLoss }] : [])],
    };
    return { model, curve };
  },
});

type Params = z.output<typeof params>;

/** What is known about the model from the input schema (classes only when the label's categories are known). */
function modelInfo(t: TableInfo, params: Params): ModelInfo {
  const label = resolveLabel(t, params.label);
  const names = new Set(resolveFeatures(t, label, params.features));
  const features: ColumnInfo[] = t.columns.filter((c) => names.has(c.name)).map((c) => ({ name: c.name, dtype: c.dtype }));
  const cats = t.columns.find((c) => c.name === label)?.categories;
  const info: ModelInfo = { algorithm: "logistic-regression", label, features };
  if (cats && cats.length >= 2) {
    const sorted = [...cats].sort(compare);
    if (sorted.length === 2 && params.positiveClass === sorted[0]) sorted.reverse();
    return { ...info, task: sorted.length === 2 ? "binary" : "multiclass", classes: sorted };
  }
  return info;
}

function dropMissingLabels(table: Table, label: string, log: (m: string, level?: "warn") => void): Table {
  const values = stringColumn(table, label);
  const keep: number[] = [];
  values.forEach((v, i) => v !== null && keep.push(i));
  if (keep.length === values.length) return table;
  log(`Skipped ${values.length - keep.length} rows with no "${label}" value`, "warn");
  return gatherRows(table, keep);
}

