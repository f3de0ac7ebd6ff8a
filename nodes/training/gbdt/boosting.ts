/**
 * The boosting loop: bin the features, then each round fit one tree per raw score to the loss's gradients
 * and hessians and add its shrunk output to the scores. Early stopping follows scikit-learn's
 * HistGradientBoosting (`scoring="loss"`): a seeded (stratified for classifiers) validation split, and a
 * stop once the validation loss has not improved by more than 1e-7 on the best of the last
 * `nIterNoChange + 1` scores. As in scikit-learn, the trees of the last rounds are kept.
 *
 * The loop is synchronous per round and yields to the event loop every ~50 ms, so an abort signal fired by
 * a Cancel button (an event) is seen between rounds.
 */
import { mulberry32, shuffleInPlace } from "../../core/random";
import { applyBinning, binCounts, fitBinning, type Binning } from "./binning";
import type { FeatureColumn } from "./columns";
import { GrowWorkspace, growTree, type GrowSettings } from "./grower";
import { binsToCodes, histogramOffsets, MAX_SLOTS } from "./histogram";
import { makeLoss, type Objective } from "./loss";
import { addTreePredictions, type Tree } from "./tree";

export interface BoostParams {
  learningRate: number;
  maxIter: number;
  maxLeafNodes: number;
  /** 0: unlimited. */
  maxDepth: number;
  minSamplesLeaf: number;
  l2Regularization: number;
  maxBins: number;
  earlyStopping: "auto" | "on" | "off";
  validationFraction: number;
  nIterNoChange: number;
  seed: number;
}

export interface BoostHooks {
  signal?: AbortSignal;
  /** After each round (1-based), with the mean training loss and, when there is a validation set, its loss. */
  onRound?(round: number, loss: number, valLoss: number | undefined): void;
}

export interface BoostResult {
  binning: Binning;
  baseline: Float64Array;
  /** Round-major: `trees[round * k + j]` adds to raw score j. */
  trees: Tree[];
  k: number;
  rounds: number;
  loss: number[];
  valLoss: number[];
  stoppedEarly: boolean;
  trainRows: number;
  validationRows: number;
}

/** scikit-learn turns early stopping on by default above this many rows ("auto"). */
export const AUTO_EARLY_STOPPING_ROWS = 10_000;
const TOL = 1e-7;
const MIN_HESSIAN_TO_SPLIT = 1e-3;
const YIELD_MS = 50;

/**
 * Fit gradient-boosted trees. `y` holds class codes (classification, `classes` of them) or targets
 * (regression); `columns` are the feature columns, all of length `y.length`.
 */
