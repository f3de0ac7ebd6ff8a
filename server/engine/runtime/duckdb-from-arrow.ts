/**
 * Apache Arrow table → DuckDB temporary table, through the appender and data chunks filled column by column.
 * (DuckDB's arrow extension would do this, but extensions cannot be downloaded here.)
 *
 * Type rule: Float64/Float32 → DOUBLE/FLOAT, with NaN stored as NULL (Lattice nodes use NaN for a missing
 * number, and SQL aggregates should skip it); Int8..Int64 and Uint8..Uint64 → the DuckDB integer of the same
 * width; Bool → BOOLEAN; Utf8/LargeUtf8 → VARCHAR; DateDay/DateMillisecond → DATE; Timestamp → TIMESTAMP_S /
 * _MS / TIMESTAMP / _NS by unit (TIMESTAMPTZ when it has a time zone). Any other type (dictionary, decimal,
 * list, ...) becomes VARCHAR of the value's text, or DOUBLE for Float16.
 */
import {
  BIGINT,
  BOOLEAN,
  DATE,
  DOUBLE,
  DuckDBDataChunk,
  FLOAT,
  INTEGER,
  SMALLINT,
  TIMESTAMP,
  TIMESTAMP_MS,
  TIMESTAMP_NS,
  TIMESTAMP_S,
  TIMESTAMPTZ,
  TINYINT,
  UBIGINT,
  UINTEGER,
  USMALLINT,
  UTINYINT,
  VARCHAR,
  type DuckDBConnection,
  type DuckDBType,
} from "@duckdb/node-api";
import { DataType, TimeUnit, makeVector, type Data, type Int, type Table, type Timestamp, type Vector } from "apache-arrow";
import { duckdbBindings, type DuckDbBindings } from "./duckdb-bindings";
import { quoteIdent } from "./duckdb-sql";

type RawVector = ReturnType<DuckDbBindings["data_chunk_get_vector"]>;

/** Rows per data chunk: DuckDB's standard vector size. */
const CHUNK_ROWS = 2048;

interface ColumnWriter {
  duckType: DuckDBType;
  /** Write rows [start, start+n) of `data` (a column of one record batch) into `vec`. */
  write(vec: RawVector, data: Data, start: number, n: number): void;
}

/** Is row `i` of `data` valid? The validity bitmap is not sliced with the Data, so `offset` applies. */
function valid(data: Data, i: number): boolean {
  const bm = data.nullBitmap;
  if (!bm || bm.length === 0 || data.nullCount === 0) return true;
  const bit = data.offset + i;
  return ((bm[bit >> 3]! >> (bit & 7)) & 1) === 1;
}

/** DuckDB validity for `n` rows where `isNull(j)` says which are null; null when all are valid. */
function validityBytes(n: number, isNull: (j: number) => boolean): Uint8Array | null {
  let bytes: Uint8Array | null = null;
  for (let j = 0; j < n; j++) {
    if (!isNull(j)) continue;
    bytes ??= new Uint8Array(Math.ceil(n / 64) * 8).fill(0xff);
    bytes[j >> 3]! &= ~(1 << (j & 7));
  }
  return bytes;
}

function writeValidity(b: DuckDbBindings, vec: RawVector, bytes: Uint8Array | null): void {
  if (!bytes) return;
  b.vector_ensure_validity_writable(vec);
  b.copy_data_to_vector_validity(vec, 0, bytes.buffer as ArrayBuffer, bytes.byteOffset, bytes.byteLength);
}

function copyValues(b: DuckDbBindings, vec: RawVector, arr: ArrayBufferView & { BYTES_PER_ELEMENT: number }): void {
  b.copy_data_to_vector(vec, 0, arr.buffer as ArrayBuffer, arr.byteOffset, arr.byteLength);
}

type TypedArray = Float64Array | Float32Array | Int8Array | Int16Array | Int32Array | BigInt64Array | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

/** Fixed-width numbers whose Arrow and DuckDB layouts are identical: one memory copy per chunk. */
function sameLayout(b: DuckDbBindings, duckType: DuckDBType, nanIsNull: boolean): ColumnWriter {
  return {
    duckType,
    write(vec, data, start, n) {
      // Arrow JS slices fixed-width value buffers when it slices Data: `values[0]` is row 0 whatever `offset` is.
      const values = (data.values as TypedArray).subarray(start, start + n);
      copyValues(b, vec, values);
      const floats = nanIsNull ? (values as Float64Array) : null;
      writeValidity(b, vec, validityBytes(n, (j) => !valid(data, start + j) || (floats !== null && Number.isNaN(floats[j]!))));
    },
  };
}

function boolWriter(b: DuckDbBindings): ColumnWriter {
  return {
    duckType: BOOLEAN,
    write(vec, data, start, n) {
      const bits = data.values as Uint8Array;
      const out = new Uint8Array(n);
      for (let j = 0; j < n; j++) {
        const bit = data.offset + start + j;
        out[j] = (bits[bit >> 3]! >> (bit & 7)) & 1;
      }
      copyValues(b, vec, out);
      writeValidity(b, vec, validityBytes(n, (j) => !valid(data, start + j)));
    },
  };
}

