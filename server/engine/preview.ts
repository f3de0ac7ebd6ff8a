/**
 * What the output inspector shows for a stored port value: for tables, the first rows and per-column
 * statistics computed by DuckDB's SUMMARIZE; for everything else, the JSON value (models without weights).
 */
import type { Table } from "apache-arrow";
import { dtypeOf } from "../../nodes/core/arrow";
import type { NodeRuntime } from "../../nodes/core/context";
import type { PortType } from "../../nodes/core/ports";
import type { ModelValue } from "../../nodes/core/values";
import { loadValue } from "./codecs";
import type { ArtifactPreview, ColumnStats } from "./services";
import type { ArtifactStore } from "./types";

type Cell = string | number | boolean | null;

const jsonSafe = (v: unknown): Cell => {
  if (v === null || v === undefined) return null;
  if (typeof v === "bigint") return Number(v);
  if (typeof v === "number") return Number.isFinite(v) ? v : null;
  if (typeof v === "string" || typeof v === "boolean") return v;
  if (v instanceof Date) return v.toISOString();
  return String(v);
};

const num = (v: unknown): number | null => {
  if (v === null || v === undefined || v === "") return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
};

export async function previewArtifact(store: ArtifactStore, runtime: NodeRuntime, hash: string, type: PortType, limit = 50): Promise<ArtifactPreview> {
  const value = await loadValue(store, { hash, type, size: 0 });
  if (type !== "table") {
    if (type === "model") {
      const m = value as ModelValue;
      return { type: "json", portType: type, value: { format: m.format, info: m.info, files: Object.fromEntries(Object.entries(m.files).map(([k, b]) => [k, `${b.byteLength} bytes`])) } };
    }
    return { type: "json", portType: type, value };
  }
  const table = value as Table;
  const summary = await runtime.tables.sql("SUMMARIZE SELECT * FROM t", { t: table });
  const stats = new Map<string, Record<string, unknown>>();
  for (let i = 0; i < summary.numRows; i++) {
    const row = summary.get(i)!.toJSON() as Record<string, unknown>;
    stats.set(String(row.column_name), row);
  }
  const head = table.slice(0, limit);
  const columns: ColumnStats[] = [];
  const data: Cell[][] = [];
  for (const f of table.schema.fields) {
    const col = table.getChild(f.name)!;
    const s = stats.get(f.name) ?? {};
    const dtype = dtypeOf(f.type);
    const nulls = col.nullCount;
    const cs: ColumnStats = { name: f.name, dtype, count: table.numRows - nulls, nulls, distinct: num(s.approx_unique) ?? undefined };
    if (dtype === "float" || dtype === "int" || dtype === "bool") {
      cs.min = num(s.min);
      cs.max = num(s.max);
      cs.mean = num(s.avg);
      cs.std = num(s.std);
    } else {
      cs.min = s.min == null ? null : String(s.min);
      cs.max = s.max == null ? null : String(s.max);
      cs.top = topValues(col, 10);
    }
    columns.push(cs);
    const hc = head.getChild(f.name)!;
    data.push(Array.from({ length: head.numRows }, (_, r) => jsonSafe(hc.get(r))));
  }
  return { type: "table", table: { rows: table.numRows, columns, head: { columns: table.schema.fields.map((f) => f.name), data } } };
}

function topValues(col: { length: number; get(i: number): unknown }, k: number) {
  const counts = new Map<string, number>();
  for (let i = 0; i < col.length; i++) {
    const v = col.get(i);
    if (v === null || v === undefined) continue;
    const s = String(v);
    counts.set(s, (counts.get(s) ?? 0) + 1);
  }
  return [...counts.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, k)
    .map(([value, count]) => ({ value, count }));
}
