/**
 * SQL expression column: add (or replace) one column computed by a DuckDB SQL expression over each row, e.g.
 * `capital_gain - capital_loss` or `CASE WHEN age >= 65 THEN 'senior' ELSE 'adult' END`.
 */
import { z } from "zod";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { port } from "../core/ports";
import { restoreRoles, sqlIdent } from "./sql-roles";

const TABLE = "input";

const params = z.object({
  name: z.string().default("new_column").meta({ title: "Column name", description: "Name of the new column. An existing column of that name is replaced." }),
  expression: z.string().default("").meta({
    title: "Expression",
    ui: "code",
    description: "A SQL expression over the row's columns, e.g. hours_per_week * 52 or lower(workclass). Quote names with spaces or dashes in double quotes: \"capital-gain\".",
  }),
});

export default defineNode({
  kind: "features/sql-expression",
  version: 1,
  title: "SQL expression column",
  category: "Features",
  description:
    "Adds a column computed from the other columns of the same row with a formula written in SQL, like a spreadsheet formula: for example hours_per_week * 52, or CASE WHEN age >= 65 THEN 'senior' ELSE 'adult' END.",
  inputs: { table: port.table({ label: "Table" }) },
  outputs: { table: port.table({ label: "Table" }) },
  params,
  infer: ({ inputs, params: prm }) => {
    const t = inputs.table?.table;
    if (!t) return { table: undefined };
    // The new column's type is DuckDB's to decide: unknown until a run.
    const kept = t.columns.filter((c) => c.name !== prm.name);
    const at = t.columns.findIndex((c) => c.name === prm.name);
    const added = { name: prm.name, dtype: "unknown" as const };
    const columns = at >= 0 ? [...kept.slice(0, at), added, ...kept.slice(at)] : [...kept, added];
    return { table: { table: { columns } } };
  },
  resources: { heavy: true },
  async run({ inputs, params: prm, ctx }) {
    if (!prm.name.trim()) fail("missing_name", "Type a name for the new column in \"Column name\".", "name");
    if (!prm.expression.trim()) fail("missing_expression", "Type a SQL expression in \"Expression\", e.g. age * 2.", "expression");
    if (/;\s*\S/.test(prm.expression) || /^\s*(select|with)\b/i.test(prm.expression))
      fail("not_an_expression", "\"Expression\" takes one SQL expression over a row (e.g. age * 2), not a whole query. For a query, use the SQL transform node.", "expression");
    const exists = inputs.table.schema.fields.some((f) => f.name === prm.name);
    const col = sqlIdent(prm.name);
    const query = exists
      ? `SELECT * REPLACE ((${prm.expression}) AS ${col}) FROM ${TABLE}`
      : `SELECT *, (${prm.expression}) AS ${col} FROM ${TABLE}`;
    ctx.progress(0.1);
    ctx.signal.throwIfAborted();
    // The expression is spliced into a query, so the whole query goes through the user-SQL checks (one SELECT).
    const result = await ctx.runtime.tables.userSql(query, { [TABLE]: inputs.table }, { field: "expression", label: "Expression", signal: ctx.signal });
    ctx.progress(1);
    return { table: restoreRoles(result, inputs.table) };
  },
});