function utf8Writer(b: DuckDbBindings, large: boolean): ColumnWriter {
  return {
    duckType: VARCHAR,
    write(vec, data, start, n) {
      const offsets = data.valueOffsets as Int32Array | BigInt64Array;
      const bytes = data.values as Uint8Array;
      const nulls = validityBytes(n, (j) => !valid(data, start + j));
      for (let j = 0; j < n; j++) {
        if (nulls && ((nulls[j >> 3]! >> (j & 7)) & 1) === 0) continue;
        const i = start + j; // value offsets are pre-sliced too (unlike the validity and Bool bitmaps)
        const from = large ? Number(offsets[i]) : (offsets[i] as number);
        const to = large ? Number(offsets[i + 1]) : (offsets[i + 1] as number);
        b.vector_assign_string_element_len(vec, j, bytes.subarray(from, to));
      }
      writeValidity(b, vec, nulls);
    },
  };
}

/** A column that needs per-value conversion (timestamps with a zone, date in ms, anything unusual). */
function convertingWriter(b: DuckDbBindings, duckType: DuckDBType, kind: "int32" | "int64" | "float64" | "text", convert: (v: unknown) => unknown): ColumnWriter {
  return {
    duckType,
    write(vec, data, start, n) {
      const v: Vector = makeVector(data);
      const nulls = validityBytes(n, (j) => v.get(start + j) === null);
      if (kind === "text") {
        for (let j = 0; j < n; j++) {
          const x = v.get(start + j);
          if (x !== null) b.vector_assign_string_element(vec, j, String(convert(x)));
        }
      } else {
        const out = kind === "int32" ? new Int32Array(n) : kind === "int64" ? new BigInt64Array(n) : new Float64Array(n);
        for (let j = 0; j < n; j++) {
          const x = v.get(start + j);
          if (x !== null) out[j] = convert(x) as never;
        }
        copyValues(b, vec, out);
      }
      writeValidity(b, vec, nulls);
    },
  };
}

function writerFor(b: DuckDbBindings, type: DataType): ColumnWriter {
  if (DataType.isFloat(type)) {
    const bits = (type as { precision: number }).precision;
    if (bits === 2) return sameLayout(b, DOUBLE, true);
    if (bits === 1) return sameLayout(b, FLOAT, true);
    return convertingWriter(b, DOUBLE, "float64", (x) => Number(x));
  }
  if (DataType.isInt(type)) {
    const t = type as Int;
    const map: Record<string, DuckDBType> = {
      "true8": TINYINT, "true16": SMALLINT, "true32": INTEGER, "true64": BIGINT,
      "false8": UTINYINT, "false16": USMALLINT, "false32": UINTEGER, "false64": UBIGINT,
    };
    return sameLayout(b, map[`${t.isSigned}${t.bitWidth}`]!, false);
  }
  if (DataType.isBool(type)) return boolWriter(b);
  if (DataType.isUtf8(type)) return utf8Writer(b, false);
  if (DataType.isLargeUtf8(type)) return utf8Writer(b, true);
  if (DataType.isDate(type)) {
    if (type.ArrayType === Int32Array) return sameLayout(b, DATE, false);
    // DateMillisecond: `get` gives epoch milliseconds.
    return convertingWriter(b, DATE, "int32", (ms) => Math.floor((ms as number) / 86_400_000));
  }
  if (DataType.isTimestamp(type)) {
    const t = type as Timestamp;
    if (!t.timezone) {
      const byUnit = { [TimeUnit.SECOND]: TIMESTAMP_S, [TimeUnit.MILLISECOND]: TIMESTAMP_MS, [TimeUnit.MICROSECOND]: TIMESTAMP, [TimeUnit.NANOSECOND]: TIMESTAMP_NS };
      return sameLayout(b, byUnit[t.unit], false);
    }
    // TIMESTAMPTZ is always microseconds; `get` gives epoch milliseconds whatever the unit.
    return convertingWriter(b, TIMESTAMPTZ, "int64", (ms) => BigInt(Math.round((ms as number) * 1000)));
  }
  return convertingWriter(b, VARCHAR, "text", (x) => x);
}

/**
 * Create temporary table `name` on `con` holding `table`. Temporary tables belong to the connection, so
 * concurrent queries on their own connections never see each other's tables.
 */
export async function registerArrowTable(con: DuckDBConnection, name: string, table: Table): Promise<void> {
  const b = duckdbBindings();
  const fields = table.schema.fields;
  const writers = fields.map((f) => writerFor(b, f.type));
  const columns = fields.map((f, c) => `${quoteIdent(f.name)} ${writers[c]!.duckType.toString()}`);
  await con.run(`CREATE TEMP TABLE ${quoteIdent(name)} (${columns.join(", ")})`);
  if (fields.length === 0 || table.numRows === 0) return;
  const appender = await con.createAppender(name, null, "temp");
  try {
    const types = writers.map((w) => w.duckType);
    for (const batch of table.batches) {
      for (let start = 0; start < batch.numRows; start += CHUNK_ROWS) {
        const n = Math.min(CHUNK_ROWS, batch.numRows - start);
        const chunk = DuckDBDataChunk.create(types);
        for (let c = 0; c < writers.length; c++) {
          writers[c]!.write(b.data_chunk_get_vector(chunk.chunk, c), batch.data.children[c]!, start, n);
        }
        b.data_chunk_set_size(chunk.chunk, n);
        appender.appendDataChunk(chunk);
      }
    }
    appender.flushSync();
  } finally {
    appender.closeSync();
  }
}
