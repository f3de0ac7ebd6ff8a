/**
 * Full-batch solvers for L2-penalized logistic and softmax regression, minimizing scikit-learn's objective
 *
 *     f(W, b) = Σᵢ sᵢ · CE(yᵢ, xᵢW + b) + ‖W‖² / (2C)          (intercepts b unpenalized, sᵢ = row weight)
 *
 * so that, for the same encoded matrix and C, the coefficients equal `LogisticRegression(C=C)`'s (lbfgs,
 * multinomial for more than two classes) to solver precision.
 *
 * - {@link newtonBinary}: Newton–Raphson (IRLS) with a backtracking line search, two classes. Converges in a
 *   handful of iterations; each costs one pass over the rows plus a (d+1)² Cholesky solve.
 * - {@link lbfgs}: limited-memory BFGS, two or more classes; needs only gradients (no d·K × d·K Hessian).
 *
 * Plain float64 typed-array code over the encoded matrix in CSR form: one-hot encoded rows are mostly zeros
 * (Adult: ~14 non-zeros of ~100 columns), and a sparse pass beats a dense TensorFlow.js matMul (float32 on
 * wasm) both in time and in precision. The data are small enough (rows × non-zeros) that no batching is needed.
 */

/** Rows in compressed-sparse-row form; column indices increase within a row. */
export interface SparseRows {
  n: number;
  d: number;
  rowStart: Int32Array;
  col: Int32Array;
  val: Float64Array;
}

/** The rows `rows` of `x`, in that order. */
export function selectRows(x: SparseRows, rows: Int32Array): SparseRows {
  const rowStart = new Int32Array(rows.length + 1);
  for (let i = 0; i < rows.length; i++) rowStart[i + 1] = rowStart[i]! + x.rowStart[rows[i]! + 1]! - x.rowStart[rows[i]!]!;
  const col = new Int32Array(rowStart[rows.length]!);
  const val = new Float64Array(col.length);
  for (let i = 0; i < rows.length; i++) {
    const from = x.rowStart[rows[i]!]!;
    const len = rowStart[i + 1]! - rowStart[i]!;
    col.set(x.col.subarray(from, from + len), rowStart[i]!);
    val.set(x.val.subarray(from, from + len), rowStart[i]!);
  }
  return { n: rows.length, d: x.d, rowStart, col, val };
}

export interface LinearProblem {
  x: SparseRows;
  /** Class code per row, 0..classes-1. */
  y: Int32Array;
  classes: number;
  /** Row weights (scikit-learn's sample_weight); undefined: all 1. */
  weights?: Float32Array;
  /** Inverse penalty strength, as scikit-learn's C. */
  C: number;
}

/** Parameters: `W` is `d × units` row-major, `b` has `units` entries (1 unit for two classes). */
export interface LinearParams {
  W: Float64Array;
  b: Float64Array;
  units: number;
}

export interface SolveOptions {
  maxIter: number;
  /**
   * After each iteration (1-based) with the parameters so far and their summed weighted cross-entropy (f
   * without the penalty); throw (e.g. an abort) to stop.
   */
  onIteration?: (iteration: number, params: LinearParams, crossEntropy: number) => void | Promise<void>;
}

export interface SolveResult extends LinearParams {
  iterations: number;
  converged: boolean;
}

const sigmoid = (z: number) => (z >= 0 ? 1 / (1 + Math.exp(-z)) : Math.exp(z) / (1 + Math.exp(z)));
/** log(1 + e^z) without overflow. */
const softplus = (z: number) => (z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z)));

/**
 * Weighted cross-entropy summed over rows (no penalty) of `params` on `x`/`y`; the mean per row is this over
 * `x.n`. Used for loss curves on training and held-out rows.
 */
