/**
 * What the explanation nodes explain: one number per row from any model Lattice trains, the probability of
 * one class for classifiers (scored with predict.ts' scoreClassifier, like the metrics node) or the
 * predicted value for regressors (tree models, MLP). Also the feature checks they share.
 */
import type { Table } from "apache-arrow";
import type { TF } from "../core/context";
import { fail } from "../core/errors";
import type { ModelValue } from "../core/values";
import { isTreeRegressor, predictTreeModel } from "../training/tree-models";
import { isMlpRegressor, predictMlpRegression } from "../training/mlp-model";
import { checkClassifier, scoreClassifier } from "../training/predict";

export interface ExplainTarget {
  task: "classification" | "regression";
  /** Model classes (empty for regression). */
  classes: string[];
  /** Index into `classes` of the class whose probability is explained (classification). */
  classIndex: number;
  /** Human name of the explained output, e.g. `P(>50K)` or `predicted price`. */
  outputName: string;
  /** The model's feature columns, in model order. */
  features: string[];
}

/**
 * The explained output of `model`. `targetClass` empty: the positive class of a two-class model, the first
 * class otherwise. Fails (user error) for a model that cannot be scored here or an unknown class.
 */
export function explainTarget(model: ModelValue, targetClass: string): ExplainTarget {
  const features = modelFeatures(model);
  if (isMlpRegressor(model) || isTreeRegressor(model))
    return { task: "regression", classes: [], classIndex: -1, outputName: `predicted ${model.info.label ?? "value"}`, features };
  const { classes } = checkClassifier(model);
  const name = targetClass || (classes.length === 2 ? classes[1]! : classes[0]!);
  const classIndex = classes.indexOf(name);
  if (classIndex < 0) fail("unknown_class", `"${name}" is not one of the model's classes (${classes.join(", ")}).`, "targetClass");
  return { task: "classification", classes, classIndex, outputName: `P(${name})`, features };
}

/** The model's feature columns (from its info; every model Lattice trains records them). */
export function modelFeatures(model: ModelValue): string[] {
  const names = model.info.features?.map((f) => f.name) ?? [];
  if (!names.length) fail("unsupported_model", "The model does not list its feature columns, so it cannot be explained.", "model");
  return names;
}

/** `picked` features (empty: all the model's), each checked to be a model feature. */
export function pickFeatures(target: ExplainTarget, picked: string[], field = "features"): string[] {
  if (!picked.length) return target.features;
  for (const f of picked)
    if (!target.features.includes(f))
      fail("unknown_feature", `"${f}" is not a feature of the model (its features: ${target.features.join(", ")}).`, field);
  return [...new Set(picked)];
}

/** Fails naming the first model feature that `table` lacks (`port`: the input port, for the message). */
export function requireFeatures(target: ExplainTarget, table: Table, port: string): void {
  for (const f of target.features)
    if (!table.getChild(f)) fail("missing_feature", `The model needs column "${f}", but the ${port} table does not have it.`, port);
}

/** The explained output for every row of `table`. */
export async function modelOutput(model: ModelValue, target: ExplainTarget, table: Table, getTf: () => Promise<TF>): Promise<Float64Array> {
  if (table.numRows === 0) return new Float64Array(0);
  if (target.task === "regression")
    return isMlpRegressor(model) ? predictMlpRegression(model, table, await getTf()) : predictTreeModel(model, table).proba;
  const { proba } = await scoreClassifier(model, table, getTf);
  const k = target.classes.length;
  return Float64Array.from({ length: table.numRows }, (_, i) => proba[i * k + target.classIndex]!);
}
