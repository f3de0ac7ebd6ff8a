/**
 * DuckDB query result → Apache Arrow table, column by column from the vectors' memory.
 *
 * Type rule (what downstream nodes can rely on):
 * - DOUBLE, FLOAT, DECIMAL → Float64 (nulls also hold NaN in the value buffer, for nodes that read `values`).
 * - TINYINT, SMALLINT, INTEGER and their unsigned forms up to 16 bits → Int32.
 * - BIGINT, UBIGINT, UINTEGER, HUGEINT, UHUGEINT → Int32 when every value of the column fits in 32 bits, otherwise
 *   Float64 (exact up to 2^53). DuckDB reads whole-number CSV columns as BIGINT, and ML code wants plain numbers,
 *   never BigInt.
 * - BOOLEAN → Bool. VARCHAR → Utf8 (bytes copied, never decoded to JS strings). DATE → DateDay.
 * - TIMESTAMP / _S / _MS / _NS → Timestamp with the same unit; TIMESTAMPTZ → Timestamp(µs, "UTC").
 * - Anything else (ENUM, UUID, TIME, INTERVAL, LIST, STRUCT, BLOB, ...) → Utf8 holding DuckDB's text form.
 */
import { DuckDBTypeId, type DuckDBDataChunk, type DuckDBMaterializedResult, type DuckDBValue } from "@duckdb/node-api";
import {
  Bool,
  DateDay,
  Field,
  Float64,
  Int32,
  RecordBatch,
  Schema,
  Struct,
  Table,
  TimeUnit,
  Timestamp,
  Utf8,
  makeData,
  type Data,
  type DataType,
} from "apache-arrow";
import { duckdbBindings, type DuckDbBindings } from "./duckdb-bindings";

type RawVector = ReturnType<DuckDbBindings["data_chunk_get_vector"]>;

export interface ToArrowOptions {
  /** Strip leading/trailing spaces from string values (CSV files written as `a, b, c`). */
  trimStrings?: boolean;
  /** String values (after trimming) that become null, e.g. `?`. */
  nullStrings?: readonly string[];
}

/** Arrow validity bitmap, allocated on the first null. */
class NullMask {
  bitmap: Uint8Array | null = null;
  nullCount = 0;
  constructor(private readonly capacity: number) {}
  setNull(row: number): void {
    this.bitmap ??= new Uint8Array((this.capacity + 7) >> 3).fill(0xff);
    this.bitmap[row >> 3]! &= ~(1 << (row & 7));
    this.nullCount++;
  }
}

interface ColumnBuilder {
  /** Append `n` rows of column `col` of `chunk` (raw vector `vec`) starting at output row `at`. */
  append(vec: RawVector, n: number, at: number, chunk: DuckDBDataChunk, col: number): void;
  finish(): Data;
}

/** Calls `onNull(j)` for each null row of the chunk's vector (DuckDB validity: uint64 words, LSB first). */
function forEachNull(b: DuckDbBindings, vec: RawVector, n: number, onNull: (row: number) => void): void {
  const validity = b.vector_get_validity(vec, Math.ceil(n / 64) * 8);
  if (!validity) return;
  for (let byte = 0; byte < (n + 7) >> 3; byte++) {
    const bits = validity[byte]!;
    if (bits === 0xff) continue;
    for (let k = 0; k < 8; k++) {
      const row = (byte << 3) + k;
      if (row < n && ((bits >> k) & 1) === 0) onNull(row);
    }
  }
}

interface NumericView {
  new (buffer: ArrayBufferLike, byteOffset: number, length: number): ArrayLike<number>;
  readonly BYTES_PER_ELEMENT: number;
}

/** DOUBLE / FLOAT → Float64; small integers → Int32. */
class NumberBuilder implements ColumnBuilder {
  private readonly out: Float64Array | Int32Array;
  private readonly nulls: NullMask;
  constructor(
    private readonly b: DuckDbBindings,
    total: number,
    private readonly view: NumericView,
    private readonly asInt: boolean,
  ) {
    this.out = asInt ? new Int32Array(total) : new Float64Array(total);
    this.nulls = new NullMask(total);
  }
  append(vec: RawVector, n: number, at: number): void {
    const bytes = this.b.vector_get_data(vec, n * this.view.BYTES_PER_ELEMENT);
    this.out.set(new this.view(bytes.buffer, bytes.byteOffset, n), at);
    const fill = this.asInt ? 0 : NaN;
    forEachNull(this.b, vec, n, (j) => {
      this.out[at + j] = fill;
      this.nulls.setNull(at + j);
    });
  }
  finish(): Data {
    const type = this.asInt ? new Int32() : new Float64();
    return makeData({ type, length: this.out.length, nullCount: this.nulls.nullCount, nullBitmap: this.nulls.bitmap, data: this.out } as never);
  }
}