export function crossEntropySum(x: SparseRows, y: Int32Array, weights: Float32Array | undefined, params: LinearParams): number {
  const { W, b, units } = params;
  const z = new Float64Array(units);
  let total = 0;
  for (let i = 0; i < x.n; i++) {
    logits(x, i, W, b, units, z);
    total += (weights ? weights[i]! : 1) * rowLoss(z, units, y[i]!);
  }
  return total;
}

function logits(x: SparseRows, i: number, W: Float64Array, b: Float64Array, units: number, z: Float64Array): void {
  for (let k = 0; k < units; k++) z[k] = b[k]!;
  for (let p = x.rowStart[i]!, e = x.rowStart[i + 1]!; p < e; p++) {
    const v = x.val[p]!;
    const o = x.col[p]! * units;
    for (let k = 0; k < units; k++) z[k]! += v * W[o + k]!;
  }
}

/** Cross-entropy of one row from its logits; for several units, `z` is turned into probabilities in place. */
function rowLoss(z: Float64Array, units: number, y: number): number {
  if (units === 1) return softplus(z[0]!) - (y === 1 ? z[0]! : 0);
  let max = -Infinity;
  for (let k = 0; k < units; k++) if (z[k]! > max) max = z[k]!;
  let sum = 0;
  for (let k = 0; k < units; k++) sum += Math.exp(z[k]! - max);
  const lse = max + Math.log(sum);
  const loss = lse - z[y]!;
  for (let k = 0; k < units; k++) z[k] = Math.exp(z[k]! - lse);
  return loss;
}

/** f(θ), and its gradient into `gW`/`gb` when given. */
function objective(pr: LinearProblem, params: LinearParams, gW?: Float64Array, gb?: Float64Array): number {
  const { x, y, weights, C } = pr;
  const { W, b, units } = params;
  const z = new Float64Array(units);
  const r = new Float64Array(units);
  gW?.fill(0);
  gb?.fill(0);
  let f = 0;
  for (let i = 0; i < x.n; i++) {
    const s = weights ? weights[i]! : 1;
    if (s === 0) continue;
    logits(x, i, W, b, units, z);
    f += s * rowLoss(z, units, y[i]!);
    if (!gW || !gb) continue;
    // Residuals p − y (z holds probabilities now for several units).
    if (units === 1) r[0] = s * (sigmoid(z[0]!) - (y[i] === 1 ? 1 : 0));
    else for (let k = 0; k < units; k++) r[k] = s * (z[k]! - (y[i] === k ? 1 : 0));
    for (let k = 0; k < units; k++) gb[k]! += r[k]!;
    for (let p = x.rowStart[i]!, e = x.rowStart[i + 1]!; p < e; p++) {
      const v = x.val[p]!;
      const o = x.col[p]! * units;
      for (let k = 0; k < units; k++) gW[o + k]! += v * r[k]!;
    }
  }
  let ww = 0;
  for (let j = 0; j < W.length; j++) ww += W[j]! * W[j]!;
  f += ww / (2 * C);
  if (gW) for (let j = 0; j < W.length; j++) gW[j]! += W[j]! / C;
  return f;
}

/** Relative step size below which an iteration counts as converged (Newton converges quadratically). */
const STEP_TOL = 1e-10;

/**
 * One pass over the rows for one unit: f(θ) into the return value, and its gradient `g` (length d + 1, the
 * intercept last) and Hessian `H` (row-major (d+1)², Σ sᵢ pᵢ(1−pᵢ) [xᵢ 1][xᵢ 1]ᵀ + I/C on the coefficients).
 */
