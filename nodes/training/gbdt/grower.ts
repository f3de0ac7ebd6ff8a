/**
 * Leaf-wise (best-first) growth of one regression tree on gradients and hessians, like LightGBM and
 * scikit-learn's TreeGrower: the leaf whose best split gains most is split next, until `maxLeafNodes`
 * leaves, `maxDepth`, `minSamplesLeaf` or a non-positive gain stops it. Rows live in one Int32Array of
 * row indices; each node owns a contiguous range of it and a split partitions that range in place (stable,
 * so rows stay in increasing order, which keeps the binned-matrix reads cache-friendly).
 */
import { buildHistogram, buildRootHistogram, subtractHistogram } from "./histogram";
import { findBestSplit, type Split, type SplitSettings } from "./split";
import { BITSET_WORDS, type Tree } from "./tree";

export interface GrowSettings extends SplitSettings {
  /** At least 2. */
  maxLeafNodes: number;
  /** 0: unlimited. The root has depth 0. */
  maxDepth: number;
  learningRate: number;
}

interface GrowNode {
  id: number;
  start: number;
  end: number;
  depth: number;
  g: number;
  h: number;
  hist: Float64Array | null;
  split: Split | null;
}

/** Buffers reused across trees (one per fit), so growing a tree allocates almost nothing. */
export class GrowWorkspace {
  readonly indices: Int32Array;
  readonly scratch: Int32Array;
  /** Per-slot direction of the split being applied (1: left). */
  readonly lut: Uint8Array;
  private readonly free: Float64Array[] = [];
  constructor(
    /** Row-major histogram slots of the training rows (see histogram.ts). */
    readonly codes: Uint16Array,
    readonly n: number,
    private readonly histSize: number,
  ) {
    this.indices = new Int32Array(n);
    this.scratch = new Int32Array(n);
    this.lut = new Uint8Array(histSize / 3);
  }
  takeHistogram(): Float64Array {
    return this.free.pop() ?? new Float64Array(this.histSize);
  }
  release(h: Float64Array | null): void {
    if (h) this.free.push(h);
  }
}

/**
 * Grow one tree on gradients `g` and hessians `h` (one per training row) and add its (shrunk) leaf values
 * to `raw[row * stride + offset]` for the training rows.
 */
export function growTree(ws: GrowWorkspace, s: GrowSettings, g: Float64Array, h: Float64Array, raw: Float64Array, stride: number, offset: number): Tree {
  const n = ws.n;
  const idx = ws.indices;
  for (let i = 0; i < n; i++) idx[i] = i;
  let G = 0;
  let H = 0;
  for (let i = 0; i < n; i++) (G += g[i]!), (H += h[i]!);

  const out = new TreeBuilder();
  const nodes: GrowNode[] = [];
  const candidates: GrowNode[] = [];
  const leaves: GrowNode[] = [];
  const root: GrowNode = { id: out.add(G, H, n), start: 0, end: n, depth: 0, g: G, h: H, hist: null, split: null };
  nodes.push(root);
  if (n >= 2 * s.minSamplesLeaf && H >= 2 * s.minHessianToSplit && s.maxLeafNodes > 1) {
    root.hist = ws.takeHistogram();
    buildRootHistogram(root.hist, ws.codes, s.nFeatures, g, h, n);
    evaluate(s, root, ws, candidates, leaves);
  } else leaves.push(root);

  let nLeaves = 1;
  while (candidates.length) {
    // Highest gain first; ties go to the older node so the result never depends on iteration order.
    let bi = 0;
    for (let i = 1; i < candidates.length; i++) if (candidates[i]!.split!.gain > candidates[bi]!.split!.gain) bi = i;
    const node = candidates.splice(bi, 1)[0]!;
    const sp = node.split!;
    const mid = partition(ws, s, node, sp);
    nLeaves++;
    const depth = node.depth + 1;
    const gR = node.g - sp.gLeft;
    const hR = node.h - sp.hLeft;
    const left: GrowNode = { id: out.add(sp.gLeft, sp.hLeft, mid - node.start), start: node.start, end: mid, depth, g: sp.gLeft, h: sp.hLeft, hist: null, split: null };
    const right: GrowNode = { id: out.add(gR, hR, node.end - mid), start: mid, end: node.end, depth, g: gR, h: hR, hist: null, split: null };
    out.setSplit(node.id, sp, left.id, right.id);

    const full = nLeaves >= s.maxLeafNodes;
    const canSplit = (c: GrowNode) => !full && !(s.maxDepth > 0 && c.depth >= s.maxDepth) && c.end - c.start >= 2 * s.minSamplesLeaf && c.h >= 2 * s.minHessianToSplit;
    const splitL = canSplit(left);
    const splitR = canSplit(right);
    if (splitL || splitR) {
      const [small, large] = left.end - left.start <= right.end - right.start ? [left, right] : [right, left];
      const needLarge = small === left ? splitR : splitL;
      small.hist = ws.takeHistogram();
      buildHistogram(small.hist, ws.codes, s.nFeatures, g, h, idx, small.start, small.end);
      if (needLarge) {
        large.hist = ws.takeHistogram();
        subtractHistogram(large.hist, node.hist!, small.hist);
      }
    }
    ws.release(node.hist);
    node.hist = null;
    for (const c of [left, right]) {
      if (c.hist && (c === left ? splitL : splitR)) evaluate(s, c, ws, candidates, leaves);
      else (ws.release(c.hist), (c.hist = null), leaves.push(c));
    }
    if (full) {
      for (const c of candidates) (ws.release(c.hist), (c.hist = null), leaves.push(c));
      candidates.length = 0;
    }
  }

  for (const leaf of leaves) {
    const v = s.learningRate * (-leaf.g / (leaf.h + s.l2 + 1e-15));
    out.value[leaf.id] = v;
    addLeaf(raw, idx, leaf.start, leaf.end, stride, offset, v);
  }
  return out.build(s.l2, s.learningRate);
}

