/**
 * Random forest (Breiman 2001; scikit-learn's RandomForestClassifier/Regressor) over binned features: each
 * tree is grown by forest/grow.ts on a bootstrap sample (n rows drawn with replacement, as row weights) with
 * a random subset of features per node; the forest averages the trees' class probabilities (or values).
 * A decision tree is the one-tree case without bootstrap and with every feature.
 *
 * With bootstrap, the rows a tree never saw score it: the out-of-bag prediction of a row averages the trees
 * that left it out, and the OOB score (accuracy, or R² for regression, like scikit-learn's `oob_score_`) is
 * reported after every tree. The loop yields to the event loop every ~50 ms so a Cancel is seen between trees.
 */
import { mulberry32 } from "../../core/random";
import { applyBinning, binCounts, fitBinning, type Binning } from "../gbdt/binning";
import type { FeatureColumn } from "../gbdt/columns";
import { growForestTree, type ForestTree, type GrowParams } from "./grow";
import { leafOf } from "../gbdt/tree";

export interface ForestParams {
  grow: GrowParams;
  nEstimators: number;
  bootstrap: boolean;
  maxBins: number;
  seed: number;
}

export interface ForestHooks {
  signal?: AbortSignal;
  /** After each tree (1-based), with the OOB score so far (null without bootstrap, or before any row was left out). */
  onTree?(tree: number, oob: number | null): void;
}

export interface ForestResult {
  binning: Binning;
  trees: ForestTree[];
  /** OOB score after each tree (bootstrap only; null while no row has been left out yet). */
  oob: Array<number | null>;
  /** Mean of the trees' normalized impurity decreases per feature, normalized to sum to 1 (scikit-learn's). */
  importance: Float64Array;
}

const YIELD_MS = 50;

/**
 * Fit `nEstimators` trees. `y` holds class codes (`k` ≥ 2 classes) or targets (`k` = 0); `rowWeight`
 * (class weights × row weights) multiplies each row's bootstrap count.
 */
export async function fitForest(columns: FeatureColumn[], y: Float64Array, k: number, rowWeight: Float64Array | undefined, params: ForestParams, hooks: ForestHooks = {}): Promise<ForestResult> {
  const n = y.length;
  const F = columns.length;
  const binning = fitBinning(columns, params.maxBins, params.seed);
  const nBins = binCounts(binning);
  const rowMajor = applyBinning(binning, columns, n);
  const bins = new Uint8Array(n * F);
  for (let i = 0; i < n; i++) for (let f = 0; f < F; f++) bins[f * n + i] = rowMajor[i * F + f]!;
  const data = { bins, n, nBins, categorical: Uint8Array.from(binning.features, (f) => (f.kind === "categorical" ? 1 : 0)), y, k };

  const W = Math.max(k, 1);
  const oobSum = params.bootstrap ? new Float64Array(n * W) : null;
  const oobCount = params.bootstrap ? new Int32Array(n) : null;
  const trees: ForestTree[] = [];
  const oob: Array<number | null> = [];
  const importance = new Float64Array(F);
  const weight = new Float64Array(n);
  let lastYield = performance.now();

  for (let t = 0; t < params.nEstimators; t++) {
    hooks.signal?.throwIfAborted();
    // One generator per tree, so tree t does not depend on how many numbers earlier trees drew.
    const random = mulberry32(Math.imul(params.seed ^ 0x5bd1e995, 0x9e3779b1) + Math.imul(t + 1, 0x85ebca6b));
    if (params.bootstrap) {
      weight.fill(0);
      for (let s = 0; s < n; s++) weight[Math.floor(random() * n)]! += 1;
      if (rowWeight) for (let i = 0; i < n; i++) weight[i]! *= rowWeight[i]!;
    } else if (rowWeight) weight.set(rowWeight);
    else weight.fill(1);
    const tree = growForestTree(data, params.grow, weight, random);
    trees.push(tree);

    let total = 0;
    for (let j = 0; j < tree.decrease.length; j++) total += tree.decrease[j]!;
    if (tree.feature.length > 1 && total > 0) {
      for (let j = 0; j < tree.feature.length; j++) if (tree.feature[j]! >= 0) importance[tree.feature[j]!]! += tree.decrease[j]! / total;
    }

    if (oobSum && oobCount) {
      for (let i = 0; i < n; i++) {
        if (weight[i]! > 0 || (rowWeight && rowWeight[i] === 0)) continue;
        const leaf = leafOf(tree, bins, 1, n, i, nBins);
        for (let c = 0; c < W; c++) oobSum[i * W + c]! += tree.value[leaf * W + c]!;
        oobCount[i]!++;
      }
      oob.push(oobScore(oobSum, oobCount, y, k));
    }
    hooks.onTree?.(t + 1, oob.length ? oob[oob.length - 1]! : null);
    if (performance.now() - lastYield > YIELD_MS) {
      await new Promise<void>((resolve) => (typeof setImmediate === "function" ? setImmediate(resolve) : setTimeout(resolve, 0)));
      lastYield = performance.now();
    }
  }
  hooks.signal?.throwIfAborted();
  // The mean over trees, renormalized: the sum of the per-tree shares divided by its total.
  const sum = importance.reduce((a, b) => a + b, 0);
  for (let f = 0; f < F; f++) importance[f] = sum > 0 ? importance[f]! / sum : 0;
  return { binning, trees, oob, importance };
}

/** Accuracy (classification) or R² (regression) over the rows with at least one out-of-bag prediction. */
function oobScore(sum: Float64Array, count: Int32Array, y: Float64Array, k: number): number | null {
  let rows = 0;
  if (k > 0) {
    let ok = 0;
    for (let i = 0; i < count.length; i++) {
      if (!count[i]) continue;
      rows++;
      let best = 0;
      for (let c = 1; c < k; c++) if (sum[i * k + c]! > sum[i * k + best]!) best = c;
      if (best === y[i]) ok++;
    }
    return rows ? ok / rows : null;
  }
  let mean = 0;
  for (let i = 0; i < count.length; i++) if (count[i]) (rows++, (mean += y[i]!));
  if (rows < 2) return null;
  mean /= rows;
  let ssRes = 0;
  let ssTot = 0;
  for (let i = 0; i < count.length; i++) {
    if (!count[i]) continue;
    const e = y[i]! - sum[i]! / count[i]!;
    ssRes += e * e;
    ssTot += (y[i]! - mean) ** 2;
  }
  return ssTot > 0 ? 1 - ssRes / ssTot : null;
}
