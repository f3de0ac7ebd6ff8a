/**
 * Stateless table nodes (SQL expression, SQL transform, drop, rename, cast) and the k-fold split.
 */
import { Table, Utf8, vectorFromArray } from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import { tableFromColumns, tableInfo } from "../../nodes/core/arrow";
import { createRegistry } from "../../nodes/core/registry";
import type { AnyNodeDefinition } from "../../nodes/core/define-node";
import cast from "../../nodes/features/cast-columns";
import drop from "../../nodes/features/drop-columns";
import kFold from "../../nodes/features/k-fold-split";
import rename from "../../nodes/features/rename-columns";
import scale from "../../nodes/features/scale";
import sqlExpression from "../../nodes/features/sql-expression";
import sqlTransform from "../../nodes/features/sql-transform";
import { compileGraph } from "../../server/graph/compile-graph";
import { parseWorkflow } from "../../server/graph/format";
import { tableNode } from "../helpers/stub-nodes";
import { closeTestRuntime, makeContext, userError } from "../helpers/node-context";

afterAll(closeTestRuntime);

const people = tableFromColumns(
  { age: new Float64Array([20, 35, 50, 65]), hours: new Float64Array([40, 20, 60, 10]), label: ["a", "b", "a", "b"], sex: ["F", "M", "M", "F"] },
  { label: "label", sex: "sensitive" },
);
const col = (t: Table, name: string) => Array.from(t.getChild(name)!, (v: unknown) => (v === null ? null : typeof v === "bigint" ? Number(v) : v));
const roles = (t: Table) => Object.fromEntries(tableInfo(t).columns.filter((c) => c.role).map((c) => [c.name, c.role]));
const ctx = () => makeContext();

describe("SQL expression column", () => {
  const run = (p: Record<string, unknown>, t = people) => sqlExpression.run({ inputs: { table: t }, params: sqlExpression.params.parse(p), ctx: ctx() });
  it("adds a computed column, keeping rows, order and roles", async () => {
    const { table } = await run({ name: "yearly", expression: "hours * 52" });
    expect(table.schema.fields.map((f) => f.name)).toEqual(["age", "hours", "label", "sex", "yearly"]);
    expect(col(table, "yearly").map(Number)).toEqual([2080, 1040, 3120, 520]);
    expect(roles(table)).toEqual({ label: "label", sex: "sensitive" });
  });
  it("replaces a column of the same name in place", async () => {
    const { table } = await run({ name: "age", expression: "CASE WHEN age >= 65 THEN 'senior' ELSE 'adult' END" });
    expect(table.schema.fields.map((f) => f.name)).toEqual(["age", "hours", "label", "sex"]);
    expect(col(table, "age")).toEqual(["adult", "adult", "adult", "senior"]);
  });
  it("reports an empty expression, a whole query, and SQL errors naming what went wrong", async () => {
    expect((await userError(run({ expression: "" }))).field).toBe("expression");
    expect((await userError(run({ expression: "SELECT 1" }))).code).toBe("not_an_expression");
    const e = await userError(run({ expression: "agee + 1" }));
    expect(e.code).toBe("sql_error");
    expect(e.message).toContain("agee");
  });
  it("infer adds the column with an unknown type", () => {
    const info = sqlExpression.infer!({ inputs: { table: { table: tableInfo(people) } }, params: sqlExpression.params.parse({ name: "z", expression: "1" }) });
    expect(info.table?.table?.columns.at(-1)).toEqual({ name: "z", dtype: "unknown" });
  });
});

describe("SQL transform", () => {
  const run = (p: Record<string, unknown>) => sqlTransform.run({ inputs: { table: people }, params: sqlTransform.params.parse(p), ctx: ctx() });
  it("runs a query over the input under its name; kept columns keep their roles", async () => {
    const { table } = await run({ sql: "SELECT label, age / 10 AS decade FROM people WHERE age > 30 ORDER BY age", tableName: "people" });
    expect(col(table, "decade").map(Number)).toEqual([3.5, 5, 6.5]);
    expect(roles(table)).toEqual({ label: "label" });
  });
  it("reports an empty query and a failing one (naming the table it can use)", async () => {
    expect((await userError(run({ sql: " " }))).code).toBe("missing_sql");
    const e = await userError(run({ sql: "SELECT * FROM nowhere" }));
    expect(e.code).toBe("sql_error");
    expect(e.message).toContain('"input"');
    expect(sqlTransform.params.safeParse({ tableName: "my table" }).success).toBe(false);
  });
});