function evaluate(s: GrowSettings, node: GrowNode, ws: GrowWorkspace, candidates: GrowNode[], leaves: GrowNode[]) {
  node.split = findBestSplit(s, node.hist!, node.g, node.h, node.end - node.start);
  if (node.split) candidates.push(node);
  else (ws.release(node.hist), (node.hist = null), leaves.push(node));
}

/**
 * Stable in-place partition of the node's rows; returns the index where the right child's rows start.
 * Branch-free: every row is written to both outputs and only the matching cursor advances, because the
 * direction of a row is as good as random and a mispredicted branch per row costs more than a store.
 */
function partition(ws: GrowWorkspace, s: SplitSettings, node: GrowNode, sp: Split): number {
  const { codes, indices: idx, scratch, lut } = ws;
  const F = s.nFeatures;
  const f = sp.feature;
  const nb = s.nBins[f]!;
  const o = s.offsets[f]!;
  // Direction of each bin of the split feature (missing bin included), indexed by histogram slot.
  for (let b = 0; b <= nb; b++) lut[o + b] = sp.bitset ? (sp.bitset[b >>> 5]! >>> (b & 31)) & 1 : b === nb ? (sp.missingLeft ? 1 : 0) : b <= sp.bin ? 1 : 0;
  let nl = node.start;
  let nr = 0;
  for (let k = node.start; k < node.end; k++) {
    const row = idx[k]!;
    const left = lut[codes[row * F + f]!]!;
    idx[nl] = row;
    scratch[nr] = row;
    nl += left;
    nr += 1 - left;
  }
  idx.set(scratch.subarray(0, nr), nl);
  return nl;
}

/** Add a leaf's value to the raw scores of its rows. */
function addLeaf(raw: Float64Array, idx: Int32Array, start: number, end: number, stride: number, offset: number, v: number): void {
  for (let k = start; k < end; k++) raw[idx[k]! * stride + offset]! += v;
}

/** Collects nodes in creation order and packs them into a {@link Tree}. */
class TreeBuilder {
  readonly feature: number[] = [];
  readonly threshold: number[] = [];
  readonly missingLeft: number[] = [];
  readonly bitset: number[] = [];
  readonly left: number[] = [];
  readonly right: number[] = [];
  readonly value: number[] = [];
  readonly count: number[] = [];
  readonly gain: number[] = [];
  private readonly g: number[] = [];
  private readonly h: number[] = [];
  readonly words: number[] = [];

  add(g: number, h: number, count: number): number {
    this.feature.push(-1), this.threshold.push(0), this.missingLeft.push(0), this.bitset.push(-1);
    this.left.push(-1), this.right.push(-1), this.value.push(0), this.count.push(count), this.gain.push(0);
    this.g.push(g), this.h.push(h);
    return this.feature.length - 1;
  }

  setSplit(id: number, sp: Split, left: number, right: number) {
    this.feature[id] = sp.feature;
    this.threshold[id] = sp.bin;
    this.missingLeft[id] = sp.missingLeft ? 1 : 0;
    this.left[id] = left;
    this.right[id] = right;
    this.gain[id] = sp.gain;
    if (sp.bitset) {
      this.bitset[id] = this.words.length;
      for (let w = 0; w < BITSET_WORDS; w++) this.words.push(sp.bitset[w]!);
    }
  }

  build(l2: number, learningRate: number): Tree {
    // Inner nodes keep the value they would have as a leaf, for explanations (e.g. SHAP-style path walks).
    for (let i = 0; i < this.feature.length; i++) if (this.feature[i]! >= 0) this.value[i] = learningRate * (-this.g[i]! / (this.h[i]! + l2 + 1e-15));
    return {
      feature: Int32Array.from(this.feature),
      threshold: Int32Array.from(this.threshold),
      missingLeft: Uint8Array.from(this.missingLeft),
      bitset: Int32Array.from(this.bitset),
      left: Int32Array.from(this.left),
      right: Int32Array.from(this.right),
      value: Float64Array.from(this.value),
      count: Int32Array.from(this.count),
      gain: Float64Array.from(this.gain),
      bitsets: Uint32Array.from(this.words),
    };
  }
}
