/**
 * Regression metrics from a table with true and predicted numbers: RMSE, MAE, R², MAPE (scikit-learn's
 * definitions, see regression.ts) and a residual plot.
 */
import { z } from "zod";
import { numericColumn, tableInfo } from "../core/arrow";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { p } from "../core/params";
import { port } from "../core/ports";
import type { ChartValue } from "../core/values";
import { columnFor } from "../fairness/outcomes";
import { MAX_CHART_POINTS } from "./charts";
import { regressionScores } from "./regression";

const params = z.object({
  truth: p.column({ port: "data", dtype: "numeric", title: "True values", description: "Column with the actual numbers. Empty: the column with the label role." }),
  predicted: p.column({ port: "data", dtype: "numeric", title: "Predicted values", description: "Column with the model's predictions. Empty: the column with the prediction (or score) role." }),
});

export default defineNode({
  kind: "evaluation/regression-metrics",
  version: 1,
  title: "Regression metrics",
  category: "Evaluation",
  description:
    "Measures how close predicted numbers are to the actual ones: RMSE and MAE (typical size of an error, in the target's units), R² (share of the variation explained: 1 is perfect, 0 is no better than always guessing the average) and MAPE (average error as a fraction of the actual value). The residual plot shows the error of each row against its prediction; a good model leaves a shapeless cloud around zero.",
  inputs: { data: port.table({ label: "Data", description: "Rows with a true and a predicted number." }) },
  outputs: {
    metrics: port.metrics({ label: "Metrics" }),
    residuals: port.chart({ label: "Residual plot" }),
    fit: port.chart({ label: "Predicted vs actual" }),
  },
  params,
  keyMetric: "rmse",
  infer: () => ({ metrics: {}, residuals: {}, fit: {} }),
  async run({ inputs, params, ctx }) {
    const table = inputs.data;
    if (table.numRows === 0) fail("no_rows", "The data table has no rows to evaluate.", "data");
    const info = tableInfo(table);
    const truth = columnFor(info, params.truth, "label", "truth", "true-value column");
    if (!truth) fail("no_truth", 'Pick the column with the true values in "True values": no column has the label role.', "truth");
    const predicted = columnFor(info, params.predicted, "prediction", "predicted", "prediction column") ?? columnFor(info, "", "score", "predicted", "prediction column");
    if (!predicted) fail("no_prediction", 'Pick the column with the predicted values in "Predicted values": no column has the prediction role.', "predicted");
    if (truth === predicted) fail("same_column", `"${truth}" is picked as both the true and the predicted values; pick two different columns.`, "predicted");
    const y = numericColumn(table, truth);
    const yHat = numericColumn(table, predicted);
    const rows: number[] = [];
    for (let i = 0; i < y.length; i++) if (Number.isFinite(y[i]!) && Number.isFinite(yHat[i]!)) rows.push(i);
    if (!rows.length) fail("no_rows", `No row has both a "${truth}" and a "${predicted}" value.`, "truth");
    if (rows.length < table.numRows) ctx.log(`${table.numRows - rows.length} rows with a missing true or predicted value are left out`, "warn");
    const t = Float64Array.from(rows, (i) => y[i]!);
    const ph = Float64Array.from(rows, (i) => yHat[i]!);
    ctx.progress(0.5);
    const s = regressionScores(t, ph);
    if (t.some((v) => v === 0)) ctx.log(`Some true values are 0, so MAPE divides by (almost) zero and is not meaningful`, "warn");

    const step = Math.ceil(rows.length / MAX_CHART_POINTS);
    const shown = rows.map((_, j) => j).filter((j) => j % step === 0);
    const residuals: ChartValue = {
      kind: "scatter",
      title: "Residuals (actual − predicted)",
      xLabel: `predicted ${truth}`,
      yLabel: "residual",
      series: [
        { name: "rows", x: shown.map((j) => ph[j]!), y: shown.map((j) => t[j]! - ph[j]!) },
        { name: "zero", x: [Math.min(...ph), Math.max(...ph)], y: [0, 0] },
      ],
    };
    const lo = Math.min(Math.min(...t), Math.min(...ph));
    const hi = Math.max(Math.max(...t), Math.max(...ph));
    const fit: ChartValue = {
      kind: "scatter",
      title: "Predicted vs actual",
      xLabel: `actual ${truth}`,
      yLabel: `predicted ${truth}`,
      series: [
        { name: "rows", x: shown.map((j) => t[j]!), y: shown.map((j) => ph[j]!) },
        { name: "perfect", x: [lo, hi], y: [lo, hi] },
      ],
    };
    ctx.progress(1);
    return {
      metrics: { values: { rmse: s.rmse, mae: s.mae, r2: s.r2, mape: s.mape, mse: s.mse }, details: { rows: s.rows, truth, predicted, shownPoints: shown.length } },
      residuals,
      fit,
    };
  },
});
