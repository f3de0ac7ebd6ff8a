/**
 * Histogram gradient-boosted trees (scikit-learn's HistGradientBoosting / LightGBM family) for binary and
 * multiclass classification and regression. The implementation is in gbdt/; this file maps the node's
 * params and ports onto it. The model is plain JSON (binning + trees), scored by
 * {@link predictGradientBoosting}.
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
import { compare, labelledRows, orderClasses, resolveFeatures, resolveLabel } from "./columns";
import { boost } from "./gbdt/boosting";
import { readFeature } from "./gbdt/columns";
import { isGbdtState, makeState, predictState } from "./gbdt/model";

/** More classes than this is almost surely a numeric target that should be regressed. */
const MAX_CLASSES = 100;
/** `task: auto` classifies a numeric label only when it has at most this many distinct integer values. */
const AUTO_MAX_INTEGER_CLASSES = 10;

const params = z.object({
  label: p.column({ port: "train", title: "Label", description: "Column to predict. Empty: the column with the label role." }),
  features: p.columns({
    port: "train",
    title: "Features",
    description:
      "Columns to learn from. Empty: all other numeric and text columns, except those with role sensitive, id, weight, fold, score or prediction. Text columns are categorical (one bin per category, up to Max bins most frequent; rarer and unseen ones count as missing).",
  }),
  task: z.enum(["auto", "classification", "regression"]).default("auto").meta({
    title: "Task",
    description: `auto: text and true/false labels are classified; a numeric label is classified when it holds at most ${AUTO_MAX_INTEGER_CLASSES} distinct whole numbers, otherwise regressed.`,
  }),
  positiveClass: z.string().default("").meta({
    title: "Positive class",
    description: "Two-class labels: the class whose probability is the score. Empty: the last class in sort order (e.g. >50K, 1, true).",
  }),
  learningRate: z.number().positive().max(10).default(0.1).meta({ title: "Learning rate", description: "Shrinkage applied to each tree's output." }),
  maxIter: z.number().int().min(1).max(10000).default(100).meta({ title: "Rounds", description: "Boosting rounds (trees per class for more than two classes)." }),
  maxLeafNodes: z.number().int().min(2).max(4096).default(31).meta({ title: "Max leaves per tree" }),
  maxDepth: z.number().int().min(0).max(64).default(0).meta({ title: "Max depth", description: "0: no limit (leaf count limits the tree)." }),
  minSamplesLeaf: z.number().int().min(1).default(20).meta({ title: "Min rows per leaf" }),
  l2Regularization: z.number().min(0).default(0).meta({ title: "L2 regularization", description: "Added to each leaf's hessian sum; shrinks leaf values." }),
  maxBins: z.number().int().min(2).max(255).default(255).meta({ title: "Max bins", description: "Bins per numeric feature (quantiles); categories per text feature. Missing values get one more bin." }),
  earlyStopping: z.enum(["auto", "on", "off"]).default("auto").meta({
    title: "Early stopping",
    description: "Stop when the validation loss stops improving. auto: on for more than 10,000 training rows.",
  }),
  validationFraction: z.number().min(0).max(0.5).default(0.1).meta({
    title: "Validation fraction",
    description: "With early stopping: share of training rows held out (stratified for classes) to score each round. 0: stop on the training loss.",
  }),
  nIterNoChange: z.number().int().min(1).max(1000).default(10).meta({ title: "Patience", description: "Rounds without validation improvement before stopping." }),
  seed: z.number().int().default(0).meta({ title: "Seed", description: "Validation split and binning sample; same seed and data, same model." }),
});

type Params = z.output<typeof params>;

export default defineNode({
  kind: "training/gradient-boosting",
  version: 1,
  title: "Gradient boosting",
  category: "Training",
  description:
    "Histogram gradient-boosted trees, like scikit-learn's HistGradientBoosting or LightGBM: strong on tabular data with no preprocessing. Numbers are binned into quantiles, text columns are used as categories, missing values are learned per split. Binary and multiclass classification (log loss) or regression (squared error), with early stopping on a validation share.",
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
    const columns = features.map((f) => readFeature(train, f));
    ctx.progress(0.01, "Training");

    const fit = await boost(columns, target.y, target.objective, Math.max(1, target.classes.length), params, {
      signal: ctx.signal,
      onRound(round, loss, valLoss) {
        ctx.metric("loss", loss, round);
        if (valLoss !== undefined) ctx.metric("val_loss", valLoss, round);
        ctx.progress(round / params.maxIter);
      },
    });
    const state = makeState(fit, target.objective, target.classes);
    ctx.log(
      `Trained ${fit.rounds} rounds${fit.stoppedEarly ? " (stopped early)" : ""} on ${fit.trainRows} rows${fit.validationRows ? ` (+${fit.validationRows} validation)` : ""}, ${features.length} features, ${Math.round(performance.now() - started)} ms`,
    );

    const task: Task = target.objective;
    const model: ModelValue = {
      format: "json",
      info: { ...modelInfo(info, params), task, ...(task === "regression" ? {} : { classes: target.classes }) },
      state,
      files: {},
    };
    const rounds = fit.loss.map((_, i) => i + 1);
    const curve: ChartValue = {
      kind: "line",
      title: "Training loss",
      xLabel: "round",
      yLabel: task === "regression" ? "mean squared error" : "log loss",
      series: [{ name: "loss", x: rounds, y: fit.loss }, ...(fit.valLoss.length ? [{ name: "val_loss", x: rounds, y: fit.valLoss }] : [])],
    };
    return { model, curve };
  },
});

