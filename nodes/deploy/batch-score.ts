/**
 * Batch scoring: replays the fitted transforms a model was trained behind on a new table, then scores every
 * row with the model. Classifiers add `score` and `prediction` (and `proba_<class>` per class for more than
 * two classes), regressors add `prediction`. The numbers are the metrics nodes' numbers for the same rows:
 * scoring goes through the same functions (predict.ts, mlp-model.ts, gradient-boosting.ts, apply-fitted.ts).
 */
import type { Table } from "apache-arrow";
import { z } from "zod";
import { tableFromColumns, type ColumnData } from "../core/arrow";
import type { RunContext } from "../core/context";
import { defineNode } from "../core/define-node";
import { fail, isUserError, NodeUserError } from "../core/errors";
import { port } from "../core/ports";
import type { ColumnInfo, ModelInfo } from "../core/schema";
import type { ModelValue, TransformValue } from "../core/values";
import { applyFitted } from "../features/apply-fitted";
import { isTreeRegressor, predictTreeModel } from "../training/tree-models";
import { isMlpRegressor, predictMlpRegression } from "../training/mlp-model";
import { scoreClassifier } from "../training/predict";

/**
 * Fitted-transform ports, applied in this order. Static ports (the node contract has no variadic inputs):
 * three covers the usual impute → scale → encode chain; longer chains can be pre-applied with Apply transform.
 */
export const FITTED_PORTS = ["fitted1", "fitted2", "fitted3"] as const;

/** Columns this node writes; an input column of the same name is replaced. */
const OWN = /^(score|prediction|proba_.*)$/;

const params = z.object({
  threshold: z.number().min(0).max(1).default(0.5).meta({
    title: "Threshold",
    description: "Two-class models: a row is predicted as the positive class when its score is at least this (as in Classification metrics).",
  }),
});

const fittedPort = (n: number) =>
  port.transform({ optional: true, label: `Fitted transform ${n}`, description: `Optional: applied to the table ${n === 1 ? "first" : `after transform ${n - 1}`}, before scoring.` });

export default defineNode({
  kind: "deploy/batch-score",
  version: 1,
  title: "Batch score",
  category: "Deployment",
  description:
    "Scores a table with a trained model: connect the model, the rows to score and, in training order, up to three fitted transforms (Impute, Scale, One-hot encode, …) the training rows went through. Classifiers add a score and a predicted class per row (and a probability per class when there are more than two); regressors add the predicted number. Nothing is learned from these rows.",
  inputs: {
    model: port.model({ label: "Model" }),
    table: port.table({ label: "Table", description: "Rows to score." }),
    fitted1: fittedPort(1),
    fitted2: fittedPort(2),
    fitted3: fittedPort(3),
  },
  outputs: { scored: port.table({ label: "Scored rows" }) },
  params,
  resources: { heavy: true },
  infer: ({ inputs }) => {
    const t = inputs.table?.table;
    const m = inputs.model?.model;
    // A fitted transform changes the columns in ways design-time schemas do not carry: unknown until a run.
    const transformed = FITTED_PORTS.some((p) => inputs[p] !== undefined);
    if (!t || !m || transformed) return { scored: undefined };
    return { scored: { table: { columns: [...t.columns.filter((c) => !OWN.test(c.name)), ...scoreColumns(m)] } } };
  },
  async run({ inputs, params, ctx }) {
    const { model } = inputs;
    if (inputs.table.numRows === 0) fail("no_rows", "The table has no rows to score.", "table");
    let table = inputs.table;
    for (const [i, name] of FITTED_PORTS.entries()) {
      const fitted = inputs[name];
      if (!fitted) continue;
      table = await applyOne(fitted, table, name, ctx);
      ctx.progress(0.1 * (i + 1));
    }
    checkFeatures(model, table);
    ctx.signal.throwIfAborted();
    const added = await score(model, table, params.threshold, ctx);
    ctx.signal.throwIfAborted();
    const kept = table.schema.fields.map((f) => f.name).filter((n) => !OWN.test(n));
    const replaced = table.schema.fields.map((f) => f.name).filter((n) => OWN.test(n));
    if (replaced.length) ctx.log(`Input columns ${replaced.map((n) => `"${n}"`).join(", ")} are replaced by this node's output`, "warn");
    const roles: Record<string, ColumnInfo["role"]> = { prediction: "prediction" };
    if ("score" in added) roles.score = "score";
    const scored = table.select(kept).assign(tableFromColumns(added, roles));
    ctx.progress(1);
    return { scored };
  },
});

