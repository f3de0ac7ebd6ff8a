/**
 * Classification metrics beyond metrics.ts, as scikit-learn 1.2 defines them: balanced accuracy, macro and
 * weighted F1, and one-vs-rest ROC-AUC with either average. Classes are integer codes `0..k-1`.
 */
import { averagedScores, confusionMatrix, rocAuc } from "./metrics";

type Codes = ArrayLike<number>;

/**
 * Mean recall over the classes present in `yTrue`, as `balanced_accuracy_score` (classes only predicted, never
 * true, are left out, as scikit-learn does after its warning).
 */
export function balancedAccuracy(yTrue: Codes, yPred: Codes, k: number): number {
  const m = confusionMatrix(yTrue, yPred, k);
  const perClass: number[] = [];
  for (let c = 0; c < k; c++) {
    const support = m[c]!.reduce((a, b) => a + b, 0);
    if (support > 0) perClass.push(m[c]![c]! / support);
  }
  return perClass.reduce((a, b) => a + b, 0) / perClass.length;
}

/** `f1_score(average="macro")`: the plain mean of per-class F1 over classes seen in `yTrue` or `yPred`. */
export const f1Macro = (yTrue: Codes, yPred: Codes, k: number): number => averagedScores(yTrue, yPred, k, "macro").f1;

/** `f1_score(average="weighted")`: per-class F1 weighted by each class's support in `yTrue`. */
export const f1Weighted = (yTrue: Codes, yPred: Codes, k: number): number => averagedScores(yTrue, yPred, k, "weighted").f1;

/**
 * One-vs-rest ROC-AUC as `roc_auc_score(multi_class="ovr", average)`: each class's AUC against the rest, then
 * the plain mean (`macro`) or the mean weighted by class prevalence (`weighted`). `proba` is rows × k, row-major.
 * Returns null where scikit-learn refuses: a class that never occurs in `yTrue` has no AUC.
 */
export function rocAucOneVsRest(yTrue: Codes, proba: ArrayLike<number>, k: number, average: "macro" | "weighted" = "macro"): number | null {
  const n = yTrue.length;
  if (proba.length !== n * k) throw new RangeError(`rocAucOneVsRest: expected ${n * k} probabilities, got ${proba.length}`);
  let sum = 0;
  let weights = 0;
  for (let c = 0; c < k; c++) {
    const pos = new Uint8Array(n);
    const col = new Float64Array(n);
    let np = 0;
    for (let i = 0; i < n; i++) {
      pos[i] = yTrue[i] === c ? 1 : 0;
      np += pos[i]!;
      col[i] = proba[i * k + c]!;
    }
    if (np === 0 || np === n) return null;
    const w = average === "macro" ? 1 : np;
    sum += rocAuc(pos, col) * w;
    weights += w;
  }
  return sum / weights;
}
