/**
 * Column-level helpers over Apache Arrow tables. Nodes read whole columns into typed arrays (never arrays
 * of row objects) and build result tables from columns.
 */
import { Bool, DataType, Float64, Precision, type Float, type Int, RecordBatch, Schema, Table, Utf8, makeData, makeVector, vectorFromArray, type Data, type Vector } from "apache-arrow";
import type { ColumnInfo, DType, TableInfo } from "./schema";
import { fail } from "./errors";

export function dtypeOf(t: DataType): DType {
  if (DataType.isFloat(t) || DataType.isDecimal(t)) return "float";
  if (DataType.isInt(t)) return "int";
  if (DataType.isBool(t)) return "bool";
  if (DataType.isUtf8(t) || DataType.isLargeUtf8(t) || DataType.isDictionary(t)) return "string";
  if (DataType.isDate(t)) return "date";
  if (DataType.isTimestamp(t)) return "timestamp";
  return "unknown";
}

/** Schema of an Arrow table as the compiler and pickers see it. Roles are kept in field metadata. */
export function tableInfo(table: Table): TableInfo {
  return {
    rows: table.numRows,
    columns: table.schema.fields.map((f): ColumnInfo => {
      const role = f.metadata.get("lattice.role") as ColumnInfo["role"] | undefined;
      return role ? { name: f.name, dtype: dtypeOf(f.type), role } : { name: f.name, dtype: dtypeOf(f.type) };
    }),
  };
}

/** The column, or a user error naming it and what is available. */
export function requireColumn(table: Table, name: string, what = "column"): Vector {
  const v = table.getChild(name);
  if (!v) {
    const names = table.schema.fields.map((f) => f.name);
    fail("unknown_column", `The ${what} "${name}" is not in the input table (columns: ${names.slice(0, 15).join(", ")}${names.length > 15 ? ", …" : ""}).`, name);
  }
  return v;
}

/** Numeric view of a column: nulls become NaN. Strings are rejected with a message naming the column. */
export function numericColumn(table: Table, name: string): Float64Array {
  const v = requireColumn(table, name);
  const dt = dtypeOf(v.type);
  if (dt !== "float" && dt !== "int" && dt !== "bool")
    fail("not_numeric", `Column "${name}" holds ${dt} values, but a number is needed here. Encode or cast it first.`, name);
  const out = new Float64Array(v.length);
  // Fast path: plain number buffers (Float*, Int* up to 32 bits), read chunk by chunk without per-cell calls.
  if (plainNumbers(v.type) && v.data.every((d) => d.stride === 1)) {
    let at = 0;
    for (const d of v.data) {
      const values = d.values as ArrayLike<number>;
      if (!hasNulls(d)) for (let i = 0; i < d.length; i++) out[at + i] = values[i]!;
      else for (let i = 0; i < d.length; i++) out[at + i] = isValid(d, i) ? values[i]! : NaN;
      at += d.length;
    }
    return out;
  }
  let i = 0;
  for (const x of v) {
    out[i++] = x === null || x === undefined ? NaN : typeof x === "bigint" ? Number(x) : Number(x);
  }
  return out;
}

/** String view of a column: nulls stay null; numbers are formatted. */
export function stringColumn(table: Table, name: string): Array<string | null> {
  const v = requireColumn(table, name);
  if (DataType.isUtf8(v.type)) {
    const { codes, values } = utf8Codes(v);
    return Array.from(codes, (c) => (c < 0 ? null : values[c]!));
  }
  const out: Array<string | null> = new Array(v.length);
  let i = 0;
  for (const x of v) out[i++] = x === null || x === undefined ? null : String(x);
  return out;
}

/**
 * A column as codes into its distinct values (in order of first appearance; -1 for null), as
 * {@link stringColumn} would show them. For text columns this is the cheap way to count, group or encode
 * categories: each distinct value is decoded once and rows are plain integers.
 */
export function stringCodes(table: Table, name: string): { codes: Int32Array; values: string[] } {
  const v = requireColumn(table, name);
  if (DataType.isUtf8(v.type)) return utf8Codes(v);
  const codes = new Int32Array(v.length);
  const values: string[] = [];
  const index = new Map<string, number>();
  stringColumn(table, name).forEach((s, i) => {
    let c = -1;
    if (s !== null) {
      c = index.get(s) ?? -1;
      if (c < 0) index.set(s, (c = values.push(s) - 1));
    }
    codes[i] = c;
  });
  return { codes, values };
}

