/**
 * Classification metrics as pure functions on typed arrays, computed the way scikit-learn 1.2 computes them
 * (checked against its output in test/golden). Classes are integer codes `0..k-1`; for binary metrics the
 * positive class is code 1 unless said otherwise. Undefined ratios (no predicted positives...) are 0, like
 * scikit-learn's default `zero_division`.
 */

type Codes = ArrayLike<number>;

export function accuracy(yTrue: Codes, yPred: Codes): number {
  checkLength(yTrue, yPred);
  let ok = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) ok++;
  return ok / yTrue.length;
}

/** `m[t][p]`: rows with true class t predicted as p (scikit-learn's confusion_matrix layout). */
export function confusionMatrix(yTrue: Codes, yPred: Codes, k: number): number[][] {
  checkLength(yTrue, yPred);
  const m = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < yTrue.length; i++) m[yTrue[i]!]![yPred[i]!]!++;
  return m;
}

export interface ClassScores {
  precision: number;
  recall: number;
  f1: number;
  /** Rows whose true class is this one. */
  support: number;
}

/** Precision, recall and F1 of one class treated as positive. */
export function classScores(yTrue: Codes, yPred: Codes, positive = 1): ClassScores {
  checkLength(yTrue, yPred);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i] === positive;
    const p = yPred[i] === positive;
    if (t && p) tp++;
    else if (p) fp++;
    else if (t) fn++;
  }
  const precision = tp + fp ? tp / (tp + fp) : 0;
  const recall = tp + fn ? tp / (tp + fn) : 0;
  // Same operation order as scikit-learn's fbeta with beta = 1, so results agree to the last bit.
  const f1 = precision + recall ? (2 * precision * recall) / (precision + recall) : 0;
  return { precision, recall, f1, support: tp + fn };
}

export const precision = (yTrue: Codes, yPred: Codes, positive = 1) => classScores(yTrue, yPred, positive).precision;
export const recall = (yTrue: Codes, yPred: Codes, positive = 1) => classScores(yTrue, yPred, positive).recall;
export const f1 = (yTrue: Codes, yPred: Codes, positive = 1) => classScores(yTrue, yPred, positive).f1;

/**
 * Macro (plain mean over classes) or weighted (mean weighted by support) precision/recall/F1. Like
 * scikit-learn, only classes that occur in `yTrue` or `yPred` take part.
 */
export function averagedScores(yTrue: Codes, yPred: Codes, k: number, average: "macro" | "weighted"): Omit<ClassScores, "support"> {
  const present = new Array<boolean>(k).fill(false);
  for (let i = 0; i < yTrue.length; i++) present[yTrue[i]!] = present[yPred[i]!] = true;
  const per = [...Array(k).keys()].filter((c) => present[c]).map((c) => classScores(yTrue, yPred, c));
  const weights = per.map((s) => (average === "macro" ? 1 : s.support));
  const total = weights.reduce((a, b) => a + b, 0);
  const avg = (key: "precision" | "recall" | "f1") => (total ? per.reduce((a, s, i) => a + s[key] * weights[i]!, 0) / total : 0);
  return { precision: avg("precision"), recall: avg("recall"), f1: avg("f1") };
}

export interface RocCurve {
  fpr: number[];
  tpr: number[];
  /** Decreasing; the first is `max score + 1` (scikit-learn 1.2's convention, and JSON-safe unlike +∞). */
  thresholds: number[];
}

/**
 * ROC curve like scikit-learn's `roc_curve`: one point per distinct score (tied scores move together), then
 * with `dropIntermediate` the points collinear with their neighbours are dropped. Needs both classes.
 * `isPositive[i]` is truthy for rows of the positive class.
 */
