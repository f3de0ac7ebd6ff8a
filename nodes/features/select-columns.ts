/**
 * Select columns: keep some columns and say which one is the label (what to predict) and which are sensitive
 * (used by fairness checks). Roles travel with the table as Arrow field metadata.
 */
import { RecordBatch, Schema, Table, type Field } from "apache-arrow";
import { z } from "zod";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { p } from "../core/params";
import { port } from "../core/ports";
import type { ColumnInfo, ColumnRole, TableInfo } from "../core/schema";

const ROLE_KEY = "lattice.role";

const params = z.object({
  columns: p.columns({
    port: "table",
    title: "Columns to keep",
    description: "Leave empty to keep every column. The label and sensitive columns are always kept.",
  }),
  label: p.column({ port: "table", title: "Label column", description: "The column a model should learn to predict." }),
  sensitive: p.columns({
    port: "table",
    title: "Sensitive columns",
    description: "Columns such as sex or race that fairness checks compare groups by. They are kept but can be left out of training.",
  }),
});
type Params = z.output<typeof params>;

const SETTING_TITLE: Record<keyof Params, string> = { columns: "Columns to keep", label: "Label column", sensitive: "Sensitive columns" };

/** Column names in output order: the kept ones as listed (or all), then label/sensitive columns not listed. */
function outputNames(all: string[], prm: Params): string[] {
  const base = prm.columns.length ? prm.columns : all;
  const names = [...new Set(base)];
  for (const extra of [prm.label, ...prm.sensitive]) if (extra && !names.includes(extra)) names.push(extra);
  return names;
}

/** New role of a column: the label param wins, then sensitive, else the upstream role minus a stale label. */
function roleOf(name: string, upstream: ColumnRole | undefined, prm: Params): ColumnRole | undefined {
  if (prm.label && name === prm.label) return "label";
  if (prm.sensitive.includes(name)) return "sensitive";
  // Choosing a label here replaces any label set upstream: a table has one label.
  if (prm.label && upstream === "label") return undefined;
  return upstream;
}

function checkParams(prm: Params): void {
  if (prm.label && prm.sensitive.includes(prm.label))
    fail(
      "label_is_sensitive",
      `Column "${prm.label}" is chosen both as the label and as a sensitive column. A column has one role: remove it from "Sensitive columns", or choose another label.`,
      "sensitive",
    );
}

/** A user error for a chosen column that the data does not have. */
function missingColumn(name: string, setting: keyof Params, available: string[]): never {
  fail(
    "unknown_column",
    `Column "${name}" (setting "${SETTING_TITLE[setting]}") is not in the input table. Available columns: ${available.slice(0, 15).join(", ")}${available.length > 15 ? ", …" : ""}. The data may have changed since the column was chosen; choose it again.`,
    setting,
  );
}

function checkPresent(available: string[], prm: Params): void {
  const has = new Set(available);
  for (const c of prm.columns) if (!has.has(c)) missingColumn(c, "columns", available);
  if (prm.label && !has.has(prm.label)) missingColumn(prm.label, "label", available);
  for (const c of prm.sensitive) if (!has.has(c)) missingColumn(c, "sensitive", available);
}

function withRole(c: ColumnInfo, role: ColumnRole | undefined): ColumnInfo {
  const { role: _old, ...rest } = c;
  return role ? { ...rest, role } : rest;
}

function field(f: Field, role: ColumnRole | undefined): Field {
  if (f.metadata.get(ROLE_KEY) === role) return f;
  const md = new Map(f.metadata);
  if (role) md.set(ROLE_KEY, role);
  else md.delete(ROLE_KEY);
  return f.clone({ metadata: md });
}

export default defineNode({
  kind: "features/select-columns",
  version: 1,
  title: "Select columns",
  category: "Features",
  description:
    "Choose which columns to use, which column is the answer a model should learn to predict (the label), and which columns describe people's groups, like sex or race (sensitive columns), so fairness checks can compare those groups.",
  inputs: { table: port.table({ label: "Table" }) },
  outputs: { table: port.table({ label: "Table" }) },
  params,
  infer: ({ inputs, params: prm }) => {
    checkParams(prm);
    const t = inputs.table?.table;
    if (!t) return { table: undefined };
    const byName = new Map(t.columns.map((c) => [c.name, c]));
    // Unknown names are the compiler's to report (it checks column params); skip them here.
    const columns = outputNames(t.columns.map((c) => c.name), prm)
      .filter((n) => byName.has(n))
      .map((n) => withRole(byName.get(n)!, roleOf(n, byName.get(n)!.role, prm)));
    const table: TableInfo = t.rows === undefined ? { columns } : { columns, rows: t.rows };
    return { table: { table } };
  },
  async run({ inputs, params: prm, ctx }) {
    checkParams(prm);
    const input = inputs.table;
    const available = input.schema.fields.map((f) => f.name);
    checkPresent(available, prm);
    ctx.progress(0.5);
    const names = outputNames(available, prm);
    const selected = input.select(names);
    const fields = selected.schema.fields.map((f) => field(f, roleOf(f.name, f.metadata.get(ROLE_KEY) as ColumnRole | undefined, prm)));
    const schema = new Schema(fields, selected.schema.metadata);
    // Same column data, new field metadata: no copy of the values.
    const out = new Table(schema, selected.batches.map((b) => new RecordBatch(schema, b.data)));
    ctx.progress(1);
    return { table: out };
  },
});

