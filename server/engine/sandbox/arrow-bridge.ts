/**
 * Tables across the sandbox boundary. Into the sandbox a table goes as Arrow IPC stream bytes (one copy into
 * the WASM heap) plus a small JSON layout: the byte ranges of each column's buffers inside those bytes, read
 * here from the IPC messages' own metadata so the sandbox needs no flatbuffers reader. Numeric columns become
 * zero-copy typed-array views inside the sandbox.
 *
 * Out of the sandbox a table comes back as column references and/or raw Arrow buffers (validity, offsets,
 * values): a column the code left untouched is a reference to the host's original vector (a pass-through costs
 * no copy), a filtered one is a reference plus row indices, a new one is its Arrow buffers. Never row objects.
 */
import { Bool, DataType, Float64, Int32, Message, Schema, Table, Utf8, makeData, makeVector, tableToIPC, vectorFromArray, type Data, type Vector } from "apache-arrow";
import { gatherRows, withRoles } from "../../../nodes/core/arrow";
import type { ColumnRole } from "../../../nodes/core/schema";

/** Column kinds the sandbox can read; anything else travels as an opaque reference. */
export type SandboxColumnType = "int8" | "int16" | "int32" | "uint8" | "uint16" | "uint32" | "float32" | "float64" | "int64" | "uint64" | "bool" | "utf8" | "date-day" | "date-ms" | "timestamp" | "opaque";

/** Byte range [offset, length] inside the IPC bytes. */
type Range = [number, number];

export interface ChunkLayout {
  length: number;
  nullCount: number;
  validity: Range;
  offsets?: Range;
  data: Range;
  /** Strings: every byte is ASCII, so byte offsets are character offsets (the guest's fast path). */
  ascii?: boolean;
}

export interface ColumnLayout {
  name: string;
  type: SandboxColumnType;
  /** Arrow's own type name, for messages about opaque columns. */
  arrowType: string;
  /** Timestamps: milliseconds per stored unit (1e-3 for µs). */
  scale?: number;
  chunks: ChunkLayout[];
}

export interface TableLayout {
  numRows: number;
  columns: ColumnLayout[];
}

export interface EncodedTable {
  layout: TableLayout;
  bytes: Uint8Array;
}

function columnType(t: DataType): { type: SandboxColumnType; scale?: number } {
  if (DataType.isInt(t)) {
    const key = `${t.isSigned ? "int" : "uint"}${t.bitWidth}` as SandboxColumnType;
    return { type: key };
  }
  if (DataType.isFloat(t)) return { type: t.precision === 2 ? "float64" : t.precision === 1 ? "float32" : "opaque" };
  if (DataType.isBool(t)) return { type: "bool" };
  if (DataType.isUtf8(t) || (DataType.isDictionary(t) && DataType.isUtf8(t.dictionary))) return { type: "utf8" };
  if (DataType.isDate(t)) return { type: t.unit === 0 ? "date-day" : "date-ms" };
  if (DataType.isTimestamp(t)) return { type: "timestamp", scale: [1000, 1, 1e-3, 1e-6][t.unit] };
  return { type: "opaque" };
}

const BUFFERS_PER_TYPE: Partial<Record<SandboxColumnType, number>> = { utf8: 3 };

/** Names and kinds of a table's columns: what the guest gets before it reads any column. */
export function tableSchema(table: Table): TableLayout {
  return { numRows: table.numRows, columns: table.schema.fields.map((f) => ({ name: f.name, ...columnType(f.type), arrowType: String(f.type), chunks: [] })) };
}

