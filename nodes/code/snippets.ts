/**
 * Ready snippets for the code node's editor (issue #6): offered in its Snippets menu and as completions.
 * `body` uses Monaco/VS Code snippet syntax (`${1:placeholder}`); each one type-checks once its placeholders
 * name real columns (test/sandbox/code-types.test.ts checks them against a typed input).
 */
export interface CodeSnippet {
  id: string;
  /** Menu entry and completion label. */
  title: string;
  /** What the completion list shows beside the label. */
  detail: string;
  body: string;
}

export const SNIPPETS: CodeSnippet[] = [
  {
    id: "feature-column",
    title: "Custom feature column",
    detail: "A new column computed from each row (withColumn)",
    body: [
      "// Custom feature: a new column computed from each row. Nulls are missing values.",
      "const ${1:withFeature} = ${2:inputs.a!}.withColumn(\"${3:feature}\", (row) => {",
      "\t${4:const x = row.${5:column};}",
      "\treturn ${6:typeof x === \"number\" ? Math.log1p(Math.max(0, x)) : null};",
      "});",
    ].join("\n"),
  },
  {
    id: "metric",
    title: "Custom metric",
    detail: "A number from a column, reported on the node (ctx.metric)",
    body: [
      "// Custom metric: the mean of a numeric column (missing values skipped), shown on the node.",
      "const ${1:values} = ${2:inputs.a!}.numbers(\"${3:column}\");",
      "let ${4:sum} = 0, ${5:n} = 0;",
      "for (const v of $1) if (!Number.isNaN(v)) { $4 += v; $5++; }",
      "const ${6:mean} = $5 ? $4 / $5 : null;",
      "if ($6 !== null) ctx.metric(\"${7:mean}\", $6);",
      "// Return it as metrics: return { metrics: { $7: $6 } };",
    ].join("\n"),
  },
  {
    id: "row-filter",
    title: "Row filter",
    detail: "Keep the rows that pass a test (filter)",
    body: [
      "// Row filter: keep the rows for which the test is true.",
      "const ${1:kept} = ${2:inputs.a!}.filter((row) => ${3:row.${4:column} !== null});",
      "ctx.log(`kept \\${$1.numRows} rows`);",
    ].join("\n"),
  },
  {
    id: "group-summary",
    title: "Group summary",
    detail: "Rows per group and a mean per group (groupBy + agg)",
    body: [
      "// Group summary: one row per value of a column.",
      "const ${1:summary} = ${2:inputs.a!}.groupBy(\"${3:group}\").agg({ rows: \"count\", ${4:avg}: [\"${5:column}\", \"mean\"] });",
    ].join("\n"),
  },
  {
    id: "sql",
    title: "SQL query",
    detail: "DuckDB SQL over the table inputs (sql)",
    body: ["// SQL over the inputs: each table input is a view with the port's name.", "const ${1:result} = await sql(`SELECT ${2:*} FROM ${3:a} ${4:LIMIT 100}`);"].join("\n"),
  },
];

/** A snippet's text with its placeholders filled by their defaults (for inserting without the snippet engine). */
export function snippetText(body: string): string {
  const values = new Map<string, string>();
  let out = body;
  // Innermost placeholders first: ${4:row.${5:column}} → ${4:row.column} → row.column
  for (let i = 0; i < 6; i++)
    out = out.replace(/\$\{(\d+):([^${}]*)\}/g, (_, n: string, v: string) => {
      if (!values.has(n)) values.set(n, v);
      return v;
    });
  return out.replace(/\\\$|\$\{(\d+)\}|\$(\d+)/g, (m, a?: string, b?: string) => (m === "\\$" ? "$" : (values.get((a ?? b)!) ?? "")));
}
