/**
 * Hyperparameter tuning: grid, random or Bayesian (TPE) search over a trainer's settings, each candidate
 * scored by k-fold cross-validation in its own child task (so trials run in parallel on worker threads or
 * queued workers), within a budget of trials and time; then the best settings are refitted on all rows.
 * Trials are proposed in batches of `parallel`: TPE proposes a batch from the trials of earlier batches only,
 * so results do not depend on which trial happens to finish first (same seed, same trials, in any mode).
 */
import { Float64, Int32, Table, Utf8, vectorFromArray, type Vector } from "apache-arrow";
import { z } from "zod";
import { stringColumn, tableInfo } from "../core/arrow";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { p } from "../core/params";
import { port } from "../core/ports";
import { mulberry32 } from "../core/random";
import type { ColumnInfo, TableInfo } from "../core/schema";
import type { ChartValue, ModelValue, ReportValue } from "../core/values";
import { resolveLabel } from "../training/columns";
import { METRIC_NAMES, METRICS, type MetricName } from "./evaluate";
import { classifies, foldParams, type FitEvaluateParams } from "./fit-evaluate";
import { gridPoints, numericChoices, pointLabels, pointSettings, randomPoint, resolveSpace, spaceEntry, type Dimension, type Point } from "./search-space";
import { suggestTpe, type Observation } from "./tpe";
import { fullParams, trainerDef, trainerParam, type TrainerId } from "./trainers";

const params = z.object({
  trainer: trainerParam,
  label: p.column({ port: "train", title: "Label", description: "Column to predict. Empty: the column with the label role." }),
  features: p.columns({ port: "train", title: "Features", description: "Columns to learn from. Empty: the trainer's default (all other usable columns)." }),
  space: z
    .array(spaceEntry)
    .default([
      // Inverse regularisation strength: what matters under logistic regression's default (exact) solver.
      { type: "range", param: "C", low: 0.001, high: 100, scale: "log", numberType: "auto" },
    ])
    .meta({
      title: "Search space",
      itemLabel: "setting",
      description: "The trainer settings to tune: a range (from–to, log or linear scale) or a list of values each. Setting names as in the trainer's form, e.g. C, maxIter (logistic regression; learningRate, l2 and epochs only with its adam solver); hiddenLayers, activation, dropout (MLP); maxIter, maxLeafNodes, minSamplesLeaf (gradient boosting); nEstimators, maxDepth, maxFeatures, minSamplesLeaf (random forest).",
    }),
  settings: z
    .record(z.string(), z.union([z.number(), z.string(), z.boolean()]))
    .default({})
    .meta({ title: "Fixed settings", itemLabel: "setting", description: "Trainer settings kept the same in every trial, e.g. epochs = 10. Anything not listed here or in the search space keeps the trainer's default." }),
  method: z.enum(["tpe", "random", "grid"]).default("tpe").meta({
    title: "Search method",
    description: "tpe: Bayesian (Tree-structured Parzen Estimator), learns from finished trials where to look next; random: independent random picks; grid: every combination (ranges contribute Grid points values).",
  }),
  metric: z.enum(["auto", ...METRIC_NAMES]).default("auto").meta({ title: "Optimise", description: "auto: ROC-AUC for two classes, accuracy for more, RMSE for numbers. Log loss, RMSE and MAE are minimised; the others maximised." }),
  maxTrials: z.number().int().min(1).max(1000).default(20).meta({ title: "Max trials" }),
  maxTimeS: z.number().min(0).default(0).meta({ title: "Max time (s)", description: "0: no limit. After this long no new batch of trials starts (running ones finish); the first batch always runs." }),
  parallel: z.number().int().min(1).max(64).default(4).meta({ title: "Trials at once", description: "Trials per batch, run in parallel as far as threads or workers allow. TPE proposes each batch from the trials before it." }),
  gridPoints: z.number().int().min(1).max(50).default(3).meta({ title: "Grid points per range", description: "Grid search: values tried in each range (evenly spaced; geometrically on a log scale)." }),
  startupTrials: z.number().int().min(1).max(200).default(8).meta({ title: "TPE random start", description: "TPE: trials picked at random before the model starts guiding the search." }),
  ...foldParams,
});

type Params = z.output<typeof params>;