function binaryPass(pr: LinearProblem, W: Float64Array, b: number, g: Float64Array, H: Float64Array): number {
  const { x, y, weights, C } = pr;
  const { rowStart, col, val } = x;
  const d = x.d;
  const D = d + 1;
  g.fill(0);
  H.fill(0);
  let f = 0;
  for (let i = 0; i < x.n; i++) {
    const s = weights ? weights[i]! : 1;
    if (s === 0) continue;
    const start = rowStart[i]!;
    const end = rowStart[i + 1]!;
    let z = b;
    for (let q = start; q < end; q++) z += val[q]! * W[col[q]!]!;
    const p = sigmoid(z);
    f += s * (softplus(z) - (y[i] === 1 ? z : 0));
    const r = s * (p - (y[i] === 1 ? 1 : 0));
    const h = s * p * (1 - p);
    g[d]! += r;
    H[d * D + d]! += h;
    for (let a = start; a < end; a++) {
      const xa = val[a]!;
      const ca = col[a]!;
      g[ca]! += r * xa;
      const va = h * xa;
      const row = ca * D;
      // Upper triangle only (columns increase within a row); mirrored at the end.
      for (let c = a; c < end; c++) H[row + col[c]!]! += va * val[c]!;
      H[row + d]! += va;
    }
  }
  let ww = 0;
  for (let j = 0; j < d; j++) {
    ww += W[j]! * W[j]!;
    g[j]! += W[j]! / C;
    H[j * D + j]! += 1 / C;
  }
  for (let r = 0; r < D; r++) for (let c = r + 1; c < D; c++) H[c * D + r] = H[r * D + c]!;
  return f + ww / (2 * C);
}

/** Newton–Raphson for two classes (one unit). Starts from zero, like scikit-learn. */
export async function newtonBinary(pr: LinearProblem, opts: SolveOptions): Promise<SolveResult> {
  const d = pr.x.d;
  const D = d + 1;
  let theta = new Float64Array(D); // coefficients, then the intercept
  let trial = new Float64Array(D);
  let g = new Float64Array(D);
  let gTrial = new Float64Array(D);
  let H = new Float64Array(D * D);
  let hTrial = new Float64Array(D * D);
  const step = new Float64Array(D);
  const pass = (v: Float64Array, gOut: Float64Array, hOut: Float64Array) => binaryPass(pr, v.subarray(0, d), v[d]!, gOut, hOut);
  const result = (it: number, converged: boolean): SolveResult => ({ W: theta.slice(0, d), b: theta.slice(d), units: 1, iterations: it, converged });
  let f = pass(theta, g, H);
  for (let it = 1; it <= opts.maxIter; it++) {
    solveSpd(H, g, step, D);
    // Backtracking (Armijo) line search along −step; near the optimum the full step is taken, so the pass
    // that tests it also gives the next gradient and Hessian.
    const slope = dot(g, step);
    let t = 1;
    let fTrial = Infinity;
    for (let k = 0; k < 40; k++) {
      for (let j = 0; j < D; j++) trial[j] = theta[j]! - t * step[j]!;
      fTrial = pass(trial, gTrial, hTrial);
      if (fTrial <= f - 1e-4 * t * slope) break;
      t /= 2;
    }
    if (!(fTrial <= f)) return result(it - 1, true); // no descent left in float64: at the optimum
    [theta, trial] = [trial, theta];
    [g, gTrial] = [gTrial, g];
    [H, hTrial] = [hTrial, H];
    f = fTrial;
    await opts.onIteration?.(it, { W: theta.subarray(0, d), b: theta.subarray(d), units: 1 }, f - penalty(theta.subarray(0, d), pr.C));
    let maxStep = 0;
    let maxTheta = 0;
    for (let j = 0; j < D; j++) {
      maxStep = Math.max(maxStep, Math.abs(t * step[j]!));
      maxTheta = Math.max(maxTheta, Math.abs(theta[j]!));
    }
    if (maxStep <= STEP_TOL * (1 + maxTheta)) return result(it, true);
  }
  return result(opts.maxIter, false);
}

/**
 * Solves H·out = g for a symmetric positive semi-definite H by Cholesky. A pivot that is (numerically) zero
 * means that column is a combination of earlier ones (e.g. a full one-hot block next to the intercept, or a
 * constant column, with no penalty): its coefficient is set to 0 and the rest solved without it, which is a
 * valid least-squares solution (the fitted values are the same for every solution).
 */
