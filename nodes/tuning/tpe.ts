/**
 * Tree-structured Parzen Estimator (Bergstra et al., "Algorithms for Hyper-Parameter Optimization", 2011), in
 * the form Optuna's TPESampler uses by default: the finished trials are split into the best γ(n) = min(⌈n/10⌉, 25)
 * ("below") and the rest ("above"); each side gets a Parzen density per dimension — a mixture of truncated
 * normals centred on its observations plus a wide prior, bandwidths from the distance to the neighbouring
 * observations clipped to [range / min(100, n + 1), range] — or, for lists, smoothed category frequencies.
 * Candidates are drawn from the "below" density and the one with the highest l(x) / g(x) is proposed.
 * Every random draw comes from the seeded generator passed in, so the same seed and history give the same
 * proposal.
 */
import { bounds, fromInternal, randomPoint, toInternal, type Dimension, type Point } from "./search-space";

/** A finished trial: its point and its loss (lower is better; maximised metrics are negated). */
export interface Observation {
  point: Point;
  loss: number;
}

export interface TpeOptions {
  /** Trials proposed at random before the model is used. */
  startup: number;
  /** Candidates drawn from l(x) per proposal. */
  candidates?: number;
}

const LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

/** Proposes the next point from the finished trials. */
export function suggestTpe(dims: Dimension[], history: Observation[], random: () => number, opts: TpeOptions): Point {
  const done = history.filter((o) => Number.isFinite(o.loss));
  if (done.length < Math.max(1, opts.startup)) return randomPoint(dims, random);
  const sorted = [...done].sort((a, b) => a.loss - b.loss);
  const nBelow = Math.min(Math.ceil(0.1 * sorted.length), 25);
  const below = sorted.slice(0, nBelow);
  const above = sorted.slice(nBelow);
  const models = dims.map((d, j) => ({ l: estimator(d, below.map((o) => o.point[j]!)), g: estimator(d, above.map((o) => o.point[j]!)) }));
  let best: Point | undefined;
  let bestScore = -Infinity;
  for (let c = 0; c < (opts.candidates ?? 24); c++) {
    const point: Point = [];
    let score = 0;
    models.forEach(({ l, g }, j) => {
      const x = l.sample(random);
      point.push(fromInternal(dims[j]!, x));
      score += l.logPdf(x) - g.logPdf(x);
    });
    if (score > bestScore) {
      bestScore = score;
      best = point;
    }
  }
  return best!;
}

interface Estimator {
  /** A draw in internal units. */
  sample(random: () => number): number;
  logPdf(x: number): number;
}

function estimator(d: Dimension, values: number[]): Estimator {
  if (d.kind === "choice") return categorical(d.choices.length, values);
  const [lo, hi] = bounds(d);
  return parzen(values.map((v) => toInternal(d, v)), lo, hi);
}

/** Category frequencies with one pseudo-observation spread evenly (the prior). */
function categorical(k: number, values: number[]): Estimator {
  const w = new Array<number>(k).fill(1 / k);
  for (const v of values) w[v]! += 1;
  const total = w.reduce((a, b) => a + b, 0);
  const p = w.map((x) => x / total);
  return {
    sample(random) {
      let u = random();
      for (let i = 0; i < k; i++) {
        u -= p[i]!;
        if (u < 0) return i;
      }
      return k - 1;
    },
    logPdf: (x) => Math.log(p[Math.min(k - 1, Math.max(0, Math.round(x)))]!),
  };
}

/** Mixture of normals truncated to [lo, hi]: one per observation plus the prior N(mid, hi - lo). */
function parzen(obs: number[], lo: number, hi: number): Estimator {
  const span = hi - lo;
  const mus = [...obs, (lo + hi) / 2];
  const order = mus.map((_, i) => i).sort((a, b) => mus[a]! - mus[b]!);
  const sigmas = new Array<number>(mus.length);
  const minSigma = span / Math.min(100, mus.length + 1);
  order.forEach((i, r) => {
    const left = r > 0 ? mus[i]! - mus[order[r - 1]!]! : mus[i]! - lo;
    const right = r < order.length - 1 ? mus[order[r + 1]!]! - mus[i]! : hi - mus[i]!;
    sigmas[i] = Math.min(span, Math.max(minSigma, left, right));
  });
  sigmas[mus.length - 1] = span; // the prior stays wide
  const logW = -Math.log(mus.length);
  const logZ = mus.map((m, i) => Math.log(Math.max(1e-300, normalCdf((hi - m) / sigmas[i]!) - normalCdf((lo - m) / sigmas[i]!))));
  return {
    sample(random) {
      const i = Math.min(mus.length - 1, Math.floor(random() * mus.length));
      for (let t = 0; t < 100; t++) {
        const x = mus[i]! + sigmas[i]! * gaussian(random);
        if (x >= lo && x <= hi) return x;
      }
      return Math.min(hi, Math.max(lo, mus[i]!));
    },
    logPdf(x) {
      const terms = mus.map((m, i) => {
        const z = (x - m) / sigmas[i]!;
        return logW - 0.5 * z * z - LOG_SQRT_2PI - Math.log(sigmas[i]!) - logZ[i]!;
      });
      const max = Math.max(...terms);
      return max + Math.log(terms.reduce((a, t) => a + Math.exp(t - max), 0));
    },
  };
}

/** Standard normal draw (Box–Muller) from the seeded generator. */
function gaussian(random: () => number): number {
  const u = 1 - random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Φ(z) via erfc (Numerical Recipes' erfcc Chebyshev fit, fractional error below 1.2e-7). */
export function normalCdf(z: number): number {
  const x = Math.abs(z) / Math.SQRT2;
  const t = 1 / (1 + 0.5 * x);
  const erfc =
    t *
    Math.exp(-x * x - 1.26551223 + t * (1.00002368 + t * (0.37409196 + t * (0.09678418 + t * (-0.18628806 + t * (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))));
  return z >= 0 ? 1 - erfc / 2 : erfc / 2;
}
