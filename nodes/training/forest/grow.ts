/**
 * One CART tree (scikit-learn's DecisionTreeClassifier/Regressor) grown on binned features. Splits are
 * searched on per-node histograms of each candidate feature's bins (see gbdt/binning.ts), so a feature with at
 * most `maxBins` distinct values is split exactly as scikit-learn splits it (every boundary between adjacent
 * values is a candidate); a feature with more is split only at its quantile bin boundaries.
 *
 * Rules as in scikit-learn's `BestSplitter` and tree builders:
 * - criterion: gini or entropy (classification, on weighted class counts), squared error (regression);
 *   the best split maximizes the weighted impurity decrease, even when that decrease is 0.
 * - a node is a leaf when it is pure, has fewer than `minSamplesSplit` or `2 × minSamplesLeaf` rows, is at
 *   `maxDepth`, or no split leaves `minSamplesLeaf` rows on both sides. Rows are those with a positive weight
 *   (bootstrap counts × class weights × row weights), as in scikit-learn.
 * - `maxFeatures`: per node, features are drawn in random order until that many non-constant ones have
 *   been evaluated.
 * - `maxLeafNodes` > 0: best-first growth (the node whose split decreases impurity most goes next);
 *   otherwise depth-first until the rules above stop it (the same tree either way when unlimited).
 *
 * Beyond scikit-learn 1.2: missing values (their own bin) are sent to whichever side is better, and text
 * features split into two sets of categories, ordered by their mean target (Breiman's exact ordering for
 * two classes and regression; by the node's majority class for more).
 */
import { BITSET_WORDS, type Tree } from "../gbdt/tree";

export interface GrowData {
  /** Column-major bins: `bins[f * n + row]`; bin `nBins[f]` is feature f's missing-value bin. */
  bins: Uint8Array;
  n: number;
  nBins: Int32Array;
  categorical: Uint8Array;
  /** Class code per row (classification) or target value (regression). */
  y: Float64Array;
  /** Number of classes; 0 for regression. */
  k: number;
}

export interface GrowParams {
  criterion: "gini" | "entropy" | "squared_error";
  /** 0: unlimited. */
  maxDepth: number;
  minSamplesSplit: number;
  minSamplesLeaf: number;
  /** 0: unlimited. */
  maxLeafNodes: number;
  /** Features evaluated per node, 1..F. */
  maxFeatures: number;
}

/**
 * A fitted tree: parallel arrays, node 0 is the root, leaves have `feature` −1. The split layout is the GBDT
 * tree's (gbdt/tree.ts), so both walk with `leafOf`; values, counts and the split score differ.
 */
export interface ForestTree extends Omit<Tree, "value" | "count" | "gain"> {
  /** `max(k, 1)` per node: class probabilities (classification) or the mean target (regression). */
  value: Float64Array;
  /** Rows (with positive weight) that reached the node. */
  count: Int32Array;
  /** Weighted impurity decrease of the node's split, `W·imp − WL·impL − WR·impR` (0 for leaves). */
  decrease: Float64Array;
}

const EPSILON = 2.220446049250313e-16;

interface Node {
  id: number;
  start: number;
  end: number;
  depth: number;
  /** Weighted sum, and per class sums (classification) or Σwy, Σwy² (regression). */
  w: number;
  sums: Float64Array;
  impurity: number;
  split: Split | null;
  /** Features known to be constant in the node (found in it or an ancestor): never searched again. */
  constant: Uint8Array;
}

interface Split {
  feature: number;
  bin: number;
  missingLeft: boolean;
  /** Categorical: bins going left. */
  left: Uint8Array | null;
  /** Weighted impurity decrease (for best-first order and importances). */
  decrease: number;
}