/** The columns scoring adds, as design time knows them. */
function scoreColumns(m: ModelInfo): ColumnInfo[] {
  if (m.task === "regression") return [{ name: "prediction", dtype: "float", role: "prediction" }];
  if (!m.classes) return [];
  const proba: ColumnInfo[] = m.classes.length > 2 ? m.classes.map((c) => ({ name: `proba_${c}`, dtype: "float" })) : [];
  return [{ name: "score", dtype: "float", role: "score" }, { name: "prediction", dtype: "string", role: "prediction" }, ...proba];
}

async function applyOne(fitted: TransformValue, table: Table, portName: string, ctx: RunContext): Promise<Table> {
  try {
    return await applyFitted(fitted, table, ctx);
  } catch (e) {
    if (!isUserError(e)) throw e;
    throw new NodeUserError(
      "fitted_mismatch",
      `The fitted transform on "${portName}" (${fitted.transform}) does not fit this table: ${e.message} Connect the transforms in the order they were fitted, to rows with the training table's columns.`,
      { field: portName, cause: e },
    );
  }
}

/** Fails naming the first feature the model needs that the (transformed) table lacks. */
function checkFeatures(model: ModelValue, table: Table) {
  const have = new Set(table.schema.fields.map((f) => f.name));
  const missing = (model.info.features ?? []).map((f) => f.name).filter((n) => !have.has(n));
  if (missing.length)
    fail(
      "missing_feature",
      `The model needs column${missing.length > 1 ? "s" : ""} ${missing.map((n) => `"${n}"`).join(", ")}, which the table to score does not have (after any fitted transforms). Connect rows with the training table's columns.`,
      missing[0],
    );
}

async function score(model: ModelValue, table: Table, threshold: number, ctx: RunContext): Promise<Record<string, ColumnData>> {
  if (isTreeRegressor(model)) {
    return { prediction: predictTreeModel(model, table).proba };
  }
  if (isMlpRegressor(model)) return { prediction: await predictMlpRegression(model, table, await ctx.runtime.tf()) };
  const { classes, proba } = await scoreClassifier(model, table, () => ctx.runtime.tf());
  return classify(classes, proba, table.numRows, threshold);
}

/** Score and predicted class exactly as Classification metrics computes them (binary: the model's positive class). */
export function classify(classes: string[], proba: Float64Array, n: number, threshold: number): Record<string, ColumnData> {
  const k = classes.length;
  const score = new Float64Array(n);
  const prediction: string[] = new Array(n);
  if (k === 2) {
    for (let i = 0; i < n; i++) {
      score[i] = proba[i * 2 + 1]!;
      prediction[i] = score[i]! >= threshold ? classes[1]! : classes[0]!;
    }
    return { score, prediction };
  }
  const out: Record<string, ColumnData> = { score, prediction };
  const perClass = classes.map(() => new Float64Array(n));
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 0; c < k; c++) {
      perClass[c]![i] = proba[i * k + c]!;
      if (proba[i * k + c]! > proba[i * k + best]!) best = c;
    }
    score[i] = proba[i * k + best]!;
    prediction[i] = classes[best]!;
  }
  classes.forEach((c, j) => (out[`proba_${c}`] = perClass[j]!));
  return out;
}
