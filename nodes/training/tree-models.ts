/**
 * Models scored by plain typed-array code (no tfjs): gradient-boosted trees, decision trees and random
 * forests. One entry point for every place that scores models (metrics, batch scoring, tuning, explanations,
 * published endpoints), so a new tree model needs no change there.
 */
import type { Table } from "apache-arrow";
import type { ModelValue } from "../core/values";
import { isForestModel, predictForest } from "./forest-node";
import { isGradientBoostingModel, predictGradientBoosting } from "./gradient-boosting";

/** Whether `model` is a tree model ({@link predictTreeModel} scores it). */
export function isTreeModel(model: ModelValue): boolean {
  return isGradientBoostingModel(model) || isForestModel(model);
}

/** A tree model that predicts a number (regression): no classes. */
export function isTreeRegressor(model: ModelValue): boolean {
  return isTreeModel(model) && !model.info.classes?.length;
}

/**
 * Class probabilities (`rows × classes`, row-major; binary: `proba[i * 2 + 1]` is the positive class's), or
 * for a regressor (`classes` empty) one predicted value per row.
 */
export function predictTreeModel(model: ModelValue, table: Table): { classes: string[]; proba: Float64Array } {
  return isForestModel(model) ? predictForest(model, table) : predictGradientBoosting(model, table);
}