/** Arrow IPC stream bytes of the readable columns of `table`, with their buffer layout. */
export function encodeTable(table: Table): EncodedTable {
  const typed = table.schema.fields.map((f) => ({ field: f, ...columnType(f.type) }));
  const readable = typed.filter((c) => c.type !== "opaque");
  const columns: ColumnLayout[] = typed.map((c) => ({ name: c.field.name, type: c.type, arrowType: String(c.field.type), scale: c.scale, chunks: [] }));
  if (readable.length === 0) return { layout: { numRows: table.numRows, columns }, bytes: new Uint8Array(0) };
  // Dictionary-encoded strings are sent decoded (the guest reads plain Utf8); other columns as they are.
  const hasDict = readable.some((c) => DataType.isDictionary(c.field.type));
  const sub = hasDict
    ? new Table(Object.fromEntries(readable.map((c) => {
      const v = table.getChild(c.field.name)!;
      return [c.field.name, DataType.isDictionary(c.field.type) ? vectorFromArray([...v] as Array<string | null>, new Utf8()) : v];
    })))
    : readable.length === typed.length ? table : table.select(readable.map((c) => c.field.name));
  const bytes = tableToIPC(sub, "stream");
  const targets = readable.map((c) => columns.find((l) => l.name === c.field.name)!);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let pos = 0;
  while (pos + 4 <= bytes.length) {
    let metaLen = view.getInt32(pos, true);
    pos += 4;
    if (metaLen === -1) {
      metaLen = view.getInt32(pos, true);
      pos += 4;
    }
    if (metaLen === 0) break;
    const message = Message.decode(bytes.subarray(pos, pos + metaLen));
    const bodyStart = pos + metaLen;
    if (message.isRecordBatch()) {
      const rb = message.header();
      let b = 0;
      rb.nodes.forEach((node, i) => {
        const col = targets[i]!;
        const n = BUFFERS_PER_TYPE[col.type] ?? 2;
        const region = (k: number): Range => {
          const r = rb.buffers[b + k]!;
          return [bodyStart + Number(r.offset), Number(r.length)];
        };
        col.chunks.push(n === 3
          ? { length: Number(node.length), nullCount: Number(node.nullCount), validity: region(0), offsets: region(1), data: region(2), ascii: isAscii(bytes, region(2)) }
          : { length: Number(node.length), nullCount: Number(node.nullCount), validity: region(0), data: region(1) });
        b += n;
      });
    }
    pos = bodyStart + message.bodyLength;
  }
  return { layout: { numRows: table.numRows, columns }, bytes };
}

function isAscii(bytes: Uint8Array, [offset, length]: Range): boolean {
  for (let i = offset, end = offset + length; i < end; i++) if (bytes[i]! > 127) return false;
  return true;
}

/** How the sandbox describes one output column (see exportTable in the prelude). */
export type ExportedColumn =
  | { name: string; ref: { table: number; name: string }; take?: number }
  | { name: string; kind: "float64" | "int32" | "bool" | "utf8"; data: number; validity?: number; offsets?: number; nullCount: number };

export interface ExportedTable {
  numRows: number;
  columns: ExportedColumn[];
}

const KINDS = { float64: new Float64(), int32: new Int32(), bool: new Bool(), utf8: new Utf8() } as const;

/**
 * Rebuilds an Arrow table from the sandbox's description. `tables` are the host tables the sandbox may refer
 * to (its inputs and SQL results); `bins` are the binary blobs copied out of the sandbox. Roles of referenced
 * columns are kept. Throws a plain Error for a malformed description (the caller turns it into a user error).
 */
