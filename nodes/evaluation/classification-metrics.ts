/**
 * Scores a table with a trained classifier and measures it against the table's label: accuracy, precision,
 * recall, F1, ROC-AUC and log loss (scikit-learn's definitions, see metrics.ts), plus the scored rows, a ROC
 * curve and a confusion matrix. Rows without a label value are scored but left out of the metrics.
 */
import { z } from "zod";
import { stringColumn, tableFromColumns, withRoles } from "../core/arrow";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { p } from "../core/params";
import { port } from "../core/ports";
import type { MetricsValue } from "../core/values";
import { compare } from "../training/columns";
import { checkClassifier, scoreClassifier } from "../training/predict";
import { confusionChart, rocChart } from "./charts";
import { balancedAccuracy, f1Macro, f1Weighted } from "./classification-extras";
import { accuracy, averagedScores, classScores, confusionMatrix, logLoss, rocAuc, rocAucOvr, rocCurve } from "./metrics";

const params = z.object({
  label: p.column({ port: "data", title: "Label", description: "Column with the true classes. Empty: the model's label column." }),
  positiveClass: z.string().default("").meta({
    title: "Positive class",
    description: "Two-class models: the class precision, recall and ROC are about. Empty: the model's positive class.",
  }),
  threshold: z.number().min(0).max(1).default(0.5).meta({
    title: "Threshold",
    description: "Two-class models: a row is predicted positive when its score is at least this.",
  }),
});