export default defineNode({
  kind: "tuning/tune",
  version: 1,
  title: "Tuning",
  category: "Tuning",
  description:
    "Finds good settings for a model: tries candidate settings from a search space (grid, random or Bayesian search), scores each by k-fold cross-validation on the training rows, and refits the best on all of them. Each trial runs as its own task, in parallel where there are threads or workers. The score of every trial appears on the node as it finishes; outputs are the best settings, a leaderboard, a chart, and the refitted model.",
  inputs: { train: port.table({ label: "Train" }) },
  outputs: {
    model: port.model({ label: "Best model (refitted)" }),
    best: port.report({ label: "Best settings" }),
    leaderboard: port.table({ label: "Leaderboard" }),
    chart: port.chart({ label: "Score per trial" }),
  },
  params,
  resources: { heavy: true },
  keyMetric: "best_score",
  infer: ({ inputs, params: prm }) => {
    const dims = resolveSpace(prm.trainer, prm.space);
    const full = fullParams(prm.trainer, prm, prm.settings, "Fixed settings", "settings");
    const t = inputs.train?.table;
    const def = trainerDef(prm.trainer);
    const model = t ? def.infer?.({ inputs: { train: inputs.train }, params: full })?.model : undefined;
    return { model, best: {}, chart: {}, leaderboard: { table: leaderboardInfo(dims, metricLabel(prm.metric)) } };
  },
  async run({ inputs, params: prm, ctx }) {
    const subtasks = ctx.subtasks ?? fail("no_child_tasks", "Tuning runs its trials as child tasks, which this context does not offer. Run it in a workflow.");
    const dims = resolveSpace(prm.trainer, prm.space);
    const base = fullParams(prm.trainer, prm, prm.settings, "Fixed settings", "settings");
    const table = inputs.train;
    if (table.numRows === 0) fail("no_rows", "The training table has no rows.", "train");
    const label = resolveLabel(tableInfo(table), prm.label);
    const metric = chooseMetric(prm, base, table, label);
    const higher = METRICS[metric].higher;

    const candidates = prm.method === "grid" ? gridPoints(dims, prm.gridPoints) : undefined;
    if (candidates && candidates.length > prm.maxTrials)
      ctx.log(`The grid has ${candidates.length} combinations; only the first ${prm.maxTrials} (Max trials) are tried.`, "warn");
    const total = candidates ? Math.min(candidates.length, prm.maxTrials) : prm.maxTrials;
    const random = mulberry32(prm.seed);
    const train = await subtasks.put("table", table);
    const trials: Trial[] = [];
    let stoppedBy = candidates && candidates.length <= prm.maxTrials ? "grid done" : "max trials";
    let best: Trial | undefined;

    while (trials.length < total) {
      if (trials.length > 0 && prm.maxTimeS > 0 && !subtasks.withinTime(prm.maxTimeS * 1000)) {
        stoppedBy = "max time";
        ctx.log(`Max time (${prm.maxTimeS} s) reached after ${trials.length} trials; no more trials start.`);
        break;
      }
      const history: Observation[] = trials.map((t) => ({ point: t.point, loss: t.score === undefined ? NaN : higher ? -t.score : t.score }));
      const size = Math.min(prm.parallel, total - trials.length);
      const points: Point[] = Array.from({ length: size }, (_, i) =>
        candidates ? candidates[trials.length + i]! : prm.method === "random" ? randomPoint(dims, random) : suggestTpe(dims, history, random, { startup: prm.startupTrials }),
      );
      const specs = points.map((point) => ({
        kind: "tuning/fit-evaluate",
        params: { trainer: prm.trainer, settings: { ...base, ...pointSettings(dims, point) }, label, k: prm.k, stratified: prm.stratified, shuffle: prm.shuffle, seed: prm.seed, foldColumn: "" } satisfies FitEvaluateParams,
        inputs: { train },
      }));
      const batch: Trial[] = [];
      for await (const o of subtasks.runBatch(specs)) {
        const score = o.ok ? o.metrics[metric] : undefined;
        const error = !o.ok ? o.error.message : score === undefined ? `No ${METRICS[metric].title} for these settings (a fold with a single class?).` : undefined;
        batch.push({ index: o.index, point: [], ...(score !== undefined ? { score, std: o.ok ? o.metrics[`${metric}_std`] : undefined } : { error }) });
      }
      // Outcomes arrive as trials finish; keep them in the order they were proposed (children are numbered in order).
      batch.sort((a, b) => a.index - b.index);
      batch.forEach((t, i) => (t.point = points[i]!));
      for (const t of batch) {
        const trialNo = trials.length + 1;
        trials.push(t);
        if (t.score !== undefined && (!best || (higher ? t.score > best.score! : t.score < best.score!))) best = t;
        if (t.score !== undefined) {
          ctx.metric("score", t.score, trialNo);
          ctx.metric("best_score", best!.score!, trialNo);
          ctx.log(`Trial ${trialNo}: ${describe(dims, t.point)} → ${metric} ${t.score.toFixed(4)}${t.std !== undefined ? ` ± ${t.std.toFixed(4)}` : ""}`);
        } else ctx.log(`Trial ${trialNo} (${describe(dims, t.point)}) failed: ${t.error}`, "warn");
      }
      ctx.progress((0.9 * trials.length) / total, `${trials.length} of ${total} trials`);
    }
    if (!best) fail("all_trials_failed", `All ${trials.length} trials failed; the first said: ${trials[0]?.error ?? "no trials ran"}.`, "space");

    const bestTrialNo = trials.indexOf(best) + 1;
    const bestSettings = { ...base, ...pointSettings(dims, best.point) };
    ctx.progress(0.92, "Refitting the best settings on all rows");
    const def = trainerDef(prm.trainer);
    const refit = await subtasks.run({ kind: def.kind, params: bestSettings, inputs: { train } });
    const model = (await subtasks.load(refit.outputs.model!)) as ModelValue;
    ctx.log(`Best: trial ${bestTrialNo}, ${describe(dims, best.point)}, ${metric} ${best.score!.toFixed(4)}; refitted on ${table.numRows} rows.`);

    const report: ReportValue = {
      metric,
      higherIsBetter: higher,
      score: best.score,
      std: best.std ?? null,
      trial: bestTrialNo,
      params: pointSettings(dims, best.point),
      settings: bestSettings,
      trainer: prm.trainer,
      method: prm.method,
      trials: trials.length,
      failedTrials: trials.filter((t) => t.score === undefined).length,
      folds: prm.k,
      stoppedBy,
    };
    ctx.progress(1);
    return { model, best: report, leaderboard: leaderboard(dims, trials, metric, higher), chart: chart(trials, metric, higher) };
  },
});

