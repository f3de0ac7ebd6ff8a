/**
 * The request side of an endpoint version: which raw columns it takes (derived at publish from the rows that
 * entered the serving path in training), validation of request rows with field-level errors (zod), and rows →
 * an Arrow table with exactly the training rows' column types.
 */
import { Bool, DataType, Field, Float32, Float64, Int16, Int32, Int64, Int8, makeData, RecordBatch, Schema, Struct, Table, Utf8, vectorFromArray, type Data } from "apache-arrow";
import { z } from "zod";
import { isUserError } from "../../nodes/core/errors";
import type { ColumnInfo } from "../../nodes/core/schema";
import type { Pipeline } from "./pipeline";
import type { ColumnType } from "./spec";
import type { InputField } from "./types";

/** Most rows one online request may carry; more go to the batch API. */
export const MAX_ROWS_PER_REQUEST = 10_000;
/** Longest text value accepted in a string field. */
const MAX_STRING = 10_000;
/** Training rows used to find which columns the serving path needs (publish time). */
const PROBE_ROWS = 64;

export function columnTypeOf(t: DataType): ColumnType | undefined {
  if (DataType.isDictionary(t)) return columnTypeOf(t.dictionary);
  if (DataType.isFloat(t)) return t.precision === 1 ? "float32" : "float64";
  if (DataType.isDecimal(t)) return "float64";
  if (DataType.isInt(t)) return t.bitWidth === 64 ? "int64" : t.bitWidth === 32 ? "int32" : t.bitWidth === 16 ? "int16" : "int8";
  if (DataType.isBool(t)) return "bool";
  if (DataType.isUtf8(t) || DataType.isLargeUtf8(t)) return "utf8";
  return undefined;
}

const ARROW: Record<ColumnType, () => DataType> = {
  float64: () => new Float64(),
  float32: () => new Float32(),
  int64: () => new Int64(),
  int32: () => new Int32(),
  int16: () => new Int16(),
  int8: () => new Int8(),
  utf8: () => new Utf8(),
  bool: () => new Bool(),
};

const DTYPE: Record<ColumnType, InputField["dtype"]> = {
  float64: "number",
  float32: "number",
  int64: "integer",
  int32: "integer",
  int16: "integer",
  int8: "integer",
  utf8: "string",
  bool: "boolean",
};

/** Every `{ name, categories }` (plus `rare`) found in fitted states and the model: the categories an encoder knows. */
export function collectCategories(values: unknown[]): Map<string, string[]> {
  const out = new Map<string, Set<string>>();
  const visit = (v: unknown, depth: number) => {
    if (depth > 8 || v === null || typeof v !== "object") return;
    if (Array.isArray(v)) return v.forEach((x) => visit(x, depth + 1));
    const o = v as Record<string, unknown>;
    if (typeof o.name === "string" && Array.isArray(o.categories) && o.categories.every((c) => typeof c === "string")) {
      const set = out.get(o.name) ?? new Set<string>();
      for (const c of o.categories as string[]) set.add(c);
      if (Array.isArray(o.rare)) for (const c of o.rare) if (typeof c === "string") set.add(c);
      out.set(o.name, set);
    }
    for (const x of Object.values(o)) if (typeof x === "object") visit(x, depth + 1);
  };
  values.forEach((v) => visit(v, 0));
  return new Map([...out].map(([k, s]) => [k, [...s].filter((c) => c !== "(missing)" && c !== "(other)").sort()]));
}

/**
 * Which columns of the entry rows the serving path needs, found by trying: a column is needed when the
 * pipeline fails without it, and nullable when it accepts the column all missing. Works the same for fitted
 * transforms, code nodes and models, whatever they read.
 */