/**
 * Class probabilities (`rows × classes`, row-major; binary: `proba[i * 2 + 1]` is the positive class's) of
 * a gradient-boosting model for every row of `table`, which must hold the model's feature columns. For a
 * regression model `classes` is empty and `proba` holds one predicted value per row.
 */
export function predictGradientBoosting(model: ModelValue, table: Table): { classes: string[]; proba: Float64Array } {
  if (!isGradientBoostingModel(model)) fail("unsupported_model", `This model (${model.info.algorithm ?? model.format}) is not a gradient-boosting model.`, "model");
  return predictState(model.state as Parameters<typeof predictState>[0], table);
}

/** Whether `model` was trained by this node (and can be scored by {@link predictGradientBoosting}). */
export function isGradientBoostingModel(model: ModelValue): boolean {
  return model.format === "json" && isGbdtState(model.state);
}

export interface Target {
  objective: "binary" | "multiclass" | "regression";
  y: Float64Array;
  classes: string[];
  /** Rows with a label, when some rows have none. */
  keep?: Int32Array;
}

/** The label as class codes or regression targets, per the Task setting; shared with the tree trainers. */
export function readTarget(table: Table, label: string, params: Pick<Params, "task" | "positiveClass">): Target {
  const dtype = dtypeOf(table.getChild(label)!.type);
  const numeric = dtype === "float" || dtype === "int";
  let regression = params.task === "regression";
  if (regression && !numeric) fail("label_not_numeric", `Regression needs a numeric label, but "${label}" holds ${dtype} values.`, "task");
  if (params.task === "auto" && numeric) {
    const values = numericColumn(table, label);
    const distinct = new Set<number>();
    for (const v of values) {
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
    return { objective: "regression", y: keep ? Float64Array.from(keep, (i) => all[i]!) : all, classes: [], keep };
  }
  const all = stringColumn(table, label);
  const keep = keepRows(all.length, (i) => all[i] !== null);
  const labels = (keep ? Array.from(keep, (i) => all[i]!) : all) as string[];
  const classes = orderClasses(labels, label, params.positiveClass);
  if (classes.length > MAX_CLASSES)
    fail("too_many_classes", `The label "${label}" has ${classes.length} distinct values; set Task to regression for a numeric target (classification allows at most ${MAX_CLASSES} classes).`, "label");
  const code = new Map(classes.map((c, i) => [c, i]));
  return { objective: classes.length === 2 ? "binary" : "multiclass", y: Float64Array.from(labels, (v) => code.get(v)!), classes, keep };
}

function keepRows(n: number, has: (i: number) => boolean): Int32Array | undefined {
  let missing = 0;
  for (let i = 0; i < n; i++) if (!has(i)) missing++;
  if (!missing) return undefined;
  const keep = new Int32Array(n - missing);
  for (let i = 0, j = 0; i < n; i++) if (has(i)) keep[j++] = i;
  return keep;
}

/** What is known about a tree model from the input schema; shared with the tree trainers. */
export function modelInfo(t: TableInfo, params: Pick<Params, "label" | "features" | "task" | "positiveClass">, algorithm = "gradient-boosting"): ModelInfo {
  const label = resolveLabel(t, params.label);
  const names = new Set(resolveFeatures(t, label, params.features));
  const features: ColumnInfo[] = t.columns.filter((c) => names.has(c.name)).map((c) => ({ name: c.name, dtype: c.dtype }));
  const info: ModelInfo = { algorithm, label, features };
  const col = t.columns.find((c) => c.name === label);
  if (params.task === "regression") return { ...info, task: "regression" };
  const cats = col?.categories;
  if (cats && cats.length >= 2) {
    const sorted = [...cats].sort(compare);
    if (sorted.length === 2 && params.positiveClass === sorted[0]) sorted.reverse();
    return { ...info, task: sorted.length === 2 ? "binary" : "multiclass", classes: sorted };
  }
  return info;
}