/** 64-bit (and UINTEGER) integers: Int32 when all values fit, Float64 otherwise; read as 32-bit halves, no BigInt. */
class WideIntBuilder implements ColumnBuilder {
  private readonly out: Float64Array;
  private readonly nulls: NullMask;
  private fitsInt32 = true;
  constructor(
    private readonly b: DuckDbBindings,
    total: number,
    private readonly kind: "int64" | "uint64" | "uint32",
  ) {
    this.out = new Float64Array(total);
    this.nulls = new NullMask(total);
  }
  append(vec: RawVector, n: number, at: number): void {
    const out = this.out;
    let fits = this.fitsInt32;
    if (this.kind === "uint32") {
      const bytes = this.b.vector_get_data(vec, n * 4);
      const w = new Uint32Array(bytes.buffer, bytes.byteOffset, n);
      for (let j = 0; j < n; j++) {
        const v = w[j]!;
        out[at + j] = v;
        if (v > 0x7fffffff) fits = false;
      }
    } else {
      const bytes = this.b.vector_get_data(vec, n * 8);
      const w = new Int32Array(bytes.buffer, bytes.byteOffset, 2 * n);
      const signed = this.kind === "int64";
      for (let j = 0; j < n; j++) {
        const lo = w[2 * j]!;
        const hi = signed ? w[2 * j + 1]! : w[2 * j + 1]! >>> 0;
        out[at + j] = hi * 4294967296 + (lo >>> 0);
        if (signed ? hi !== lo >> 31 : hi !== 0 || lo < 0) fits = false;
      }
    }
    // A null slot holds garbage that must not decide the column's type: re-check after marking nulls.
    let nullSeen = false;
    forEachNull(this.b, vec, n, (j) => {
      out[at + j] = NaN;
      this.nulls.setNull(at + j);
      nullSeen = true;
    });
    if (!fits && nullSeen) {
      fits = this.fitsInt32;
      for (let j = 0; j < n && fits; j++) {
        const v = out[at + j]!;
        if (v === v && (v > 2147483647 || v < -2147483648)) fits = false;
      }
    }
    this.fitsInt32 = fits;
  }
  finish(): Data {
    const { nullCount, bitmap } = this.nulls;
    if (this.fitsInt32) {
      // NaN (null slots) becomes 0 in an Int32Array.
      return makeData({ type: new Int32(), length: this.out.length, nullCount, nullBitmap: bitmap, data: Int32Array.from(this.out) } as never);
    }
    return makeData({ type: new Float64(), length: this.out.length, nullCount, nullBitmap: bitmap, data: this.out } as never);
  }
}

class BoolBuilder implements ColumnBuilder {
  private readonly bits: Uint8Array;
  private readonly nulls: NullMask;
  constructor(
    private readonly b: DuckDbBindings,
    private readonly total: number,
  ) {
    this.bits = new Uint8Array((total + 7) >> 3);
    this.nulls = new NullMask(total);
  }
  append(vec: RawVector, n: number, at: number): void {
    const bytes = this.b.vector_get_data(vec, n);
    for (let j = 0; j < n; j++) if (bytes[j]) this.bits[(at + j) >> 3]! |= 1 << ((at + j) & 7);
    forEachNull(this.b, vec, n, (j) => {
      this.bits[(at + j) >> 3]! &= ~(1 << ((at + j) & 7));
      this.nulls.setNull(at + j);
    });
  }
  finish(): Data {
    return makeData({ type: new Bool(), length: this.total, nullCount: this.nulls.nullCount, nullBitmap: this.nulls.bitmap, data: this.bits } as never);
  }
}

/** DATE (int32 days) and TIMESTAMP* (int64 in the type's unit): copied as they are. */
class TemporalBuilder implements ColumnBuilder {
  private readonly out: Int32Array | BigInt64Array;
  private readonly nulls: NullMask;
  constructor(
    private readonly b: DuckDbBindings,
    total: number,
    private readonly type: DateDay | Timestamp,
  ) {
    this.out = type instanceof DateDay ? new Int32Array(total) : new BigInt64Array(total);
    this.nulls = new NullMask(total);
  }
  append(vec: RawVector, n: number, at: number): void {
    const size = this.out.BYTES_PER_ELEMENT;
    const bytes = this.b.vector_get_data(vec, n * size);
    if (this.out instanceof Int32Array) this.out.set(new Int32Array(bytes.buffer, bytes.byteOffset, n), at);
    else this.out.set(new BigInt64Array(bytes.buffer, bytes.byteOffset, n), at);
    forEachNull(this.b, vec, n, (j) => this.nulls.setNull(at + j));
  }
  finish(): Data {
    return makeData({ type: this.type, length: this.out.length, nullCount: this.nulls.nullCount, nullBitmap: this.nulls.bitmap, data: this.out } as never);
  }
}