/** Grows one tree on the rows with `weight > 0`. `random` draws the per-node feature order. */
export function growForestTree(d: GrowData, p: GrowParams, weight: Float64Array, random: () => number): ForestTree {
  const { n, k } = d;
  const S = (k > 0 ? k : 1) + 2;
  let maxBins = 0;
  for (let f = 0; f < d.nBins.length; f++) maxBins = Math.max(maxBins, d.nBins[f]! + 1);
  const ws: Workspace = { hist: new Float64Array(maxBins * S), order: new Int32Array(maxBins), touched: new Int32Array(maxBins), wq: new Float64Array(0), yq: new Float64Array(0), wScratch: new Float64Array(0), yScratch: new Float64Array(0), lut: new Uint8Array(maxBins), left: new Float64Array(S), right: new Float64Array(S), total: new Float64Array(S), key: new Float64Array(maxBins), features: Int32Array.from(d.nBins.keys()), scratch: new Int32Array(n) };
  let rows = 0;
  for (let i = 0; i < n; i++) if (weight[i]! > 0) rows++;
  const idx = new Int32Array(rows);
  for (let i = 0, j = 0; i < n; i++) if (weight[i]! > 0) idx[j++] = i;
  ws.wq = new Float64Array(rows);
  ws.yq = new Float64Array(rows);
  for (let j = 0; j < rows; j++) (ws.wq[j] = weight[idx[j]!]!), (ws.yq[j] = d.y[idx[j]!]!);
  ws.wScratch = new Float64Array(rows);
  ws.yScratch = new Float64Array(rows);

  const out = new Builder();
  const make = (start: number, end: number, depth: number, constant: Uint8Array): Node => {
    const { w, sums } = nodeSums(k, ws, start, end);
    const node: Node = { id: 0, start, end, depth, w, sums, impurity: impurity(p.criterion, w, sums, k), split: null, constant };
    node.id = out.add(end - start, w, sums, k);
    const count = end - start;
    const leaf =
      (p.maxDepth > 0 && depth >= p.maxDepth) || count < p.minSamplesSplit || count < 2 * p.minSamplesLeaf || node.impurity <= EPSILON;
    if (!leaf) node.split = bestSplit(d, p, ws, weight, idx, node, random);
    return node;
  };

  const frontier: Node[] = [];
  const root = make(0, rows, 0, new Uint8Array(d.nBins.length));
  if (root.split) frontier.push(root);
  let leaves = 1;
  const bestFirst = p.maxLeafNodes > 0;
  while (frontier.length && !(bestFirst && leaves >= p.maxLeafNodes)) {
    let at = frontier.length - 1;
    // Best-first: the largest decrease; ties go to the older node.
    if (bestFirst) for (let i = frontier.length - 1; i >= 0; i--) if (frontier[i]!.split!.decrease >= frontier[at]!.split!.decrease) at = i;
    const node = frontier.splice(at, 1)[0]!;
    const sp = node.split!;
    const mid = partition(d, ws, idx, node, sp);
    const l = make(node.start, mid, node.depth + 1, node.constant.slice());
    const r = make(mid, node.end, node.depth + 1, node.constant.slice());
    out.setSplit(node.id, sp, l.id, r.id, node.w * node.impurity - l.w * l.impurity - r.w * r.impurity);
    leaves++;
    // Depth-first pops the last pushed: push right then left so the left subtree is grown first.
    if (r.split) frontier.push(r);
    if (l.split) frontier.push(l);
  }
  return out.build();
}

interface Workspace {
  hist: Float64Array;
  order: Int32Array;
  touched: Int32Array;
  /** Weight and target (class code or value) of the row at each position of `idx`, kept in step with it. */
  wq: Float64Array;
  yq: Float64Array;
  wScratch: Float64Array;
  yScratch: Float64Array;
  lut: Uint8Array;
  left: Float64Array;
  right: Float64Array;
  total: Float64Array;
  key: Float64Array;
  features: Int32Array;
  scratch: Int32Array;
}

function nodeSums(k: number, ws: Workspace, start: number, end: number): { w: number; sums: Float64Array } {
  const { wq, yq } = ws;
  const sums = new Float64Array(k > 0 ? k : 2);
  let w = 0;
  for (let j = start; j < end; j++) {
    const wi = wq[j]!;
    const yi = yq[j]!;
    w += wi;
    if (k > 0) sums[yi]! += wi;
    else {
      sums[0]! += wi * yi;
      sums[1]! += wi * yi * yi;
    }
  }
  return { w, sums };
}

function impurity(criterion: GrowParams["criterion"], w: number, sums: Float64Array, k: number): number {
  if (w <= 0) return 0;
  if (k === 0) {
    const mean = sums[0]! / w;
    return Math.max(0, sums[1]! / w - mean * mean);
  }
  let s = 0;
  for (let c = 0; c < k; c++) {
    const q = sums[c]! / w;
    if (criterion === "entropy") s -= q > 0 ? q * Math.log2(q) : 0;
    else s += q * q;
  }
  return criterion === "entropy" ? s : 1 - s;
}

/**
 * What the criterion maximizes for one side with weight `w` and the side's histogram entries at `at`:
 * gini Σc²/w, entropy Σc·ln c − w·ln w, squared error (Σwy)²/w. The parent's own term is constant, so
 * the split with the largest left + right proxy has the largest impurity decrease.
 */
