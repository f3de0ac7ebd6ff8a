/**
 * Per-group decision thresholds: for each group, the score cut-off whose selection rate (or true positive rate)
 * on the given rows comes closest to a target. Rows are selected when score ≥ threshold.
 */

export type Objective = "selection_rate" | "tpr";

export interface ThresholdChoice {
  threshold: number;
  /** The achieved rate on the group's rows. */
  rate: number;
}

/**
 * Searches the group's distinct scores (each a cut-off that selects every row scoring at least it) plus one
 * cut-off above all scores (selects nobody). Picks the smallest |rate − target|; among equals the highest
 * cut-off, which selects the fewest rows (for TPR: the fewest false positives at that TPR).
 * `isPositive` is only read for `tpr`; returns undefined when the objective is undefined (TPR of a group
 * without positive rows).
 */
export function chooseThreshold(score: ArrayLike<number>, isPositive: ArrayLike<number>, objective: Objective, target: number): ThresholdChoice | undefined {
  const n = score.length;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => score[b]! - score[a]!);
  let denom = n;
  if (objective === "tpr") {
    denom = 0;
    for (let i = 0; i < n; i++) if (isPositive[i]) denom++;
  }
  if (denom === 0) return undefined;
  const top = n ? score[order[0]!]! : 0;
  // Nobody selected: a cut-off above every score (max + 1, as scikit-learn's roc_curve; JSON-safe unlike +∞).
  let best: ThresholdChoice = { threshold: top + 1, rate: 0 };
  let bestGap = Math.abs(target);
  let hits = 0;
  for (let j = 0; j < n; j++) {
    const i = order[j]!;
    hits += objective === "tpr" ? (isPositive[i] ? 1 : 0) : 1;
    if (j + 1 < n && score[order[j + 1]!] === score[i]) continue; // tied rows move together
    const rate = hits / denom;
    const gap = Math.abs(rate - target);
    if (gap < bestGap) {
      best = { threshold: score[i]!, rate };
      bestGap = gap;
    }
  }
  return best;
}

/** Rate of `objective` when rows with score ≥ threshold are selected. */
export function rateAt(score: ArrayLike<number>, isPositive: ArrayLike<number>, objective: Objective, threshold: number): number | undefined {
  let num = 0;
  let den = 0;
  for (let i = 0; i < score.length; i++) {
    if (objective === "tpr" && !isPositive[i]) continue;
    den++;
    if (score[i]! >= threshold) num++;
  }
  return den ? num / den : undefined;
}