export default defineNode({
  kind: "evaluation/classification-metrics",
  version: 1,
  title: "Classification metrics",
  category: "Evaluation",
  description:
    "Scores the data with the model and compares with the true label: accuracy, precision, recall, F1, ROC-AUC and log loss (macro averages and one-vs-rest ROC-AUC for more than two classes), a ROC curve and a confusion matrix. Outputs the rows with their score and predicted class.",
  inputs: { model: port.model({ label: "Model" }), data: port.table({ label: "Data" }) },
  outputs: {
    metrics: port.metrics({ label: "Metrics" }),
    predictions: port.table({ label: "Predictions" }),
    roc: port.chart({ label: "ROC curve" }),
    confusion: port.chart({ label: "Confusion matrix" }),
  },
  params,
  resources: { heavy: true },
  keyMetric: "roc_auc",
  infer: ({ inputs, params }) => {
    const t = inputs.data?.table;
    const columns = t ? t.columns.filter((c) => c.name !== "score" && c.name !== "prediction") : undefined;
    return {
      metrics: {},
      roc: {},
      confusion: {},
      predictions: columns
        ? { table: { columns: [...columns.map((c) => (c.name === (params.label || inputs.model?.model?.label) ? { ...c, role: "label" as const } : c)), { name: "score", dtype: "float", role: "score" }, { name: "prediction", dtype: "string", role: "prediction" }] } }
        : undefined,
    };
  },
  async run({ inputs, params, ctx }) {
    const { model, data } = inputs;
    if (data.numRows === 0) fail("no_rows", "The data table has no rows to evaluate.", "data");
    const { classes } = checkClassifier(model);
    const label = params.label || model.info.label;
    if (!label) fail("no_label", "Pick the label column: the model does not say which column it predicts.", "label");
    if (!data.getChild(label)) fail("unknown_column", `The label column "${label}" is not in the data table.`, "label");
    const binary = classes.length === 2;
    const positive = params.positiveClass || (binary ? classes[1]! : "");
    if (positive && !classes.includes(positive))
      fail("unknown_class", `The positive class "${positive}" is not one of the model's classes (${classes.join(", ")}).`, "positiveClass");

    // Check the labels before the (costly) scoring so data problems surface at once.
    const truth = stringColumn(data, label);
    const code = new Map(classes.map((c, i) => [c, i]));
    const seen = new Set<string>();
    for (const v of truth) if (v !== null) seen.add(v);
    const unknown = [...seen].filter((v) => !code.has(v)).sort(compare);
    if (unknown.length)
      fail("unknown_label_values", `"${label}" has values the model does not know: ${quote(unknown)} (model classes: ${quote(classes)}).`, "label");
    if (seen.size === 0) fail("no_rows", `No rows have a value for "${label}", so there is nothing to compare with.`, "label");
    if (seen.size === 1)
      fail("single_class", `"${label}" has only one class ("${[...seen][0]}") in this data; these metrics need rows of at least two classes.`, "label");

    const proba = (await scoreClassifier(model, data, () => ctx.runtime.tf())).proba;
    ctx.signal.throwIfAborted();
    ctx.progress(0.7);

    const k = classes.length;
    const n = data.numRows;
    const pos = binary ? code.get(positive)! : -1;
    const neg = binary ? 1 - pos : -1;
    const score = new Float64Array(n);
    const predCode = new Int32Array(n);
    for (let i = 0; i < n; i++) {
      if (binary) {
        score[i] = proba[i * 2 + pos]!;
        predCode[i] = score[i]! >= params.threshold ? pos : neg;
      } else {
        let best = 0;
        for (let c = 1; c < k; c++) if (proba[i * k + c]! > proba[i * k + best]!) best = c;
        predCode[i] = best;
        score[i] = proba[i * k + best]!; // multiclass: the predicted class's probability
      }
    }

    // Metrics over labelled rows only.
    const rows: number[] = [];
    truth.forEach((v, i) => v !== null && rows.push(i));
    if (rows.length < n) ctx.log(`${n - rows.length} rows have no "${label}" value; they are scored but not measured`, "warn");
    const yTrue = Int32Array.from(rows, (i) => code.get(truth[i]!)!);
    const yPred = Int32Array.from(rows, (i) => predCode[i]!);
    const probaL = new Float64Array(rows.length * k);
    rows.forEach((r, j) => probaL.set(proba.subarray(r * k, r * k + k), j * k));
    const matrix = confusionMatrix(yTrue, yPred, k);
    const logloss = logLoss(yTrue, probaL, k);

    let metrics: MetricsValue;
    let rocSeries: Parameters<typeof rocChart>[0];
    if (binary) {
      const isPos = Uint8Array.from(yTrue, (c) => (c === pos ? 1 : 0));
      const s = Float64Array.from(rows, (i) => score[i]!);
      const cs = classScores(yTrue, yPred, pos);
      metrics = {
        values: {
          accuracy: accuracy(yTrue, yPred),
          balanced_accuracy: balancedAccuracy(yTrue, yPred, k),
          precision: cs.precision,
          recall: cs.recall,
          f1: cs.f1,
          f1_macro: f1Macro(yTrue, yPred, k),
          f1_weighted: f1Weighted(yTrue, yPred, k),
          roc_auc: rocAuc(isPos, s),
          log_loss: logloss,
        },
        details: { confusionMatrix: matrix, classes, positiveClass: positive, threshold: params.threshold, rows: rows.length },
      };
      rocSeries = [{ name: positive, curve: rocCurve(isPos, s) }];
    } else {
      const macro = averagedScores(yTrue, yPred, k, "macro");
      const weighted = averagedScores(yTrue, yPred, k, "weighted");
      metrics = {
        values: {
          accuracy: accuracy(yTrue, yPred),
          balanced_accuracy: balancedAccuracy(yTrue, yPred, k),
          precision: macro.precision,
          recall: macro.recall,
          f1: macro.f1,
          roc_auc: rocAucOvr(yTrue, probaL, k),
          log_loss: logloss,
          precision_weighted: weighted.precision,
          recall_weighted: weighted.recall,
          f1_weighted: weighted.f1,
        },
        details: {
          confusionMatrix: matrix,
          classes,
          average: "macro",
          rows: rows.length,
          perClass: classes.map((c, i) => ({ class: c, ...classScores(yTrue, yPred, i) })),
        },
      };
      rocSeries = classes.flatMap((c, i) => {
        const isPos = Uint8Array.from(yTrue, (t) => (t === i ? 1 : 0));
        if (!isPos.includes(1) || !isPos.includes(0)) return [];
        return [{ name: c, curve: rocCurve(isPos, Float64Array.from(rows, (r) => proba[r * k + i]!)) }];
      });
    }

    for (const name of ["score", "prediction"])
      if (data.getChild(name)) ctx.log(`The input column "${name}" is replaced by this node's ${name}`, "warn");
    // The label keeps (or gets) its role so downstream nodes (fairness, curves) find it without a picker.
    const predictions = withRoles(
      data.assign(tableFromColumns({ score, prediction: Array.from(predCode, (c) => classes[c]!) }, { score: "score", prediction: "prediction" })),
      { [label]: "label" },
    );
    ctx.progress(1);
    return {
      metrics,
      predictions,
      roc: rocChart(rocSeries, binary ? "ROC curve" : "ROC curves (one vs rest)"),
      confusion: confusionChart(matrix, classes),
    };
  },
});

function quote(values: string[], max = 8): string {
  const shown = values.slice(0, max).map((v) => `"${v}"`).join(", ");
  return values.length > max ? `${shown}, … (${values.length} in all)` : shown;
}
