/**
 * Objectives for gradient boosting: their starting raw score, per-row gradients and hessians (Newton
 * boosting), and the mean loss reported per round and used for early stopping.
 *
 * Raw scores are row-major `rows × k`, with k = 1 for binary log loss and squared error and k = classes for
 * softmax. Targets `y` hold class codes (0..k-1; 1 is the positive class) or regression values.
 */

export type Objective = "binary" | "multiclass" | "regression";

export interface Loss {
  objective: Objective;
  /** Raw scores (trees) per row and round. */
  k: number;
  /** Raw score before any tree, fitted to the training targets. */
  baseline(y: Float64Array): Float64Array;
  /**
   * Fill `g[j]`, `h[j]` (one array per raw score) from the current raw scores and return their mean loss
   * (one pass: the loss after a round comes with the gradients for the next).
   */
  gradients(y: Float64Array, raw: Float64Array, g: Float64Array[], h: Float64Array[]): number;
  /** Mean loss: cross-entropy (nats) for classification, mean squared error for regression. */
  loss(y: Float64Array, raw: Float64Array): number;
}

/** Probabilities are clipped to [EPS, 1 − EPS] for the baseline, as scikit-learn does. */
const EPS = 1e-15;

export function makeLoss(objective: Objective, classes: number): Loss {
  if (objective === "binary") return binary;
  if (objective === "regression") return squared;
  return multinomial(classes);
}

/** log(1 + e^x) without overflow. */
function softplus(x: number): number {
  return x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x));
}

const binary: Loss = {
  objective: "binary",
  k: 1,
  baseline(y) {
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i]!;
    const p = Math.min(1 - EPS, Math.max(EPS, s / y.length));
    return Float64Array.of(Math.log(p / (1 - p)));
  },
  gradients(y, raw, g, h) {
    const g0 = g[0]!;
    const h0 = h[0]!;
    let s = 0;
    for (let i = 0; i < y.length; i++) {
      const r = raw[i]!;
      // e = exp(-|r|) gives both the sigmoid and log(1 + e^r) without overflow, with one exp.
      const e = Math.exp(r > 0 ? -r : r);
      const p = r > 0 ? 1 / (1 + e) : e / (1 + e);
      const yi = y[i]!;
      s += (r > 0 ? r : 0) + Math.log1p(e) - yi * r;
      g0[i] = p - yi;
      h0[i] = p * (1 - p);
    }
    return s / y.length;
  },
  loss(y, raw) {
    let s = 0;
    for (let i = 0; i < y.length; i++) s += softplus(raw[i]!) - y[i]! * raw[i]!;
    return s / y.length;
  },
};

const squared: Loss = {
  objective: "regression",
  k: 1,
  baseline(y) {
    let s = 0;
    for (let i = 0; i < y.length; i++) s += y[i]!;
    return Float64Array.of(s / y.length);
  },
  gradients(y, raw, g, h) {
    const g0 = g[0]!;
    let s = 0;
    for (let i = 0; i < y.length; i++) {
      const d = raw[i]! - y[i]!;
      g0[i] = d;
      s += d * d;
    }
    h[0]!.fill(1);
    return s / y.length;
  },
  loss(y, raw) {
    let s = 0;
    for (let i = 0; i < y.length; i++) s += (raw[i]! - y[i]!) ** 2;
    return s / y.length;
  },
};

function multinomial(k: number): Loss {
  const p = new Float64Array(k);
  /** Softmax of row i into `p`; returns log Σ exp(raw). */
  const softmax = (raw: Float64Array, i: number) => {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, raw[i * k + j]!);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += p[j] = Math.exp(raw[i * k + j]! - max);
    for (let j = 0; j < k; j++) p[j]! /= sum;
    return max + Math.log(sum);
  };
  return {
    objective: "multiclass",
    k,
    baseline(y) {
      const counts = new Float64Array(k);
      for (let i = 0; i < y.length; i++) counts[y[i]!]!++;
      const out = counts.map((c) => Math.log(Math.min(1 - EPS, Math.max(EPS, c / y.length))));
      // Softmax is shift-invariant: center the scores (scikit-learn's symmetric multinomial link).
      const mean = out.reduce((a, b) => a + b, 0) / k;
      return out.map((v) => v - mean);
    },
    gradients(y, raw, g, h) {
      let s = 0;
      for (let i = 0; i < y.length; i++) {
        const yi = y[i]!;
        s += softmax(raw, i) - raw[i * k + yi]!;
        for (let j = 0; j < k; j++) {
          const q = p[j]!;
          g[j]![i] = q - (yi === j ? 1 : 0);
          h[j]![i] = q * (1 - q);
        }
      }
      return s / y.length;
    },
    loss(y, raw) {
      let s = 0;
      for (let i = 0; i < y.length; i++) s += softmax(raw, i) - raw[i * k + y[i]!]!;
      return s / y.length;
    },
  };
}

/** Raw scores → outputs in place: probabilities for classification (binary: of the positive class). */
export function rawToProba(objective: Objective, raw: Float64Array, k: number): Float64Array {
  const rows = raw.length / k;
  if (objective === "regression") return raw.slice();
  if (objective === "binary") {
    const out = new Float64Array(rows * 2);
    for (let i = 0; i < rows; i++) {
      const q = 1 / (1 + Math.exp(-raw[i]!));
      out[2 * i] = 1 - q;
      out[2 * i + 1] = q;
    }
    return out;
  }
  const out = new Float64Array(rows * k);
  for (let i = 0; i < rows; i++) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, raw[i * k + j]!);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += out[i * k + j] = Math.exp(raw[i * k + j]! - max);
    for (let j = 0; j < k; j++) out[i * k + j]! /= sum;
  }
  return out;
}
