/**
 * Child task of the tuning and cross-validation nodes: train a trainer with given settings on all folds but
 * one and score it on the held-out fold, for each fold asked for. Folds come from the shared k-fold code
 * (scikit-learn's KFold / StratifiedKFold allocation) or from a fold column of the input.
 */
import type { Table } from "apache-arrow";
import { z } from "zod";
import { dtypeOf, gatherRows, numericColumn, stringColumn, tableInfo } from "../core/arrow";
import type { RunContext } from "../core/context";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { port } from "../core/ports";
import type { MetricValue, ModelValue } from "../core/values";
import { assignFolds } from "../features/k-fold-split";
import { resolveLabel } from "../training/columns";
import { METRIC_NAMES, scoreHeldOut } from "./evaluate";
import { trainerDef, trainerParam, type TrainerId } from "./trainers";

/** `task: auto` of the MLP and gradient boosting: a numeric label with at most this many whole values is classified. */
const AUTO_MAX_INTEGER_CLASSES = 10;

export const foldParams = {
  k: z.number().int().min(2).max(100).default(5).meta({ title: "Folds", description: "How many parts the rows are divided into; each part is held out once." }),
  stratified: z.boolean().default(true).meta({ title: "Stratified", description: "Classification: every fold keeps the class proportions of the label (scikit-learn's StratifiedKFold). Ignored for numeric targets." }),
  shuffle: z.boolean().default(true).meta({ title: "Shuffle", description: "Mix rows before dividing. Off: fold 1 is the first rows, and so on (exactly scikit-learn's folds with shuffle=False)." }),
  seed: z.number().int().default(0).meta({ title: "Random seed", description: "Folds (and, for tuning, the search). Same seed, same results." }),
};

const params = z.object({
  trainer: trainerParam,
  settings: z.record(z.string(), z.unknown()).default({}),
  label: z.string().default(""),
  ...foldParams,
  foldColumn: z.string().default(""),
  /** Folds (0-based) to evaluate; empty: all. */
  folds: z.array(z.number().int().min(0)).default([]),
});

export type FitEvaluateParams = z.input<typeof params>;

export default defineNode({
  kind: "tuning/fit-evaluate",
  version: 1,
  title: "Fit and evaluate (child task)",
  category: "Tuning",
  description: "Internal step of Tuning and Cross-validation: trains the chosen model on all folds but one and scores it on the held-out fold, for each fold.",
  inputs: { train: port.table() },
  outputs: { metrics: port.metrics() },
  params,
  internal: true,
  resources: { heavy: true },
  async run({ inputs, params: prm, ctx }) {
    const table = inputs.train;
    const def = trainerDef(prm.trainer);
    const parsed = def.params.safeParse(prm.settings);
    if (!parsed.success) fail("bad_setting_value", `${def.title}: setting "${parsed.error.issues[0]!.path.join(".")}" ${parsed.error.issues[0]!.message}.`, "settings");
    const settings = parsed.data;
    const label = resolveLabel(tableInfo(table), prm.label);
    const { fold, k } = foldsOf(table, prm, label, ctx);
    const wanted = prm.folds.length ? prm.folds : Array.from({ length: k }, (_, f) => f);
    const perFold: Array<{ fold: number; trainRows: number; testRows: number; metrics: Record<string, MetricValue> }> = [];
    for (const f of wanted) {
      if (f >= k) fail("bad_fold", `Fold ${f + 1} was asked for, but there are ${k} folds.`, "folds");
      const trainIdx: number[] = [];
      const testIdx: number[] = [];
      for (let i = 0; i < fold.length; i++) (fold[i] === f ? testIdx : trainIdx).push(i);
      if (!testIdx.length) fail("empty_fold", `Fold ${f + 1} has no rows; use fewer folds.`, "k");
      ctx.signal.throwIfAborted();
      const out = (await def.run({ inputs: { train: gatherRows(table, trainIdx) }, params: settings, ctx: quiet(ctx, `Fold ${f + 1}`) })) as { model: ModelValue };
      const scores = await scoreHeldOut(out.model, gatherRows(table, testIdx), label, () => ctx.runtime.tf());
      perFold.push({ fold: f + 1, trainRows: trainIdx.length, testRows: scores.rows, metrics: scores.metrics as Record<string, MetricValue> });
      ctx.progress(perFold.length / wanted.length);
    }
    const values: Record<string, MetricValue> = {};
    for (const m of METRIC_NAMES) {
      const vals = perFold.map((p) => p.metrics[m]).filter((v): v is number => typeof v === "number" && Number.isFinite(v));
      for (const p of perFold) if (p.metrics[m] !== undefined) values[`fold${p.fold}_${m}`] = p.metrics[m] ?? null;
      if (!vals.length) continue;
      const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
      values[m] = mean;
      values[`${m}_std`] = Math.sqrt(vals.reduce((a, v) => a + (v - mean) ** 2, 0) / vals.length);
    }
    return { metrics: { values, details: { perFold, trainer: prm.trainer } } };
  },
});

