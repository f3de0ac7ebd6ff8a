/**
 * Gradient histograms: for each feature and bin, the sums of gradients and hessians and the row count of
 * a node's rows. Layout: one Float64Array, `[(offsets[feature] + bin) * 3 + {0: g, 1: h, 2: count}]`, where
 * `offsets` packs each feature's bins (missing bin included) back to back, so one row's three updates for a
 * feature touch one cache line and a whole histogram usually stays in L1/L2.
 *
 * Training rows are stored as histogram slots (`codes[row * F + f] = offsets[f] + bin`, Uint16): the inner
 * loop is then a load and three adds, about 25% faster than adding the feature offset per cell.
 *
 * Only the smaller child of a split is built from its rows; the larger one is parent − smaller (the
 * "histogram subtraction" trick of LightGBM), which roughly halves the work per tree.
 */

/** Histogram of all rows `0..n-1` (the root): no index indirection. */
export function buildRootHistogram(hist: Float64Array, codes: Uint16Array, F: number, g: Float64Array, h: Float64Array, n: number): void {
  hist.fill(0);
  for (let row = 0; row < n; row++) {
    const gi = g[row]!;
    const hi = h[row]!;
    let p = row * F;
    for (const e = p + F; p < e; p++) {
      const j = codes[p]! * 3;
      hist[j]! += gi;
      hist[j + 1]! += hi;
      hist[j + 2]! += 1;
    }
  }
}

/** Histogram of the rows `indices[start..end)`. */
export function buildHistogram(hist: Float64Array, codes: Uint16Array, F: number, g: Float64Array, h: Float64Array, indices: Int32Array, start: number, end: number): void {
  hist.fill(0);
  for (let k = start; k < end; k++) {
    const row = indices[k]!;
    const gi = g[row]!;
    const hi = h[row]!;
    let p = row * F;
    for (const e = p + F; p < e; p++) {
      const j = codes[p]! * 3;
      hist[j]! += gi;
      hist[j + 1]! += hi;
      hist[j + 2]! += 1;
    }
  }
}

/** `out = parent − child`, element-wise. */
export function subtractHistogram(out: Float64Array, parent: Float64Array, child: Float64Array): void {
  for (let i = 0; i < out.length; i++) out[i] = parent[i]! - child[i]!;
}

/** Start of each feature's bins (missing bin `nBins[f]` included); the last entry is the total. */
export function histogramOffsets(nBins: Int32Array): Int32Array {
  const out = new Int32Array(nBins.length + 1);
  for (let f = 0; f < nBins.length; f++) out[f + 1] = out[f]! + nBins[f]! + 1;
  return out;
}

/** Most histogram slots in total: slots are stored as Uint16. */
export const MAX_SLOTS = 65535;

/** Row-major bins → row-major histogram slots. */
export function binsToCodes(bins: Uint8Array, offsets: Int32Array): Uint16Array {
  const F = offsets.length - 1;
  const out = new Uint16Array(bins.length);
  for (let i = 0, f = 0; i < bins.length; i++, f = f + 1 === F ? 0 : f + 1) out[i] = offsets[f]! + bins[i]!;
  return out;
}
