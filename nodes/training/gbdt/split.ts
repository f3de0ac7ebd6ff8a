/**
 * Best split of a node from its histogram, following scikit-learn's HistGradientBoosting splitter:
 *
 * - gain = GL²/(HL+λ) + GR²/(HR+λ) − G²/(H+λ) (the second-order loss reduction; λ = l2Regularization);
 *   a split must have gain > 0, at least `minSamplesLeaf` rows and `minHessianToSplit` hessian on each side.
 * - numeric features: scan bins left to right with missing values going right; when the feature had missing
 *   values in training, also scan right to left with them going left, and keep the better (XGBoost's
 *   sparsity-aware split). "All non-missing left, missing right" is one of the candidates.
 * - categorical features: categories (the missing bin counting as one) with enough support are sorted by
 *   G/(H + 10) and scanned from both ends up to the middle, as if ordered (Fisher 1958, LightGBM's
 *   many-vs-many split); low-support categories always go right. The left side is a bitset of bins.
 */
import { BITSET_WORDS } from "./tree";

export interface SplitSettings {
  nFeatures: number;
  /** Non-missing bins per feature; bin `nBins[f]` holds feature f's missing values. */
  nBins: Int32Array;
  /** Histogram layout (see histogram.ts). */
  offsets: Int32Array;
  categorical: Uint8Array;
  hasMissing: Uint8Array;
  minSamplesLeaf: number;
  minHessianToSplit: number;
  l2: number;
}

export interface Split {
  gain: number;
  feature: number;
  /** Numeric: last bin going left. */
  bin: number;
  missingLeft: boolean;
  /** Categorical: bins going left. */
  bitset: Uint32Array | null;
  gLeft: number;
  hLeft: number;
  nLeft: number;
}

/** Categories with less hessian-weighted support than this are not ranked (scikit-learn's MIN_CAT_SUPPORT). */
const MIN_CAT_SUPPORT = 10;

/** The best split of a node with these sums, or null when no split satisfies the constraints. */
export function findBestSplit(s: SplitSettings, hist: Float64Array, G: number, H: number, N: number): Split | null {
  const best: Split = { gain: 0, feature: -1, bin: 0, missingLeft: false, bitset: null, gLeft: 0, hLeft: 0, nLeft: 0 };
  const l2 = s.l2;
  const parent = (G * G) / (H + l2);
  const msl = s.minSamplesLeaf;
  const minH = s.minHessianToSplit;
  for (let f = 0; f < s.nFeatures; f++) {
    const off = s.offsets[f]! * 3;
    const nb = s.nBins[f]!;
    const miss = s.hasMissing[f]!;
    if (s.categorical[f]) {
      categoricalSplit(s, f, hist, G, H, N, parent, best);
      continue;
    }
    // Left to right: missing values (if any) go right.
    let gl = 0;
    let hl = 0;
    let nl = 0;
    const end = nb - 1 + miss;
    for (let b = 0; b < end; b++) {
      const j = off + b * 3;
      gl += hist[j]!;
      hl += hist[j + 1]!;
      nl += hist[j + 2]!;
      if (nl < msl) continue;
      if (N - nl < msl) break;
      if (hl < minH) continue;
      const hr = H - hl;
      if (hr < minH) break;
      const gr = G - gl;
      const gain = (gl * gl) / (hl + l2) + (gr * gr) / (hr + l2) - parent;
      if (gain > best.gain) set(best, gain, f, b, false, gl, hl, nl);
    }
    if (!miss) continue;
    // Right to left: missing values go left.
    let gr = 0;
    let hr = 0;
    let nr = 0;
    for (let b = nb - 2; b >= 0; b--) {
      const j = off + (b + 1) * 3;
      gr += hist[j]!;
      hr += hist[j + 1]!;
      nr += hist[j + 2]!;
      if (nr < msl) continue;
      if (N - nr < msl) break;
      if (hr < minH) continue;
      const hlx = H - hr;
      if (hlx < minH) break;
      const glx = G - gr;
      const gain = (glx * glx) / (hlx + l2) + (gr * gr) / (hr + l2) - parent;
      if (gain > best.gain) set(best, gain, f, b, true, glx, hlx, N - nr);
    }
  }
  if (best.feature < 0) return null;
  if (!s.hasMissing[best.feature] && !s.categorical[best.feature]) {
    // No missing values in training: at prediction time they follow the larger child.
    best.missingLeft = best.nLeft > N - best.nLeft;
  }
  return best;
}

function set(best: Split, gain: number, f: number, bin: number, missingLeft: boolean, gl: number, hl: number, nl: number) {
  best.gain = gain;
  best.feature = f;
  best.bin = bin;
  best.missingLeft = missingLeft;
  best.bitset = null;
  best.gLeft = gl;
  best.hLeft = hl;
  best.nLeft = nl;
}

/** Scratch for ranking categories (a node has at most 256 bins per feature). */
const usedBins = new Int32Array(257);
const binValue = new Float64Array(257);

function categoricalSplit(s: SplitSettings, f: number, hist: Float64Array, G: number, H: number, N: number, parent: number, best: Split): void {
  const off = s.offsets[f]! * 3;
  const nb = s.nBins[f]!;
  const support = N / H;
  const used = usedBins;
  let m = 0;
  const last = s.hasMissing[f] ? nb : nb - 1;
  for (let b = 0; b <= last; b++) {
    const j = off + b * 3;
    const hb = hist[j + 1]!;
    if (hb * support >= MIN_CAT_SUPPORT) {
      // Insertion sort by value, then bin: m is small (categories of one column) and the order is total.
      const v = hist[j]! / (hb + MIN_CAT_SUPPORT);
      let i = m++;
      while (i > 0 && binValue[i - 1]! > v) {
        used[i] = used[i - 1]!;
        binValue[i] = binValue[i - 1]!;
        i--;
      }
      used[i] = b;
      binValue[i] = v;
    }
  }
  if (m <= 1) return;
  const l2 = s.l2;
  let bestDir = 0;
  let bestCount = 0;
  for (let dir = 1; dir >= -1; dir -= 2) {
    const middle = dir === 1 ? (m + 1) >> 1 : ((m + 1) >> 1) - 1;
    let gl = 0;
    let hl = 0;
    let nl = 0;
    for (let i = 0; i < middle; i++) {
      const j = off + used[dir === 1 ? i : m - 1 - i]! * 3;
      gl += hist[j]!;
      hl += hist[j + 1]!;
      nl += hist[j + 2]!;
      const hr = H - hl;
      if (nl < s.minSamplesLeaf || hl < s.minHessianToSplit) continue;
      if (N - nl < s.minSamplesLeaf || hr < s.minHessianToSplit) break;
      const gr = G - gl;
      const gain = (gl * gl) / (hl + l2) + (gr * gr) / (hr + l2) - parent;
      if (gain > best.gain) {
        set(best, gain, f, 0, false, gl, hl, nl);
        bestDir = dir;
        bestCount = i + 1;
      }
    }
  }
  if (!bestDir || best.feature !== f) return;
  const bits = new Uint32Array(BITSET_WORDS);
  for (let i = 0; i < bestCount; i++) {
    const b = used[bestDir === 1 ? i : m - 1 - i]!;
    bits[b >>> 5]! |= 1 << (b & 31);
  }
  best.bitset = bits;
  best.missingLeft = ((bits[nb >>> 5]! >>> (nb & 31)) & 1) === 1;
}
