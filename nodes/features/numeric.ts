/**
 * Numerics that must agree with NumPy/SciPy to the last bits where it matters: pairwise summation (NumPy's
 * `sum` of a contiguous array), linear-interpolation percentiles (`np.percentile`, default method), `linspace`,
 * and SciPy's Brent minimizer with its bracket search (used to fit the Yeo-Johnson lambda).
 */

/** NumPy's pairwise summation (numpy/core/src/umath/loops_utils.h.src, blocks of 128, 8 accumulators). */
export function pairwiseSum(a: ArrayLike<number>, start = 0, n = a.length - start): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[start + i]!;
    return res;
  }
  if (n <= 128) {
    const r = [a[start]!, a[start + 1]!, a[start + 2]!, a[start + 3]!, a[start + 4]!, a[start + 5]!, a[start + 6]!, a[start + 7]!];
    let i = 8;
    for (; i < n - (n % 8); i += 8) for (let j = 0; j < 8; j++) r[j]! += a[start + i + j]!;
    let res = r[0]! + r[1]! + (r[2]! + r[3]!) + (r[4]! + r[5]! + (r[6]! + r[7]!));
    for (; i < n; i++) res += a[start + i]!;
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, start, n2) + pairwiseSum(a, start + n2, n - n2);
}

/** `x.var()` as NumPy computes it (population variance, pairwise sums). */
export function numpyVar(x: Float64Array): number {
  const n = x.length;
  const mean = pairwiseSum(x) / n;
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const t = x[i]! - mean;
    d[i] = t * t;
  }
  return pairwiseSum(d) / n;
}

/** The observed (non-NaN) values, sorted ascending. */
export function sortedObserved(x: Float64Array): Float64Array {
  let m = 0;
  for (const v of x) if (v === v) m++;
  const out = new Float64Array(m);
  let k = 0;
  for (const v of x) if (v === v) out[k++] = v;
  return out.sort();
}

/** `np.percentile(sorted, q)` with the default linear method, including NumPy's two-sided lerp. */
export function percentile(sorted: Float64Array, q: number): number {
  const n = sorted.length;
  const virtual = (n - 1) * (q / 100);
  const prev = Math.min(Math.max(Math.floor(virtual), 0), n - 1);
  const next = Math.min(prev + 1, n - 1);
  const gamma = virtual - Math.floor(virtual);
  const a = sorted[prev]!;
  const b = sorted[next]!;
  const diff = b - a;
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}

/** `np.median` of sorted values (mean of the two middle values for an even count). */
export function median(sorted: Float64Array): number {
  const n = sorted.length;
  const h = n >> 1;
  return n % 2 ? sorted[h]! : (sorted[h - 1]! + sorted[h]!) / 2;
}

/** `np.linspace(start, stop, num)`. */
export function linspace(start: number, stop: number, num: number): number[] {
  const div = num - 1;
  const delta = stop - start;
  const step = delta / div;
  const out = Array.from({ length: num }, (_, i) => (step === 0 ? (i / div) * delta : i * step) + start);
  out[num - 1] = stop;
  return out;
}

/**
 * Mean and scale of StandardScaler (scikit-learn 1.2 `_incremental_mean_and_var` on one batch, NaN ignored):
 * the variance gets the compensated-summation correction, and a (near-)constant column gets scale 1.
 */
export function standardStats(x: Float64Array): { mean: number; scale: number; count: number } {
  let n = 0;
  let sum = 0;
  for (const v of x) if (v === v) (n++, (sum += v));
  const mean = sum / n;
  let ss = 0;
  let corr = 0;
  for (const v of x)
    if (v === v) {
      const t = v - mean;
      ss += t * t;
      corr += t;
    }
  const variance = (ss - (corr * corr) / n) / n;
  const eps = Number.EPSILON;
  const upper = n * eps * variance + (n * mean * eps) ** 2;
  const scale = variance <= upper ? 1 : Math.sqrt(variance);
  return { mean, scale, count: n };
}

/** scikit-learn's `_handle_zeros_in_scale` for a computed scale (range or IQR). */
export function nonZeroScale(s: number): number {
  return s < 10 * Number.EPSILON ? 1 : s;
}

const GOLD = 1.618034;
const VERY_SMALL = 1e-21;