export async function boost(columns: FeatureColumn[], y: Float64Array, objective: Objective, classes: number, params: BoostParams, hooks: BoostHooks = {}): Promise<BoostResult> {
  const n = y.length;
  const early = params.earlyStopping === "on" || (params.earlyStopping === "auto" && n > AUTO_EARLY_STOPPING_ROWS);
  let { train, val }: { train: Int32Array | null; val: Int32Array | null } = { train: null, val: null };
  if (early && params.validationFraction > 0) ({ train, val } = validationSplit(y, objective, params.validationFraction, params.seed));
  // Too few rows to hold any out: stop early on the training loss instead.
  if (val && val.length === 0) train = val = null;

  const trainCols = train ? columns.map((c) => gatherColumn(c, train)) : columns;
  const yTrain = train ? gather(y, train) : y;
  const F = columns.length;
  // Histogram slots are Uint16: very wide tables get fewer bins per feature (see histogram.ts).
  const maxBins = Math.min(params.maxBins, Math.floor(MAX_SLOTS / Math.max(1, F)) - 1);
  if (maxBins < 2) throw new RangeError(`Too many features for gradient boosting (${F}); at most ${Math.floor(MAX_SLOTS / 3)}.`);
  const binning = fitBinning(trainCols, maxBins, params.seed);
  const bins = applyBinning(binning, trainCols, yTrain.length);
  const valBins = val ? applyBinning(binning, columns.map((c) => gatherColumn(c, val)), val.length) : null;
  const yVal = val ? gather(y, val) : null;

  const nTrain = yTrain.length;
  const loss = makeLoss(objective, classes);
  const k = loss.k;
  const nBins = binCounts(binning);
  const hasMissing = new Uint8Array(F);
  for (let i = 0, f = 0; i < bins.length; i++, f = f + 1 === F ? 0 : f + 1) if (bins[i] === nBins[f]) hasMissing[f] = 1;
  const offsets = histogramOffsets(nBins);
  const codes = binsToCodes(bins, offsets);
  const settings: GrowSettings = {
    nFeatures: F,
    nBins,
    offsets,
    categorical: Uint8Array.from(binning.features, (f) => (f.kind === "categorical" ? 1 : 0)),
    hasMissing,
    minSamplesLeaf: params.minSamplesLeaf,
    minHessianToSplit: MIN_HESSIAN_TO_SPLIT,
    l2: params.l2Regularization,
    maxLeafNodes: params.maxLeafNodes,
    maxDepth: params.maxDepth,
    learningRate: params.learningRate,
  };

  const baseline = loss.baseline(yTrain);
  const raw = new Float64Array(nTrain * k);
  for (let i = 0; i < nTrain; i++) for (let j = 0; j < k; j++) raw[i * k + j] = baseline[j]!;
  const rawVal = yVal ? new Float64Array(yVal.length * k) : null;
  if (rawVal) for (let i = 0; i < yVal!.length; i++) for (let j = 0; j < k; j++) rawVal[i * k + j] = baseline[j]!;

  const g = Array.from({ length: k }, () => new Float64Array(nTrain));
  const h = Array.from({ length: k }, () => new Float64Array(nTrain));
  const ws = new GrowWorkspace(codes, nTrain, offsets[F]! * 3);
  const trees: Tree[] = [];
  const losses: number[] = [];
  const valLosses: number[] = [];
  const baselineLoss = loss.gradients(yTrain, raw, g, h);
  // Early-stopping scores, starting with the baseline's.
  const scores = [rawVal ? loss.loss(yVal!, rawVal) : baselineLoss];
  let stoppedEarly = false;
  let lastYield = performance.now();

  for (let round = 1; round <= params.maxIter; round++) {
    hooks.signal?.throwIfAborted();
    for (let j = 0; j < k; j++) {
      const tree = growTree(ws, settings, g[j]!, h[j]!, raw, k, j);
      trees.push(tree);
      if (valBins) addTreePredictions(tree, valBins, nBins, rawVal!, k, j);
    }
    // Loss after this round, and the gradients for the next one.
    const l = loss.gradients(yTrain, raw, g, h);
    const v = rawVal ? loss.loss(yVal!, rawVal) : undefined;
    losses.push(l);
    if (v !== undefined) valLosses.push(v);
    hooks.onRound?.(round, l, v);
    if (early) {
      scores.push(v ?? l);
      if (shouldStop(scores, params.nIterNoChange)) {
        stoppedEarly = round < params.maxIter;
        break;
      }
    }
    if (performance.now() - lastYield > YIELD_MS) {
      await yieldToEventLoop();
      lastYield = performance.now();
    }
  }
  hooks.signal?.throwIfAborted();
  return { binning, baseline, trees, k, rounds: trees.length / k, loss: losses, valLoss: valLosses, stoppedEarly, trainRows: nTrain, validationRows: yVal?.length ?? 0 };
}

/** scikit-learn's `_should_stop` for losses (lower is better). */
function shouldStop(scores: number[], nIterNoChange: number): boolean {
  const ref = nIterNoChange + 1;
  if (scores.length < ref) return false;
  const reference = scores[scores.length - ref]! - TOL;
  for (let i = scores.length - ref + 1; i < scores.length; i++) if (scores[i]! < reference) return false;
  return true;
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => (typeof setImmediate === "function" ? setImmediate(resolve) : setTimeout(resolve, 0)));
}

/**
 * Seeded split of row indices into train and validation; classification keeps each class's share in both
 * (each class keeps at least one training row). Indices come back sorted.
 */
export function validationSplit(y: Float64Array, objective: Objective, fraction: number, seed: number): { train: Int32Array; val: Int32Array } {
  const random = mulberry32(seed);
  const groups = new Map<number, number[]>();
  for (let i = 0; i < y.length; i++) {
    const key = objective === "regression" ? 0 : y[i]!;
    let list = groups.get(key);
    if (!list) groups.set(key, (list = []));
    list.push(i);
  }
  const keys = [...groups.keys()].sort((a, b) => a - b);
  const isVal = new Uint8Array(y.length);
  for (const key of keys) {
    const rows = Int32Array.from(groups.get(key)!);
    shuffleInPlace(rows, random);
    const take = Math.min(rows.length - 1, Math.round(rows.length * fraction));
    for (let i = 0; i < take; i++) isVal[rows[i]!] = 1;
  }
  const train: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < y.length; i++) (isVal[i] ? val : train).push(i);
  return { train: Int32Array.from(train), val: Int32Array.from(val) };
}

function gather(x: Float64Array, rows: Int32Array): Float64Array {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = x[rows[i]!]!;
  return out;
}

function gatherColumn(c: FeatureColumn, rows: Int32Array): FeatureColumn {
  if (c.kind === "numeric") return { ...c, values: gather(c.values, rows) };
  const codes = new Int32Array(rows.length);
  for (let i = 0; i < rows.length; i++) codes[i] = c.codes[rows[i]!]!;
  return { ...c, codes };
}
