/**
 * Regression metrics as pure functions on Float64Arrays, as scikit-learn 1.2 defines them (`mean_squared_error`,
 * `mean_absolute_error`, `r2_score`, `mean_absolute_percentage_error`), checked in test/evaluation.
 */

/** NumPy's float64 machine epsilon: MAPE's floor for |y| (scikit-learn divides by max(|y|, eps)). */
const EPS = 2.220446049250313e-16;

export interface RegressionScores {
  rmse: number;
  mse: number;
  mae: number;
  r2: number;
  /** A fraction (0.1 = 10 %), like scikit-learn; huge when some true values are (near) zero. */
  mape: number;
  rows: number;
}

export function regressionScores(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): RegressionScores {
  const n = yTrue.length;
  if (yPred.length !== n) throw new RangeError(`Length mismatch: ${n} vs ${yPred.length}`);
  if (n === 0) throw new RangeError("No rows to score");
  let sq = 0;
  let abs = 0;
  let pct = 0;
  let mean = 0;
  for (let i = 0; i < n; i++) mean += yTrue[i]!;
  mean /= n;
  let tot = 0;
  for (let i = 0; i < n; i++) {
    const e = yTrue[i]! - yPred[i]!;
    sq += e * e;
    abs += Math.abs(e);
    pct += Math.abs(e) / Math.max(Math.abs(yTrue[i]!), EPS);
    const d = yTrue[i]! - mean;
    tot += d * d;
  }
  const mse = sq / n;
  // r2_score's force_finite: a constant target scores 1 when predicted perfectly, else 0.
  const r2 = tot !== 0 ? 1 - sq / tot : sq === 0 ? 1 : 0;
  return { rmse: Math.sqrt(mse), mse, mae: abs / n, r2, mape: pct / n, rows: n };
}