export async function deriveInputFields(
  entry: Table,
  design: ColumnInfo[] | undefined,
  pipeline: Pipeline,
  categories: Map<string, string[]>,
): Promise<{ fields: InputField[]; columnTypes: Record<string, ColumnType> }> {
  const sample = entry.slice(0, Math.min(entry.numRows, PROBE_ROWS));
  const fails = async (t: Table) => {
    try {
      await pipeline.run(t);
      return false;
    } catch (e) {
      if (isUserError(e)) return true;
      throw e;
    }
  };
  if (await fails(sample)) throw new Error("The serving path fails on the training rows themselves.");
  const fields: InputField[] = [];
  const columnTypes: Record<string, ColumnType> = {};
  for (const f of sample.schema.fields) {
    const type = columnTypeOf(f.type);
    const others = sample.schema.fields.filter((g) => g !== f).map((g) => g.name);
    if (!(await fails(sample.select(others)))) continue;
    if (!type) throw new Error(`Column "${f.name}" holds ${f.type} values, which an endpoint cannot take as input.`);
    const nulls = vectorFromArray(new Array(sample.numRows).fill(null), ARROW[type]());
    const withNulls = new Table({ ...Object.fromEntries(sample.schema.fields.map((g) => [g.name, sample.getChild(g.name)!])), [f.name]: nulls });
    const nullable = !(await fails(withNulls));
    const dt = design?.find((c) => c.name === f.name);
    const dtype = dt?.dtype === "int" && DTYPE[type] === "number" ? "integer" : DTYPE[type];
    const cats = dtype === "string" ? categories.get(f.name) : undefined;
    fields.push({ name: f.name, dtype, nullable, ...(cats?.length ? { categories: cats } : {}) });
    columnTypes[f.name] = type;
  }
  return { fields, columnTypes };
}

export interface FieldError {
  row: number;
  field: string;
  message: string;
}

/** Request rows could not be used: 422 with one entry per bad field. */
export class InputError extends Error {
  constructor(
    message: string,
    readonly errors: FieldError[],
  ) {
    super(message);
    this.name = "InputError";
  }
}

function fieldSchema(f: InputField): z.ZodType {
  let s: z.ZodType =
    f.dtype === "number"
      ? z.number({ error: "expected a number" }).finite()
      : f.dtype === "integer"
        ? z.number({ error: "expected a whole number" }).int({ error: "expected a whole number" }).min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER)
        : f.dtype === "boolean"
          ? z.boolean({ error: "expected true or false" })
          : z.string({ error: "expected text" }).max(MAX_STRING);
  if (f.nullable) s = s.nullable().optional();
  return s;
}

export interface RowValidator {
  /** Validated rows as columns (missing → null), or InputError listing every bad field (at most 100). */
  columns(rows: unknown[]): Record<string, unknown[]>;
}

export function rowValidator(fields: InputField[]): RowValidator {
  const shape = Object.fromEntries(fields.map((f) => [f.name, fieldSchema(f)]));
  const row = z.object(shape);
  return {
    columns(rows) {
      if (rows.length === 0) throw new InputError("The request has no rows.", [{ row: -1, field: "", message: "send at least one row" }]);
      if (rows.length > MAX_ROWS_PER_REQUEST)
        throw new InputError(`At most ${MAX_ROWS_PER_REQUEST} rows per request; use the batch API for more.`, [{ row: -1, field: "", message: `${rows.length} rows` }]);
      const cols: Record<string, unknown[]> = Object.fromEntries(fields.map((f) => [f.name, new Array(rows.length)]));
      const errors: FieldError[] = [];
      for (let i = 0; i < rows.length && errors.length < 100; i++) {
        const r = rows[i];
        if (r === null || typeof r !== "object" || Array.isArray(r)) {
          errors.push({ row: i, field: "", message: "a row must be an object of column: value" });
          continue;
        }
        const parsed = row.safeParse(r);
        if (!parsed.success) {
          for (const issue of parsed.error.issues)
            errors.push({ row: i, field: String(issue.path[0] ?? ""), message: issue.code === "invalid_type" && (r as Record<string, unknown>)[String(issue.path[0])] === undefined ? "required" : issue.message });
          continue;
        }
        const data = parsed.data as Record<string, unknown>;
        for (const f of fields) cols[f.name]![i] = data[f.name] ?? null;
      }
      if (errors.length) throw new InputError(`${errors.length} invalid field${errors.length > 1 ? "s" : ""}: ${errors.slice(0, 3).map((e) => `row ${e.row} "${e.field}": ${e.message}`).join("; ")}`, errors);
      return cols;
    },
  };
}

const utf8 = new TextEncoder();

/**
 * One request column as Arrow data, written straight into typed arrays (validity bitmap, offsets): Arrow's
 * generic builders (vectorFromArray) cost ~15 µs a column, which dominated a single-row request.
 */
