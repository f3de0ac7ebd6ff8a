/**
 * Cross-validation summary from out-of-fold predictions: the metrics of each fold, then mean ± std per metric.
 * With static ports a node cannot train a model kind chosen by a param, so the training loop lives upstream
 * (see the design note in this part's report); this node only needs a table whose rows carry their fold number.
 */
import { Float64, Int32, Table, vectorFromArray } from "apache-arrow";
import { z } from "zod";
import { numericColumn, stringColumn, tableInfo } from "../core/arrow";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { p } from "../core/params";
import { port } from "../core/ports";
import type { ChartValue, MetricValue } from "../core/values";
import { columnFor } from "../fairness/outcomes";
import { compare, resolveLabel } from "../training/columns";
import { balancedAccuracy, f1Macro } from "./classification-extras";
import { formatMeanStd, summarizeFolds } from "./cv-summary";
import { accuracy, rocAuc } from "./metrics";
import { regressionScores } from "./regression";

const params = z.object({
  fold: p.column({ port: "predictions", title: "Fold column", description: "Column numbering each row's fold. Empty: the column with the fold role (as K-fold split makes)." }),
  label: p.column({ port: "predictions", title: "Label", description: "Column with the true values. Empty: the column with the label role." }),
  prediction: p.column({ port: "predictions", title: "Prediction", description: "Column with the predicted class or number. Empty: the column with the prediction role." }),
  score: p.column({ port: "predictions", dtype: "numeric", title: "Score", description: "Two-class labels: probability of the positive class, for ROC-AUC. Empty: the column with the score role." }),
  task: z.enum(["auto", "classification", "regression"]).default("auto").meta({
    title: "Task",
    description: "auto: regression when label and prediction are both numbers with more than 20 distinct values, else classification.",
  }),
  positiveClass: z.string().default("").meta({ title: "Positive class", description: "Two-class labels: the class the score is about. Empty: the last class in sort order." }),
});

