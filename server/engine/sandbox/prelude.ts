/**
 * JavaScript evaluated inside each fresh sandbox before the user's module: the Table API (columns, filter,
 * map, group-by), `sql()`, `console`, and the glue the host calls (`input`, `invoke`). It is a string because
 * it runs in QuickJS, not in Node; it sees only the `__host` bridge functions, which it captures and deletes
 * from the global object before user code runs. Nothing here is trusted by the host: the host reads back only
 * a JSON string and ArrayBuffers and validates both (arrow-bridge.ts decodeTable).
 */
export const PRELUDE = String.raw`(function () {
"use strict";
const host = globalThis.__host;
delete globalThis.__host;
const JSONstringify = JSON.stringify, JSONparse = JSON.parse;
const ObjectKeys = Object.keys, ObjectCreate = Object.create, defineProperty = Object.defineProperty, freeze = Object.freeze;
const isArray = Array.isArray, isView = ArrayBuffer.isView, NumberFn = Number, StringFn = String, fromCharCode = String.fromCharCode;
const MapCtor = Map, WeakMapCtor = WeakMap, ErrorCtor = Error, TypeErrorCtor = TypeError, F64 = Float64Array, I32 = Int32Array, U8 = Uint8Array;
const TA = { int8: Int8Array, int16: Int16Array, int32: Int32Array, uint8: Uint8Array, uint16: Uint16Array, uint32: Uint32Array,
  float32: Float32Array, float64: Float64Array, int64: BigInt64Array, uint64: BigUint64Array, "date-day": Int32Array, "date-ms": BigInt64Array, timestamp: BigInt64Array };
const STATE = new WeakMapCtor();
const ROW = Symbol("row");

function utf8Decode(b, s, e) {
  let ascii = true;
  for (let i = s; i < e; i++) if (b[i] > 127) { ascii = false; break; }
  if (ascii) {
    if (e - s < 4096) return fromCharCode.apply(null, b.subarray(s, e));
    let out = ""; for (let i = s; i < e; i += 4096) out += fromCharCode.apply(null, b.subarray(i, Math.min(e, i + 4096))); return out;
  }
  let out = "";
  for (let i = s; i < e;) {
    const c = b[i++];
    if (c < 0x80) out += fromCharCode(c);
    else if (c < 0xe0) out += fromCharCode(((c & 31) << 6) | (b[i++] & 63));
    else if (c < 0xf0) out += fromCharCode(((c & 15) << 12) | ((b[i++] & 63) << 6) | (b[i++] & 63));
    else { const cp = (((c & 7) << 18) | ((b[i++] & 63) << 12) | ((b[i++] & 63) << 6) | (b[i++] & 63)) - 0x10000; out += fromCharCode(0xd800 + (cp >> 10), 0xdc00 + (cp & 1023)); }
  }
  return out;
}
function utf8Encode(strs, n) {
  const offsets = new I32(n + 1); let total = 0;
  for (let i = 0; i < n; i++) { const s = strs[i]; if (s !== null) for (let j = 0; j < s.length; j++) { const c = s.charCodeAt(j); total += c < 0x80 ? 1 : c < 0x800 ? 2 : (c >= 0xd800 && c < 0xdc00) ? (j++, 4) : 3; } offsets[i + 1] = total; }
  const bytes = new U8(total); let p = 0;
  for (let i = 0; i < n; i++) { const s = strs[i]; if (s === null) continue; for (let j = 0; j < s.length; j++) { let c = s.charCodeAt(j);
    if (c < 0x80) bytes[p++] = c;
    else if (c < 0x800) { bytes[p++] = 0xc0 | (c >> 6); bytes[p++] = 0x80 | (c & 63); }
    else if (c >= 0xd800 && c < 0xdc00 && j + 1 < s.length) { c = 0x10000 + ((c - 0xd800) << 10) + (s.charCodeAt(++j) - 0xdc00); bytes[p++] = 0xf0 | (c >> 18); bytes[p++] = 0x80 | ((c >> 12) & 63); bytes[p++] = 0x80 | ((c >> 6) & 63); bytes[p++] = 0x80 | (c & 63); }
    else { bytes[p++] = 0xe0 | (c >> 12); bytes[p++] = 0x80 | ((c >> 6) & 63); bytes[p++] = 0x80 | (c & 63); } } }
  return { offsets, bytes };
}
const bit = (bits, i) => (bits[i >> 3] >> (i & 7)) & 1;

/** Values of one input column, read from the IPC bytes; numeric columns without nulls are zero-copy views. */
function readColumn(c, ab, n) {
  if (c.type === "opaque") throw new TypeErrorCtor("Column \"" + c.name + "\" has type " + c.arrowType + ", which code cannot read yet. Cast it with sql() first; it can still be returned or selected as it is.");
  const chunks = c.chunks; let nulls = 0; for (const ch of chunks) nulls += ch.nullCount;
  const valid = (ch) => ch.nullCount > 0 ? new U8(ab, ch.validity[0], ch.validity[1]) : null;
  if (c.type === "utf8" || c.type === "bool") {
    const out = new Array(n); let k = 0;
    for (const ch of chunks) {
      const v = valid(ch);
      if (c.type === "bool") { const bits = new U8(ab, ch.data[0], ch.data[1]); for (let i = 0; i < ch.length; i++) out[k++] = v && !bit(v, i) ? null : bit(bits, i) === 1; }
      else {
        const off = new I32(ab, ch.offsets[0], ch.length + 1), bytes = new U8(ab, ch.data[0], ch.data[1]);
        if (ch.ascii) {
          // One native decode of the whole buffer, then native substrings: far faster than per-value loops here.
          const parts = []; for (let i = off[0]; i < off[ch.length]; i += 8192) parts.push(fromCharCode.apply(null, bytes.subarray(i, Math.min(off[ch.length], i + 8192))));
          const all = parts.join(""), base = off[0];
          for (let i = 0; i < ch.length; i++) out[k++] = v && !bit(v, i) ? null : all.substring(off[i] - base, off[i + 1] - base);
        } else for (let i = 0; i < ch.length; i++) out[k++] = v && !bit(v, i) ? null : utf8Decode(bytes, off[i], off[i + 1]);
      }
    }
    return out;
  }
  const Ctor = TA[c.type];
  const scale = c.type === "date-day" ? 86400000 : c.type === "timestamp" ? c.scale : 1;
  const big = c.type === "int64" || c.type === "uint64" || c.type === "date-ms" || c.type === "timestamp";
  const plain = !big && scale === 1;
  if (plain && nulls === 0 && chunks.length === 1) return new Ctor(ab, chunks[0].data[0], chunks[0].length);
  const out = nulls > 0 ? new Array(n) : plain ? new Ctor(n) : new F64(n); let k = 0;
  for (const ch of chunks) {
    const vals = new Ctor(ab, ch.data[0], ch.length), v = valid(ch);
    for (let i = 0; i < ch.length; i++) out[k++] = v && !bit(v, i) ? null : (big ? NumberFn(vals[i]) : vals[i]) * scale;
  }
  return out;
}

class Column {
  constructor(length, load, ref) { this.length = length; this.load = load; this.ref = ref; this.v = undefined; }
  values() { if (this.v === undefined) { this.v = this.load(); this.load = null; } return this.v; }
}
function dataColumn(name, values, n) {
  if (!isArray(values) && !isView(values)) throw new TypeErrorCtor("Column \"" + name + "\" must be an array or a typed array.");
  if (values.length !== n) throw new TypeErrorCtor("Column \"" + name + "\" has " + values.length + " values, but the table has " + n + " rows.");
  return new Column(n, () => values, null);
}
function gather(values, idx) {
  const out = isArray(values) ? new Array(idx.length) : new values.constructor(idx.length);
  for (let i = 0; i < idx.length; i++) out[i] = values[idx[i]];
  return out;
}
function takeColumn(col, idx) {
  if (col.ref) {
    const base = col.ref.take; const take = base ? gather(base, idx) : idx;
    return new Column(idx.length, () => gather(col.values(), idx), { table: col.ref.table, name: col.ref.name, take });
  }
  return new Column(idx.length, () => gather(col.values(), idx), null);
}
function make(cols, n) { const t = ObjectCreate(Table.prototype); STATE.set(t, { cols, n, proto: null }); return t; }
function st(t) { const s = STATE.get(t); if (!s) throw new TypeErrorCtor("Not a Table."); return s; }
function names(args) { return args.length === 1 && isArray(args[0]) ? args[0] : args; }
function col(s, name) {
  const c = s.cols.get(name);
  if (!c) { const all = [...s.cols.keys()]; throw new ErrorCtor("Column \"" + name + "\" is not in the table (columns: " + all.slice(0, 15).join(", ") + (all.length > 15 ? ", …" : "") + ")."); }
  return c;
}
function rowProto(s) {
  if (s.proto) return s.proto;
  const p = ObjectCreate(null);
  for (const [name, c] of s.cols) defineProperty(p, name, { enumerable: true, get() { return c.values()[this[ROW]]; } });
  return (s.proto = p);
}
function makeRow(s, i) { const r = ObjectCreate(rowProto(s)); r[ROW] = i; return r; }
function plainRow(s, i) { const r = {}; for (const [name, c] of s.cols) r[name] = c.values()[i]; return r; }
function copy(v) { return isArray(v) ? v.slice() : v.slice(); }

/** An immutable columnar table. Methods return new tables; untouched input columns stay references to the host's data. */
class Table {
  constructor() { throw new TypeErrorCtor("Use table({ column: values }) or Table.fromRows(rows)."); }
  static fromRows(rows) {
    if (!isArray(rows)) throw new TypeErrorCtor("Table.fromRows expects an array of objects.");
    const n = rows.length, keys = new MapCtor();
    for (const r of rows) for (const k of ObjectKeys(r)) if (!keys.has(k)) keys.set(k, new Array(n).fill(null));
    for (let i = 0; i < n; i++) { const r = rows[i]; for (const k of ObjectKeys(r)) { const v = r[k]; keys.get(k)[i] = v === undefined ? null : v; } }
    const cols = new MapCtor(); for (const [k, v] of keys) cols.set(k, dataColumn(k, v, n));
    return make(cols, n);
  }
  get numRows() { return st(this).n; }
  get columnNames() { return [...st(this).cols.keys()]; }
  has(name) { return st(this).cols.has(name); }
  /** A fresh copy of a column's values: a typed array for numbers without nulls, otherwise an array with nulls. */
  column(name) { return copy(col(st(this), name).values()); }
  /** A column as Float64Array; nulls become NaN, booleans 0/1. */
  numbers(name) {
    const v = col(st(this), name).values();
    if (isView(v)) return new F64(v);
    const out = new F64(v.length);
    for (let i = 0; i < v.length; i++) { const x = v[i]; if (typeof x === "string") throw new TypeErrorCtor("Column \"" + name + "\" holds text, not numbers."); out[i] = x === null ? NaN : NumberFn(x); }
    return out;
  }
  select(...args) { const s = st(this), cols = new MapCtor(); for (const n of names(args)) cols.set(n, col(s, n)); return make(cols, s.n); }
  drop(...args) { const s = st(this), gone = names(args), cols = new MapCtor(); for (const n of gone) col(s, n); for (const [k, c] of s.cols) if (!gone.includes(k)) cols.set(k, c); return make(cols, s.n); }
  rename(mapping) { const s = st(this), cols = new MapCtor(); for (const [k, c] of s.cols) cols.set(mapping[k] === undefined ? k : StringFn(mapping[k]), c); return make(cols, s.n); }
  /** Adds or replaces a column from values or from fn(row, index). */
  withColumn(name, valuesOrFn) {
    const s = st(this); let values = valuesOrFn;
    if (typeof valuesOrFn === "function") { values = new Array(s.n); for (let i = 0; i < s.n; i++) { const v = valuesOrFn(makeRow(s, i), i); values[i] = v === undefined ? null : v; } }
    const cols = new MapCtor(s.cols); cols.set(StringFn(name), dataColumn(name, values, s.n)); return make(cols, s.n);
  }
  /** Rows where pred(row, index) is truthy. */
  filter(pred) {
    const s = st(this), keep = [];
    for (let i = 0; i < s.n; i++) if (pred(makeRow(s, i), i)) keep.push(i);
    return this.take(keep);
  }
  /** Rows at the given indices, in that order. */
  take(indices) {
    const s = st(this), idx = I32.from(indices);
    for (let i = 0; i < idx.length; i++) if (!(idx[i] >= 0 && idx[i] < s.n)) throw new RangeError("Row index " + idx[i] + " is outside the table (" + s.n + " rows).");
    const cols = new MapCtor(); for (const [k, c] of s.cols) cols.set(k, takeColumn(c, idx)); return make(cols, idx.length);
  }
  head(n = 5) { const s = st(this), m = Math.max(0, Math.min(s.n, n)), idx = new I32(m); for (let i = 0; i < m; i++) idx[i] = i; return this.take(idx); }
  /** A new table from fn(row, index) → object per row. */
  map(fn) { const s = st(this), rows = new Array(s.n); for (let i = 0; i < s.n; i++) rows[i] = fn(plainRow(s, i), i); return Table.fromRows(rows); }
  row(i) { const s = st(this); if (!(i >= 0 && i < s.n)) throw new RangeError("Row " + i + " is outside the table."); return plainRow(s, i); }
  /** Every row as a plain object (costly on large tables; prefer columns). */
  rows() { const s = st(this), out = new Array(s.n); for (let i = 0; i < s.n; i++) out[i] = plainRow(s, i); return out; }
  groupBy(...args) { return new GroupBy(this, names(args)); }
  toString() { const s = st(this); return "Table(" + s.n + " rows: " + [...s.cols.keys()].join(", ") + ")"; }
}
const AGG = {
  count: () => ({ v: 0, add(x) { this.v++; }, get() { return this.v; } }),
  sum: () => ({ v: 0, add(x) { if (x !== null) this.v += NumberFn(x); }, get() { return this.v; } }),
  mean: () => ({ s: 0, n: 0, add(x) { if (x !== null) { this.s += NumberFn(x); this.n++; } }, get() { return this.n ? this.s / this.n : null; } }),
  min: () => ({ v: null, add(x) { if (x !== null && (this.v === null || x < this.v)) this.v = x; }, get() { return this.v; } }),
  max: () => ({ v: null, add(x) { if (x !== null && (this.v === null || x > this.v)) this.v = x; }, get() { return this.v; } }),
  first: () => ({ v: undefined, add(x) { if (this.v === undefined) this.v = x; }, get() { return this.v === undefined ? null : this.v; } }),
  last: () => ({ v: null, add(x) { this.v = x; }, get() { return this.v; } }),
};
class GroupBy {
  constructor(t, keys) { const s = st(t); for (const k of keys) col(s, k); this.t = t; this.keys = keys; }
  /** spec: { outName: [column, "sum" | "mean" | "min" | "max" | "count" | "first" | "last"] } */
  agg(spec) {
    const s = st(this.t), keyCols = this.keys.map((k) => col(s, k).values()), outs = ObjectKeys(spec);
    const parts = outs.map((o) => { const p = spec[o]; const [c, op] = isArray(p) ? p : [null, p]; if (!AGG[op]) throw new TypeErrorCtor("Unknown aggregate \"" + op + "\" (use count, sum, mean, min, max, first, last)."); return { op, v: c === null ? null : col(s, c).values() }; });
    const groups = new MapCtor();
    for (let i = 0; i < s.n; i++) {
      const key = keyCols.length === 1 ? keyCols[0][i] : JSONstringify(keyCols.map((k) => k[i]));
      let g = groups.get(key);
      if (!g) { g = { row: i, acc: parts.map((p) => AGG[p.op]()) }; groups.set(key, g); }
      for (let j = 0; j < parts.length; j++) g.acc[j].add(parts[j].v === null ? 1 : parts[j].v[i]);
    }
    const rows = []; for (const g of groups.values()) { const r = {}; this.keys.forEach((k, j) => { r[k] = keyCols[j][g.row]; }); outs.forEach((o, j) => { r[o] = g.acc[j].get(); }); rows.push(r); }
    return Table.fromRows(rows);
  }
  count(name = "count") { return this.agg({ [name]: "count" }); }
}
function table(columns) {
  const ks = ObjectKeys(columns); const n = ks.length ? columns[ks[0]].length : 0; const cols = new MapCtor();
  for (const k of ks) cols.set(k, dataColumn(k, columns[k], n));
  return make(cols, n);
}

/** A host table: only its schema comes in; each column's IPC bytes are fetched on first use. */
function inputTable(index, schemaJson) {
  const schema = JSONparse(schemaJson), n = schema.numRows, cols = new MapCtor();
  for (const c of schema.columns) cols.set(c.name, new Column(n, () => { const r = host.load(index, c.name); return readColumn(JSONparse(r[0]), r[1], n); }, { table: index, name: c.name, take: null }));
  return make(cols, n);
}

function kindOf(v) {
  if (v instanceof F64) return "float64";
  if (v instanceof Int32Array || v instanceof Int16Array || v instanceof Int8Array || v instanceof Uint8Array || v instanceof Uint16Array || v instanceof Uint8ClampedArray) return "int32";
  if (isView(v)) return "float64";
  for (let i = 0; i < v.length; i++) { const x = v[i]; if (x === null || x === undefined) continue; const t = typeof x; return t === "number" || t === "bigint" ? "float64" : t === "boolean" ? "bool" : "utf8"; }
  return "utf8";
}
function exportTable(t, bins) {
  const s = st(t), columns = [];
  const bin = (ta) => { bins.push(ta.buffer.byteLength === ta.byteLength && ta.byteOffset === 0 ? ta.buffer : ta.slice().buffer); return bins.length - 1; };
  for (const [name, c] of s.cols) {
    if (c.ref) { columns.push(c.ref.take ? { name, ref: { table: c.ref.table, name: c.ref.name }, take: bin(I32.from(c.ref.take)) } : { name, ref: { table: c.ref.table, name: c.ref.name } }); continue; }
    const v = c.values(), n = v.length, kind = kindOf(v); let nullCount = 0, validity = null;
    if (isArray(v)) for (let i = 0; i < n; i++) if (v[i] === null || v[i] === undefined) { if (!validity) { validity = new U8((n + 7) >> 3).fill(255); } validity[i >> 3] &= ~(1 << (i & 7)); nullCount++; }
    const out = { name, kind, nullCount };
    if (validity) out.validity = bin(validity);
    if (kind === "float64") { const d = v instanceof F64 ? v : new F64(n); if (d !== v) for (let i = 0; i < n; i++) { const x = v[i]; d[i] = x === null || x === undefined ? NaN : NumberFn(x); } out.data = bin(d); }
    else if (kind === "int32") out.data = bin(v instanceof I32 ? v : I32.from(v));
    else if (kind === "bool") { const d = new U8((n + 7) >> 3); for (let i = 0; i < n; i++) if (v[i]) d[i >> 3] |= 1 << (i & 7); out.data = bin(d); }
    else { const e = utf8Encode(isArray(v) ? v.map((x) => x === null || x === undefined ? null : typeof x === "object" ? JSONstringify(x) : StringFn(x)) : [...v].map(StringFn), n); out.data = bin(e.bytes); out.offsets = bin(e.offsets); }
    columns.push(out);
  }
  return { numRows: s.n, columns };
}
function exportResult(out) {
  if (out === null || typeof out !== "object" || isArray(out)) throw new TypeErrorCtor("run() must return an object of outputs, e.g. { table, metrics: { accuracy: 0.9 } }.");
  const bins = [], outputs = {};
  for (const k of ObjectKeys(out)) {
    const v = out[k];
    if (v === undefined) continue;
    outputs[k] = STATE.has(v) ? { table: exportTable(v, bins) } : { json: v };
  }
  return [JSONstringify(outputs), bins];
}
function fmt(args) { return args.map((a) => typeof a === "string" ? a : STATE.has(a) ? a.toString() : (() => { try { return JSONstringify(a); } catch (e) { return StringFn(a); } })()).join(" "); }
const log = (level) => (...args) => { host.log(fmt(args), level); };
const console = freeze({ log: log("info"), info: log("info"), warn: log("warn"), error: log("error"), debug: log("info") });
let currentInputs = {};
/** SQL over tables through the host's DuckDB; each entry of tables is a view with that name (default: the inputs). */
function sql(query, tables) {
  const bins = [], named = {}, src = tables === undefined ? currentInputs : tables;
  for (const k of ObjectKeys(src)) { if (src[k] !== undefined && src[k] !== null) named[k] = exportTable(src[k], bins); }
  return host.sql(StringFn(query), JSONstringify(named), bins).then((r) => inputTable(r[0], r[1]));
}
defineProperty(globalThis, "Table", { value: Table });
defineProperty(globalThis, "table", { value: table });
defineProperty(globalThis, "sql", { value: sql });
defineProperty(globalThis, "console", { value: console });
return freeze({
  input: inputTable,
  async invoke(fn, inputs, paramsJson, ctxJson, valuesJson) {
    if (typeof fn !== "function") throw new TypeErrorCtor("Your code must export a default function: export default async function run({ inputs, params, ctx }) { ... }");
    currentInputs = ObjectCreate(null); for (const k of ObjectKeys(inputs)) currentInputs[k] = inputs[k];
    // Inputs that are not tables (metrics, values) arrive as JSON.
    const values = JSONparse(valuesJson); for (const k of ObjectKeys(values)) if (k !== "__proto__") inputs[k] = freeze(values[k]);
    const info = JSONparse(ctxJson);
    const ctx = freeze({ runId: info.runId, nodeId: info.nodeId, log: (m, level) => host.log(StringFn(m), level === "warn" || level === "error" ? level : "info"),
      progress: (f, m) => host.progress(NumberFn(f), m === undefined ? "" : StringFn(m)), metric: (name, value, step) => host.metric(StringFn(name), NumberFn(value), step === undefined ? -1 : NumberFn(step)) });
    const out = await fn(freeze({ inputs: freeze(inputs), params: freeze(JSONparse(paramsJson)), ctx }));
    return exportResult(out);
  },
});
})()`;
