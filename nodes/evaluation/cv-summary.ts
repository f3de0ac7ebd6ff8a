/**
 * Cross-validation summary: per metric, the mean and standard deviation over folds. The standard deviation is
 * the population one (ddof = 0), as scikit-learn's `cross_validate` users get from `np.std` and as
 * `GridSearchCV.cv_results_["std_test_score"]` reports.
 */
import type { MetricValue } from "../core/values";

export interface MetricSummary {
  mean: number;
  std: number;
  /** Folds that had a value for this metric (null fold values are left out). */
  folds: number;
  min: number;
  max: number;
}

/** `folds[f]` maps metric name → value for fold f. Metrics with no value in any fold are left out. */
export function summarizeFolds(folds: Array<Record<string, MetricValue | undefined>>): Record<string, MetricSummary> {
  const names = [...new Set(folds.flatMap((f) => Object.keys(f)))];
  const out: Record<string, MetricSummary> = {};
  for (const name of names) {
    const vals = folds.map((f) => f[name]).filter((v): v is number => typeof v === "number" && Number.isFinite(v));
    if (!vals.length) continue;
    const mean = vals.reduce((a, b) => a + b, 0) / vals.length;
    const std = Math.sqrt(vals.reduce((a, v) => a + (v - mean) * (v - mean), 0) / vals.length);
    out[name] = { mean, std, folds: vals.length, min: Math.min(...vals), max: Math.max(...vals) };
  }
  return out;
}

/** "0.901 ± 0.004": the way a summary is shown on a node's face. */
export function formatMeanStd(s: MetricSummary, digits = 3): string {
  return `${s.mean.toFixed(digits)} ± ${s.std.toFixed(digits)}`;
}
