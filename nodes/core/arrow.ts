/**
 * Column-level helpers over Apache Arrow tables. Nodes read whole columns into typed arrays (never arrays
 * of row objects) and build result tables from columns.
 */
import { Bool, DataType, Float64, Int32, RecordBatch, Schema, Table, Utf8, makeVector, tableFromArrays, vectorFromArray, type Vector } from "apache-arrow";
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
  let i = 0;
  for (const x of v) {
    out[i++] = x === null || x === undefined ? NaN : typeof x === "bigint" ? Number(x) : Number(x);
  }
  return out;
}

/** String view of a column: nulls stay null; numbers are formatted. */
export function stringColumn(table: Table, name: string): Array<string | null> {
  const v = requireColumn(table, name);
  const out: Array<string | null> = new Array(v.length);
  let i = 0;
  for (const x of v) out[i++] = x === null || x === undefined ? null : String(x);
  return out;
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

export { tableFromArrays, Int32 };
