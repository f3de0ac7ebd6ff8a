/**
 * The request side of an endpoint version: which raw columns it takes (derived at publish from the rows that
 * entered the serving path in training), validation of request rows with field-level errors (zod), and rows →
 * an Arrow table with exactly the training rows' column types.
 */
import { Bool, DataType, DateDay, DateMillisecond, DateUnit, Field, Float32, Float64, Int16, Int32, Int64, Int8, makeData, RecordBatch, Schema, Struct, Table, Timestamp, TimeUnit, Utf8, vectorFromArray, type Data } from "apache-arrow";
import { z } from "zod";
import { isUserError } from "../../nodes/core/errors";
import type { ColumnInfo } from "../../nodes/core/schema";
import type { Pipeline } from "./pipeline";
import type { ColumnType, TimestampUnit } from "./spec";
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
  if (DataType.isDate(t)) return t.unit === DateUnit.DAY ? "date32" : "date64";
  if (DataType.isTimestamp(t)) {
    const unit = UNIT_NAME[t.unit]!;
    return t.timezone ? `timestamp[${unit}, ${t.timezone}]` : `timestamp[${unit}]`;
  }
  return undefined;
}

const UNIT_NAME: Record<TimeUnit, TimestampUnit> = { [TimeUnit.SECOND]: "s", [TimeUnit.MILLISECOND]: "ms", [TimeUnit.MICROSECOND]: "us", [TimeUnit.NANOSECOND]: "ns" };
const UNIT_OF: Record<TimestampUnit, TimeUnit> = { s: TimeUnit.SECOND, ms: TimeUnit.MILLISECOND, us: TimeUnit.MICROSECOND, ns: TimeUnit.NANOSECOND };

/** A timestamp column type's unit and time zone (null: wall-clock values), or undefined for other types. */
export function timestampParts(t: ColumnType): { unit: TimestampUnit; timezone: string | null } | undefined {
  const m = /^timestamp\[(s|ms|us|ns)(?:, (.+))?\]$/.exec(t);
  return m ? { unit: m[1] as TimestampUnit, timezone: m[2] ?? null } : undefined;
}

/** The Arrow type of a column type. */
export function arrowType(t: ColumnType): DataType {
  const ts = timestampParts(t);
  if (ts) return new Timestamp(UNIT_OF[ts.unit], ts.timezone);
  if (t === "date32") return new DateDay();
  if (t === "date64") return new DateMillisecond();
  const make = ARROW[t as BaseColumnType];
  if (!make) throw new Error(`Unknown endpoint column type "${t}".`);
  return make();
}

/** The request dtype of a column type. */
function dtypeOfColumn(t: ColumnType): InputField["dtype"] {
  if (t === "date32" || t === "date64") return "date";
  if (timestampParts(t)) return "datetime";
  return DTYPE[t as BaseColumnType];
}

type BaseColumnType = "float64" | "float32" | "int64" | "int32" | "int16" | "int8" | "utf8" | "bool";

const ARROW: Record<BaseColumnType, () => DataType> = {
  float64: () => new Float64(),
  float32: () => new Float32(),
  int64: () => new Int64(),
  int32: () => new Int32(),
  int16: () => new Int16(),
  int8: () => new Int8(),
  utf8: () => new Utf8(),
  bool: () => new Bool(),
};

const DTYPE: Record<BaseColumnType, InputField["dtype"]> = {
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
    const nulls = vectorFromArray(new Array(sample.numRows).fill(null), arrowType(type));
    const withNulls = new Table({ ...Object.fromEntries(sample.schema.fields.map((g) => [g.name, sample.getChild(g.name)!])), [f.name]: nulls });
    const nullable = !(await fails(withNulls));
    const dt = design?.find((c) => c.name === f.name);
    const dtype = dt?.dtype === "int" && dtypeOfColumn(type) === "number" ? "integer" : dtypeOfColumn(type);
    const cats = dtype === "string" ? categories.get(f.name) : undefined;
    const timezone = timestampParts(type)?.timezone;
    fields.push({ name: f.name, dtype, nullable, ...(cats?.length ? { categories: cats } : {}), ...(timezone ? { timezone } : {}) });
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

const DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;
const DATETIME_RE = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,9}))?)?([Zz]|[+-]\d{2}:\d{2})?$/;
const DAY_MS = 86_400_000;