/** SciPy 1.10 `optimize.bracket(func, xa, xb)` (grow_limit 110). */
function bracket(f: (x: number) => number, xa0: number, xb0: number) {
  let xa = xa0;
  let xb = xb0;
  let fa = f(xa);
  let fb = f(xb);
  if (fa < fb) [xa, xb, fa, fb] = [xb, xa, fb, fa];
  let xc = xb + GOLD * (xb - xa);
  let fc = f(xc);
  let iter = 0;
  while (fc < fb) {
    const tmp1 = (xb - xa) * (fb - fc);
    const tmp2 = (xb - xc) * (fb - fa);
    const val = tmp2 - tmp1;
    const denom = Math.abs(val) < VERY_SMALL ? 2 * VERY_SMALL : 2 * val;
    let w = xb - ((xb - xc) * tmp2 - (xb - xa) * tmp1) / denom;
    const wlim = xb + 110 * (xc - xb);
    if (iter > 1000) throw new Error("Too many iterations in bracket search.");
    iter++;
    let fw: number;
    if ((w - xc) * (xb - w) > 0) {
      fw = f(w);
      if (fw < fc) return { xa: xb, xb: w, xc, fa: fb, fb: fw, fc };
      if (fw > fb) return { xa, xb, xc: w, fa, fb, fc: fw };
      w = xc + GOLD * (xc - xb);
      fw = f(w);
    } else if ((w - wlim) * (wlim - xc) >= 0) {
      w = wlim;
      fw = f(w);
    } else if ((w - wlim) * (xc - w) > 0) {
      fw = f(w);
      if (fw < fc) {
        xb = xc;
        xc = w;
        w = xc + GOLD * (xc - xb);
        fb = fc;
        fc = fw;
        fw = f(w);
      }
    } else {
      w = xc + GOLD * (xc - xb);
      fw = f(w);
    }
    xa = xb;
    xb = xc;
    xc = w;
    fa = fb;
    fb = fc;
    fc = fw;
  }
  return { xa, xb, xc, fa, fb, fc };
}

/** SciPy 1.10 `optimize.brent(func, brack=(a, b))`: the minimizer, to a fractional precision of 1.48e-8. */
export function brent(f: (x: number) => number, brack: [number, number], signal?: AbortSignal): number {
  const tol = 1.48e-8;
  const mintol = 1e-11;
  const cg = 0.381966;
  const { xa, xb, xc, fb } = bracket(f, brack[0], brack[1]);
  let x = xb;
  let w = xb;
  let v = xb;
  let fx = fb;
  let fw = fb;
  let fv = fb;
  let a = xa < xc ? xa : xc;
  let b = xa < xc ? xc : xa;
  let deltax = 0;
  let rat = 0;
  for (let iter = 0; iter < 500; iter++) {
    signal?.throwIfAborted();
    const tol1 = tol * Math.abs(x) + mintol;
    const tol2 = 2 * tol1;
    const xmid = 0.5 * (a + b);
    if (Math.abs(x - xmid) < tol2 - 0.5 * (b - a)) break;
    if (Math.abs(deltax) <= tol1) {
      deltax = x >= xmid ? a - x : b - x;
      rat = cg * deltax;
    } else {
      const t1 = (x - w) * (fx - fv);
      let t2 = (x - v) * (fx - fw);
      let p = (x - v) * t2 - (x - w) * t1;
      t2 = 2 * (t2 - t1);
      if (t2 > 0) p = -p;
      t2 = Math.abs(t2);
      const dxTemp = deltax;
      deltax = rat;
      if (p > t2 * (a - x) && p < t2 * (b - x) && Math.abs(p) < Math.abs(0.5 * t2 * dxTemp)) {
        rat = (p * 1.0) / t2;
        const u = x + rat;
        if (u - a < tol2 || b - u < tol2) rat = xmid - x >= 0 ? tol1 : -tol1;
      } else {
        deltax = x >= xmid ? a - x : b - x;
        rat = cg * deltax;
      }
    }
    const u = Math.abs(rat) < tol1 ? (rat >= 0 ? x + tol1 : x - tol1) : x + rat;
    const fu = f(u);
    if (fu > fx) {
      if (u < x) a = u;
      else b = u;
      if (fu <= fw || w === x) {
        v = w;
        w = u;
        fv = fw;
        fw = fu;
      } else if (fu <= fv || v === x || v === w) {
        v = u;
        fv = fu;
      }
    } else {
      if (u >= x) a = x;
      else b = x;
      v = w;
      w = x;
      x = u;
      fv = fw;
      fw = fx;
      fx = fu;
    }
  }
  return x;
}