export function rocCurve(isPositive: Codes, score: ArrayLike<number>, dropIntermediate = true): RocCurve {
  checkLength(isPositive, score);
  const n = score.length;
  for (let i = 0; i < n; i++) if (Number.isNaN(score[i])) throw new RangeError(`rocCurve: score ${i} is NaN`);
  // Descending by score; order inside a tie does not matter because a tie contributes one point.
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  order.sort((a, b) => (score[b]! > score[a]! ? 1 : score[b]! < score[a]! ? -1 : 0));
  let fps: number[] = [];
  let tps: number[] = [];
  let thr: number[] = [];
  let tp = 0;
  for (let j = 0; j < n; j++) {
    const i = order[j]!;
    if (isPositive[i]) tp++;
    const next = j + 1 < n ? score[order[j + 1]!]! : NaN;
    if (j === n - 1 || next !== score[i]) {
      tps.push(tp);
      fps.push(j + 1 - tp);
      thr.push(score[i]!);
    }
  }
  if (dropIntermediate && fps.length > 2) {
    const keep = fps.map((_, j) => j === 0 || j === fps.length - 1 || fps[j - 1]! - 2 * fps[j]! + fps[j + 1]! !== 0 || tps[j - 1]! - 2 * tps[j]! + tps[j + 1]! !== 0);
    fps = fps.filter((_, j) => keep[j]);
    tps = tps.filter((_, j) => keep[j]);
    thr = thr.filter((_, j) => keep[j]);
  }
  const P = tps[tps.length - 1] ?? 0;
  const N = fps[fps.length - 1] ?? 0;
  if (P === 0 || N === 0) throw new RangeError("rocCurve needs rows of both classes");
  return {
    fpr: [0, ...fps.map((v) => v / N)],
    tpr: [0, ...tps.map((v) => v / P)],
    thresholds: [(thr[0] ?? 0) + 1, ...thr],
  };
}

/** Area under the ROC curve (trapezoids, so tied scores count one half), as `roc_auc_score`. */
export function rocAuc(isPositive: Codes, score: ArrayLike<number>): number {
  const { fpr, tpr } = rocCurve(isPositive, score);
  let area = 0;
  for (let j = 1; j < fpr.length; j++) area += ((fpr[j]! - fpr[j - 1]!) * (tpr[j]! + tpr[j - 1]!)) / 2;
  return area;
}

/**
 * One-vs-rest ROC-AUC averaged over classes (macro), as `roc_auc_score(multi_class="ovr")`. `proba` is
 * rows × k, row-major. Classes absent from `yTrue` have no AUC and are left out of the mean (scikit-learn
 * refuses such data instead); null when no class has both positives and negatives.
 */
export function rocAucOvr(yTrue: Codes, proba: ArrayLike<number>, k: number): number | null {
  const n = yTrue.length;
  if (proba.length !== n * k) throw new RangeError(`rocAucOvr: expected ${n * k} probabilities, got ${proba.length}`);
  const aucs: number[] = [];
  for (let c = 0; c < k; c++) {
    const pos = new Uint8Array(n);
    const col = new Float64Array(n);
    let np = 0;
    for (let i = 0; i < n; i++) {
      pos[i] = yTrue[i] === c ? 1 : 0;
      np += pos[i]!;
      col[i] = proba[i * k + c]!;
    }
    if (np > 0 && np < n) aucs.push(rocAuc(pos, col));
  }
  return aucs.length ? aucs.reduce((a, b) => a + b, 0) / aucs.length : null;
}

/** Machine epsilon of float64: scikit-learn's `eps="auto"` clip for float64 probabilities. */
export const EPS64 = 2.220446049250313e-16;

/**
 * Mean cross-entropy, as `log_loss`: probabilities clipped to [eps, 1-eps], each row renormalized to sum 1,
 * then `-log p(true class)`. `proba` is rows × k, row-major.
 */
export function logLoss(yTrue: Codes, proba: ArrayLike<number>, k: number, eps = EPS64): number {
  const n = yTrue.length;
  if (proba.length !== n * k) throw new RangeError(`logLoss: expected ${n * k} probabilities, got ${proba.length}`);
  let total = 0;
  for (let i = 0; i < n; i++) {
    let sum = 0;
    for (let c = 0; c < k; c++) sum += clip(proba[i * k + c]!, eps);
    total -= Math.log(clip(proba[i * k + yTrue[i]!]!, eps) / sum);
  }
  return total / n;
}

/**
 * Binary log loss from the positive class's probability alone (scikit-learn's 1-D `y_pred`: clip first,
 * then the negative class gets `1 - p`).
 */
export function logLossBinary(isPositive: Codes, p: ArrayLike<number>, eps = EPS64): number {
  checkLength(isPositive, p);
  let total = 0;
  for (let i = 0; i < p.length; i++) {
    const q = clip(p[i]!, eps);
    const sum = 1 - q + q;
    total -= Math.log((isPositive[i] ? q : 1 - q) / sum);
  }
  return total / p.length;
}

function clip(v: number, eps: number): number {
  return v < eps ? eps : v > 1 - eps ? 1 - eps : v;
}

function checkLength(a: ArrayLike<unknown>, b: ArrayLike<unknown>) {
  if (a.length !== b.length) throw new RangeError(`Length mismatch: ${a.length} vs ${b.length}`);
  if (a.length === 0) throw new RangeError("No rows to score");
}
