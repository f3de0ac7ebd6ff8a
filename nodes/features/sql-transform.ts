/**
 * SQL transform: a DuckDB query over the input table (visible under a name you choose, `input` by default).
 */
import { z } from "zod";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { port } from "../core/ports";
import { restoreRoles } from "./sql-roles";

const params = z.object({
  sql: z.string().default("SELECT * FROM input").meta({
    title: "SQL",
    ui: "code",
    description: "One DuckDB query (SELECT, WITH, FROM or VALUES); it cannot read files or change settings. The input table is available under the name below, e.g. SELECT *, age / 10 AS decade FROM input WHERE age >= 18.",
  }),
  tableName: z
    .string()
    .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "use letters, digits and _ only, starting with a letter")
    .default("input")
    .meta({ title: "Table name in the query", description: "The name the query uses for the input table." }),
});

export default defineNode({
  kind: "features/sql-transform",
  version: 1,
  title: "SQL transform",
  category: "Features",
  description:
    "Reshapes the table with a SQL query (DuckDB dialect): filter rows, compute columns, group and summarise, join the table with itself. The input is available in the query as \"input\". Columns that keep their name keep their role (label, sensitive, …).",
  inputs: { table: port.table({ label: "Table" }) },
  outputs: { table: port.table({ label: "Table" }) },
  params,
  // The result's columns depend on the query: known after a run (or a preview), not at design time.
  infer: () => ({ table: undefined }),
  resources: { heavy: true },
  async run({ inputs, params: prm, ctx }) {
    if (!prm.sql.trim()) fail("missing_sql", "Type a query in \"SQL\", e.g. SELECT * FROM input.", "sql");
    ctx.progress(0.1);
    ctx.signal.throwIfAborted();
    const result = await ctx.runtime.tables.userSql(prm.sql, { [prm.tableName]: inputs.table }, { field: "sql", label: "SQL", signal: ctx.signal });
    ctx.log(`Query returned ${result.numRows} rows, ${result.numCols} columns.`);
    ctx.progress(1);
    return { table: restoreRoles(result, inputs.table) };
  },
});
