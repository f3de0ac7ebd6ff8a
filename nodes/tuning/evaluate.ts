/**
 * Scores of a trained model on held-out rows, for cross-validation and tuning: classification (accuracy,
 * balanced accuracy, macro F1, log loss, ROC-AUC — binary, or one-vs-rest macro for more classes) or
 * regression (RMSE, MAE, R²), with the same metric code as the evaluation nodes. Whether the model classifies
 * comes from the model itself (its classes).
 */
import type { Table } from "apache-arrow";
import { numericColumn, stringColumn } from "../core/arrow";
import type { TF } from "../core/context";
import type { ModelValue } from "../core/values";
import { balancedAccuracy, f1Macro } from "../evaluation/classification-extras";
import { accuracy, logLoss, rocAuc, rocAucOvr } from "../evaluation/metrics";
import { regressionScores } from "../evaluation/regression";
import { predictTreeModel } from "../training/tree-models";
import { isMlpRegressor, predictMlpRegression } from "../training/mlp-model";
import { scoreClassifier } from "../training/predict";

/** Every metric CV and tuning report, with whether more is better. */
export const METRICS = {
  roc_auc: { title: "ROC-AUC", higher: true },
  accuracy: { title: "Accuracy", higher: true },
  balanced_accuracy: { title: "Balanced accuracy", higher: true },
  f1_macro: { title: "F1 (macro)", higher: true },
  log_loss: { title: "Log loss", higher: false },
  rmse: { title: "RMSE", higher: false },
  mae: { title: "MAE", higher: false },
  r2: { title: "R²", higher: true },
} as const;
export type MetricName = keyof typeof METRICS;
export const METRIC_NAMES = Object.keys(METRICS) as MetricName[];

/** Regressors (MLP, tree models) have no classes. */
export function isClassifier(model: ModelValue): boolean {
  return !isMlpRegressor(model) && (model.info.classes?.length ?? 0) >= 2;
}

export interface HeldOutScores {
  task: "classification" | "regression";
  rows: number;
  metrics: Partial<Record<MetricName, number | null>>;
}

/** Scores `model` on `table` (which holds the label column `label`); rows without a usable label are skipped. */
export async function scoreHeldOut(model: ModelValue, table: Table, label: string, getTf: () => Promise<TF>): Promise<HeldOutScores> {
  if (!isClassifier(model)) {
    const y = numericColumn(table, label);
    const pred = isMlpRegressor(model) ? await predictMlpRegression(model, table, await getTf()) : predictTreeModel(model, table).proba;
    const rows = [...y.keys()].filter((i) => Number.isFinite(y[i]!) && Number.isFinite(pred[i]!));
    const s = regressionScores(Float64Array.from(rows, (i) => y[i]!), Float64Array.from(rows, (i) => pred[i]!));
    return { task: "regression", rows: rows.length, metrics: { rmse: s.rmse, mae: s.mae, r2: s.r2 } };
  }
  const { classes, proba } = await scoreClassifier(model, table, getTf);
  const k = classes.length;
  const code = new Map(classes.map((c, i) => [c, i]));
  const truth = stringColumn(table, label);
  // A class the training folds never saw cannot be scored; such rows are left out.
  const rows = truth.flatMap((v, i) => (v !== null && code.has(v) ? [i] : []));
  const yt = Int32Array.from(rows, (i) => code.get(truth[i]!)!);
  const p = new Float64Array(rows.length * k);
  const yp = new Int32Array(rows.length);
  rows.forEach((i, r) => {
    let best = 0;
    for (let c = 0; c < k; c++) {
      p[r * k + c] = proba[i * k + c]!;
      if (proba[i * k + c]! > proba[i * k + best]!) best = c;
    }
    yp[r] = best;
  });
  const present = new Set(yt);
  let auc: number | null = null;
  if (k === 2 && present.size === 2) auc = rocAuc(Uint8Array.from(yt), Float64Array.from(rows, (_, r) => p[r * 2 + 1]!));
  else if (k > 2 && present.size === k) auc = rocAucOvr(yt, p, k);
  return {
    task: "classification",
    rows: rows.length,
    metrics: {
      roc_auc: auc,
      accuracy: accuracy(yt, yp),
      balanced_accuracy: balancedAccuracy(yt, yp, k),
      f1_macro: f1Macro(yt, yp, k),
      log_loss: logLoss(yt, p, k),
    },
  };
}
