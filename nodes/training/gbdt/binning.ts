/**
 * Feature binning for histogram gradient boosting, as in scikit-learn's `_BinMapper` and LightGBM:
 *
 * - numeric features: at most `maxBins` bins. With no more than `maxBins` distinct values, the thresholds are
 *   the midpoints between consecutive distinct values (one bin per value); otherwise they are the
 *   `k / maxBins` quantiles (numpy's "midpoint" percentile), computed on at most 200,000 rows drawn with the
 *   seed. A value goes to the first bin whose threshold is ≥ the value.
 * - categorical features (string columns): one bin per category, the `maxBins` most frequent categories
 *   (ties by name). Rarer categories, and categories first seen at prediction time, share the missing-value
 *   bin: the trees treat them exactly like a missing value (scikit-learn does the same for unknown categories).
 * - missing values (null, NaN) go to the bin after a feature's last one (bin `nBins(f)`, see {@link binCounts});
 *   each split learns which side they take. Keeping the missing bin next to the others (rather than at a
 *   fixed index 255) keeps histograms compact: Adult's 14 features need ~770 bins, not 14 × 256.
 *
 * Binned data is row-major `rows × features` in a Uint8Array, so `maxBins` is at most 255.
 */
import { mulberry32 } from "../../core/random";
import type { FeatureColumn } from "./columns";

export interface NumericBinning {
  name: string;
  kind: "numeric";
  /** Increasing bin upper bounds; bin `i` holds values in (thresholds[i-1], thresholds[i]]. */
  thresholds: number[];
}

export interface CategoricalBinning {
  name: string;
  kind: "categorical";
  /** Bin `i` holds category `categories[i]`. */
  categories: string[];
}

export type FeatureBinning = NumericBinning | CategoricalBinning;

export interface Binning {
  features: FeatureBinning[];
  maxBins: number;
}

/** Rows used to find quantile thresholds (scikit-learn's `subsample` default). */
const BINNING_SAMPLE = 200_000;

export function fitBinning(columns: FeatureColumn[], maxBins: number, seed: number): Binning {
  if (!(maxBins >= 2 && maxBins <= 255)) throw new RangeError(`maxBins must be in [2, 255], got ${maxBins}`);
  return {
    maxBins,
    features: columns.map((c): FeatureBinning =>
      c.kind === "numeric" ? { name: c.name, kind: "numeric", thresholds: numericThresholds(c.values, maxBins, seed) } : { name: c.name, kind: "categorical", categories: topCategories(c, maxBins) },
    ),
  };
}

function numericThresholds(values: Float64Array, maxBins: number, seed: number): number[] {
  let observed = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === values[i]) observed++;
  let sample = new Float64Array(observed);
  for (let i = 0, j = 0; i < values.length; i++) {
    const v = values[i]!;
    if (v === v) sample[j++] = v;
  }
  if (sample.length > BINNING_SAMPLE) {
    // Partial Fisher–Yates: the first BINNING_SAMPLE entries become a uniform sample without replacement.
    const random = mulberry32(seed);
    for (let i = 0; i < BINNING_SAMPLE; i++) {
      const j = i + Math.floor(random() * (sample.length - i));
      const t = sample[i]!;
      sample[i] = sample[j]!;
      sample[j] = t;
    }
    sample = sample.slice(0, BINNING_SAMPLE);
  }
  sample.sort();
  const n = sample.length;
  let distinct = 0;
  for (let i = 0; i < n; i++) if (i === 0 || sample[i] !== sample[i - 1]) distinct++;
  const out: number[] = [];
  if (distinct <= maxBins) {
    for (let i = 1; i < n; i++) if (sample[i] !== sample[i - 1]) out.push(midpoint(sample[i - 1]!, sample[i]!));
  } else {
    for (let k = 1; k < maxBins; k++) {
      const pos = (k / maxBins) * (n - 1);
      const t = midpoint(sample[Math.floor(pos)]!, sample[Math.ceil(pos)]!);
      // Equal quantiles would only make empty bins: keep each threshold once.
      if (out.length === 0 || t > out[out.length - 1]!) out.push(t);
    }
  }
  return out;
}

/** (a + b) / 2 kept finite, so thresholds survive JSON (which has no Infinity). */
function midpoint(a: number, b: number): number {
  const m = (a + b) / 2;
  return m === Infinity ? Number.MAX_VALUE : m === -Infinity ? -Number.MAX_VALUE : m;
}

function topCategories(c: Extract<FeatureColumn, { kind: "categorical" }>, maxBins: number): string[] {
  const counts = new Float64Array(c.dictionary.length);
  for (let i = 0; i < c.codes.length; i++) {
    const k = c.codes[i]!;
    if (k >= 0) counts[k]!++;
  }
  const order = [...c.dictionary.keys()].filter((k) => counts[k]! > 0);
  order.sort((a, b) => counts[b]! - counts[a]! || (c.dictionary[a]! < c.dictionary[b]! ? -1 : c.dictionary[a]! > c.dictionary[b]! ? 1 : 0));
  return order.slice(0, maxBins).map((k) => c.dictionary[k]!);
}

/**
 * Bin `columns` (in the binning's feature order) into a row-major `rows × features` matrix. Rows of the
 * training table give exactly the bins the trees were grown on.
 */
export function applyBinning(binning: Binning, columns: FeatureColumn[], rows: number): Uint8Array {
  const F = columns.length;
  const out = new Uint8Array(rows * F);
  const counts = binCounts(binning);
  for (let f = 0; f < F; f++) {
    const spec = binning.features[f]!;
    const col = columns[f]!;
    const missing = counts[f]!;
    if (spec.kind === "numeric") {
      if (col.kind !== "numeric") throw new Error(`feature ${spec.name}: expected numbers`);
      const thr = Float64Array.from(spec.thresholds);
      const x = col.values;
      const m = thr.length;
      for (let i = 0; i < rows; i++) {
        const v = x[i]!;
        let b: number;
        if (v !== v) b = missing;
        else {
          let lo = 0;
          let hi = m;
          while (lo < hi) {
            const mid = (lo + hi) >>> 1;
            if (v <= thr[mid]!) hi = mid;
            else lo = mid + 1;
          }
          b = lo;
        }
        out[i * F + f] = b;
      }
    } else {
      if (col.kind !== "categorical") throw new Error(`feature ${spec.name}: expected text`);
      const index = new Map<string, number>();
      spec.categories.forEach((c, i) => index.set(c, i));
      // Column dictionary code → bin, computed once per distinct value rather than per row.
      const codeToBin = Int32Array.from(col.dictionary, (v) => index.get(v) ?? missing);
      const codes = col.codes;
      for (let i = 0; i < rows; i++) {
        const k = codes[i]!;
        out[i * F + f] = k < 0 ? missing : codeToBin[k]!;
      }
    }
  }
  return out;
}

/** Number of non-missing bins of each feature; bin `nBins(f)` is feature f's missing-value bin. */
export function binCounts(binning: Binning): Int32Array {
  return Int32Array.from(binning.features, (f) => (f.kind === "numeric" ? f.thresholds.length + 1 : f.categories.length));
}
