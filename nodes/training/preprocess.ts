/**
 * The preprocessing a model carries with it, fitted on the training rows only and stored in the model's
 * `state`, so that scoring (metrics node, batch scoring, published endpoints) turns a table into exactly the
 * matrix the model was trained on.
 *
 * - numeric (float/int/bool) columns: standardized with the training mean and population std; a missing value
 *   becomes 0 after scaling, i.e. it is imputed with the training mean.
 * - string columns: one-hot over the categories seen in training. Only the `maxCategories` most frequent keep
 *   their own indicator; the rarer ones seen in training share an `(other)` indicator; missing values get a
 *   `(missing)` indicator (when training had any). A category never seen in training encodes as all zeros, so
 *   the row is scored from its other features (and the intercept) alone.
 */
import type { Table } from "apache-arrow";
import { dtypeOf, numericColumn, requireColumn, stringCodes } from "../core/arrow";
import type { SparseRows } from "./linear-solvers";
import { fail } from "../core/errors";

export interface NumericEncoder {
  name: string;
  kind: "numeric";
  mean: number;
  /** Population std of the observed training values; 1 when that is 0 (a constant column). */
  scale: number;
}

export interface CategoricalEncoder {
  name: string;
  kind: "categorical";
  /** Categories with their own indicator, most frequent first. */
  categories: string[];
  /** Seen in training but beyond the top-K cap: they share the `(other)` indicator. */
  rare: string[];
  /** Training had missing values: they get a `(missing)` indicator. */
  missing: boolean;
}

export type FeatureEncoder = NumericEncoder | CategoricalEncoder;

export interface PreprocessState {
  encoders: FeatureEncoder[];
  /** Names of the encoded matrix columns, e.g. `age`, `workclass=Private`, `workclass=(missing)`. */
  outputs: string[];
}

export const OTHER = "(other)";
export const MISSING = "(missing)";

/** Fit encoders for `features` on `table`. */
export function fitPreprocess(table: Table, features: string[], maxCategories: number): PreprocessState {
  const encoders: FeatureEncoder[] = features.map((name) => {
    const dt = dtypeOf(requireColumn(table, name, "feature column").type);
    if (dt === "float" || dt === "int" || dt === "bool") return fitNumeric(name, numericColumn(table, name));
    if (dt === "string") return fitCategorical(name, stringCodes(table, name), maxCategories);
    return fail("unsupported_feature", `Feature "${name}" holds ${dt} values; use numbers or text (derive numbers from dates first).`, name);
  });
  return { encoders, outputs: encoders.flatMap(outputNames) };
}

function fitNumeric(name: string, x: Float64Array): NumericEncoder {
  let n = 0;
  let sum = 0;
  for (const v of x) if (!Number.isNaN(v)) (n++, (sum += v));
  const mean = n ? sum / n : 0;
  let ss = 0;
  for (const v of x) if (!Number.isNaN(v)) ss += (v - mean) * (v - mean);
  const std = n ? Math.sqrt(ss / n) : 0;
  return { name, kind: "numeric", mean, scale: std > 0 && Number.isFinite(std) ? std : 1 };
}

function fitCategorical(name: string, x: { codes: Int32Array; values: string[] }, maxCategories: number): CategoricalEncoder {
  const counts = new Float64Array(x.values.length);
  let missing = false;
  for (const c of x.codes) {
    if (c < 0) missing = true;
    else counts[c]!++;
  }
  // Most frequent first; ties by name so the order (and thus the weights' layout) never depends on row order.
  const sorted = x.values
    .map((v, c) => [v, counts[c]!] as const)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map((e) => e[0]);
  const k = Math.max(1, maxCategories);
  return { name, kind: "categorical", categories: sorted.slice(0, k), rare: sorted.slice(k), missing };
}

function outputNames(e: FeatureEncoder): string[] {
  if (e.kind === "numeric") return [e.name];
  const out = e.categories.map((c) => `${e.name}=${c}`);
  if (e.rare.length) out.push(`${e.name}=${OTHER}`);
  if (e.missing) out.push(`${e.name}=${MISSING}`);
  return out;
}