function columnData(type: ColumnType, values: unknown[]): Data {
  const n = values.length;
  const validity = new Uint8Array((n + 7) >> 3);
  let nulls = 0;
  for (let i = 0; i < n; i++) {
    if (values[i] === null || values[i] === undefined) nulls++;
    else validity[i >> 3]! |= 1 << (i & 7);
  }
  const nullBitmap = nulls ? validity : undefined;
  switch (type) {
    case "utf8": {
      const offsets = new Int32Array(n + 1);
      const parts: Uint8Array[] = new Array(n);
      let size = 0;
      for (let i = 0; i < n; i++) {
        const v = values[i];
        parts[i] = v === null || v === undefined ? EMPTY : utf8.encode(v as string);
        size += parts[i]!.length;
        offsets[i + 1] = size;
      }
      const data = new Uint8Array(size);
      for (let i = 0; i < n; i++) data.set(parts[i]!, offsets[i]!);
      return makeData({ type: new Utf8(), length: n, nullCount: nulls, nullBitmap, valueOffsets: offsets, data });
    }
    case "bool": {
      const bits = new Uint8Array((n + 7) >> 3);
      for (let i = 0; i < n; i++) if (values[i] === true) bits[i >> 3]! |= 1 << (i & 7);
      return makeData({ type: new Bool(), length: n, nullCount: nulls, nullBitmap, data: bits });
    }
    case "int64": {
      const data = new BigInt64Array(n);
      for (let i = 0; i < n; i++) if (typeof values[i] === "number") data[i] = BigInt(values[i] as number);
      return makeData({ type: new Int64(), length: n, nullCount: nulls, nullBitmap, data });
    }
    default: {
      const type_ = ARROW[type]() as Float64 | Float32 | Int32 | Int16 | Int8;
      const data = new type_.ArrayType(n);
      for (let i = 0; i < n; i++) if (typeof values[i] === "number") data[i] = values[i] as number;
      return makeData({ type: type_, length: n, nullCount: nulls, nullBitmap, data } as never);
    }
  }
}

const EMPTY = new Uint8Array(0);

/** Validated columns → an Arrow table with the training rows' types (and field metadata, e.g. roles). */
export function columnsToTable(cols: Record<string, unknown[]>, fields: InputField[], types: Record<string, ColumnType>, metadata: Record<string, Record<string, string>> = {}): Table {
  const schemaFields = fields.map((f) => new Field(f.name, ARROW[types[f.name]!](), true, new Map(Object.entries(metadata[f.name] ?? {}))));
  const n = fields.length ? cols[fields[0]!.name]!.length : 0;
  const children = fields.map((f) => columnData(types[f.name]!, cols[f.name]!));
  const schema = new Schema(schemaFields);
  return new Table(schema, new RecordBatch(schema, makeData({ type: new Struct(schemaFields), length: n, nullCount: 0, children })));
}

/**
 * CSV cells (as DuckDB read them: numbers, text, booleans or null) → JSON-like row values, converting text in
 * number/boolean fields when it reads as one; anything else is left for the validator to report.
 */
export function csvRows(table: Table, fields: InputField[]): Array<Record<string, unknown>> {
  const present = fields.filter((f) => table.getChild(f.name));
  const columns = present.map((f) => ({ f, v: table.getChild(f.name)! }));
  const rows: Array<Record<string, unknown>> = new Array(table.numRows);
  for (let i = 0; i < table.numRows; i++) {
    const r: Record<string, unknown> = {};
    for (const { f, v } of columns) {
      let x: unknown = v.get(i);
      if (typeof x === "bigint") x = Number(x);
      if (typeof x === "string" && (f.dtype === "number" || f.dtype === "integer")) {
        const n = x.trim() === "" ? Number.NaN : Number(x);
        if (Number.isFinite(n)) x = n;
      } else if (typeof x === "string" && f.dtype === "boolean" && /^(true|false)$/i.test(x.trim())) x = x.trim().toLowerCase() === "true";
      else if (typeof x === "number" && f.dtype === "string") x = String(x);
      else if (typeof x === "boolean" && f.dtype === "string") x = String(x);
      r[f.name] = x ?? null;
    }
    rows[i] = r;
  }
  return rows;
}
