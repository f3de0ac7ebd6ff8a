/**
 * A fitted regression tree over binned features, stored as parallel arrays (node 0 is the root). Splits
 * compare bins, not raw values: a row goes left when its bin is ≤ `threshold` (numeric features) or is in
 * the node's category bitset (categorical features); a missing value (the missing bin) follows
 * `missingLeft`. Leaf values already include the learning rate.
 */

export interface Tree {
  /** Split feature, or -1 for a leaf. */
  feature: Int32Array;
  /** Numeric splits: the last bin that goes left. */
  threshold: Int32Array;
  missingLeft: Uint8Array;
  /** Categorical splits: word offset of the node's 256-bit left-bin set in `bitsets`; -1 otherwise. */
  bitset: Int32Array;
  left: Int32Array;
  right: Int32Array;
  /** Leaf output (raw score units); for inner nodes the value the node would have as a leaf. */
  value: Float64Array;
  /** Training rows that reached the node. */
  count: Int32Array;
  /** Loss reduction of the node's split (0 for leaves); feature importances sum these. */
  gain: Float64Array;
  bitsets: Uint32Array;
}

/** JSON form kept in the model's state (plain arrays; numbers round-trip exactly through JSON). */
export interface TreeJson {
  feature: number[];
  threshold: number[];
  missingLeft: number[];
  bitset: number[];
  left: number[];
  right: number[];
  value: number[];
  count: number[];
  gain: number[];
  bitsets: number[];
}

/** 256 bins per bitset = 8 words of 32 bits. */
export const BITSET_WORDS = 8;

export function treeToJson(t: Tree): TreeJson {
  return {
    feature: Array.from(t.feature),
    threshold: Array.from(t.threshold),
    missingLeft: Array.from(t.missingLeft),
    bitset: Array.from(t.bitset),
    left: Array.from(t.left),
    right: Array.from(t.right),
    value: Array.from(t.value),
    count: Array.from(t.count),
    gain: Array.from(t.gain),
    bitsets: Array.from(t.bitsets),
  };
}

export function treeFromJson(j: TreeJson): Tree {
  return { ...scoringTreeFromJson(j), count: Int32Array.from(j.count), gain: Float64Array.from(j.gain) };
}

/** What scoring reads (the walk and the leaf values) from the JSON layout; the forest's trees share it. */
export function scoringTreeFromJson(j: Pick<TreeJson, keyof WalkableTree | "value">): WalkableTree & Pick<Tree, "value"> {
  return {
    feature: Int32Array.from(j.feature),
    threshold: Int32Array.from(j.threshold),
    missingLeft: Uint8Array.from(j.missingLeft),
    bitset: Int32Array.from(j.bitset),
    left: Int32Array.from(j.left),
    right: Int32Array.from(j.right),
    value: Float64Array.from(j.value),
    bitsets: Uint32Array.from(j.bitsets),
  };
}

/** What walking a tree needs (GBDT trees and the decision-tree/forest trees share this layout). */
export type WalkableTree = Pick<Tree, "feature" | "threshold" | "missingLeft" | "bitset" | "left" | "right" | "bitsets">;

/**
 * The leaf that row `row` reaches; its bin of feature f is `bins[row * rowStride + f * featureStride]`
 * (row-major `rows × F`: strides F and 1; column-major: 1 and the row count). Categorical splits test the bin
 * in the node's bitset; the missing-value bin goes the way training sent it; other bins compare with the
 * threshold — exactly the comparisons made while growing the tree.
 */
export function leafOf(tree: WalkableTree, bins: Uint8Array, rowStride: number, featureStride: number, row: number, missingBins: Int32Array): number {
  const { feature, threshold, missingLeft, bitset, left, right, bitsets } = tree;
  let node = 0;
  let f = feature[0]!;
  const base = row * rowStride;
  while (f >= 0) {
    const b = bins[base + f * featureStride]!;
    const cat = bitset[node]!;
    let goLeft: boolean;
    if (cat >= 0) goLeft = ((bitsets[cat + (b >>> 5)]! >>> (b & 31)) & 1) === 1;
    else if (b === missingBins[f]) goLeft = missingLeft[node] === 1;
    else goLeft = b <= threshold[node]!;
    node = goLeft ? left[node]! : right[node]!;
    f = feature[node]!;
  }
  return node;
}

/**
 * Add `tree`'s output for every row of the row-major binned matrix `bins` (`rows × nFeatures`) to
 * `raw[row * stride + offset]`. `missingBins[f]` is feature f's missing-value bin.
 */
export function addTreePredictions(tree: Tree, bins: Uint8Array, missingBins: Int32Array, raw: Float64Array, stride: number, offset: number): void {
  const nFeatures = missingBins.length;
  const rows = nFeatures ? (bins.length / nFeatures) | 0 : 0;
  const value = tree.value;
  for (let i = 0; i < rows; i++) raw[i * stride + offset]! += value[leafOf(tree, bins, nFeatures, 1, i, missingBins)]!;
}
