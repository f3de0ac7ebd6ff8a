/**
 * The arithmetic of Kernel SHAP (Lundberg & Lee, 2017): which coalitions of features to evaluate, with what
 * Shapley-kernel weights, and the constrained weighted least squares that turns their values into SHAP
 * values. With every coalition the result is the exact Shapley values; with a sample it is the estimate the
 * `shap` library computes (complete enumeration of the smallest and largest coalition sizes while the budget
 * allows, then paired sampling of the rest). The constraint `base + Σ φ = f(x)` holds exactly either way.
 */

export interface Coalitions {
  /** Number of features (players). */
  m: number;
  /** K × m, row-major: 1 where the feature takes the explained row's value. Never all 0 or all 1. */
  masks: Uint8Array;
  /** K kernel weights (they sum to 1). */
  weights: Float64Array;
  /** Every coalition is present: the values are exact Shapley values. */
  exact: boolean;
}

/** Mass of all coalitions of size s under the Shapley kernel: (m-1) / (s (m-s)), before normalization. */
function sizeMass(m: number, s: number): number {
  return (m - 1) / (s * (m - s));
}

export function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return Math.round(r);
}

/**
 * Coalitions to evaluate for `m` features within `budget` evaluations (at least 2). Exact when all
 * `2^m - 2` proper, non-empty coalitions fit in the budget.
 */
export function coalitions(m: number, budget: number, random: () => number): Coalitions {
  if (m < 2) return { m, masks: new Uint8Array(0), weights: new Float64Array(0), exact: true };
  let total = 0;
  for (let s = 1; s < m; s++) total += sizeMass(m, s);
  const masks: number[][] = [];
  const weights: number[] = [];
  let left = Math.max(2, budget);
  let massLeft = 1;
  let full = 0; // sizes 1..full (and m-full..m-1) are completely enumerated
  const allFit = m < 31 && budget >= 2 ** m - 2;
  for (let s = 1; s <= Math.floor(m / 2); s++) {
    const paired = s !== m - s;
    const count = binomial(m, s) * (paired ? 2 : 1);
    const mass = (sizeMass(m, s) / total) * (paired ? 2 : 1);
    // Enumerate this size when the budget share it would get under sampling covers all its coalitions.
    if (!allFit && (count > left || (left * mass) / massLeft < count - 1e-9)) break;
    const each = sizeMass(m, s) / total / binomial(m, s);
    for (const subset of subsetsOfSize(m, s)) {
      const mask = new Array<number>(m).fill(0);
      for (const j of subset) mask[j] = 1;
      masks.push(mask);
      weights.push(each);
      if (paired) (masks.push(mask.map((v) => 1 - v)), weights.push(each));
    }
    left -= count;
    massLeft -= mass;
    full = s;
  }
  const exact = full >= Math.floor(m / 2);
  if (!exact && left >= 2) {
    // Paired sampling over the sizes not enumerated, in proportion to their kernel mass.
    const sizes: number[] = [];
    const cum: number[] = [];
    let acc = 0;
    for (let s = full + 1; s <= m - full - 1; s++) (sizes.push(s), (acc += sizeMass(m, s)), cum.push(acc));
    const draws = left - (left % 2);
    const each = massLeft / draws;
    const seen = new Map<string, number>();
    for (let d = 0; d < draws; d += 2) {
      const u = random() * acc;
      const s = sizes[Math.min(sizes.length - 1, cum.findIndex((c) => u < c))]!;
      const mask = randomSubsetMask(m, s, random);
      for (const mk of [mask, mask.map((v) => 1 - v)]) {
        const key = mk.join("");
        const at = seen.get(key);
        if (at !== undefined) weights[at]! += each;
        else (seen.set(key, masks.length), masks.push(mk), weights.push(each));
      }
    }
  }
  return { m, masks: Uint8Array.from(masks.flat()), weights: Float64Array.from(weights), exact };
}

