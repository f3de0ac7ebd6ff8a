/**
 * Threshold-free views of a classifier's predictions table: precision-recall curve with average precision and a
 * calibration (reliability) curve, plus balanced accuracy and macro/weighted F1 from the predicted classes.
 */
import { z } from "zod";
import { numericColumn, stringColumn, tableInfo } from "../core/arrow";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { p } from "../core/params";
import { port } from "../core/ports";
import type { ChartValue, MetricValue } from "../core/values";
import { columnFor } from "../fairness/outcomes";
import { compare, resolveLabel } from "../training/columns";
import { thin } from "./charts";
import { balancedAccuracy, f1Macro, f1Weighted } from "./classification-extras";
import { averagePrecision, calibrationCurve, precisionRecallCurve } from "./curves";

const params = z.object({
  label: p.column({ port: "predictions", title: "Label", description: "Column with the true classes. Empty: the column with the label role." }),
  prediction: p.column({ port: "predictions", title: "Prediction", description: "Column with the predicted classes. Empty: the column with the prediction role." }),
  score: p.column({ port: "predictions", dtype: "numeric", title: "Score", description: "Two-class labels: the predicted probability of the positive class. Empty: the column with the score role." }),
  positiveClass: z.string().default("").meta({ title: "Positive class", description: "Two-class labels: the class the score is about. Empty: the last class in sort order (e.g. >50K, 1, true)." }),
  bins: z.number().int().min(2).max(50).default(10).meta({ title: "Calibration bins", description: "Number of bins of the calibration curve." }),
  binning: z.enum(["uniform", "quantile"]).default("uniform").meta({ title: "Binning", description: "uniform: bins of equal width on 0–1. quantile: bins with about the same number of rows." }),
});

export default defineNode({
  kind: "evaluation/pr-calibration",
  version: 1,
  title: "PR & calibration curves",
  category: "Evaluation",
  description:
    "Looks at predictions beyond one threshold. The precision-recall curve shows, for every cut-off, how many selected rows are right (precision) against how many of the positive rows are found (recall); average precision sums it up in one number and is more telling than ROC-AUC when positives are rare. The calibration curve compares predicted probabilities with how often the class really occurs: a well-calibrated model follows the diagonal. Also reports balanced accuracy and macro/weighted F1, which stay honest when classes are imbalanced.",
  inputs: { predictions: port.table({ label: "Predictions", description: "Rows with the true class, the predicted class and a score, e.g. the Predictions output of Classification metrics." }) },
  outputs: {
    metrics: port.metrics({ label: "Metrics" }),
    pr: port.chart({ label: "Precision-recall curve" }),
    calibration: port.chart({ label: "Calibration curve" }),
  },
  params,
  keyMetric: "average_precision",
  infer: () => ({ metrics: {}, pr: {}, calibration: {} }),
  async run({ inputs, params, ctx }) {
    const table = inputs.predictions;
    if (table.numRows === 0) fail("no_rows", "The predictions table has no rows.", "predictions");
    const info = tableInfo(table);
    const label = resolveLabel(info, params.label, "label");
    const truth = stringColumn(table, label);
    const classes = [...new Set(truth.filter((v): v is string => v !== null))].sort(compare);
    if (classes.length === 0) fail("no_rows", `No rows have a value for the label "${label}".`, "label");
    if (classes.length === 1) fail("single_class", `The label "${label}" has only one class ("${classes[0]}"); these metrics need rows of at least two classes.`, "label");
    const binary = classes.length === 2;
    const predCol = columnFor(info, params.prediction, "prediction", "prediction", "prediction column");
    const scoreCol = columnFor(info, params.score, "score", "score", "score column");
    if (!predCol && !(binary && scoreCol))
      fail("no_prediction", 'Pick the prediction column (predicted classes): no column has the prediction role.', "prediction");
    const positive = params.positiveClass || classes[classes.length - 1]!;
    if (binary && !classes.includes(positive))
      fail("unknown_class", `The positive class "${positive}" is not a value of "${label}" (values: ${classes.join(", ")}).`, "positiveClass");
    const code = new Map(classes.map((c, i) => [c, i]));
    const score = scoreCol ? numericColumn(table, scoreCol) : undefined;
    ctx.progress(0.2);

    const values: Record<string, MetricValue> = {};
    const details: Record<string, unknown> = { label, classes, rows: 0 };
    if (predCol) {
      const pred = stringColumn(table, predCol);
      const unknown = [...new Set(pred.filter((v): v is string => v !== null && !code.has(v)))];
      if (unknown.length)
        fail("unknown_prediction_values", `The prediction column "${predCol}" has values that are not classes of "${label}": ${unknown.slice(0, 6).map((v) => `"${v}"`).join(", ")}.`, "prediction");
      const rows: number[] = [];
      truth.forEach((t, i) => t !== null && pred[i] !== null && rows.push(i));
      const yt = Int32Array.from(rows, (i) => code.get(truth[i]!)!);
      const yp = Int32Array.from(rows, (i) => code.get(pred[i]!)!);
      values.balanced_accuracy = balancedAccuracy(yt, yp, classes.length);
      values.f1_macro = f1Macro(yt, yp, classes.length);
      values.f1_weighted = f1Weighted(yt, yp, classes.length);
      details.rows = rows.length;
    }
    let pr: ChartValue = { kind: "line", title: "Precision-recall curve (two-class labels only)", xLabel: "recall", yLabel: "precision", series: [] };
    let calibration: ChartValue = { kind: "line", title: "Calibration curve (two-class labels only)", xLabel: "mean predicted probability", yLabel: "fraction of positives", series: [] };
    if (binary && score) {
      const rows: number[] = [];
      truth.forEach((t, i) => t !== null && !Number.isNaN(score[i]!) && rows.push(i));
      if (!rows.length) fail("no_rows", `No row has both a "${label}" value and a score.`, "score");
      const isPos = Uint8Array.from(rows, (i) => (truth[i] === positive ? 1 : 0));
      const s = Float64Array.from(rows, (i) => score[i]!);
      if (s.some((v) => v < 0 || v > 1)) fail("score_out_of_range", `The score column "${scoreCol}" has values outside 0–1; the calibration curve needs probabilities.`, "score");
      if (!isPos.includes(1) || !isPos.includes(0))
        fail("single_class", `Only one class of "${label}" has rows with a score; the curves need both.`, "label");
      ctx.signal.throwIfAborted();
      const curve = precisionRecallCurve(isPos, s);
      values.average_precision = averagePrecision(isPos, s);
      const cal = calibrationCurve(isPos, s, params.bins, params.binning);
      details.positiveClass = positive;
      details.calibration = cal;
      details.prevalence = isPos.reduce((a, b) => a + b, 0) / isPos.length;
      pr = {
        kind: "line",
        title: `Precision-recall curve (AP ${values.average_precision.toFixed(3)})`,
        xLabel: "recall",
        yLabel: "precision",
        series: [
          thin({ name: positive, x: curve.recall, y: curve.precision }),
          { name: "chance", x: [0, 1], y: [details.prevalence as number, details.prevalence as number] },
        ],
      };
      calibration = {
        kind: "line",
        title: "Calibration curve",
        xLabel: "mean predicted probability",
        yLabel: "fraction of positives",
        series: [
          { name: positive, x: cal.probPred, y: cal.probTrue },
          { name: "perfectly calibrated", x: [0, 1], y: [0, 1] },
        ],
      };
    } else if (binary) ctx.log("No score column: the precision-recall and calibration curves need one", "warn");
    ctx.progress(1);
    return { metrics: { values, details }, pr, calibration };
  },
});
