/**
 * Column handling shared by the feature transforms: resolving the columns a transform works on (picked, or
 * every suitable one), building float columns whose missing values are real nulls, and replacing columns in
 * place while keeping the other columns' roles.
 */
import { Float64, makeData, RecordBatch, Schema, Table, type Vector, makeVector } from "apache-arrow";
import { dtypeOf } from "../core/arrow";
import { fail } from "../core/errors";
import { isNumeric, type ColumnInfo, type TableInfo } from "../core/schema";
import { NON_FEATURE_ROLES } from "../training/columns";

const ROLE_KEY = "lattice.role";

export const numericInfo = (c: ColumnInfo) => isNumeric(c.dtype);
export const textInfo = (c: ColumnInfo) => c.dtype === "string";
export const numericOrText = (c: ColumnInfo) => isNumeric(c.dtype) || c.dtype === "string";

export interface PickOptions {
  /** Param name, for the error's field. */
  setting: string;
  /** The setting's title as the form shows it. */
  title: string;
  /** Node title, for messages ("Scale needs numbers"). */
  node: string;
  suitable: (c: ColumnInfo) => boolean;
  /** Words for the suitable kind, e.g. "numbers". */
  needs: string;
  /** What to do with an unsuitable picked column. */
  hint: string;
}

/**
 * The columns to transform: the picked ones (each must exist and be suitable), or, when none are picked, every
 * suitable column whose role does not keep it out of features (label, sensitive, id, fold, ...).
 */
export function pickColumns(info: TableInfo, picked: readonly string[], o: PickOptions): string[] {
  if (picked.length) {
    for (const name of picked) {
      const c = info.columns.find((x) => x.name === name);
      if (!c) {
        const names = info.columns.map((x) => x.name);
        fail(
          "unknown_column",
          `Column "${name}" (setting "${o.title}") is not in the input table; a node before this one may have dropped or renamed it. Available columns: ${names.slice(0, 15).join(", ")}${names.length > 15 ? ", …" : ""}. Choose the columns again.`,
          o.setting,
        );
      }
      if (!o.suitable(c))
        fail("column_dtype", `Column "${name}" holds ${c.dtype === "string" ? "text" : `${c.dtype} values`}, but ${o.node} needs ${o.needs}. ${o.hint}`, o.setting);
    }
    return [...new Set(picked)];
  }
  const auto = info.columns.filter((c) => o.suitable(c) && !(c.role && NON_FEATURE_ROLES.has(c.role))).map((c) => c.name);
  if (!auto.length)
    fail("no_columns", `${o.node} found no columns holding ${o.needs} to work on (label, sensitive, id and fold columns are skipped unless picked). Pick columns in "${o.title}".`, o.setting);
  return auto;
}

/** Design-time version of {@link pickColumns}: never throws; unknown names are the compiler's to report. */
export function pickColumnsInfo(info: TableInfo, picked: readonly string[], suitable: (c: ColumnInfo) => boolean): string[] {
  if (picked.length) return picked.filter((n) => info.columns.some((c) => c.name === n));
  return info.columns.filter((c) => suitable(c) && !(c.role && NON_FEATURE_ROLES.has(c.role))).map((c) => c.name);
}

/** Fails unless `table` has rows; `what` names the input ("training rows"). */
export function requireRows(table: Table, node: string, what = "input table"): void {
  if (table.numRows === 0)
    fail("empty_table", `The ${what} of ${node} has no rows, so there is nothing to learn from. Check the nodes before this one (a filter or split may remove every row).`);
}

/** At apply time: the column a fitted transform was fitted on, or an error saying so. */
export function needFittedColumn(table: Table, name: string, node: string): Vector {
  const v = table.getChild(name);
  if (!v) {
    const names = table.schema.fields.map((f) => f.name);
    fail(
      "missing_column",
      `${node} was fitted on column "${name}", but the table it is applied to does not have it (columns: ${names.slice(0, 15).join(", ")}${names.length > 15 ? ", …" : ""}). Apply it to a table with the same columns as the training rows.`,
      name,
    );
  }
  return v;
}

/** Fails when a fitted numeric column arrives as text at apply time. */
export function needNumeric(v: Vector, name: string, node: string): void {
  const dt = dtypeOf(v.type);
  if (dt !== "float" && dt !== "int" && dt !== "bool")
    fail("not_numeric", `Column "${name}" holds ${dt === "string" ? "text" : `${dt} values`}, but ${node} was fitted on numbers in this column. Cast it to a number first (Cast columns), or check the data source.`, name);
}

/** A Float64 vector where NaN becomes a real null (missing), so SQL and other nodes see it as missing. */
export function floatVector(values: Float64Array): Vector {
  const n = values.length;
  let nulls = 0;
  for (let i = 0; i < n; i++) if (values[i] !== values[i]) nulls++;
  if (!nulls) return makeVector(values);
  const bitmap = new Uint8Array((n + 7) >> 3);
  for (let i = 0; i < n; i++) if (values[i] === values[i]) bitmap[i >> 3]! |= 1 << (i & 7);
  return makeVector(makeData({ type: new Float64(), length: n, nullCount: nulls, nullBitmap: bitmap, data: values }));
}

/**
 * `table` with some columns replaced, each by zero or more new columns at its position (e.g. one-hot
 * indicators). Untouched columns keep their field (and role); a replacement keeping the old name keeps its role.
 */
export function replaceColumns(table: Table, replace: ReadonlyMap<string, ReadonlyArray<readonly [string, Vector]>>): Table {
  const fields = [];
  const vectors: Vector[] = [];
  for (const f of table.schema.fields) {
    const r = replace.get(f.name);
    if (!r) {
      fields.push(f);
      vectors.push(table.getChild(f.name)!);
      continue;
    }
    for (const [name, v] of r) {
      const md = new Map<string, string>();
      const role = name === f.name ? f.metadata.get(ROLE_KEY) : undefined;
      if (role) md.set(ROLE_KEY, role);
      fields.push(f.clone({ name, type: v.type, nullable: true, metadata: md }));
      vectors.push(v);
    }
  }
  const names = new Set<string>();
  for (const f of fields) {
    if (names.has(f.name))
      fail("duplicate_column", `The result would have two columns named "${f.name}". Rename the existing column first (Rename columns).`, f.name);
    names.add(f.name);
  }
  const schema = new Schema(fields, table.schema.metadata);
  const combined = new Table(Object.fromEntries(vectors.map((v, i) => [`c${i}`, v])));
  return new Table(schema, combined.batches.map((b) => new RecordBatch(schema, b.data)));
}

/** Replace columns in a design-time schema, like {@link replaceColumns}. */
export function replaceInfo(info: TableInfo, replace: ReadonlyMap<string, ColumnInfo[]>): TableInfo {
  return {
    columns: info.columns.flatMap((c) => {
      const r = replace.get(c.name);
      if (!r) return [c];
      return r.map((n) => (n.name === c.name && c.role ? { ...n, role: c.role } : n));
    }),
  };
}

/** Sort order for categories: numbers numerically, text by code point (as scikit-learn sorts them). */
export function sortCategories(values: string[], numeric: boolean): string[] {
  return numeric ? values.sort((a, b) => Number(a) - Number(b)) : values.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}
