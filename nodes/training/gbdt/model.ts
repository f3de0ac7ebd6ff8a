/**
 * The gradient-boosting model state (pure JSON: binning, baseline, trees) and scoring from it. Scoring bins
 * the table's columns with the stored binning and walks the trees on bins, i.e. exactly the comparisons made
 * in training, so training rows score the same here as during the fit.
 */
import type { Table } from "apache-arrow";
import type { Binning } from "./binning";
import { applyBinning, binCounts } from "./binning";
import type { BoostResult } from "./boosting";
import { readFeature } from "./columns";
import { rawToProba, type Objective } from "./loss";
import { addTreePredictions, treeFromJson, treeToJson, type Tree, type TreeJson } from "./tree";

export interface GbdtState {
  format: "lattice-gbdt";
  version: 1;
  objective: Objective;
  /** Class names in output order (binary: the positive class last); empty for regression. */
  classes: string[];
  /** Raw score before any tree, per output. */
  baseline: number[];
  binning: Binning;
  /** Trees per round: the number of classes for softmax, else 1. */
  treesPerRound: number;
  /** Round-major: `trees[round * treesPerRound + j]` adds to raw score j. */
  trees: TreeJson[];
  rounds: number;
  stoppedEarly: boolean;
  trainRows: number;
  validationRows: number;
  /** Total split gain per feature, normalized to sum to 1 (LightGBM's `importance_type="gain"`). */
  featureImportance: Record<string, number>;
}

export function makeState(fit: BoostResult, objective: Objective, classes: string[]): GbdtState {
  const gain = new Float64Array(fit.binning.features.length);
  for (const t of fit.trees) for (let i = 0; i < t.feature.length; i++) if (t.feature[i]! >= 0) gain[t.feature[i]!]! += t.gain[i]!;
  const total = gain.reduce((a, b) => a + b, 0);
  const featureImportance: Record<string, number> = {};
  fit.binning.features.forEach((f, i) => (featureImportance[f.name] = total > 0 ? gain[i]! / total : 0));
  return {
    format: "lattice-gbdt",
    version: 1,
    objective,
    classes,
    baseline: Array.from(fit.baseline),
    binning: fit.binning,
    treesPerRound: fit.k,
    trees: fit.trees.map(treeToJson),
    rounds: fit.rounds,
    stoppedEarly: fit.stoppedEarly,
    trainRows: fit.trainRows,
    validationRows: fit.validationRows,
    featureImportance,
  };
}

export function isGbdtState(x: unknown): x is GbdtState {
  return typeof x === "object" && x !== null && (x as { format?: unknown }).format === "lattice-gbdt";
}

/** Typed-array trees per state object: scoring the same model again (endpoints) skips the conversion. */
const parsed = new WeakMap<GbdtState, Tree[]>();

function treesOf(state: GbdtState): Tree[] {
  let trees = parsed.get(state);
  if (!trees) parsed.set(state, (trees = state.trees.map(treeFromJson)));
  return trees;
}

/** Raw scores (`rows × treesPerRound`, row-major) for every row of `table`. */
export function predictRaw(state: GbdtState, table: Table): Float64Array {
  const { binning } = state;
  const columns = binning.features.map((f) => readFeature(table, f.name, f.kind));
  const n = table.numRows;
  const bins = applyBinning(binning, columns, n);
  const missingBins = binCounts(binning);
  const k = state.treesPerRound;
  const raw = new Float64Array(n * k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) raw[i * k + j] = state.baseline[j]!;
  const trees = treesOf(state);
  for (let t = 0; t < trees.length; t++) addTreePredictions(trees[t]!, bins, missingBins, raw, k, t % k);
  return raw;
}

/**
 * Predictions for every row: class probabilities (`rows × classes`, row-major) for classifiers; for
 * regression `classes` is empty and `proba` holds one predicted value per row.
 */
export function predictState(state: GbdtState, table: Table): { classes: string[]; proba: Float64Array } {
  const raw = predictRaw(state, table);
  return { classes: state.classes, proba: rawToProba(state.objective, raw, state.treesPerRound) };
}
