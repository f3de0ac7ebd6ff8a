/**
 * Feature columns as gradient boosting reads them: numbers as a Float64Array (missing = NaN), text as
 * integer codes into a per-column dictionary (missing = -1). Reads Arrow buffers chunk by chunk, without
 * per-cell objects; dictionary-encoded text columns keep their dictionary.
 */
import { DataType, type Data, type Table, type Vector } from "apache-arrow";
import { dtypeOf, numericColumn, stringCodes } from "../../core/arrow";
import { fail } from "../../core/errors";

export type FeatureColumn =
  | { name: string; kind: "numeric"; values: Float64Array }
  | { name: string; kind: "categorical"; codes: Int32Array; dictionary: string[] };

/** How a column of this dtype is learned from, or undefined if it cannot be. */
export function featureKind(dtype: string): "numeric" | "categorical" | undefined {
  return dtype === "float" || dtype === "int" || dtype === "bool" ? "numeric" : dtype === "string" ? "categorical" : undefined;
}

/** Read one feature column; `expect` (from a trained model) makes a type change an actionable error. */
export function readFeature(table: Table, name: string, expect?: "numeric" | "categorical"): FeatureColumn {
  const v = table.getChild(name);
  if (!v) fail("missing_feature", `The model needs column "${name}", but the table does not have it.`, name);
  const dtype = dtypeOf(v.type);
  const kind = featureKind(dtype);
  if (!kind) fail("unsupported_feature", `Feature "${name}" holds ${dtype} values; use numbers or text (derive numbers from dates first).`, name);
  if (expect && kind !== expect)
    fail("feature_type_changed", `Column "${name}" holds ${dtype} values, but the model was trained on ${expect === "numeric" ? "numbers" : "text"} in it.`, name);
  return kind === "numeric" ? { name, kind, values: readNumeric(table, name, v) } : { name, kind, ...readCategorical(table, name, v) };
}

function isValid(d: Data, i: number): boolean {
  if (d.nullCount === 0 || !d.nullBitmap || d.nullBitmap.length === 0) return true;
  const bit = d.offset + i;
  return ((d.nullBitmap[bit >> 3]! >> (bit & 7)) & 1) === 1;
}

function readNumeric(table: Table, name: string, v: Vector): Float64Array {
  const t = v.type;
  if (!DataType.isFloat(t) && !DataType.isInt(t)) return numericColumn(table, name);
  const out = new Float64Array(v.length);
  let at = 0;
  for (const d of v.data) {
    const values = d.values as ArrayLike<number | bigint>;
    const hasNulls = d.nullCount > 0;
    if (d.stride !== 1) return numericColumn(table, name);
    if (typeof values[0] === "bigint") {
      for (let i = 0; i < d.length; i++) out[at + i] = hasNulls && !isValid(d, i) ? NaN : Number(values[i]);
    } else {
      const nums = values as ArrayLike<number>;
      if (!hasNulls) for (let i = 0; i < d.length; i++) out[at + i] = nums[i]!;
      else for (let i = 0; i < d.length; i++) out[at + i] = isValid(d, i) ? nums[i]! : NaN;
    }
    at += d.length;
  }
  return out;
}

function readCategorical(table: Table, name: string, v: Vector): { codes: Int32Array; dictionary: string[] } {
  if (!DataType.isDictionary(v.type)) {
    const { codes, values } = stringCodes(table, name);
    return { codes, dictionary: values };
  }
  const codes = new Int32Array(v.length);
  const dictionary: string[] = [];
  const index = new Map<string, number>();
  const code = (s: string) => {
    let k = index.get(s);
    if (k === undefined) index.set(s, (k = dictionary.push(s) - 1));
    return k;
  };
  let at = 0;
  for (const d of v.data) {
    const dict = d.dictionary!;
    const map = new Int32Array(dict.length);
    for (let j = 0; j < dict.length; j++) {
      const s = dict.get(j);
      map[j] = s === null || s === undefined ? -1 : code(String(s));
    }
    const keys = d.values as ArrayLike<number>;
    for (let i = 0; i < d.length; i++) codes[at + i] = isValid(d, i) ? map[Number(keys[i])]! : -1;
    at += d.length;
  }
  return { codes, dictionary };
}