/** Types whose value buffer holds the numbers themselves (no half floats, no 64-bit BigInt integers). */
function plainNumbers(t: DataType): boolean {
  if (DataType.isFloat(t)) return (t as Float).precision !== Precision.HALF;
  return DataType.isInt(t) && (t as Int).bitWidth <= 32;
}

function hasNulls(d: Data): boolean {
  return d.nullCount > 0 && !!d.nullBitmap && d.nullBitmap.length > 0;
}

/** Validity of row `i` of `d` (bitmaps are not sliced with the Data, hence `d.offset`). */
function isValid(d: Data, i: number): boolean {
  if (!hasNulls(d)) return true;
  const bit = d.offset + i;
  return ((d.nullBitmap![bit >> 3]! >> (bit & 7)) & 1) === 1;
}

const utf8 = new TextDecoder();

/**
 * Codes of a Utf8 column's rows into its distinct values, each decoded once: rows are matched to values by
 * their bytes (FNV-1a hash, then a byte compare), which costs far less than a TextDecoder call per cell.
 * Categorical columns (a few hundred values over many rows) are the common case; a column of unique strings
 * costs one decode per row, as per-cell access would.
 */
function utf8Codes(v: Vector): { codes: Int32Array; values: string[] } {
  const codes = new Int32Array(v.length);
  let size = 1024;
  let slots = new Int32Array(size).fill(-1);
  const keys: Uint8Array[] = [];
  const values: string[] = [];
  const hashes: number[] = [];
  let at = 0;
  for (const d of v.data) {
    const offsets = d.valueOffsets as Int32Array;
    const bytes = d.values as Uint8Array;
    for (let i = 0; i < d.length; i++) {
      if (!isValid(d, i)) {
        codes[at + i] = -1;
        continue;
      }
      const start = offsets[i]!;
      const end = offsets[i + 1]!;
      let h = 0x811c9dc5;
      for (let k = start; k < end; k++) h = Math.imul(h ^ bytes[k]!, 0x01000193);
      h >>>= 0;
      let j = h & (size - 1);
      let found = -1;
      for (let id = slots[j]!; id !== -1; j = (j + 1) & (size - 1), id = slots[j]!) {
        const key = keys[id]!;
        if (hashes[id] !== h || key.length !== end - start) continue;
        let k = 0;
        while (k < key.length && key[k] === bytes[start + k]) k++;
        if (k === key.length) {
          found = id;
          break;
        }
      }
      if (found < 0) {
        found = values.length;
        const key = bytes.subarray(start, end);
        keys.push(key);
        values.push(utf8.decode(key));
        hashes.push(h);
        slots[j] = found;
        if (values.length * 2 > size) {
          size *= 2;
          slots = new Int32Array(size).fill(-1);
          for (let id = 0; id < values.length; id++) {
            let q = hashes[id]! & (size - 1);
            while (slots[q] !== -1) q = (q + 1) & (size - 1);
            slots[q] = id;
          }
        }
      }
      codes[at + i] = found;
    }
    at += d.length;
  }
  return { codes, values };
}

export type ColumnData = Float64Array | Int32Array | Array<string | null> | Array<boolean | null> | Array<number | null>;

/** Build an Arrow table from named columns (typed arrays → numeric vectors, string arrays → Utf8). */
export function tableFromColumns(cols: Record<string, ColumnData>, roles: Record<string, ColumnInfo["role"]> = {}): Table {
  const vectors: Record<string, Vector> = {};
  for (const [name, data] of Object.entries(cols)) {
    if (data instanceof Float64Array) vectors[name] = makeVector(data);
    else if (data instanceof Int32Array) vectors[name] = makeVector(data);
    else {
      const first = data.find((x) => x !== null && x !== undefined);
      const type = typeof first === "boolean" ? new Bool() : typeof first === "number" ? new Float64() : new Utf8();
      vectors[name] = vectorFromArray(data as unknown[], type as DataType);
    }
  }
  const t = new Table(vectors);
  return Object.keys(roles).length ? withRoles(t, roles) : t;
}

/** Copy of `table` with `lattice.role` field metadata set for the given columns. */
export function withRoles(table: Table, roles: Record<string, ColumnInfo["role"]>): Table {
  const fields = table.schema.fields.map((f) => {
    const role = roles[f.name];
    if (!role) return f;
    const md = new Map(f.metadata);
    md.set("lattice.role", role);
    return f.clone({ metadata: md });
  });
  const schema = new Schema(fields, table.schema.metadata);
  return new Table(schema, table.batches.map((b) => new RecordBatch(schema, b.data)));
}

