/**
 * Logistic regression (softmax regression for more than two classes) with built-in preprocessing. Solvers:
 * Newton (two classes) and L-BFGS reach the optimum of scikit-learn's objective (linear-solvers.ts);
 * minibatch Adam in TensorFlow.js (fit-linear.ts) is kept for saved version-1 nodes. Either way the model's
 * files are the standard tfjs layers format; its state holds the fitted preprocessing (see preprocess.ts), so
 * scoring needs nothing but the model.
 */
import type { LayersModel } from "@tensorflow/tfjs";
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
import { fitLinearExact } from "./fit-linear-exact";
import { saveLayersModel, type ClassifierState } from "./model-files";
import { applyPreprocess, applyPreprocessSparse, fitPreprocess } from "./preprocess";

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
  solver: z.enum(["auto", "newton", "lbfgs", "adam"]).default("auto").meta({
    title: "Solver",
    description:
      "auto: newton for two classes (up to 1,000 encoded columns), lbfgs otherwise. newton and lbfgs fit the exact optimum of scikit-learn's LogisticRegression objective with the same C (same coefficients); newton needs two classes. adam: minibatch Adam in TensorFlow.js for the given epochs (the only trainer before version 2; uses Epochs, Learning rate, Batch size and L2 penalty instead of C).",
  }),
  C: z.number().positive().max(1e12).default(1).meta({
    title: "C (inverse penalty)",
    description: "newton/lbfgs: as scikit-learn's C. The loss is the sum of the rows' cross-entropies plus ‖w‖²/(2C); the intercept is not penalized. Smaller C, stronger penalty.",
  }),
  maxIter: z.number().int().min(1).max(10000).default(100).meta({ title: "Max iterations", description: "newton/lbfgs: iterations at most (newton usually needs fewer than 10)." }),
  epochs: z.number().int().min(1).max(1000).default(20).meta({ title: "Epochs", description: "adam only." }),
  learningRate: z.number().positive().max(10).default(0.01).meta({ title: "Learning rate", description: "adam only: Adam step size." }),
  batchSize: z.number().int().min(1).max(65536).default(256).meta({ title: "Batch size", description: "adam only." }),
  l2: z.number().min(0).max(100).default(0).meta({ title: "L2 penalty", description: "adam only: adds l2 × sum of squared weights to the mean loss (newton/lbfgs use C)." }),
  validationFraction: z.number().min(0).max(0.5).default(0).meta({
    title: "Validation fraction",
    description: "Rows held out from training (seeded) to chart val_loss per iteration or epoch. 0: none.",
  }),
  maxCategories: z.number().int().min(1).max(1000).default(50).meta({
    title: "Max categories per text column",
    description: "The most frequent categories get their own indicator; rarer ones share an (other) indicator.",
  }),
  seed: z.number().int().default(42).meta({ title: "Seed", description: "Held-out rows, and for adam the initial weights and shuffling. Same seed and data: same model." }),
});

export default defineNode({
  kind: "training/logistic-regression",
  version: 2,
  // Version 2 added the exact solvers (and C, maxIter) and made them the default. A node saved by version 1
  // keeps its minibatch Adam trainer and every setting it had, so it trains exactly the model it trained before.
  migrate: { 1: (saved) => ({ solver: "adam", ...saved }) },
  title: "Logistic regression",
  category: "Training",
  description:
    "Binary or multiclass logistic regression, fitted like scikit-learn's LogisticRegression (same C, same coefficients) by Newton's method or L-BFGS, or by minibatch Adam. Numeric features are mean-imputed and standardized, text features one-hot encoded (missing values get their own indicator; categories not seen in training score as all zeros), all fitted on the train input only. Columns with role sensitive (and id, weight, fold) are left out unless listed as features.",
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
    const width = preprocess.outputs.length;
    const solver = chooseSolver(params.solver, classes.length, width);
    ctx.progress(0.02, "Training");

    const tf = await ctx.runtime.tf();
    const loss: number[] = [];
    const valLoss: number[] = [];
    const weights = rowWeights(train, info, ctx.log);
    const record = (step: number, l: number, v: number | undefined, of: number) => {
      loss.push(l);
      ctx.metric("loss", l, step);
      if (v !== undefined) (valLoss.push(v), ctx.metric("val_loss", v, step));
      ctx.progress(step / of);
    };
    let layers: LayersModel;
    let how: string;
    if (solver === "adam") {
      const data = { x: applyPreprocess(preprocess, train), width, y, classes: classes.length, weights };
      layers = await fitLinear(tf, data, params, { signal: ctx.signal, onEpoch: (epoch, l, v) => record(epoch, l, v, params.epochs) });
      how = `adam, ${params.epochs} epochs, backend ${tf.getBackend()}`;
    } else {
      const data = { x: applyPreprocessSparse(preprocess, train), y, classes: classes.length, weights };
      const fit = await fitLinearExact(tf, data, { ...params, solver }, { signal: ctx.signal, onIteration: (it, l, v) => record(it, l, v, params.maxIter) });
      layers = fit.model;
      how = `${solver}, C=${params.C}, ${fit.iterations} iterations`;
      if (!fit.converged)
        ctx.log(`The ${solver} solver did not converge in ${params.maxIter} iterations; raise "Max iterations" or lower C (a stronger penalty).`, "warn");
      ctx.progress(1);
    }
    let files: Record<string, Uint8Array>;
    try {
      files = await saveLayersModel(layers, tf);
    } finally {
      layers.dispose();
    }
    ctx.log(
      `Trained on ${train.numRows} rows, ${features.length} features (${preprocess.outputs.length} after encoding), ${classes.length} classes (${how}), ${Math.round(performance.now() - started)} ms`,
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
      xLabel: solver === "adam" ? "epoch" : "iteration",
      yLabel: "cross-entropy",
      series: [{ name: "loss", x: epochs, y: loss }, ...(valLoss.length ? [{ name: "val_loss", x: epochs, y: valLoss }] : [])],
    };
    return { model, curve };
  },
});

type Params = z.output<typeof params>;

/** Encoded columns up to which `auto` uses Newton for two classes (its Hessian is width² numbers). */
const NEWTON_MAX_WIDTH = 1000;

function chooseSolver(solver: Params["solver"], classes: number, width: number): "newton" | "lbfgs" | "adam" {
  if (solver === "auto") return classes === 2 && width <= NEWTON_MAX_WIDTH ? "newton" : "lbfgs";
  if (solver === "newton" && classes !== 2)
    fail("newton_binary_only", `The newton solver fits two classes; the label has ${classes}. Choose auto or lbfgs (or adam).`, "solver");
  return solver;
}

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