/** Milliseconds since 1970-01-01 of a calendar day (UTC), or undefined when the day does not exist (2023-02-30). */
function dayMs(y: number, m: number, d: number): number | undefined {
  if (m < 1 || m > 12 || d < 1 || d > 31) return undefined;
  const t = new Date(0);
  t.setUTCFullYear(y, m - 1, d);
  return t.getUTCFullYear() === y && t.getUTCMonth() === m - 1 && t.getUTCDate() === d ? t.getTime() : undefined;
}

/** "YYYY-MM-DD" → milliseconds since the epoch (UTC midnight), or undefined. */
export function parseDate(s: string): number | undefined {
  const m = DATE_RE.exec(s);
  return m ? dayMs(Number(m[1]), Number(m[2]), Number(m[3])) : undefined;
}

/**
 * RFC 3339 / ISO 8601 date-time ("YYYY-MM-DDTHH:MM[:SS[.fraction]][Z|±hh:mm]", T or a space) → milliseconds since
 * the epoch (fractional below a millisecond, to the microsecond) and whether it carried an offset; undefined when
 * it is not one. Without an offset the time is read as written (wall clock, encoded as Arrow does: as if UTC).
 */
export function parseDateTime(s: string): { ms: number; offset: boolean } | undefined {
  const m = DATETIME_RE.exec(s);
  if (!m) return undefined;
  const day = dayMs(Number(m[1]), Number(m[2]), Number(m[3]));
  const [h, mi, sec] = [Number(m[4]), Number(m[5]), Number(m[6] ?? 0)];
  if (day === undefined || h > 23 || mi > 59 || sec > 59) return undefined;
  let offsetMin = 0;
  const off = m[8];
  if (off && off !== "Z" && off !== "z") {
    const [oh, om] = [Number(off.slice(1, 3)), Number(off.slice(4, 6))];
    if (oh > 23 || om > 59) return undefined;
    offsetMin = (off[0] === "-" ? -1 : 1) * (oh * 60 + om);
  }
  const micros = m[7] ? Number(m[7].padEnd(6, "0").slice(0, 6)) : 0;
  return { ms: day + ((h * 60 + mi - offsetMin) * 60 + sec) * 1000 + micros / 1000, offset: off !== undefined };
}

const DATE_EXPECTED = "expected a date like 1970-01-01";

function dateTimeSchema(f: InputField): z.ZodType {
  const expected = f.timezone
    ? `expected a date-time with a time zone offset like 1970-01-01T00:00:00Z (column time zone ${f.timezone})`
    : "expected a date-time like 1970-01-01T00:00:00 or 1970-01-01T00:00:00Z";
  return z.string({ error: expected }).transform((s, ctx) => {
    const t = s.length <= 64 ? parseDateTime(s) : undefined;
    if (!t || (f.timezone && !t.offset)) {
      ctx.addIssue({ code: "custom", message: expected });
      return z.NEVER;
    }
    return t.ms;
  });
}

/**
 * Zod schema of one field's value. Dates and date-times become milliseconds since the epoch (as Arrow reads a
 * date/timestamp cell); columnsToTable writes them in the column's own unit.
 */