export default defineNode({
  kind: "evaluation/cv-summary",
  version: 1,
  title: "Cross-validation summary",
  category: "Evaluation",
  description:
    "Summarizes cross-validation: from predictions made for each fold by a model that did not see that fold, it measures every fold separately and reports each metric as mean ± standard deviation. A small standard deviation means the model's quality does not depend much on which rows it was trained on.",
  inputs: { predictions: port.table({ label: "Out-of-fold predictions", description: "Rows with a fold number, the true value and the prediction (and a score for two-class labels)." }) },
  outputs: {
    metrics: port.metrics({ label: "Mean ± std" }),
    folds: port.table({ label: "Per-fold metrics" }),
    chart: port.chart({ label: "Per-fold chart" }),
  },
  params,
  keyMetric: "roc_auc_mean",
  infer: () => ({ metrics: {}, chart: {}, folds: undefined }),
  async run({ inputs, params, ctx }) {
    const table = inputs.predictions;
    if (table.numRows === 0) fail("no_rows", "The predictions table has no rows.", "predictions");
    const info = tableInfo(table);
    const foldCol = columnFor(info, params.fold, "fold", "fold", "fold column");
    if (!foldCol) fail("no_fold", 'Pick the fold column: no column has the fold role. Number the rows with "K-fold split" first.', "fold");
    const label = resolveLabel(info, params.label, "label");
    const predCol = columnFor(info, params.prediction, "prediction", "prediction", "prediction column");
    if (!predCol) fail("no_prediction", "Pick the prediction column: no column has the prediction role.", "prediction");
    const foldValues = stringColumn(table, foldCol);
    const folds = [...new Set(foldValues.filter((v): v is string => v !== null))].sort((a, b) => Number(a) - Number(b) || compare(a, b));
    if (folds.length < 2) fail("single_fold", `The fold column "${foldCol}" has ${folds.length ? "only one fold" : "no values"}; cross-validation needs at least two folds.`, "fold");

    const numeric = (c: string) => ["float", "int"].includes(info.columns.find((x) => x.name === c)!.dtype);
    const regression = params.task === "regression" || (params.task === "auto" && numeric(label) && numeric(predCol) && distinct(numericColumn(table, label)) > 20);
    const perFold: Array<Record<string, MetricValue>> = [];
    if (regression) {
      const y = numericColumn(table, label);
      const yHat = numericColumn(table, predCol);
      for (const f of folds) {
        const rows = indices(foldValues, f).filter((i) => Number.isFinite(y[i]!) && Number.isFinite(yHat[i]!));
        if (!rows.length) fail("empty_fold", `Fold ${f} has no rows with both a true and a predicted value.`, "fold");
        const s = regressionScores(Float64Array.from(rows, (i) => y[i]!), Float64Array.from(rows, (i) => yHat[i]!));
        perFold.push({ rmse: s.rmse, mae: s.mae, r2: s.r2 });
      }
    } else {
      const truth = stringColumn(table, label);
      const pred = stringColumn(table, predCol);
      const classes = [...new Set(truth.filter((v): v is string => v !== null))].sort(compare);
      if (classes.length < 2) fail("single_class", `The label "${label}" has ${classes.length ? "only one class" : "no values"}; classification metrics need two classes or more.`, "label");
      const code = new Map(classes.map((c, i) => [c, i]));
      const unknown = [...new Set(pred.filter((v): v is string => v !== null && !code.has(v)))];
      if (unknown.length) fail("unknown_prediction_values", `The prediction column "${predCol}" has values that are not classes of "${label}": ${unknown.slice(0, 6).map((v) => `"${v}"`).join(", ")}.`, "prediction");
      const positive = params.positiveClass || classes[classes.length - 1]!;
      if (classes.length === 2 && !code.has(positive)) fail("unknown_class", `The positive class "${positive}" is not a value of "${label}".`, "positiveClass");
      const scoreCol = classes.length === 2 ? columnFor(info, params.score, "score", "score", "score column") : undefined;
      const score = scoreCol ? numericColumn(table, scoreCol) : undefined;
      for (const f of folds) {
        const rows = indices(foldValues, f).filter((i) => truth[i] !== null && pred[i] !== null && (!score || !Number.isNaN(score[i]!)));
        if (!rows.length) fail("empty_fold", `Fold ${f} has no rows with both a label and a prediction.`, "fold");
        const yt = Int32Array.from(rows, (i) => code.get(truth[i]!)!);
        const yp = Int32Array.from(rows, (i) => code.get(pred[i]!)!);
        const m: Record<string, MetricValue> = { accuracy: accuracy(yt, yp), balanced_accuracy: balancedAccuracy(yt, yp, classes.length), f1_macro: f1Macro(yt, yp, classes.length) };
        if (score) {
          const isPos = Uint8Array.from(rows, (i) => (truth[i] === positive ? 1 : 0));
          m.roc_auc = isPos.includes(0) && isPos.includes(1) ? rocAuc(isPos, Float64Array.from(rows, (i) => score[i]!)) : null;
          if (m.roc_auc === null) ctx.log(`Fold ${f} has only one class, so it has no ROC-AUC`, "warn");
        }
        perFold.push(m);
      }
    }
    ctx.progress(0.8);
    const summary = summarizeFolds(perFold);
    const names = Object.keys(summary);
    const values: Record<string, MetricValue> = { folds: folds.length };
    for (const n of names) {
      values[`${n}_mean`] = summary[n]!.mean;
      values[`${n}_std`] = summary[n]!.std;
    }
    const foldTable = new Table({
      fold: vectorFromArray(folds.map(Number).every(Number.isInteger) ? folds.map(Number) : folds.map((_, i) => i + 1), new Int32()),
      ...Object.fromEntries(names.map((n) => [n, vectorFromArray(perFold.map((m) => m[n] ?? null), new Float64())])),
    });
    const chart: ChartValue = {
      kind: "bar",
      title: `Per-fold metrics (${names.map((n) => `${n} ${formatMeanStd(summary[n]!)}`).join(", ")})`,
      xLabel: "metric",
      yLabel: "value",
      categories: names,
      series: folds.map((f, i) => ({ name: `fold ${f}`, x: names.map((_, j) => j), y: names.map((n) => perFold[i]![n] ?? 0) })),
    };
    ctx.progress(1);
    return { metrics: { values, details: { task: regression ? "regression" : "classification", summary, perFold, foldLabels: folds } }, folds: foldTable, chart };
  },
});

function indices(values: Array<string | null>, v: string): number[] {
  const out: number[] = [];
  values.forEach((x, i) => x === v && out.push(i));
  return out;
}

function distinct(values: Float64Array): number {
  return new Set(values).size;
}