function proxy(criterion: GrowParams["criterion"], k: number, w: number, sums: Float64Array, at: number): number {
  if (w <= 0) return 0;
  if (k === 0) return (sums[at]! * sums[at]!) / w;
  let s = 0;
  if (criterion === "entropy") {
    for (let c = 0; c < k; c++) {
      const v = sums[at + c]!;
      if (v > 0) s += v * Math.log(v);
    }
    return s - w * Math.log(w);
  }
  for (let c = 0; c < k; c++) s += sums[at + c]! * sums[at + c]!;
  return s / w;
}

function bestSplit(d: GrowData, p: GrowParams, ws: Workspace, weight: Float64Array, idx: Int32Array, node: Node, random: () => number): Split | null {
  const { k, n } = d;
  // Histogram layout per bin: class weights (or Σwy), then weight, then row count.
  const W = k > 0 ? k : 1;
  const S = W + 2;
  const CNT = W + 1;
  const F = d.nBins.length;
  // Left, right and node sums, in the histogram's layout.
  const { hist, features, left, right, total } = ws;
  total.fill(0);
  if (k > 0) total.set(node.sums.subarray(0, k));
  else total[0] = node.sums[0]!;
  total[W] = node.w;
  total[W + 1] = node.end - node.start;

  let best: Split | null = null;
  let bestProxy = -Infinity;
  let visited = 0;
  for (let drawn = 0; drawn < F && visited < p.maxFeatures; drawn++) {
    // Partial Fisher–Yates: a fresh random feature order per node.
    const j = drawn + Math.floor(random() * (F - drawn));
    const f = features[j]!;
    features[j] = features[drawn]!;
    features[drawn] = f;
    if (node.constant[f]) continue;

    const nb = d.nBins[f]!;
    const col = f * n;
    // The histogram is all zeros between features; only the bins this node's rows touch are listed (in
    // `touched`) and cleared afterwards, so a small node costs its rows, not the feature's 256 bins.
    const touched = ws.touched;
    const m = k > 0 ? histClasses(hist, touched, d.bins, col, idx, ws.wq, ws.yq, node.start, node.end, S) : histValues(hist, touched, d.bins, col, idx, ws.wq, ws.yq, node.start, node.end);
    if (m < 2) {
      clear(hist, touched, m, S);
      node.constant[f] = 1;
      continue; // constant in this node: does not count towards maxFeatures
    }
    visited++;

    // Bins in scan order: numeric in bin order (missing first or last, both tried), categorical by mean target.
    const order = ws.order;
    const missing = hist[nb * S + CNT]! > 0;
    if (d.categorical[f]) {
      const key = ws.key;
      const cls = k > 2 ? majority(node.sums, k) : 1;
      for (let t = 0; t < m; t++) {
        const b = touched[t]!;
        const wb = hist[b * S + W]!;
        key[b] = k === 0 ? hist[b * S]! / wb : hist[b * S + cls]! / wb;
        order[t] = b;
      }
      insertionSort(order, m, key);
      const r = scan(p, k, S, hist, order, m, total, left, right, bestProxy);
      if (r) {
        bestProxy = r.proxy;
        const goes = new Uint8Array(nb + 1);
        for (let t = 0; t <= r.last; t++) goes[order[t]!] = 1;
        best = { feature: f, bin: -1, missingLeft: goes[nb] === 1, left: goes, decrease: 0 };
      }
      clear(hist, touched, m, S);
      continue;
    }
    // Non-missing bins ascending, then the missing bin (nb, the largest) if present.
    sortBins(order, touched, m, hist, S, nb);
    const mv = missing ? m - 1 : m; // the missing bin (nb) sorts last
    for (let pass = 0; pass < (missing ? 2 : 1); pass++) {
      const missingFirst = pass === 1;
      if (missingFirst) {
        // Missing first: shift the values right by one.
        order.copyWithin(1, 0, mv);
        order[0] = nb;
      }
      const r = scan(p, k, S, hist, order, m, total, left, right, bestProxy);
      if (r) {
        bestProxy = r.proxy;
        const lastBin = order[r.last]!;
        // Missing first and nothing else left of the cut: "missing left, every value right".
        best = { feature: f, bin: lastBin === nb ? -1 : lastBin, missingLeft: missingFirst, left: null, decrease: 0 };
      }
    }
    clear(hist, touched, m, S);
  }
  if (!best) return null;
  // Best-first growth orders nodes by the decrease, computed exactly from the chosen partition.
  if (p.maxLeafNodes > 0) best.decrease = node.w * node.impurity - childrenImpurity(d, p, weight, idx, node, best);
  return best;
}

