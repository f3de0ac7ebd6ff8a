/**
 * PostgreSQL result columns → Apache Arrow columns. Rows arrive in PostgreSQL's text format (every value a
 * string, which keeps int8/numeric exact until we decide) and are appended column by column; nothing here
 * builds row objects.
 *
 * Type rule (by the column's type OID; what downstream nodes can rely on):
 * | PostgreSQL                                   | Arrow / Lattice dtype                                            |
 * |----------------------------------------------|------------------------------------------------------------------|
 * | boolean                                      | Bool / bool                                                      |
 * | smallint, integer                            | Int32 / int                                                      |
 * | bigint, oid                                  | Int32 / int when every value fits in 32 bits, else Float64 / float (exact up to 2^53) |
 * | real, double precision, numeric              | Float64 / float (numeric is rounded to the nearest double; NaN stays NaN) |
 * | date                                         | DateDay / date (±infinity become missing)                        |
 * | timestamp                                    | Timestamp(ms) / timestamp, read as UTC wall time (µs are dropped) |
 * | timestamptz                                  | Timestamp(ms, "UTC") / timestamp (the session is set to UTC)     |
 * | everything else (text, varchar, char, uuid, json(b), time, interval, arrays, enums, bytea, ...) | Utf8 / string holding PostgreSQL's text form |
 *
 * This is the same rule as the DuckDB engine's (server/engine/runtime/duckdb-to-arrow.ts), so a table reads the
 * same whether it comes from a file or a database. Float64 nulls also hold NaN in the value buffer.
 */
import { Bool, DateDay, Float64, Int32, Timestamp, TimeUnit, Utf8, makeData, makeVector, vectorFromArray, type DataType, type Vector } from "apache-arrow";
import type { DType } from "../core/schema";

/** How a PostgreSQL type OID is read (see the table above). */
export type PgKind = "bool" | "int32" | "int64" | "float" | "date" | "timestamp" | "timestamptz" | "text";

const KIND_BY_OID: Record<number, PgKind> = {
  16: "bool",
  21: "int32", // int2
  23: "int32", // int4
  20: "int64", // int8
  26: "int64", // oid
  700: "float", // float4
  701: "float", // float8
  1700: "float", // numeric
  1082: "date",
  1114: "timestamp",
  1184: "timestamptz",
};

export function pgKind(oid: number): PgKind {
  return KIND_BY_OID[oid] ?? "text";
}

/** Lattice dtype of a PostgreSQL column before its values are seen (bigint says int; see the type rule). */
export function pgDType(oid: number): DType {
  const k = pgKind(oid);
  if (k === "int32" || k === "int64") return "int";
  if (k === "timestamptz") return "timestamp";
  if (k === "text") return "string";
  return k;
}

/** Growable Float64 storage with a null list; the Arrow validity bitmap is made once at the end. */
class NumberBuffer {
  values = new Float64Array(1024);
  length = 0;
  nulls: number[] = [];
  push(x: number | null): void {
    if (this.length === this.values.length) {
      const grown = new Float64Array(this.values.length * 2);
      grown.set(this.values);
      this.values = grown;
    }
    if (x === null) {
      this.nulls.push(this.length);
      this.values[this.length++] = NaN;
    } else this.values[this.length++] = x;
  }
  validity(): Uint8Array | undefined {
    if (!this.nulls.length) return undefined;
    const bitmap = new Uint8Array((this.length + 7) >> 3).fill(0xff);
    for (const r of this.nulls) bitmap[r >> 3]! &= ~(1 << (r & 7));
    return bitmap;
  }
  vector(type: Float64 | Int32): Vector {
    const data = type instanceof Int32 ? Int32Array.from(this.values.subarray(0, this.length), (x) => (Number.isNaN(x) ? 0 : x)) : this.values.slice(0, this.length);
    if (!this.nulls.length) return makeVector(data);
    return makeVector(makeData({ type, length: this.length, nullCount: this.nulls.length, nullBitmap: this.validity(), data } as never) as never);
  }
}

const DATE_RE = /^(\d{4,})-(\d\d)-(\d\d)$/;
const TS_RE = /^(\d{4,})-(\d\d)-(\d\d)[ T](\d\d):(\d\d):(\d\d)(?:\.(\d+))?(?:([+-])(\d\d)(?::?(\d\d))?(?::?(\d\d))?)?$/;

/** Milliseconds since the epoch of a PostgreSQL date/timestamp text, or null (infinity, BC dates, odd forms). */
export function parsePgTime(text: string): number | null {
  const d = DATE_RE.exec(text);
  if (d) return Date.UTC(+d[1]!, +d[2]! - 1, +d[3]!);
  const t = TS_RE.exec(text);
  if (!t) return null;
  const ms = t[7] ? Math.floor(Number(`0.${t[7]}`) * 1000) : 0;
  let at = Date.UTC(+t[1]!, +t[2]! - 1, +t[3]!, +t[4]!, +t[5]!, +t[6]!, ms);
  if (t[8]) {
    const offset = (+t[9]! * 3600 + +(t[10] ?? 0) * 60 + +(t[11] ?? 0)) * 1000;
    at -= t[8] === "+" ? offset : -offset;
  }
  return at;
}

/** One output column being filled from text values. */
export class PgColumn {
  readonly kind: PgKind;
  private readonly nums = new NumberBuffer();
  private readonly texts: Array<string | null> = [];
  private readonly bools: Array<boolean | null> = [];
  private fitsInt32 = true;
  /** Values that could not be read as the column's type (became missing). */
  unreadable = 0;

  constructor(
    readonly name: string,
    readonly oid: number,
  ) {
    this.kind = pgKind(oid);
  }

  push(v: string | null): void {
    switch (this.kind) {
      case "text":
        this.texts.push(v);
        return;
      case "bool":
        this.bools.push(v === null ? null : v === "t");
        return;
      case "date":
      case "timestamp":
      case "timestamptz": {
        const at = v === null ? null : parsePgTime(v);
        if (v !== null && at === null) this.unreadable++;
        this.nums.push(at);
        return;
      }
      default: {
        if (v === null) return this.nums.push(null);
        const x = Number(v);
        if (this.kind === "int64" && (x > 2147483647 || x < -2147483648)) this.fitsInt32 = false;
        this.nums.push(x);
      }
    }
  }

  /** The finished Arrow vector (type per the rule at the top of this file). */
  vector(): Vector {
    switch (this.kind) {
      case "text":
        return vectorFromArray(this.texts, new Utf8() as DataType);
      case "bool":
        return vectorFromArray(this.bools, new Bool() as DataType);
      case "int32":
        return this.nums.vector(new Int32());
      case "int64":
        return this.nums.vector(this.fitsInt32 ? new Int32() : new Float64());
      case "float":
        return this.nums.vector(new Float64());
      case "date":
        return vectorFromArray(this.dates(), new DateDay() as DataType);
      case "timestamp":
        return vectorFromArray(this.dates(), new Timestamp(TimeUnit.MILLISECOND) as DataType);
      case "timestamptz":
        return vectorFromArray(this.dates(), new Timestamp(TimeUnit.MILLISECOND, "UTC") as DataType);
    }
  }

  private dates(): Array<Date | null> {
    const out: Array<Date | null> = new Array(this.nums.length);
    for (let i = 0; i < this.nums.length; i++) {
      const x = this.nums.values[i]!;
      out[i] = Number.isNaN(x) ? null : new Date(x);
    }
    return out;
  }
}