export function solveSpd(H: Float64Array, g: Float64Array, out: Float64Array, D: number): void {
  const L = new Float64Array(D * D);
  const dropped = new Uint8Array(D);
  let scale = 0;
  for (let j = 0; j < D; j++) scale = Math.max(scale, H[j * D + j]!);
  const tiny = Math.max(scale, 1e-300) * 1e-11;
  for (let j = 0; j < D; j++) {
    let s = H[j * D + j]!;
    for (let k = 0; k < j; k++) s -= L[j * D + k]! * L[j * D + k]!;
    if (!(s > tiny)) {
      dropped[j] = 1;
      L[j * D + j] = 1;
      continue;
    }
    const diag = Math.sqrt(s);
    L[j * D + j] = diag;
    for (let i = j + 1; i < D; i++) {
      let t = H[i * D + j]!;
      for (let k = 0; k < j; k++) t -= L[i * D + k]! * L[j * D + k]!;
      L[i * D + j] = t / diag;
    }
  }
  for (let i = 0; i < D; i++) {
    let t = dropped[i] ? 0 : g[i]!;
    for (let k = 0; k < i; k++) t -= L[i * D + k]! * out[k]!;
    out[i] = dropped[i] ? 0 : t / L[i * D + i]!;
  }
  for (let i = D - 1; i >= 0; i--) {
    if (dropped[i]) continue;
    let t = out[i]!;
    for (let k = i + 1; k < D; k++) t -= L[k * D + i]! * out[k]!;
    out[i] = t / L[i * D + i]!;
  }
}

/**
 * Weighted least squares with an unpenalized intercept, as scikit-learn's LinearRegression (alpha = 0) and
 * Ridge(alpha): minimizes Σ sᵢ (yᵢ − xᵢw − b)² + alpha ‖w‖², through the normal equations on centred data.
 */
