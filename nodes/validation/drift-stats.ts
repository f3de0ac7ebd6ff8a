/**
 * Distribution drift between a reference sample and a current one.
 *
 * PSI (population stability index) = Σ (c − r)·ln(c / r) over bins, with r and c the reference and current share
 * of rows in each bin. Shares are floored at {@link PSI_FLOOR} so an empty bin gives a large but finite value.
 * Common reading: < 0.1 stable, 0.1–0.25 moderate shift, > 0.25 major shift.
 * - Numeric columns: bins cut at the reference's quantiles (so each holds about 1/bins of the reference rows),
 *   open at both ends, plus one bin for missing values.
 * - Other columns: one bin per category (the reference's most frequent ones, the rest pooled as "(other)"),
 *   plus "(missing)". The largest change of a category's share is reported too.
 */

export const PSI_FLOOR = 1e-4;
export const MISSING = "(missing)";
export const OTHER = "(other)";
const MAX_CATEGORIES = 50;

export function psi(ref: number[], cur: number[]): number {
  let s = 0;
  for (let i = 0; i < ref.length; i++) {
    const r = Math.max(ref[i]!, PSI_FLOOR);
    const c = Math.max(cur[i]!, PSI_FLOOR);
    s += (c - r) * Math.log(c / r);
  }
  return s;
}

/** Interior cut points at the reference's quantiles k/bins, duplicates removed (ties make fewer bins). */
export function quantileEdges(sortedRef: Float64Array, bins: number): number[] {
  const edges: number[] = [];
  const n = sortedRef.length;
  for (let k = 1; k < bins; k++) {
    const e = sortedRef[Math.min(n - 1, Math.floor((k * n) / bins))]!;
    if (!edges.length || e > edges[edges.length - 1]!) edges.push(e);
  }
  return edges;
}

/** Shares of rows per bin: bins (-∞, e0), [e0, e1), …, [e_last, ∞), then missing. */
export function binShares(values: Float64Array, edges: number[]): number[] {
  const counts = new Array<number>(edges.length + 2).fill(0);
  for (const x of values) {
    if (Number.isNaN(x)) {
      counts[edges.length + 1]!++;
      continue;
    }
    counts[binIndex(edges, x)]!++;
  }
  const n = values.length || 1;
  return counts.map((c) => c / n);
}

/** Index of the bin (-∞, e0), [e0, e1), …, [e_last, ∞) holding the (non-missing) value x: a binary search. */
export function binIndex(edges: number[], x: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (x >= edges[mid]!) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export interface NumericDrift {
  psi: number;
  edges: number[];
  reference: number[];
  current: number[];
  referenceMean: number | null;
  currentMean: number | null;
  referenceMissing: number;
  currentMissing: number;
}

function mean(v: Float64Array): number | null {
  let s = 0;
  let n = 0;
  for (const x of v)
    if (!Number.isNaN(x)) {
      s += x;
      n++;
    }
  return n ? s / n : null;
}

export function numericDrift(ref: Float64Array, cur: Float64Array, bins: number): NumericDrift {
  const present = ref.filter((x) => !Number.isNaN(x)).sort();
  const edges = present.length ? quantileEdges(present, bins) : [];
  const reference = binShares(ref, edges);
  const current = binShares(cur, edges);
  return {
    psi: psi(reference, current),
    edges,
    reference,
    current,
    referenceMean: mean(ref),
    currentMean: mean(cur),
    referenceMissing: reference.at(-1)!,
    currentMissing: current.at(-1)!,
  };
}

export interface CategoryDrift {
  psi: number;
  /** Largest |current share − reference share| over categories. */
  maxShareChange: number;
  /** Categories by size of change, largest first (at most 10). */
  changes: Array<{ category: string; reference: number; current: number; change: number }>;
  newCategories: string[];
}

function shares(values: Array<string | null>): Map<string, number> {
  const m = new Map<string, number>();
  for (const v of values) {
    const k = v === null ? MISSING : v;
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  for (const [k, c] of m) m.set(k, c / (values.length || 1));
  return m;
}

export function categoryDrift(ref: Array<string | null>, cur: Array<string | null>): CategoryDrift {
  const r = shares(ref);
  const c = shares(cur);
  const kept = new Set([...r.entries()].sort((a, b) => b[1] - a[1]).slice(0, MAX_CATEGORIES).map(([k]) => k));
  kept.add(MISSING);
  const pooled = (m: Map<string, number>) => {
    const out = new Map<string, number>();
    for (const [k, s] of m) {
      const key = kept.has(k) ? k : OTHER;
      out.set(key, (out.get(key) ?? 0) + s);
    }
    return out;
  };
  const rp = pooled(r);
  const cp = pooled(c);
  const keys = [...new Set([...rp.keys(), ...cp.keys()])];
  const changes = keys
    .map((k) => ({ category: k, reference: rp.get(k) ?? 0, current: cp.get(k) ?? 0, change: (cp.get(k) ?? 0) - (rp.get(k) ?? 0) }))
    .sort((a, b) => Math.abs(b.change) - Math.abs(a.change));
  return {
    psi: psi(keys.map((k) => rp.get(k) ?? 0), keys.map((k) => cp.get(k) ?? 0)),
    maxShareChange: changes.length ? Math.abs(changes[0]!.change) : 0,
    changes: changes.slice(0, 10),
    newCategories: [...c.keys()].filter((k) => !r.has(k)).slice(0, 20),
  };
}