/** Rows at the given indices (used by splits and samplers). */
export function takeRows(table: Table, indices: ArrayLike<number>): Table {
  const cols: Record<string, Vector> = {};
  for (const f of table.schema.fields) {
    const src = table.getChild(f.name)!;
    const vals = new Array(indices.length);
    for (let i = 0; i < indices.length; i++) vals[i] = src.get(indices[i]!);
    cols[f.name] = vectorFromArray(vals, f.type);
  }
  return withRolesFrom(new Table(cols), table);
}

function withRolesFrom(t: Table, from: Table): Table {
  const roles: Record<string, ColumnInfo["role"]> = {};
  for (const f of from.schema.fields) {
    const r = f.metadata.get("lattice.role");
    if (r) roles[f.name] = r as ColumnInfo["role"];
  }
  return Object.keys(roles).length ? withRoles(t, roles) : t;
}


/**
 * Rows at the given indices, like {@link takeRows} (same values, types and roles) but column-wise: typed-array
 * gathers for numbers, dates and timestamps, byte copies for strings. Use it for whole-table reorderings
 * (splits, shuffles, folds), where takeRows' per-cell path costs seconds on large tables.
 */
export function gatherRows(table: Table, indices: ArrayLike<number>): Table {
  if (table.batches.length !== 1) return takeRows(table, indices);
  const batch = table.batches[0]!;
  const children = batch.data.children.map((d, c) => gatherData(d, indices) ?? takeRows(table.selectAt([c]), indices).batches[0]!.data.children[0]!);
  const struct = makeData({ type: batch.data.type, length: indices.length, nullCount: 0, children });
  return new Table(table.schema, [new RecordBatch(table.schema, struct)]);
}

/** One column's gather, or undefined for types without a fast path. */
function gatherData(d: Data, idx: ArrayLike<number>): Data | undefined {
  const m = idx.length;
  const t = d.type;
  // Validity bitmaps are not sliced with the Data (values buffers are), hence `d.offset` only here.
  let nullBitmap: Uint8Array | undefined;
  let nullCount = 0;
  if (d.nullCount > 0 && d.nullBitmap && d.nullBitmap.length > 0) {
    const src = d.nullBitmap;
    nullBitmap = new Uint8Array((m + 7) >> 3);
    for (let i = 0; i < m; i++) {
      const bit = d.offset + idx[i]!;
      if ((src[bit >> 3]! >> (bit & 7)) & 1) nullBitmap[i >> 3]! |= 1 << (i & 7);
      else nullCount++;
    }
  }
  const common = { type: t, length: m, nullCount, nullBitmap } as const;
  if (DataType.isInt(t) || DataType.isFloat(t) || DataType.isDate(t) || DataType.isTimestamp(t)) {
    const values = d.values as Float64Array;
    if (d.stride !== 1) return undefined;
    const out = new (values.constructor as Float64ArrayConstructor)(m);
    for (let i = 0; i < m; i++) out[i] = values[idx[i]!]!;
    return makeData({ ...common, data: out } as never);
  }
  if (DataType.isBool(t)) {
    const bits = d.values as Uint8Array;
    const out = new Uint8Array((m + 7) >> 3);
    for (let i = 0; i < m; i++) {
      const bit = d.offset + idx[i]!;
      if ((bits[bit >> 3]! >> (bit & 7)) & 1) out[i >> 3]! |= 1 << (i & 7);
    }
    return makeData({ ...common, data: out } as never);
  }
  if (DataType.isUtf8(t)) {
    const offsets = d.valueOffsets as Int32Array;
    const bytes = d.values as Uint8Array;
    const outOffsets = new Int32Array(m + 1);
    let total = 0;
    for (let i = 0; i < m; i++) {
      const r = idx[i]!;
      total += offsets[r + 1]! - offsets[r]!;
      outOffsets[i + 1] = total;
    }
    const out = new Uint8Array(total);
    // A byte loop, not subarray()+set() per row: categorical strings are short, and the views cost more.
    for (let i = 0, o = 0; i < m; i++) {
      const r = idx[i]!;
      for (let k = offsets[r]!, e = offsets[r + 1]!; k < e; k++) out[o++] = bytes[k]!;
    }
    return makeData({ ...common, valueOffsets: outOffsets, data: out } as never);
  }
  return undefined;
}
