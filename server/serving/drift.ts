/**
 * Input drift of an endpoint: PSI per feature of the rows it served against the training rows, binned the way
 * the Schema drift node bins (nodes/validation/drift-stats.ts): numeric columns at the reference's deciles plus
 * a missing bin, text columns by category (top 50, the rest pooled as "(other)") plus "(missing)".
 */
import type { Table } from "apache-arrow";
import { numericColumn, stringColumn } from "../../nodes/core/arrow";
import { binIndex, binShares, MISSING, OTHER, psi, quantileEdges } from "../../nodes/validation/drift-stats";
import type { FeatureReference } from "./spec";
import type { FeatureDrift, InputField } from "./types";

const BINS = 10;
const MAX_CATEGORIES = 50;
/** Fewer served rows than this give no PSI (the figure would be noise). */
export const MIN_DRIFT_ROWS = 100;

/** Reference distribution of the input fields in the training rows. */
export function referenceOf(table: Table, fields: InputField[]): FeatureReference[] {
  return fields.map((f): FeatureReference => {
    if (f.dtype === "number" || f.dtype === "integer" || f.dtype === "date" || f.dtype === "datetime") {
      // Dates and date-times bin as milliseconds since the epoch: what Arrow reads and what validated requests hold.
      const x = f.dtype === "date" || f.dtype === "datetime" ? epochMs(table, f.name) : numericColumn(table, f.name);
      const present = x.filter((v) => !Number.isNaN(v)).sort();
      const edges = present.length ? quantileEdges(present, BINS) : [];
      return { feature: f.name, kind: "numeric", edges, shares: binShares(x, edges) };
    }
    const x = stringColumn(table, f.name);
    const counts = new Map<string, number>();
    for (const v of x) if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
    const categories = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, MAX_CATEGORIES).map(([k]) => k);
    const index = new Map(categories.map((c, i) => [c, i]));
    const shares = new Array<number>(categories.length + 2).fill(0);
    for (const v of x) shares[v === null ? categories.length + 1 : (index.get(v) ?? categories.length)]! += 1;
    return { feature: f.name, kind: "categorical", categories, shares: shares.map((c) => c / (x.length || 1)) };
  });
}

/** A date/timestamp column as milliseconds since the epoch (NaN for missing). */
function epochMs(table: Table, name: string): Float64Array {
  const v = table.getChild(name);
  const out = new Float64Array(table.numRows).fill(Number.NaN);
  if (v) for (let i = 0; i < out.length; i++) {
    const x: unknown = v.get(i);
    if (typeof x === "number") out[i] = x;
    else if (typeof x === "bigint") out[i] = Number(x);
    else if (x instanceof Date) out[i] = x.getTime();
  }
  return out;
}

/** Bin counts of served rows for one version, updated per request (O(rows × features)). */
export class DriftAccumulator {
  private readonly counts: number[][];
  private readonly index: Array<Map<string, number> | undefined>;
  served = 0;

  /** `sink`: also hand each request's bin counts (`<feature index>.<bin>`, and `served`) to shared counters. */
  constructor(
    private readonly reference: FeatureReference[],
    private readonly sink?: (counts: Record<string, number>) => void,
  ) {
    this.counts = reference.map((r) => new Array<number>(r.shares.length).fill(0));
    this.index = reference.map((r) => (r.kind === "categorical" ? new Map(r.categories.map((c, i) => [c, i])) : undefined));
  }

  add(cols: Record<string, unknown[]>, rows: number) {
    this.served += rows;
    const delta: Record<string, number> | undefined = this.sink ? { served: rows } : undefined;
    const bump = (j: number, c: number[], bin: number) => {
      c[bin]!++;
      if (delta) delta[`${j}.${bin}`] = (delta[`${j}.${bin}`] ?? 0) + 1;
    };
    this.reference.forEach((r, j) => {
      const values = cols[r.feature];
      const c = this.counts[j]!;
      if (!values) return;
      if (r.kind === "numeric") {
        for (let i = 0; i < rows; i++) {
          const v = values[i];
          if (v === null || v === undefined || typeof v !== "number" || Number.isNaN(v)) bump(j, c, r.edges.length + 1);
          else bump(j, c, binIndex(r.edges, v));
        }
      } else {
        const idx = this.index[j]!;
        for (let i = 0; i < rows; i++) {
          const v = values[i];
          bump(j, c, v === null || v === undefined ? r.categories.length + 1 : (idx.get(String(v)) ?? r.categories.length));
        }
      }
    });
    if (delta) this.sink!(delta);
  }

  drift(): FeatureDrift[] {
    return driftOf(this.reference, this.served, (j, bin) => this.counts[j]![bin]!);
  }
}

/** PSI per feature from bin counts kept in shared counters (see DriftAccumulator's `sink`). */
export function driftFromCounts(reference: FeatureReference[], counts: Record<string, number>): FeatureDrift[] {
  return driftOf(reference, counts.served ?? 0, (j, bin) => counts[`${j}.${bin}`] ?? 0);
}

function driftOf(reference: FeatureReference[], served: number, count: (feature: number, bin: number) => number): FeatureDrift[] {
  return reference.map((r, j) => {
    if (served < MIN_DRIFT_ROWS) return { feature: r.feature, psi: null, served };
    const cur = r.shares.map((_, bin) => count(j, bin) / served);
    return { feature: r.feature, psi: psi(r.shares, cur), served };
  });
}

export { MISSING, OTHER };
