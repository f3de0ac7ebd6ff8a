/**
 * Cross-validation: trains the chosen model k times, each time on all folds but one, scores it on the held-out
 * fold, and reports every metric as mean ± standard deviation over folds (population std, as `np.std` of
 * scikit-learn's `cross_validate` scores). Each fold is its own child task, so folds train in parallel.
 * Folds are scikit-learn's KFold / StratifiedKFold (identical to them unshuffled), or a fold column's.
 */
import { Float64, Int32, Table, vectorFromArray, type Vector } from "apache-arrow";
import { z } from "zod";
import { tableInfo } from "../core/arrow";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { p } from "../core/params";
import { port } from "../core/ports";
import type { ChartValue, MetricsValue, MetricValue } from "../core/values";
import { METRIC_NAMES } from "../tuning/evaluate";
import { foldParams, foldsOf, type FitEvaluateParams } from "../tuning/fit-evaluate";
import { fullParams, trainerDef, trainerParam } from "../tuning/trainers";
import { resolveLabel } from "../training/columns";
import { formatMeanStd, summarizeFolds } from "./cv-summary";

const params = z.object({
  trainer: trainerParam,
  label: p.column({ port: "train", title: "Label", description: "Column to predict. Empty: the column with the label role." }),
  features: p.columns({ port: "train", title: "Features", description: "Columns to learn from. Empty: the trainer's default (all other usable columns)." }),
  settings: z
    .record(z.string(), z.union([z.number(), z.string(), z.boolean()]))
    .default({})
    .meta({ title: "Trainer settings", itemLabel: "setting", description: "Settings of the trainer, by name as in its form (e.g. epochs = 10, learningRate = 0.05). Anything not listed keeps the trainer's default." }),
  ...foldParams,
  foldColumn: p.column({ port: "train", title: "Fold column", description: "Optional. Use the folds numbered in this column (e.g. by K-fold split) instead of dividing the rows here." }),
});

export default defineNode({
  kind: "evaluation/cross-validation",
  version: 1,
  title: "Cross-validation",
  category: "Evaluation",
  description:
    "Measures how well a model generalizes: divides the rows into k folds, trains the model k times (each time on all folds but one, in parallel) and scores it on the fold it did not see. Reports each metric as mean ± standard deviation, with a per-fold table and chart.",
  inputs: { train: port.table({ label: "Rows" }) },
  outputs: {
    metrics: port.metrics({ label: "Mean ± std" }),
    folds: port.table({ label: "Per-fold metrics" }),
    chart: port.chart({ label: "Per-fold chart" }),
  },
  params,
  resources: { heavy: true },
  keyMetric: "roc_auc_mean",
  learns: ["train"],
  infer: ({ params: prm }) => {
    fullParams(prm.trainer, prm, prm.settings, "Trainer settings", "settings");
    return { metrics: {}, chart: {}, folds: undefined };
  },
  async run({ inputs, params: prm, ctx }) {
    const subtasks = ctx.subtasks ?? fail("no_child_tasks", "Cross-validation trains its folds as child tasks, which this context does not offer. Run it in a workflow.");
    const settings = fullParams(prm.trainer, prm, prm.settings, "Trainer settings", "settings");
    const table = inputs.train;
    if (table.numRows === 0) fail("no_rows", "The input table has no rows.", "train");
    const label = resolveLabel(tableInfo(table), prm.label);
    const { k } = foldsOf(table, { ...prm, settings }, label, ctx);
    const train = await subtasks.put("table", table);
    const spec = (f: number) => ({
      kind: "tuning/fit-evaluate",
      params: { trainer: prm.trainer, settings, label, k: prm.k, stratified: prm.stratified, shuffle: prm.shuffle, seed: prm.seed, foldColumn: prm.foldColumn, folds: [f] } satisfies FitEvaluateParams,
      inputs: { train },
    });
    const perFold: Array<{ fold: number; trainRows: number; testRows: number; metrics: Record<string, MetricValue> }> = new Array(k);
    let done = 0;
    for await (const o of subtasks.runBatch(Array.from({ length: k }, (_, f) => spec(f)))) {
      if (!o.ok) {
        // Children are numbered from 0 in fold order (this is the node's only batch).
        if (o.error.code === "cancelled") throw new DOMException("Cancelled", "AbortError");
        if (o.error.user) fail(o.error.code, `Fold ${o.index + 1}: ${o.error.message}`, o.error.field);
        throw new Error(`Fold ${o.index + 1}: ${o.error.message}`);
      }
      const value = (await subtasks.load(o.outputs.metrics!)) as MetricsValue;
      const row = (value.details?.perFold as typeof perFold)[0]!;
      perFold[row.fold - 1] = row;
      ctx.progress(++done / k, `${done} of ${k} folds`);
    }
    const names = METRIC_NAMES.filter((m) => perFold.some((f) => f.metrics[m] !== undefined));
    const summary = summarizeFolds(perFold.map((f) => f.metrics));
    const values: Record<string, MetricValue> = { folds: k };
    for (const n of names) {
      if (!summary[n]) continue;
      values[`${n}_mean`] = summary[n].mean;
      values[`${n}_std`] = summary[n].std;
    }
    for (const n of names) if (summary[n]) ctx.log(`${n}: ${formatMeanStd(summary[n], 4)}`);
    const cols: Record<string, Vector> = {
      fold: vectorFromArray(perFold.map((f) => f.fold), new Int32()),
      train_rows: vectorFromArray(perFold.map((f) => f.trainRows), new Int32()),
      test_rows: vectorFromArray(perFold.map((f) => f.testRows), new Int32()),
    };
    for (const n of names) cols[n] = vectorFromArray(perFold.map((f) => f.metrics[n] ?? null), new Float64());
    const shown = names.filter((n) => summary[n]);
    const chart: ChartValue = {
      kind: "bar",
      title: `Per-fold metrics (${shown.map((n) => `${n} ${formatMeanStd(summary[n]!)}`).join(", ")})`,
      xLabel: "metric",
      yLabel: "value",
      categories: shown,
      series: perFold.map((f) => ({ name: `fold ${f.fold}`, x: shown.map((_, j) => j), y: shown.map((n) => f.metrics[n] ?? 0) })),
    };
    ctx.progress(1);
    return {
      metrics: { values, details: { trainer: prm.trainer, settings, summary, perFold, stratified: prm.stratified && !prm.foldColumn } },
      folds: new Table(cols),
      chart,
    };
  },
});