function fieldSchema(f: InputField): z.ZodType {
  let s: z.ZodType =
    f.dtype === "date"
      ? z.string({ error: DATE_EXPECTED }).transform((v, ctx) => {
          const ms = parseDate(v);
          if (ms === undefined) {
            ctx.addIssue({ code: "custom", message: DATE_EXPECTED });
            return z.NEVER;
          }
          return ms;
        })
      : f.dtype === "datetime"
        ? dateTimeSchema(f)
        : f.dtype === "number"
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
    case "date32": {
      const data = new Int32Array(n);
      for (let i = 0; i < n; i++) if (typeof values[i] === "number") data[i] = Math.floor((values[i] as number) / DAY_MS);
      return makeData({ type: new DateDay(), length: n, nullCount: nulls, nullBitmap, data });
    }
    case "date64": {
      const data = new BigInt64Array(n);
      for (let i = 0; i < n; i++) if (typeof values[i] === "number") data[i] = BigInt(Math.floor(values[i] as number));
      return makeData({ type: new DateMillisecond(), length: n, nullCount: nulls, nullBitmap, data });
    }
    default: {
      const ts = timestampParts(type);
      if (ts) {
        // Milliseconds (to the microsecond) → the column's unit; finer digits than the unit are dropped (floor).
        const toUnit: (ms: number) => bigint =
          ts.unit === "s" ? (ms) => BigInt(Math.floor(ms / 1000)) : ts.unit === "ms" ? (ms) => BigInt(Math.floor(ms)) : ts.unit === "us" ? (ms) => BigInt(Math.round(ms * 1000)) : (ms) => BigInt(Math.round(ms * 1000)) * 1000n;
        const data = new BigInt64Array(n);
        for (let i = 0; i < n; i++) if (typeof values[i] === "number") data[i] = toUnit(values[i] as number);
        return makeData({ type: arrowType(type) as Timestamp, length: n, nullCount: nulls, nullBitmap, data });
      }
      const type_ = arrowType(type) as Float64 | Float32 | Int32 | Int16 | Int8;
      const data = new type_.ArrayType(n);
      for (let i = 0; i < n; i++) if (typeof values[i] === "number") data[i] = values[i] as number;
      return makeData({ type: type_, length: n, nullCount: nulls, nullBitmap, data } as never);
    }
  }
}

const EMPTY = new Uint8Array(0);

/** Validated columns → an Arrow table with the training rows' types (and field metadata, e.g. roles). */
export function columnsToTable(cols: Record<string, unknown[]>, fields: InputField[], types: Record<string, ColumnType>, metadata: Record<string, Record<string, string>> = {}): Table {
  const schemaFields = fields.map((f) => new Field(f.name, arrowType(types[f.name]!), true, new Map(Object.entries(metadata[f.name] ?? {}))));
  const n = fields.length ? cols[fields[0]!.name]!.length : 0;
  const children = fields.map((f) => columnData(types[f.name]!, cols[f.name]!));
  const schema = new Schema(schemaFields);
  return new Table(schema, new RecordBatch(schema, makeData({ type: new Struct(schemaFields), length: n, nullCount: 0, children })));
}

/** Milliseconds since the epoch (fraction to the microsecond) → "YYYY-MM-DD" (date) or "YYYY-MM-DDTHH:MM:SS[.ffffff]" + suffix. */
export function formatDateMs(ms: number, time: boolean, suffix = ""): string {
  const whole = Math.floor(ms);
  const iso = new Date(whole).toISOString(); // YYYY-MM-DDTHH:MM:SS.mmmZ (4-digit years)
  if (!time) return iso.slice(0, 10);
  const micros = Math.round((ms - whole) * 1000) + (whole % 1000 + 1000) % 1000 * 1000;
  return iso.slice(0, 19) + (micros ? `.${String(micros).padStart(6, "0").replace(/0+$/, "")}` : "") + suffix;
}

/**
 * CSV cells (as DuckDB read them: numbers, text, booleans, dates, timestamps or null) → JSON-like row values,
 * converting text in number/boolean fields when it reads as one, and date/timestamp cells (DuckDB detects ISO
 * dates and date-times) back to the ISO strings a JSON body would carry: dates as YYYY-MM-DD, zoned timestamps
 * with "Z", wall-clock ones without an offset, so the validator applies the same rules to both bodies. Anything
 * else is left for the validator to report.
 */
export function csvRows(table: Table, fields: InputField[]): Array<Record<string, unknown>> {
  const present = fields.filter((f) => table.getChild(f.name));
  const columns = present.map((f) => {
    const v = table.getChild(f.name)!;
    const t: DataType = DataType.isDictionary(v.type) ? v.type.dictionary : v.type;
    const asDate = DataType.isDate(t) ? "date" : DataType.isTimestamp(t) ? (t.timezone ? "zoned" : "local") : undefined;
    return { f, v, asDate };
  });
  const rows: Array<Record<string, unknown>> = new Array(table.numRows);
  for (let i = 0; i < table.numRows; i++) {
    const r: Record<string, unknown> = {};
    for (const { f, v, asDate } of columns) {
      let x: unknown = v.get(i);
      if (asDate && typeof x === "number") {
        // A date-time cell sent to a date field keeps its time, so the validator refuses it rather than truncating.
        const keepTime = asDate !== "date" || f.dtype === "datetime";
        x = formatDateMs(x, keepTime, asDate === "zoned" ? "Z" : "");
      }
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
