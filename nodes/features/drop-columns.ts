/**
 * Drop columns: remove the picked columns; the others keep their data and roles.
 */
import { z } from "zod";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { p } from "../core/params";
import { port } from "../core/ports";

const params = z.object({
  columns: p.columns({ port: "table", title: "Columns to drop", description: "Columns to remove from the table." }),
});

export default defineNode({
  kind: "features/drop-columns",
  version: 1,
  title: "Drop columns",
  category: "Features",
  description: "Removes the columns you pick, for example ids or columns that would give the answer away. Every other column is kept as it is.",
  inputs: { table: port.table({ label: "Table" }) },
  outputs: { table: port.table({ label: "Table" }) },
  params,
  infer: ({ inputs, params: prm }) => {
    const t = inputs.table?.table;
    return { table: t ? { table: { columns: t.columns.filter((c) => !prm.columns.includes(c.name)) } } : undefined };
  },
  async run({ inputs, params: prm, ctx }) {
    if (!prm.columns.length) fail("no_columns", "Pick the columns to drop in \"Columns to drop\".", "columns");
    const names = inputs.table.schema.fields.map((f) => f.name);
    for (const c of prm.columns)
      if (!names.includes(c))
        fail("unknown_column", `Column "${c}" (setting "Columns to drop") is not in the input table; a node before this one may have dropped or renamed it. Available columns: ${names.slice(0, 15).join(", ")}${names.length > 15 ? ", …" : ""}.`, "columns");
    const keep = names.filter((n) => !prm.columns.includes(n));
    if (!keep.length) fail("no_columns_left", "Dropping these columns would leave no column at all. Keep at least one.", "columns");
    ctx.progress(1);
    return { table: inputs.table.select(keep) };
  },
});
