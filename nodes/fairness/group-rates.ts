/**
 * Group fairness metrics as pure functions, defined exactly as fairlearn 0.10+ defines them (fairlearn is not
 * installable here; test/fixtures/golden/make_fairness.py recomputes its definitions with NumPy/scikit-learn and
 * cites the fairlearn documentation for each). Inputs are 0/1 codes: `yTrue[i]`/`yPred[i]` are 1 for the positive
 * class, `group[i]` is a group code `0..k-1`.
 */
import { rocAuc } from "../evaluation/metrics";

type Codes = ArrayLike<number>;

export interface GroupRates {
  count: number;
  /** Rows of the group whose true label is positive. */
  positives: number;
  /** fairlearn `selection_rate`: share of the group predicted positive. */
  selection_rate: number;
  /**
   * fairlearn `true_positive_rate`: TP / (TP + FN). Like fairlearn (scikit-learn's normalized confusion matrix),
   * 0 for a group with no positive rows.
   */
  tpr: number;
  /** fairlearn `false_positive_rate`: FP / (FP + TN); 0 for a group with no negative rows. */
  fpr: number;
  /** scikit-learn `precision_score` (zero_division 0). */
  precision: number;
  accuracy: number;
  /** ROC-AUC inside the group when scores are given and the group has both classes, else null. */
  roc_auc: number | null;
}

/** Per-group rates (fairlearn's `MetricFrame(...).by_group`). */
export function groupRates(yTrue: Codes, yPred: Codes, group: Codes, k: number, score?: ArrayLike<number>): GroupRates[] {
  const n = yTrue.length;
  if (yPred.length !== n || group.length !== n || (score && score.length !== n)) throw new RangeError("groupRates: inputs differ in length");
  const tp = new Float64Array(k);
  const fp = new Float64Array(k);
  const tn = new Float64Array(k);
  const fn = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    const g = group[i]!;
    if (yTrue[i]) yPred[i] ? tp[g]!++ : fn[g]!++;
    else yPred[i] ? fp[g]!++ : tn[g]!++;
  }
  const members: number[][] = score ? Array.from({ length: k }, () => []) : [];
  if (score) for (let i = 0; i < n; i++) members[group[i]!]!.push(i);
  return Array.from({ length: k }, (_, g) => {
    const count = tp[g]! + fp[g]! + tn[g]! + fn[g]!;
    const positives = tp[g]! + fn[g]!;
    let auc: number | null = null;
    if (score && positives > 0 && positives < count) {
      const rows = members[g]!;
      auc = rocAuc(Uint8Array.from(rows, (i) => (yTrue[i] ? 1 : 0)), Float64Array.from(rows, (i) => score[i]!));
    }
    return {
      count,
      positives,
      selection_rate: count ? (tp[g]! + fp[g]!) / count : 0,
      tpr: positives ? tp[g]! / positives : 0,
      fpr: count - positives ? fp[g]! / (count - positives) : 0,
      precision: tp[g]! + fp[g]! ? tp[g]! / (tp[g]! + fp[g]!) : 0,
      accuracy: count ? (tp[g]! + tn[g]!) / count : 0,
      roc_auc: auc,
    };
  });
}

/** fairlearn `MetricFrame.difference(method="between_groups")`: largest minus smallest group value. */
export function betweenGroupsDifference(values: Array<number | null>): number | null {
  const v = values.filter((x): x is number => x !== null && !Number.isNaN(x));
  return v.length ? Math.max(...v) - Math.min(...v) : null;
}

/** fairlearn `MetricFrame.ratio(method="between_groups")`: smallest over largest; null (NaN there) when the largest is 0. */
export function betweenGroupsRatio(values: Array<number | null>): number | null {
  const v = values.filter((x): x is number => x !== null && !Number.isNaN(x));
  if (!v.length) return null;
  const max = Math.max(...v);
  return max === 0 ? null : Math.min(...v) / max;
}

export interface Disparities {
  demographic_parity_difference: number | null;
  demographic_parity_ratio: number | null;
  equalized_odds_difference: number | null;
  equalized_odds_ratio: number | null;
  equal_opportunity_difference: number | null;
  equal_opportunity_ratio: number | null;
  /**
   * Disparate impact: the lowest group selection rate over the highest (= demographic parity ratio). The
   * four-fifths rule (US EEOC Uniform Guidelines, 29 CFR 1607.4(D)) asks for at least 0.8.
   */
  disparate_impact: number | null;
}

/**
 * fairlearn's disparity metrics from per-group rates: `demographic_parity_difference/ratio` (selection rate),
 * `equal_opportunity_difference/ratio` (TPR), `equalized_odds_difference` (the larger of the TPR and FPR
 * differences, `agg="worst_case"`) and `equalized_odds_ratio` (the smaller of the two ratios).
 */
export function disparities(rates: GroupRates[]): Disparities {
  const sel = rates.map((r) => r.selection_rate);
  const tpr = rates.map((r) => r.tpr);
  const fpr = rates.map((r) => r.fpr);
  const tprDiff = betweenGroupsDifference(tpr);
  const fprDiff = betweenGroupsDifference(fpr);
  const tprRatio = betweenGroupsRatio(tpr);
  const fprRatio = betweenGroupsRatio(fpr);
  const dpr = betweenGroupsRatio(sel);
  return {
    demographic_parity_difference: betweenGroupsDifference(sel),
    demographic_parity_ratio: dpr,
    equalized_odds_difference: worst(tprDiff, fprDiff, Math.max),
    equalized_odds_ratio: worst(tprRatio, fprRatio, Math.min),
    equal_opportunity_difference: tprDiff,
    equal_opportunity_ratio: tprRatio,
    disparate_impact: dpr,
  };
}

function worst(a: number | null, b: number | null, pick: (x: number, y: number) => number): number | null {
  return a === null ? b : b === null ? a : pick(a, b);
}

/**
 * Kamiran & Calders (2012) reweighing: each row of group g with label y gets w(g, y) = P(g)·P(y) / P(g, y)
 * = n_g · n_y / (n · n_gy), so that label and group are independent in the weighted data. `label` codes `0..c-1`.
 * Returns the per-row weights and the weight table `w[g][y]` (0 for a combination with no rows).
 */
export function reweighingWeights(group: Codes, label: Codes, k: number, c: number): { weights: Float64Array; table: number[][] } {
  const n = group.length;
  if (label.length !== n) throw new RangeError("reweighingWeights: inputs differ in length");
  const ng = new Float64Array(k);
  const ny = new Float64Array(c);
  const ngy = Array.from({ length: k }, () => new Float64Array(c));
  for (let i = 0; i < n; i++) {
    ng[group[i]!]!++;
    ny[label[i]!]!++;
    ngy[group[i]!]![label[i]!]!++;
  }
  const table = Array.from({ length: k }, (_, g) => Array.from({ length: c }, (_, y) => (ngy[g]![y]! ? (ng[g]! * ny[y]!) / (n * ngy[g]![y]!) : 0)));
  const weights = new Float64Array(n);
  for (let i = 0; i < n; i++) weights[i] = table[group[i]!]![label[i]!]!;
  return { weights, table };
}