/** One encoded entry per row and encoder: its output column (-1: none, an all-zero block) and value. */
interface EncodedColumn {
  /** Output column per row, or -1. */
  col: Int32Array;
  /** Value per row (numeric encoders); undefined: 1 wherever `col` is set (indicators). */
  val?: Float64Array;
}

/** Encode each fitted feature of `table` column by column (float64 arithmetic). */
function encodeColumns(state: PreprocessState, table: Table): EncodedColumn[] {
  const n = table.numRows;
  let offset = 0;
  return state.encoders.map((e) => {
    if (!table.getChild(e.name)) fail("missing_feature", `The model needs column "${e.name}", but the table does not have it.`, e.name);
    const at = offset;
    if (e.kind === "numeric") {
      offset += 1;
      const x = numericColumn(table, e.name);
      const val = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        val[i] = Number.isNaN(v) ? 0 : (v - e.mean) / e.scale;
      }
      return { col: new Int32Array(n).fill(at), val };
    }
    offset += e.categories.length + (e.rare.length ? 1 : 0) + (e.missing ? 1 : 0);
    const index = new Map<string, number>();
    e.categories.forEach((c, j) => index.set(c, j));
    const other = e.rare.length ? e.categories.length : -1;
    for (const r of e.rare) index.set(r, other);
    const missing = e.missing ? e.categories.length + (e.rare.length ? 1 : 0) : -1;
    // Output column per distinct value of the table, then per row.
    const { codes, values } = stringCodes(table, e.name);
    const toCol = Int32Array.from(values, (v) => {
      const j = index.get(v) ?? -1;
      return j >= 0 ? at + j : -1;
    });
    const col = new Int32Array(n);
    const missingCol = missing >= 0 ? at + missing : -1;
    for (let i = 0; i < n; i++) {
      const c = codes[i]!;
      col[i] = c < 0 ? missingCol : toCol[c]!;
    }
    return { col };
  });
}

/**
 * Encode `table` (which must hold every fitted feature column) as a row-major float32 matrix of
 * `rows × state.outputs.length`. Arithmetic is float64 until the final store, so results do not depend on
 * the backend.
 */
export function applyPreprocess(state: PreprocessState, table: Table): Float32Array {
  const n = table.numRows;
  const d = state.outputs.length;
  const out = new Float32Array(n * d);
  for (const { col, val } of encodeColumns(state, table)) {
    for (let i = 0; i < n; i++) {
      const j = col[i]!;
      if (j >= 0) out[i * d + j] = val ? val[i]! : 1;
    }
  }
  return out;
}

/**
 * The same encoding as {@link applyPreprocess} in compressed-sparse-row form, for the full-batch solvers:
 * one entry per row and encoder at most (one-hot blocks are mostly zeros). Values are rounded to float32 as
 * in the dense matrix, so both solvers see exactly the same numbers as scoring does.
 */
export function applyPreprocessSparse(state: PreprocessState, table: Table): SparseRows {
  const n = table.numRows;
  const encoded = encodeColumns(state, table);
  const rowStart = new Int32Array(n + 1);
  for (const { col, val } of encoded) for (let i = 0; i < n; i++) if (col[i]! >= 0 && (!val || Math.fround(val[i]!) !== 0)) rowStart[i + 1]!++;
  for (let i = 0; i < n; i++) rowStart[i + 1]! += rowStart[i]!;
  const nnz = rowStart[n]!;
  const colOut = new Int32Array(nnz);
  const valOut = new Float64Array(nnz);
  const fill = rowStart.slice(0, n);
  // Encoders in order: output columns increase within a row, as CSR consumers expect.
  for (const { col, val } of encoded) {
    for (let i = 0; i < n; i++) {
      const j = col[i]!;
      if (j < 0) continue;
      const v = val ? Math.fround(val[i]!) : 1;
      if (v === 0) continue;
      const k = fill[i]!++;
      colOut[k] = j;
      valOut[k] = v;
    }
  }
  return { n, d: state.outputs.length, rowStart, col: colOut, val: valOut };
}