export function decodeTable(desc: ExportedTable, tables: readonly Table[], bins: readonly Uint8Array[]): Table {
  const numRows = desc.numRows;
  if (!Number.isInteger(numRows) || numRows < 0) throw new Error("a returned table has an invalid row count");
  const same = identicalTo(desc, tables);
  if (same) return same;
  const vectors: Record<string, Vector> = {};
  const roles: Record<string, ColumnRole> = {};
  const bin = (i: number | undefined, what: string): Uint8Array => {
    const b = i === undefined ? undefined : bins[i];
    if (!b) throw new Error(`column buffer ${what} is missing`);
    return b;
  };
  for (const c of desc.columns) {
    if (typeof c.name !== "string" || c.name in vectors) throw new Error(`column name ${JSON.stringify(c.name)} is invalid or repeated`);
    let v: Vector;
    if ("ref" in c) {
      const src = tables[c.ref.table];
      const orig = src?.getChild(c.ref.name);
      const field = src?.schema.fields.find((f) => f.name === c.ref.name);
      if (!src || !orig || !field) throw new Error(`column "${c.name}" refers to a table column that does not exist`);
      if (c.take === undefined) v = orig;
      else {
        const idx = new Int32Array(bin(c.take, "take").slice().buffer);
        for (const i of idx) if (i < 0 || i >= orig.length) throw new Error(`column "${c.name}" selects a row that does not exist`);
        v = gatherRows(new Table({ x: orig }), idx).getChildAt(0)!;
      }
      const role = field.metadata.get("lattice.role");
      if (role) roles[c.name] = role as ColumnRole;
    } else {
      const type = KINDS[c.kind];
      if (!type) throw new Error(`column "${c.name}" has an unknown kind`);
      const validity = c.validity === undefined ? undefined : bin(c.validity, "validity").slice();
      if (validity && validity.byteLength < (numRows + 7) >> 3) throw new Error(`column "${c.name}" has a short validity bitmap`);
      const raw = bin(c.data, "data").slice();
      const common = { type, length: numRows, nullCount: c.nullCount, nullBitmap: validity } as const;
      let data: Data;
      if (c.kind === "float64") {
        if (raw.byteLength < numRows * 8) throw new Error(`column "${c.name}" is shorter than the table`);
        data = makeData({ ...common, type: KINDS.float64, data: new Float64Array(raw.buffer, 0, numRows) });
      } else if (c.kind === "int32") {
        if (raw.byteLength < numRows * 4) throw new Error(`column "${c.name}" is shorter than the table`);
        data = makeData({ ...common, type: KINDS.int32, data: new Int32Array(raw.buffer, 0, numRows) });
      } else if (c.kind === "bool") {
        if (raw.byteLength < (numRows + 7) >> 3) throw new Error(`column "${c.name}" is shorter than the table`);
        data = makeData({ ...common, type: KINDS.bool, data: raw });
      } else {
        const offsets = new Int32Array(bin(c.offsets, "offsets").slice().buffer);
        if (offsets.length < numRows + 1 || offsets[numRows]! > raw.byteLength) throw new Error(`column "${c.name}" has invalid string offsets`);
        for (let i = 0; i < numRows; i++) if (offsets[i]! > offsets[i + 1]! || offsets[i]! < 0) throw new Error(`column "${c.name}" has invalid string offsets`);
        data = makeData({ ...common, type: KINDS.utf8, data: raw, valueOffsets: offsets.subarray(0, numRows + 1) });
      }
      v = makeVector(data as Data<Float64>);
    }
    if (v.length !== numRows) throw new Error(`column "${c.name}" has ${v.length} rows, the table ${numRows}`);
    vectors[c.name] = v;
  }
  if (desc.columns.length === 0) return new Table(new Schema([]));
  const t = new Table(vectors);
  return Object.keys(roles).length ? withRoles(t, roles) : t;
}

/** The host table itself when the description is all of its columns, in order, unfiltered and unrenamed. */
function identicalTo(desc: ExportedTable, tables: readonly Table[]): Table | undefined {
  const first = desc.columns[0];
  if (!first || !("ref" in first)) return undefined;
  const t = tables[first.ref.table];
  if (!t || t.numRows !== desc.numRows || t.schema.fields.length !== desc.columns.length) return undefined;
  const same = desc.columns.every((c, i) => "ref" in c && c.take === undefined && c.ref.table === first.ref.table && c.name === c.ref.name && c.ref.name === t.schema.fields[i]!.name);
  return same ? t : undefined;
}
