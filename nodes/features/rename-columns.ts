/**
 * Rename columns: give columns new names; data, order and roles stay.
 */
import { RecordBatch, Schema, Table } from "apache-arrow";
import { z } from "zod";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { port } from "../core/ports";
import type { TableInfo } from "../core/schema";

const params = z.object({
  renames: z
    .array(z.object({ from: z.string().meta({ ui: "column", port: "table", title: "Column" }), to: z.string().meta({ title: "New name" }) }))
    .default([])
    .meta({ title: "Renames", description: "Each row: a column and its new name." }),
});
type Params = z.output<typeof params>;

/** Checks the renames against the columns; returns old name → new name. */
function plan(names: string[], prm: Params): Map<string, string> {
  const map = new Map<string, string>();
  for (const { from, to } of prm.renames) {
    if (!names.includes(from))
      fail("unknown_column", `Column "${from}" (setting "Renames") is not in the input table; a node before this one may have dropped or renamed it. Available columns: ${names.slice(0, 15).join(", ")}${names.length > 15 ? ", …" : ""}.`, "renames");
    if (!to.trim()) fail("missing_name", `Type a new name for column "${from}".`, "renames");
    if (map.has(from)) fail("duplicate_rename", `Column "${from}" is renamed twice. Keep one of the two rows.`, "renames");
    map.set(from, to);
  }
  const result = names.map((n) => map.get(n) ?? n);
  const dup = result.find((n, i) => result.indexOf(n) !== i);
  if (dup !== undefined) fail("duplicate_column", `After renaming, two columns would be called "${dup}". Choose another new name.`, "renames");
  return map;
}

export default defineNode({
  kind: "features/rename-columns",
  version: 1,
  title: "Rename columns",
  category: "Features",
  description: "Gives columns new names, e.g. to make them readable or to match the names another table or model expects. The data does not change.",
  inputs: { table: port.table({ label: "Table" }) },
  outputs: { table: port.table({ label: "Table" }) },
  params,
  infer: ({ inputs, params: prm }) => {
    const t = inputs.table?.table;
    if (!t) return { table: undefined };
    const map = plan(t.columns.map((c) => c.name), prm);
    const table: TableInfo = { columns: t.columns.map((c) => ({ ...c, name: map.get(c.name) ?? c.name })) };
    return { table: { table } };
  },
  async run({ inputs, params: prm, ctx }) {
    const map = plan(inputs.table.schema.fields.map((f) => f.name), prm);
    const schema = new Schema(
      inputs.table.schema.fields.map((f) => (map.has(f.name) ? f.clone({ name: map.get(f.name)! }) : f)),
      inputs.table.schema.metadata,
    );
    ctx.progress(1);
    return { table: new Table(schema, inputs.table.batches.map((b) => new RecordBatch(schema, b.data))) };
  },
});