describe("drop, rename, cast", () => {
  it("drop removes the picked columns; unknown or all columns are errors", async () => {
    const run = (columns: string[]) => drop.run({ inputs: { table: people }, params: { columns }, ctx: ctx() });
    const { table } = await run(["hours"]);
    expect(table.schema.fields.map((f) => f.name)).toEqual(["age", "label", "sex"]);
    expect(roles(table)).toEqual({ label: "label", sex: "sensitive" });
    expect((await userError(run(["hourz"]))).message).toContain('Column "hourz"');
    expect((await userError(run([]))).code).toBe("no_columns");
    expect((await userError(run(["age", "hours", "label", "sex"]))).code).toBe("no_columns_left");
  });

  it("rename keeps data and roles; clashes and unknown columns are errors (also at design time)", async () => {
    const run = (renames: Array<{ from: string; to: string }>) => rename.run({ inputs: { table: people }, params: { renames }, ctx: ctx() });
    const { table } = await run([{ from: "label", to: "target" }]);
    expect(table.schema.fields.map((f) => f.name)).toEqual(["age", "hours", "target", "sex"]);
    expect(roles(table)).toEqual({ target: "label", sex: "sensitive" });
    expect(col(table, "target")).toEqual(col(people, "label"));
    expect((await userError(run([{ from: "age", to: "hours" }]))).code).toBe("duplicate_column");
    expect((await userError(run([{ from: "agee", to: "x" }]))).code).toBe("unknown_column");
    expect(() => rename.infer!({ inputs: { table: { table: tableInfo(people) } }, params: { renames: [{ from: "age", to: "" }] } })).toThrow(/new name/);
  });

  it("cast converts text to numbers, with an error naming row and value, or missing", async () => {
    const t = new Table({ n: vectorFromArray(["1", " 2.5 ", "", null, "abc"], new Utf8()) });
    const run = (p: Record<string, unknown>, table: Table = t) => cast.run({ inputs: { table }, params: cast.params.parse(p), ctx: ctx() });
    const e = await userError(run({ columns: ["n"], to: "float" }));
    expect(e.code).toBe("invalid_value");
    expect(e.message).toContain('Column "n" has the value "abc" in row 5');
    expect(col((await run({ columns: ["n"], to: "float", invalid: "missing" })).table, "n")).toEqual([1, 2.5, null, null, null]);
    expect(col((await run({ columns: ["n"], to: "int", invalid: "missing" })).table, "n")).toEqual([1, 3, null, null, null]);
    const nums = await run({ columns: ["age"], to: "string" }, people);
    expect(col(nums.table, "age")).toEqual(["20", "35", "50", "65"]);
    expect(roles(nums.table)).toEqual({ label: "label", sex: "sensitive" });
    const yes = new Table({ b: vectorFromArray(["yes", "No", "1", "0", null], new Utf8()) });
    expect(col((await run({ columns: ["b"], to: "bool" }, yes)).table, "b")).toEqual([true, false, true, false, null]);
    expect((await userError(run({ columns: [], to: "float" }))).code).toBe("no_columns");
  });
});

describe("k-fold split", () => {
  const run = (p: Record<string, unknown>, t = people) => kFold.run({ inputs: { table: t }, params: kFold.params.parse(p), ctx: ctx() });
  const big = tableFromColumns({ id: new Float64Array(103).map((_, i) => i), y: Array.from({ length: 103 }, (_, i) => (i % 4 === 0 ? "pos" : "neg")) }, { y: "label" });
  it("adds a fold column (1…k, role fold); Held out is one fold, Train the rest", async () => {
    const { table, train, holdout } = await run({ k: 5, holdout: 2, stratify: "y" }, big);
    const fold = col(table, "fold") as number[];
    expect(new Set(fold)).toEqual(new Set([1, 2, 3, 4, 5]));
    expect(roles(table)).toEqual({ y: "label", fold: "fold" });
    expect(col(holdout, "fold").every((f) => f === 2)).toBe(true);
    expect(col(train, "fold").includes(2)).toBe(false);
    expect([...(col(train, "id") as number[]), ...(col(holdout, "id") as number[])].sort((a, b) => a - b)).toEqual(col(big, "id"));
    // stratified: every fold has 5 or 6 of the 26 "pos" rows
    for (let f = 1; f <= 5; f++) {
      const pos = fold.filter((x, i) => x === f && col(table, "y")[i] === "pos").length;
      expect(pos === 5 || pos === 6).toBe(true);
    }
  });
  it("the same seed gives the same folds, another seed different ones; no shuffle keeps row order", async () => {
    const f = async (p: Record<string, unknown>) => col((await run(p, big)).table, "fold");
    expect(await f({ seed: 3 })).toEqual(await f({ seed: 3 }));
    expect(await f({ seed: 3 })).not.toEqual(await f({ seed: 4 }));
    const ordered = (await f({ shuffle: false, k: 4 })) as number[];
    expect(ordered).toEqual([...ordered].sort((a, b) => a - b));
  });
  it("errors: zero rows, fewer rows than folds, unknown stratify column, held-out fold out of range", async () => {
    expect((await userError(run({}, people.slice(0, 0)))).code).toBe("empty_table");
    expect((await userError(run({ k: 5 }))).code).toBe("too_few_rows");
    expect((await userError(run({ k: 2, stratify: "labl" }))).message).toContain('Column "labl"');
    expect((await userError(run({ k: 2, holdout: 3 }))).code).toBe("holdout_out_of_range");
  });
});

describe("design time: a picked column that an upstream node dropped", () => {
  it("is reported on the node that picks it", () => {
    const registry = createRegistry([tableNode, drop, scale] as unknown as AnyNodeDefinition[]);
    const r = parseWorkflow({
      formatVersion: 1,
      nodes: [
        { id: "t", kind: "test/table", version: 1 },
        { id: "d", kind: "features/drop-columns", version: 1, params: { columns: ["x"] } },
        { id: "s", kind: "features/scale", version: 1, params: { columns: ["x"] } },
      ],
      edges: [
        { source: "t", sourcePort: "table", target: "d", targetPort: "table" },
        { source: "d", sourcePort: "table", target: "s", targetPort: "train" },
      ],
    });
    if (!r.ok) throw new Error(r.problems.join("\n"));
    const issues = compileGraph(r.workflow, registry).issues;
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ code: "unknown_column", nodeId: "s", field: "columns" });
    expect(issues[0]!.message).toContain('column "x"');
    expect(issues[0]!.message).toContain('"Drop columns"');
  });
});