export function leastSquares(x: SparseRows, y: Float64Array, weights: Float32Array | undefined, alpha: number): { W: Float64Array; b: number } {
  const d = x.d;
  const { rowStart, col, val } = x;
  // Weighted means of the columns and the target: centring removes the intercept from the system.
  const mx = new Float64Array(d);
  let my = 0;
  let sw = 0;
  for (let i = 0; i < x.n; i++) {
    const s = weights ? weights[i]! : 1;
    sw += s;
    my += s * y[i]!;
    for (let q = rowStart[i]!; q < rowStart[i + 1]!; q++) mx[col[q]!]! += s * val[q]!;
  }
  for (let j = 0; j < d; j++) mx[j]! /= sw;
  my /= sw;
  // Xcᵀ S Xc = Xᵀ S X − sw·mx·mxᵀ and Xcᵀ S yc = Xᵀ S y − sw·mx·my: sparse passes, then a dense correction.
  const A = new Float64Array(d * d);
  const r = new Float64Array(d);
  for (let i = 0; i < x.n; i++) {
    const s = weights ? weights[i]! : 1;
    const start = rowStart[i]!;
    const end = rowStart[i + 1]!;
    for (let a = start; a < end; a++) {
      const va = s * val[a]!;
      const row = col[a]! * d;
      r[col[a]!]! += va * y[i]!;
      for (let c = a; c < end; c++) A[row + col[c]!]! += va * val[c]!;
    }
  }
  for (let a = 0; a < d; a++) {
    r[a]! -= sw * mx[a]! * my;
    for (let c = a; c < d; c++) A[a * d + c]! -= sw * mx[a]! * mx[c]!;
    A[a * d + a]! += alpha;
    for (let c = a + 1; c < d; c++) A[c * d + a] = A[a * d + c]!;
  }
  const W = new Float64Array(d);
  solveSpd(A, r, W, d);
  return { W, b: my - dot(mx, W) };
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

/** L-BFGS history length. */
const MEMORY = 10;

/**
 * L-BFGS with a backtracking (Armijo) line search, for one unit (two classes) or one unit per class
 * (softmax). Stops when the largest gradient entry is below 1e-9 per unit of row weight, or f stops changing.
 */
export async function lbfgs(pr: LinearProblem, opts: SolveOptions): Promise<SolveResult> {
  const units = pr.classes === 2 ? 1 : pr.classes;
  const nW = pr.x.d * units;
  const N = nW + units;
  const theta = new Float64Array(N);
  const view = (v: Float64Array): LinearParams => ({ W: v.subarray(0, nW), b: v.subarray(nW), units });
  const grad = new Float64Array(N);
  const evalAt = (v: Float64Array, gOut: Float64Array) => objective(pr, view(v), gOut.subarray(0, nW), gOut.subarray(nW));
  let f = evalAt(theta, grad);
  let weightSum = 0;
  for (let i = 0; i < pr.x.n; i++) weightSum += pr.weights ? pr.weights[i]! : 1;
  const gtol = 1e-9 * Math.max(1, weightSum);
  const S: Float64Array[] = [];
  const Y: Float64Array[] = [];
  const rho: number[] = [];
  const dir = new Float64Array(N);
  const alpha = new Float64Array(MEMORY);
  const next = new Float64Array(N);
  const gNext = new Float64Array(N);
  for (let it = 1; it <= opts.maxIter; it++) {
    if (maxAbs(grad) <= gtol) return { ...view(theta), iterations: it - 1, converged: true };
    // Two-loop recursion: dir = H⁻¹·grad.
    dir.set(grad);
    for (let k = S.length - 1; k >= 0; k--) {
      alpha[k] = rho[k]! * dot(S[k]!, dir);
      axpy(-alpha[k]!, Y[k]!, dir);
    }
    const gamma = S.length ? dot(S[S.length - 1]!, Y[Y.length - 1]!) / dot(Y[Y.length - 1]!, Y[Y.length - 1]!) : 1 / Math.max(1, maxAbs(grad));
    for (let j = 0; j < N; j++) dir[j]! *= gamma;
    for (let k = 0; k < S.length; k++) axpy(alpha[k]! - rho[k]! * dot(Y[k]!, dir), S[k]!, dir);
    const slope = dot(grad, dir);
    let t = 1;
    let fNext = Infinity;
    for (let k = 0; k < 40; k++) {
      for (let j = 0; j < N; j++) next[j] = theta[j]! - t * dir[j]!;
      fNext = evalAt(next, gNext);
      if (fNext <= f - 1e-4 * t * slope) break;
      t /= 2;
    }
    if (!(fNext < f)) return { ...view(theta), iterations: it, converged: true };
    const s = new Float64Array(N);
    const y = new Float64Array(N);
    for (let j = 0; j < N; j++) (s[j] = next[j]! - theta[j]!), (y[j] = gNext[j]! - grad[j]!);
    const sy = dot(s, y);
    if (sy > 1e-12 * dot(y, y)) {
      if (S.length === MEMORY) S.shift(), Y.shift(), rho.shift();
      S.push(s), Y.push(y), rho.push(1 / sy);
    }
    const change = f - fNext;
    theta.set(next);
    grad.set(gNext);
    f = fNext;
    await opts.onIteration?.(it, view(theta), f - penalty(view(theta).W, pr.C));
    if (change <= 1e-15 * Math.max(1, Math.abs(f))) return { ...view(theta), iterations: it, converged: maxAbs(grad) <= gtol * 1e3 };
  }
  return { ...view(theta), iterations: opts.maxIter, converged: maxAbs(grad) <= gtol };
}

function penalty(W: Float64Array, C: number): number {
  return dot(W, W) / (2 * C);
}

function maxAbs(v: Float64Array): number {
  let m = 0;
  for (let i = 0; i < v.length; i++) m = Math.max(m, Math.abs(v[i]!));
  return m;
}

function axpy(a: number, x: Float64Array, y: Float64Array): void {
  for (let i = 0; i < y.length; i++) y[i]! += a * x[i]!;
}