interface Trial {
  index: number;
  point: Point;
  score?: number;
  std?: number;
  error?: string;
}

function metricLabel(m: Params["metric"]): string {
  return m === "auto" ? "score" : m;
}

/** The metric to optimise; `auto` and a metric that does not fit the task are decided here (user error). */
function chooseMetric(prm: Params, settings: Record<string, unknown>, table: Table, label: string): MetricName {
  const classification = classifies(prm.trainer as TrainerId, settings, table, label);
  const classes = classification ? new Set(stringColumn(table, label).filter((v) => v !== null)).size : 0;
  if (prm.metric === "auto") return !classification ? "rmse" : classes === 2 ? "roc_auc" : "accuracy";
  const regressionMetric = prm.metric === "rmse" || prm.metric === "mae" || prm.metric === "r2";
  if (classification && regressionMetric) fail("metric_task", `"${METRICS[prm.metric].title}" measures numeric predictions, but "${label}" is classified here. Pick a classification metric.`, "metric");
  if (!classification && !regressionMetric) fail("metric_task", `"${METRICS[prm.metric].title}" measures classification, but "${label}" is predicted as a number here. Pick RMSE, MAE or R².`, "metric");
  return prm.metric;
}

function describe(dims: Dimension[], point: Point): string {
  const labels = pointLabels(dims, point);
  return dims.map((d, i) => `${d.param}=${typeof labels[i] === "number" ? Number((labels[i] as number).toPrecision(4)) : labels[i]}`).join(", ");
}

function leaderboardInfo(dims: Dimension[], metric: string): TableInfo {
  const cols: ColumnInfo[] = [
    { name: "rank", dtype: "int" },
    { name: "trial", dtype: "int" },
    ...dims.map((d): ColumnInfo => ({ name: d.param, dtype: d.kind === "choice" && !numericChoices(d) ? "string" : "float" })),
    { name: metric, dtype: "float" },
    { name: `${metric}_std`, dtype: "float" },
    { name: "error", dtype: "string" },
  ];
  return { columns: cols };
}

/** Trials best first (failed ones last), with their settings and score. */
function leaderboard(dims: Dimension[], trials: Trial[], metric: MetricName, higher: boolean): Table {
  const order = trials.map((t, i) => ({ t, no: i + 1 })).sort((a, b) => {
    if (a.t.score === undefined || b.t.score === undefined) return (a.t.score === undefined ? 1 : 0) - (b.t.score === undefined ? 1 : 0) || a.no - b.no;
    return (higher ? b.t.score - a.t.score : a.t.score - b.t.score) || a.no - b.no;
  });
  const cols: Record<string, Vector> = {
    rank: vectorFromArray(order.map((o, i) => (o.t.score === undefined ? null : i + 1)), new Int32()),
    trial: vectorFromArray(order.map((o) => o.no), new Int32()),
  };
  dims.forEach((d, j) => {
    const vals = order.map((o) => pointLabels(dims, o.t.point)[j]!);
    cols[d.param] = d.kind === "choice" && !numericChoices(d) ? vectorFromArray(vals.map(String), new Utf8()) : vectorFromArray(vals as number[], new Float64());
  });
  cols[metric] = vectorFromArray(order.map((o) => o.t.score ?? null), new Float64());
  cols[`${metric}_std`] = vectorFromArray(order.map((o) => o.t.std ?? null), new Float64());
  cols.error = vectorFromArray(order.map((o) => o.t.error ?? null), new Utf8());
  return new Table(cols);
}

function chart(trials: Trial[], metric: MetricName, higher: boolean): ChartValue {
  const x: number[] = [];
  const y: number[] = [];
  const bestY: number[] = [];
  trials.forEach((t, i) => {
    if (t.score === undefined) return;
    x.push(i + 1);
    y.push(t.score);
    const prev = bestY.length ? bestY[bestY.length - 1]! : t.score;
    bestY.push(higher ? Math.max(prev, t.score) : Math.min(prev, t.score));
  });
  return {
    kind: "line",
    title: `${METRICS[metric].title} per trial (cross-validated)`,
    xLabel: "trial",
    yLabel: metric,
    series: [
      { name: metric, x, y },
      { name: "best so far", x, y: bestY },
    ],
  };
}
