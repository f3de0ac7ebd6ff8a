/**
 * The decision-tree / random-forest model state (pure JSON: binning and trees) and scoring from it. Scoring
 * bins the table with the stored binning and walks each tree on bins, i.e. exactly the comparisons made in
 * training; the forest's output is the mean of its trees' leaf values.
 */
import type { Table } from "apache-arrow";
import { applyBinning, binCounts, type Binning } from "../gbdt/binning";
import { readFeature } from "../gbdt/columns";
import { leafOf, scoringTreeFromJson, type TreeJson, type WalkableTree } from "../gbdt/tree";
import type { ForestTree } from "./grow";

/** The GBDT tree's JSON layout without `gain`; `value` holds `width` numbers per node, zeros for inner nodes. */
export type ForestTreeJson = Omit<TreeJson, "gain">;

export interface ForestState {
  format: "lattice-forest";
  version: 1;
  algorithm: "decision-tree" | "random-forest";
  objective: "binary" | "multiclass" | "regression";
  /** Class names in output order (binary: the positive class last); empty for regression. */
  classes: string[];
  binning: Binning;
  trees: ForestTreeJson[];
  trainRows: number;
  /** Final out-of-bag score (accuracy or R²), when trained with bootstrap. */
  oobScore: number | null;
  /** Mean impurity decrease per feature, normalized to sum to 1 (scikit-learn's `feature_importances_`). */
  featureImportance: Record<string, number>;
}

export function isForestState(x: unknown): x is ForestState {
  return typeof x === "object" && x !== null && (x as { format?: unknown }).format === "lattice-forest";
}

export function treeToJson(t: ForestTree, width: number): ForestTreeJson {
  const value = Array.from(t.value);
  for (let j = 0; j < t.feature.length; j++) if (t.feature[j]! >= 0) value.fill(0, j * width, (j + 1) * width);
  return {
    feature: Array.from(t.feature),
    threshold: Array.from(t.threshold),
    missingLeft: Array.from(t.missingLeft),
    bitset: Array.from(t.bitset),
    left: Array.from(t.left),
    right: Array.from(t.right),
    value,
    count: Array.from(t.count),
    bitsets: Array.from(t.bitsets),
  };
}

type Walkable = WalkableTree & Pick<ForestTree, "value">;

/** Typed-array trees per state object: scoring the same model again (endpoints) skips the conversion. */
const parsed = new WeakMap<ForestState, Walkable[]>();

function treesOf(state: ForestState): Walkable[] {
  let trees = parsed.get(state);
  if (!trees) parsed.set(state, (trees = state.trees.map(scoringTreeFromJson)));
  return trees;
}

/**
 * Predictions for every row of `table` (which must hold the model's feature columns): class probabilities
 * (`rows × classes`, row-major) for classifiers; for regression `classes` is empty and `proba` holds one
 * predicted value per row.
 */
export function predictForestState(state: ForestState, table: Table): { classes: string[]; proba: Float64Array } {
  const { binning } = state;
  const columns = binning.features.map((f) => readFeature(table, f.name, f.kind));
  const n = table.numRows;
  const F = columns.length;
  const bins = applyBinning(binning, columns, n);
  const missingBins = binCounts(binning);
  const W = Math.max(1, state.classes.length);
  const out = new Float64Array(n * W);
  const trees = treesOf(state);
  for (const tree of trees) {
    const value = tree.value;
    for (let i = 0; i < n; i++) {
      const leaf = leafOf(tree, bins, F, 1, i, missingBins);
      for (let c = 0; c < W; c++) out[i * W + c]! += value[leaf * W + c]!;
    }
  }
  // Divided (not multiplied by 1/T), as scikit-learn averages.
  const T = Math.max(1, trees.length);
  for (let i = 0; i < out.length; i++) out[i]! /= T;
  return { classes: state.classes, proba: out };
}