function* subsetsOfSize(m: number, s: number): Generator<number[]> {
  const idx = Array.from({ length: s }, (_, i) => i);
  while (true) {
    yield idx.slice();
    let i = s - 1;
    while (i >= 0 && idx[i] === m - s + i) i--;
    if (i < 0) return;
    idx[i]!++;
    for (let j = i + 1; j < s; j++) idx[j] = idx[j - 1]! + 1;
  }
}

function randomSubsetMask(m: number, s: number, random: () => number): number[] {
  const order = Array.from({ length: m }, (_, i) => i);
  for (let i = 0; i < s; i++) {
    const j = i + Math.floor(random() * (m - i));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const mask = new Array<number>(m).fill(0);
  for (let i = 0; i < s; i++) mask[order[i]!] = 1;
  return mask;
}

/**
 * SHAP values from the coalition values `v[k]` (mean model output with coalition k's features from the row
 * and the others from the background), `base` (the empty coalition: mean output on the background) and `fx`
 * (the full coalition: the row's output). Weighted least squares under the constraint Σ φ = fx - base,
 * solved by eliminating the last feature, in float64.
 */
export function solveShap(c: Coalitions, v: ArrayLike<number>, base: number, fx: number): Float64Array {
  const { m, masks, weights } = c;
  const phi = new Float64Array(m);
  if (m === 1) return (phi[0] = fx - base), phi;
  const p = m - 1;
  const A = new Float64Array(p * p);
  const rhs = new Float64Array(p);
  const row = new Float64Array(p);
  const K = weights.length;
  for (let k = 0; k < K; k++) {
    const zLast = masks[k * m + p]!;
    const y = v[k]! - base - zLast * (fx - base);
    for (let j = 0; j < p; j++) row[j] = masks[k * m + j]! - zLast;
    const w = weights[k]!;
    for (let a = 0; a < p; a++) {
      if (row[a] === 0) continue;
      const wa = w * row[a]!;
      rhs[a]! += wa * y;
      for (let b = 0; b < p; b++) A[a * p + b]! += wa * row[b]!;
    }
  }
  const sol = solveSymmetric(A, rhs, p);
  let sum = 0;
  for (let j = 0; j < p; j++) (phi[j] = sol[j]!), (sum += sol[j]!);
  phi[p] = fx - base - sum;
  return phi;
}

/** Gaussian elimination with partial pivoting; an (almost) singular direction gets coefficient 0. */
function solveSymmetric(A: Float64Array, b: Float64Array, n: number): Float64Array {
  const M = Float64Array.from(A);
  const y = Float64Array.from(b);
  const scale = Math.max(1e-300, ...Array.from({ length: n }, (_, i) => Math.abs(M[i * n + i]!)));
  const skip = new Uint8Array(n);
  for (let col = 0; col < n; col++) {
    let best = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(M[r * n + col]!) > Math.abs(M[best * n + col]!)) best = r;
    if (Math.abs(M[best * n + col]!) <= 1e-12 * scale) {
      skip[col] = 1;
      continue;
    }
    if (best !== col) {
      for (let k = 0; k < n; k++) [M[col * n + k], M[best * n + k]] = [M[best * n + k]!, M[col * n + k]!];
      [y[col], y[best]] = [y[best]!, y[col]!];
    }
    for (let r = col + 1; r < n; r++) {
      const f = M[r * n + col]! / M[col * n + col]!;
      if (f === 0) continue;
      for (let k = col; k < n; k++) M[r * n + k]! -= f * M[col * n + k]!;
      y[r]! -= f * y[col]!;
    }
  }
  const x = new Float64Array(n);
  for (let r = n - 1; r >= 0; r--) {
    if (skip[r]) continue;
    let s = y[r]!;
    for (let k = r + 1; k < n; k++) s -= M[r * n + k]! * x[k]!;
    x[r] = s / M[r * n + r]!;
  }
  return x;
}
