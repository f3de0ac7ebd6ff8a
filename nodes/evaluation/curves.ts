/**
 * Precision-recall and calibration curves, computed the way scikit-learn 1.2 computes them (checked against its
 * output in test/evaluation/golden-evaluation.test.ts). `isPositive[i]` is truthy for rows of the positive class.
 */

type Codes = ArrayLike<number>;

export interface PrCurve {
  /** Decreasing recall order, as `precision_recall_curve`: the last point is (recall 0, precision 1). */
  precision: number[];
  recall: number[];
  /** Increasing distinct scores; one fewer than the points (the last point has no threshold). */
  thresholds: number[];
}

/**
 * Like scikit-learn's `precision_recall_curve`: one point per distinct score (ties move together), precision 0
 * where nothing is predicted positive, and recall 1 everywhere when there are no positive rows.
 */
export function precisionRecallCurve(isPositive: Codes, score: ArrayLike<number>): PrCurve {
  const { tps, fps, thresholds } = binaryCurve(isPositive, score);
  const P = tps[tps.length - 1]!;
  const m = tps.length;
  const precision = new Array<number>(m + 1);
  const recall = new Array<number>(m + 1);
  // scikit-learn builds the arrays by decreasing threshold, then reverses them so recall decreases.
  for (let j = 0; j < m; j++) {
    const src = m - 1 - j;
    const ps = tps[src]! + fps[src]!;
    precision[j] = ps !== 0 ? tps[src]! / ps : 0;
    recall[j] = P === 0 ? 1 : tps[src]! / P;
  }
  precision[m] = 1;
  recall[m] = 0;
  return { precision, recall, thresholds: thresholds.slice().reverse() };
}

/** Average precision, as `average_precision_score`: Σ (R_n − R_{n−1}) P_n over the PR curve's steps. */
export function averagePrecision(isPositive: Codes, score: ArrayLike<number>): number {
  const { precision, recall } = precisionRecallCurve(isPositive, score);
  let sum = 0;
  for (let j = 0; j + 1 < recall.length; j++) sum += (recall[j + 1]! - recall[j]!) * precision[j]!;
  return -sum;
}

export interface CalibrationCurve {
  /** Fraction of positive rows in each non-empty bin. */
  probTrue: number[];
  /** Mean score in each non-empty bin. */
  probPred: number[];
  /** Rows in each non-empty bin (not part of scikit-learn's result; handy for a chart's tooltip). */
  counts: number[];
  /** The n_bins + 1 bin edges used. */
  edges: number[];
}

/**
 * Reliability curve, as scikit-learn's `calibration_curve(y_true, y_prob, n_bins, strategy)`: `uniform` bins of
 * equal width on [0, 1] or `quantile` bins holding about the same number of rows; empty bins are dropped. A score
 * equal to an inner edge falls in the lower bin (`np.searchsorted(..., side="left")`). Scores must be in [0, 1].
 */
export function calibrationCurve(isPositive: Codes, prob: ArrayLike<number>, nBins = 5, strategy: "uniform" | "quantile" = "uniform"): CalibrationCurve {
  const n = prob.length;
  if (isPositive.length !== n) throw new RangeError(`Length mismatch: ${isPositive.length} vs ${n}`);
  if (n === 0) throw new RangeError("No rows to score");
  if (!Number.isInteger(nBins) || nBins < 1) throw new RangeError(`calibrationCurve: n_bins must be a positive integer, got ${nBins}`);
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = prob[i]!;
    if (Number.isNaN(v)) throw new RangeError(`calibrationCurve: score ${i} is NaN`);
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  if (lo < 0 || hi > 1) throw new RangeError("calibrationCurve: scores must lie in [0, 1]");
  const q = linspace01(nBins);
  const edges = strategy === "uniform" ? q : percentiles(prob, q.map((v) => v * 100));
  const sums = new Float64Array(nBins + 1);
  const trues = new Float64Array(nBins + 1);
  const totals = new Float64Array(nBins + 1);
  const inner = edges.slice(1, -1);
  for (let i = 0; i < n; i++) {
    const b = searchLeft(inner, prob[i]!);
    sums[b]! += prob[i]!;
    trues[b]! += isPositive[i] ? 1 : 0;
    totals[b]!++;
  }
  const probTrue: number[] = [];
  const probPred: number[] = [];
  const counts: number[] = [];
  for (let b = 0; b <= nBins; b++) {
    if (totals[b] === 0) continue;
    probTrue.push(trues[b]! / totals[b]!);
    probPred.push(sums[b]! / totals[b]!);
    counts.push(totals[b]!);
  }
  return { probTrue, probPred, counts, edges };
}

/** `np.linspace(0, 1, n + 1)`: i × (1/n), with the last value exactly 1 (NumPy's arithmetic, so edges match). */
function linspace01(n: number): number[] {
  const step = 1 / n;
  const out = Array.from({ length: n + 1 }, (_, i) => i * step);
  out[n] = 1;
  return out;
}

/** `np.percentile(values, qs)` with NumPy's default linear method (same interpolation steps, so edges match). */
function percentiles(values: ArrayLike<number>, qs: number[]): number[] {
  const sorted = Float64Array.from(values).sort();
  const n = sorted.length;
  return qs.map((pct) => {
    const q = pct / 100;
    const virtual = (n - 1) * q;
    const prev = Math.min(Math.max(Math.floor(virtual), 0), n - 1);
    const next = Math.min(prev + 1, n - 1);
    const t = virtual - Math.floor(virtual);
    const a = sorted[prev]!;
    const b = sorted[next]!;
    const diff = b - a;
    return t >= 0.5 ? b - diff * (1 - t) : a + diff * t;
  });
}

/** Index of the first edge ≥ v (`np.searchsorted(edges, v, side="left")`). */
function searchLeft(edges: number[], v: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid]! < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Cumulative true/false positives per distinct score by decreasing score (scikit-learn's `_binary_clf_curve`,
 * without the ROC curve's dropping of collinear points).
 */
export function binaryCurve(isPositive: Codes, score: ArrayLike<number>): { tps: number[]; fps: number[]; thresholds: number[] } {
  const n = score.length;
  if (isPositive.length !== n) throw new RangeError(`Length mismatch: ${isPositive.length} vs ${n}`);
  if (n === 0) throw new RangeError("No rows to score");
  for (let i = 0; i < n; i++) if (Number.isNaN(score[i])) throw new RangeError(`score ${i} is NaN`);
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => (score[b]! > score[a]! ? 1 : score[b]! < score[a]! ? -1 : 0));
  const tps: number[] = [];
  const fps: number[] = [];
  const thresholds: number[] = [];
  let tp = 0;
  for (let j = 0; j < n; j++) {
    const i = order[j]!;
    if (isPositive[i]) tp++;
    if (j === n - 1 || score[order[j + 1]!] !== score[i]) {
      tps.push(tp);
      fps.push(j + 1 - tp);
      thresholds.push(score[i]!);
    }
  }
  return { tps, fps, thresholds };
}