/** Growable Utf8 column: offsets + bytes. */
class Utf8Buffer {
  readonly offsets: Int32Array;
  bytes: Uint8Array;
  used = 0;
  readonly nulls: NullMask;
  constructor(private readonly total: number) {
    this.offsets = new Int32Array(total + 1);
    this.bytes = new Uint8Array(Math.max(64, total * 8));
    this.nulls = new NullMask(total);
  }
  reserve(extra: number): void {
    if (this.used + extra <= this.bytes.length) return;
    let size = this.bytes.length * 2;
    while (size < this.used + extra) size *= 2;
    const grown = new Uint8Array(size);
    grown.set(this.bytes.subarray(0, this.used));
    this.bytes = grown;
  }
  /** Row `row` ends here; rows must be closed in order. */
  close(row: number): void {
    this.offsets[row + 1] = this.used;
  }
  finish(): Data {
    return makeData({
      type: new Utf8(),
      length: this.total,
      nullCount: this.nulls.nullCount,
      nullBitmap: this.nulls.bitmap,
      valueOffsets: this.offsets,
      data: this.bytes.subarray(0, this.used),
    } as never);
  }
}

const SPACE = 0x20;
const encoder = new TextEncoder();

/** VARCHAR: reads DuckDB's 16-byte string headers (length, then ≤12 bytes inline or a pointer). */
class VarcharBuilder implements ColumnBuilder {
  private readonly buf: Utf8Buffer;
  private readonly nullBytes: Uint8Array[];
  constructor(
    private readonly b: DuckDbBindings,
    total: number,
    private readonly opts: ToArrowOptions,
  ) {
    this.buf = new Utf8Buffer(total);
    this.nullBytes = (opts.nullStrings ?? []).map((s) => encoder.encode(s));
  }
  append(vec: RawVector, n: number, at: number): void {
    const b = this.b;
    const buf = this.buf;
    const headers = b.vector_get_data(vec, n * 16);
    // Headers are 16-byte aligned: word 4j is string j's byte length.
    const words = new Uint32Array(headers.buffer, headers.byteOffset, n * 4);
    const validity = b.vector_get_validity(vec, Math.ceil(n / 64) * 8);
    const trim = this.opts.trimStrings === true;
    const checkNull = this.nullBytes.length > 0;
    for (let j = 0; j < n; j++) {
      const row = at + j;
      if (validity && ((validity[j >> 3]! >> (j & 7)) & 1) === 0) {
        buf.nulls.setNull(row);
        buf.close(row);
        continue;
      }
      const len = words[j * 4]!;
      let src: Uint8Array;
      let start: number;
      if (len <= 12) {
        src = headers;
        start = j * 16 + 4;
      } else {
        src = b.get_data_from_pointer(headers.buffer as ArrayBuffer, headers.byteOffset + j * 16 + 8, len);
        start = 0;
      }
      let end = start + len;
      if (trim) {
        while (start < end && src[start] === SPACE) start++;
        while (end > start && src[end - 1] === SPACE) end--;
      }
      if (checkNull && this.isNullString(src, start, end)) {
        buf.nulls.setNull(row);
        buf.close(row);
        continue;
      }
      buf.reserve(end - start);
      // A plain loop beats subarray()+set() for the short strings typical of categorical columns (no allocation).
      const bytes = buf.bytes;
      let o = buf.used;
      for (let k = start; k < end; k++) bytes[o++] = src[k]!;
      buf.used = o;
      buf.close(row);
    }
  }
  private isNullString(src: Uint8Array, start: number, end: number): boolean {
    outer: for (const nb of this.nullBytes) {
      if (nb.length !== end - start) continue;
      for (let k = 0; k < nb.length; k++) if (nb[k] !== src[start + k]) continue outer;
      return true;
    }
    return false;
  }
  finish(): Data {
    return this.buf.finish();
  }
}