/** Σ over the two children of W·impurity, for the split `sp` of `node`. */
function childrenImpurity(d: GrowData, p: GrowParams, weight: Float64Array, idx: Int32Array, node: Node, sp: Split): number {
  const { k, y, n } = d;
  const len = k > 0 ? k : 2;
  const l = new Float64Array(len);
  const r = new Float64Array(len);
  let wl = 0;
  let wr = 0;
  const nb = d.nBins[sp.feature]!;
  const col = sp.feature * n;
  for (let q = node.start; q < node.end; q++) {
    const i = idx[q]!;
    const goLeft = goesLeft(sp, nb, d.bins[col + i]!);
    const s = goLeft ? l : r;
    const wi = weight[i]!;
    if (goLeft) wl += wi;
    else wr += wi;
    if (k > 0) s[y[i]!]! += wi;
    else (s[0]! += wi * y[i]!), (s[1]! += wi * y[i]! * y[i]!);
  }
  return wl * impurity(p.criterion, wl, l, k) + wr * impurity(p.criterion, wr, r, k);
}

function goesLeft(sp: Split, nb: number, b: number): boolean {
  if (sp.left) return sp.left[b] === 1;
  if (b === nb) return sp.missingLeft;
  return b <= sp.bin;
}

/**
 * Adds a node's rows to the (all-zero) histogram of one feature: per bin the class weights, weight and row
 * count; lists each bin on first touch in `touched`; returns how many bins were touched. Kept small and
 * separate so the JIT optimizes the hot loop on its own.
 */
function histClasses(hist: Float64Array, touched: Int32Array, bins: Uint8Array, col: number, idx: Int32Array, wq: Float64Array, yq: Float64Array, start: number, end: number, S: number): number {
  const CNT = S - 1;
  const W = S - 2;
  let m = 0;
  for (let q = start; q < end; q++) {
    const b = bins[col + idx[q]!]!;
    const o = b * S;
    if (hist[o + CNT] === 0) touched[m++] = b;
    const wi = wq[q]!;
    hist[o + (yq[q]! | 0)]! += wi;
    hist[o + W]! += wi;
    hist[o + CNT]! += 1;
  }
  return m;
}

/** {@link histClasses} for regression: per bin Σwy, weight and row count. */
function histValues(hist: Float64Array, touched: Int32Array, bins: Uint8Array, col: number, idx: Int32Array, wq: Float64Array, yq: Float64Array, start: number, end: number): number {
  let m = 0;
  for (let q = start; q < end; q++) {
    const b = bins[col + idx[q]!]!;
    const o = b * 3;
    if (hist[o + 2] === 0) touched[m++] = b;
    const wi = wq[q]!;
    hist[o]! += wi * yq[q]!;
    hist[o + 1]! += wi;
    hist[o + 2]! += 1;
  }
  return m;
}

/**
 * The touched bins in increasing order into `order`: a walk over the feature's bins when most are touched,
 * else an insertion sort of the few (small nodes; a typed-array sort call costs more than either).
 */
function sortBins(order: Int32Array, touched: Int32Array, m: number, hist: Float64Array, S: number, nb: number): void {
  if (m > 24) {
    let j = 0;
    for (let b = 0; b <= nb; b++) if (hist[b * S + S - 1]! > 0) order[j++] = b;
    return;
  }
  for (let t = 0; t < m; t++) {
    const v = touched[t]!;
    let u = t - 1;
    while (u >= 0 && order[u]! > v) (order[u + 1] = order[u]!), u--;
    order[u + 1] = v;
  }
}

/** Sorts `order[0..m)` by `key[bin]`, ties by bin (categorical bins by mean target). */
function insertionSort(order: Int32Array, m: number, key: Float64Array): void {
  for (let t = 1; t < m; t++) {
    const v = order[t]!;
    const kv = key[v]!;
    let u = t - 1;
    while (u >= 0 && (key[order[u]!]! > kv || (key[order[u]!]! === kv && order[u]! > v))) (order[u + 1] = order[u]!), u--;
    order[u + 1] = v;
  }
}

function clear(hist: Float64Array, touched: Int32Array, m: number, S: number): void {
  for (let t = 0; t < m; t++) hist.fill(0, touched[t]! * S, touched[t]! * S + S);
}

function majority(sums: Float64Array, k: number): number {
  let c = 0;
  for (let j = 1; j < k; j++) if (sums[j]! > sums[c]!) c = j;
  return c;
}

/**
 * Scan cut points between consecutive bins of `order[0..m)`: the left side is `order[0..t]`. Returns the
 * best cut with a proxy above `floor` that leaves `minSamplesLeaf` rows on each side, or null.
 */