/** The trainer's context: its warnings reach the log (with the fold), its curve and progress stay private. */
function quiet(ctx: RunContext, what: string): RunContext {
  return {
    ...ctx,
    progress: () => {},
    metric: () => {},
    log: (m, level = "info") => {
      if (level !== "info") ctx.log(`${what}: ${m}`, level);
    },
    subtasks: undefined,
  };
}

/** Fold (0…k-1) of every row: from a fold column, or split here (stratified by the label for classification). */
export function foldsOf(
  table: Table,
  prm: { trainer: TrainerId; settings: Record<string, unknown>; k: number; stratified: boolean; shuffle: boolean; seed: number; foldColumn: string },
  label: string,
  ctx: Pick<RunContext, "signal" | "log">,
): { fold: Int32Array; k: number } {
  if (prm.foldColumn) {
    if (!table.getChild(prm.foldColumn)) fail("unknown_column", `The fold column "${prm.foldColumn}" is not in the input table.`, "foldColumn");
    const values = stringColumn(table, prm.foldColumn);
    const distinct = [...new Set(values.filter((v): v is string => v !== null))].sort((a, b) => Number(a) - Number(b) || (a < b ? -1 : a > b ? 1 : 0));
    if (distinct.length < 2) fail("single_fold", `The fold column "${prm.foldColumn}" has ${distinct.length} fold(s); cross-validation needs at least two.`, "foldColumn");
    if (values.includes(null)) fail("missing_fold", `Some rows have no value in the fold column "${prm.foldColumn}".`, "foldColumn");
    const index = new Map(distinct.map((v, i) => [v, i]));
    return { fold: Int32Array.from(values, (v) => index.get(v!)!), k: distinct.length };
  }
  if (table.numRows < prm.k) fail("too_few_rows", `${table.numRows} rows cannot be divided into ${prm.k} folds; lower "Folds" to ${table.numRows} or less.`, "k");
  const stratify = prm.stratified && classifies(prm.trainer, prm.settings, table, label) ? label : "";
  return { fold: assignFolds(table, { k: prm.k, stratify, seed: prm.seed, shuffle: prm.shuffle }, ctx, "stratified"), k: prm.k };
}

/** Whether the trainer will classify this label (the trainers' own `task: auto` rule). */
export function classifies(trainer: TrainerId, settings: Record<string, unknown>, table: Table, label: string): boolean {
  if (trainer === "logistic-regression") return true;
  if (settings.task === "classification") return true;
  if (settings.task === "regression") return false;
  const v = table.getChild(label);
  if (!v) return true;
  const dtype = dtypeOf(v.type);
  if (dtype !== "float" && dtype !== "int") return true;
  const values = new Set<number>();
  for (const x of numericColumn(table, label)) {
    if (Number.isNaN(x)) continue;
    if (!Number.isInteger(x)) return false;
    values.add(x);
    if (values.size > AUTO_MAX_INTEGER_CLASSES) return false;
  }
  return true;
}