/** Rare types, one cell at a time through node-api's values: numbers (DECIMAL, HUGEINT) or DuckDB's text form. */
class ValueBuilder implements ColumnBuilder {
  private readonly numbers: Float64Array | null;
  private readonly text: Utf8Buffer | null;
  private readonly nulls: NullMask;
  constructor(total: number, numeric: boolean) {
    this.numbers = numeric ? new Float64Array(total) : null;
    this.text = numeric ? null : new Utf8Buffer(total);
    this.nulls = this.text ? this.text.nulls : new NullMask(total);
  }
  append(_vec: RawVector, n: number, at: number, chunk: DuckDBDataChunk, col: number): void {
    const v = chunk.getColumnVector(col);
    for (let j = 0; j < n; j++) {
      const x = v.getItem(j) as DuckDBValue;
      if (this.numbers) {
        if (x === null) this.nulls.setNull(at + j);
        this.numbers[at + j] = x === null ? NaN : toNumber(x);
      } else {
        const t = this.text!;
        if (x === null) t.nulls.setNull(at + j);
        else {
          const s = String(x);
          t.reserve(s.length * 3);
          t.used += encoder.encodeInto(s, t.bytes.subarray(t.used)).written;
        }
        t.close(at + j);
      }
    }
  }
  finish(): Data {
    if (this.text) return this.text.finish();
    return makeData({ type: new Float64(), length: this.numbers!.length, nullCount: this.nulls.nullCount, nullBitmap: this.nulls.bitmap, data: this.numbers } as never);
  }
}

function toNumber(x: DuckDBValue): number {
  if (typeof x === "number") return x;
  if (typeof x === "bigint") return Number(x);
  const d = x as { toDouble?: () => number };
  return typeof d.toDouble === "function" ? d.toDouble() : Number(String(x));
}

function builderFor(b: DuckDbBindings, typeId: DuckDBTypeId, total: number, opts: ToArrowOptions): ColumnBuilder {
  switch (typeId) {
    case DuckDBTypeId.DOUBLE:
      return new NumberBuilder(b, total, Float64Array, false);
    case DuckDBTypeId.FLOAT:
      return new NumberBuilder(b, total, Float32Array, false);
    case DuckDBTypeId.TINYINT:
      return new NumberBuilder(b, total, Int8Array, true);
    case DuckDBTypeId.SMALLINT:
      return new NumberBuilder(b, total, Int16Array, true);
    case DuckDBTypeId.INTEGER:
      return new NumberBuilder(b, total, Int32Array, true);
    case DuckDBTypeId.UTINYINT:
      return new NumberBuilder(b, total, Uint8Array, true);
    case DuckDBTypeId.USMALLINT:
      return new NumberBuilder(b, total, Uint16Array, true);
    case DuckDBTypeId.UINTEGER:
      return new WideIntBuilder(b, total, "uint32");
    case DuckDBTypeId.BIGINT:
      return new WideIntBuilder(b, total, "int64");
    case DuckDBTypeId.UBIGINT:
      return new WideIntBuilder(b, total, "uint64");
    case DuckDBTypeId.HUGEINT:
    case DuckDBTypeId.UHUGEINT:
    case DuckDBTypeId.DECIMAL:
      return new ValueBuilder(total, true);
    case DuckDBTypeId.BOOLEAN:
      return new BoolBuilder(b, total);
    case DuckDBTypeId.VARCHAR:
      return new VarcharBuilder(b, total, opts);
    case DuckDBTypeId.DATE:
      return new TemporalBuilder(b, total, new DateDay());
    case DuckDBTypeId.TIMESTAMP:
      return new TemporalBuilder(b, total, new Timestamp(TimeUnit.MICROSECOND));
    case DuckDBTypeId.TIMESTAMP_S:
      return new TemporalBuilder(b, total, new Timestamp(TimeUnit.SECOND));
    case DuckDBTypeId.TIMESTAMP_MS:
      return new TemporalBuilder(b, total, new Timestamp(TimeUnit.MILLISECOND));
    case DuckDBTypeId.TIMESTAMP_NS:
      return new TemporalBuilder(b, total, new Timestamp(TimeUnit.NANOSECOND));
    case DuckDBTypeId.TIMESTAMP_TZ:
      return new TemporalBuilder(b, total, new Timestamp(TimeUnit.MICROSECOND, "UTC"));
    default:
      return new ValueBuilder(total, false);
  }
}

/** Convert a whole materialized result; chunks are read one at a time and can be freed as we go. */
export function resultToArrow(result: DuckDBMaterializedResult, opts: ToArrowOptions = {}): Table {
  const b = duckdbBindings();
  const names = result.deduplicatedColumnNames();
  const total = result.rowCount;
  const builders = names.map((_, c) => builderFor(b, result.columnTypeId(c), total, opts));
  let at = 0;
  for (let k = 0; k < result.chunkCount; k++) {
    const chunk = result.getChunk(k);
    const n = chunk.rowCount;
    for (let c = 0; c < builders.length; c++) builders[c]!.append(b.data_chunk_get_vector(chunk.chunk, c), n, at, chunk, c);
    at += n;
  }
  const datas = builders.map((bu) => bu.finish());
  const fields = names.map((name, c) => new Field(name, datas[c]!.type as DataType, true));
  const schema = new Schema(fields);
  const struct = makeData({ type: new Struct(fields), length: total, nullCount: 0, children: datas });
  return new Table(schema, [new RecordBatch(schema, struct)]);
}