function scan(p: GrowParams, k: number, S: number, hist: Float64Array, order: Int32Array, m: number, total: Float64Array, left: Float64Array, right: Float64Array, floor: number): { proxy: number; last: number } | null {
  const W = k > 0 ? k : 1;
  const CNT = W + 1;
  left.fill(0);
  let best: { proxy: number; last: number } | null = null;
  for (let t = 0; t < m - 1; t++) {
    const o = order[t]! * S;
    for (let c = 0; c < W; c++) left[c]! += hist[o + c]!;
    left[W]! += hist[o + W]!;
    left[W + 1]! += hist[o + CNT]!;
    const nl = left[W + 1]!;
    const nr = total[W + 1]! - nl;
    if (nl < p.minSamplesLeaf) continue;
    if (nr < p.minSamplesLeaf) break;
    for (let c = 0; c <= W; c++) right[c] = total[c]! - left[c]!;
    const v = proxy(p.criterion, k, left[W]!, left, 0) + proxy(p.criterion, k, right[W]!, right, 0);
    if (v > floor) {
      floor = v;
      best = { proxy: v, last: t };
    }
  }
  return best;
}

/** Stable in-place partition of the node's rows; returns where the right child's rows start. */
function partition(d: GrowData, ws: Workspace, idx: Int32Array, node: Node, sp: Split): number {
  const nb = d.nBins[sp.feature]!;
  const lut = ws.lut;
  if (sp.left) lut.set(sp.left);
  else {
    lut.fill(1, 0, sp.bin + 1);
    lut.fill(0, sp.bin + 1, nb);
    lut[nb] = sp.missingLeft ? 1 : 0;
  }
  const col = sp.feature * d.n;
  const { scratch, wq, yq, wScratch, yScratch } = ws;
  let nl = node.start;
  let nr = 0;
  for (let q = node.start; q < node.end; q++) {
    const i = idx[q]!;
    const wi = wq[q]!;
    const yi = yq[q]!;
    const l = lut[d.bins[col + i]!]!;
    idx[nl] = i;
    wq[nl] = wi;
    yq[nl] = yi;
    scratch[nr] = i;
    wScratch[nr] = wi;
    yScratch[nr] = yi;
    nl += l;
    nr += 1 - l;
  }
  idx.set(scratch.subarray(0, nr), nl);
  wq.set(wScratch.subarray(0, nr), nl);
  yq.set(yScratch.subarray(0, nr), nl);
  return nl;
}

class Builder {
  feature: number[] = [];
  threshold: number[] = [];
  missingLeft: number[] = [];
  bitset: number[] = [];
  left: number[] = [];
  right: number[] = [];
  value: number[] = [];
  count: number[] = [];
  decrease: number[] = [];
  words: number[] = [];
  /** A node with `count` rows, weight `w` and sums as in {@link Node}; its value is their mean. */
  add(count: number, w: number, sums: Float64Array, k: number): number {
    this.feature.push(-1), this.threshold.push(0), this.missingLeft.push(0), this.bitset.push(-1);
    this.left.push(-1), this.right.push(-1), this.count.push(count), this.decrease.push(0);
    if (k === 0) this.value.push(w > 0 ? sums[0]! / w : 0);
    else for (let c = 0; c < k; c++) this.value.push(w > 0 ? sums[c]! / w : 0);
    return this.feature.length - 1;
  }

  setSplit(id: number, sp: Split, left: number, right: number, decrease: number) {
    this.feature[id] = sp.feature;
    this.threshold[id] = sp.bin;
    this.missingLeft[id] = sp.missingLeft ? 1 : 0;
    this.left[id] = left;
    this.right[id] = right;
    this.decrease[id] = decrease;
    if (sp.left) {
      this.bitset[id] = this.words.length;
      const words = new Uint32Array(BITSET_WORDS);
      sp.left.forEach((v, b) => v && (words[b >>> 5]! |= 1 << (b & 31)));
      for (const w of words) this.words.push(w);
    }
  }

  build(): ForestTree {
    return {
      feature: Int32Array.from(this.feature),
      threshold: Int32Array.from(this.threshold),
      missingLeft: Uint8Array.from(this.missingLeft),
      bitset: Int32Array.from(this.bitset),
      left: Int32Array.from(this.left),
      right: Int32Array.from(this.right),
      value: Float64Array.from(this.value),
      count: Int32Array.from(this.count),
      decrease: Float64Array.from(this.decrease),
      bitsets: Uint32Array.from(this.words),
    };
  }
}
