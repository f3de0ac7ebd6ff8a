/**
 * User SQL (SQL transform, SQL expression column) runs in the locked-down DuckDB of user-sql.ts: every way out of
 * the query is refused with a user error on the node's field, nothing a query does is seen by the next one, long
 * queries stop, and ordinary queries give what the main engine gives.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Table } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tableFromColumns } from "../../nodes/core/arrow";
import type { NodeUserError } from "../../nodes/core/errors";
import sqlExpression from "../../nodes/features/sql-expression";
import sqlTransform from "../../nodes/features/sql-transform";
import { createNodeRuntime } from "../../server/engine/runtime/node-runtime";
import { makeContext, userError, type RecordingContext } from "../helpers/node-context";

const TIMEOUT_MS = 1000;
// Its own runtime: a short time limit, and a main engine to compare results with.
const runtime = createNodeRuntime({ userSql: { timeoutMs: TIMEOUT_MS } });
const dir = mkdtempSync(join(tmpdir(), "lattice-user-sql-"));
const secretCsv = join(dir, "secret.csv");
const secretParquet = join(dir, "secret.parquet");
const q = (p: string) => `'${p.replaceAll("'", "''")}'`;

const people = tableFromColumns(
  { age: new Float64Array([20, 35, 50, 65]), hours: new Float64Array([40, 20, 60, 10]), label: ["a", "b", "a", "b"], sex: ["F", "M", "M", "F"] },
  { label: "label", sex: "sensitive" },
);
const rows = (t: Table) => t.toArray().map((r) => r.toJSON());

beforeAll(async () => {
  writeFileSync(secretCsv, "secret\nhunter2\n");
  // The files exist and the main engine reads them: a refusal below is the lock-down, not a missing file.
  await runtime.tables.writeFile(people, secretParquet, "parquet");
  expect((await runtime.tables.readFile(secretCsv)).numRows).toBe(1);
  expect((await runtime.tables.readFile(secretParquet)).numRows).toBe(4);
});
afterAll(async () => {
  await runtime.close();
  rmSync(dir, { recursive: true, force: true });
});

const ctx = (): RecordingContext => ({ ...makeContext(), runtime });
const transform = (sql: string, c = ctx()) => sqlTransform.run({ inputs: { table: people }, params: sqlTransform.params.parse({ sql }), ctx: c });
const expression = (expr: string, c = ctx()) =>
  sqlExpression.run({ inputs: { table: people }, params: sqlExpression.params.parse({ name: "x", expression: expr }), ctx: c });

/**
 * A refusal on the SQL transform's "SQL" field with this code (or one of these: DuckDB refuses some statements,
 * such as COPY to a file, while preparing them, before their type is checked).
 */
async function refusedSql(sql: string, code: string | string[]): Promise<NodeUserError> {
  const e = await userError(transform(sql));
  expect(e.field, e.message).toBe("sql");
  expect([code].flat(), e.message).toContain(e.code);
  expect(e.message).toContain('"SQL"');
  return e;
}

describe("SQL transform: ways out of the query are refused on the \"SQL\" field", () => {
  it("reading local files: read_csv, read_text, read_parquet, glob, also inside a subquery", async () => {
    for (const sql of [
      `SELECT * FROM read_csv(${q(secretCsv)})`,
      `SELECT * FROM read_text(${q(secretCsv)})`,
      `SELECT * FROM read_blob(${q(secretCsv)})`,
      `SELECT * FROM read_parquet(${q(secretParquet)})`,
      `SELECT * FROM ${q(secretCsv)}`,
      `SELECT * FROM glob(${q(join(dir, "*"))})`,
      `SELECT * FROM input WHERE EXISTS (SELECT * FROM read_csv('/etc/passwd'))`,
    ]) {
      const e = await refusedSql(sql, "sql_not_allowed");
      expect(e.message).not.toContain("hunter2");
    }
  });

  it("reading from the network", async () => {
    await refusedSql("SELECT * FROM read_csv('http://127.0.0.1:9/x.csv')", "sql_not_allowed");
  });

  it("COPY … TO writes no file", async () => {
    const out = join(dir, "out.csv");
    await refusedSql(`COPY input TO ${q(out)}`, ["sql_not_a_query", "sql_not_allowed"]);
    await refusedSql(`COPY (SELECT 1) TO ${q(out)} (FORMAT csv)`, ["sql_not_a_query", "sql_not_allowed"]);
    expect(existsSync(out)).toBe(false);
  });

  it("ATTACH, INSTALL, LOAD, SET, PRAGMA, CALL, EXPLAIN, DML", async () => {
    expect((await refusedSql(`ATTACH ${q(join(dir, "x.db"))} AS x`, "sql_not_a_query")).message).toContain("ATTACH");
    expect(existsSync(join(dir, "x.db"))).toBe(false);
    expect((await refusedSql("INSTALL httpfs", "sql_not_a_query")).message).toContain("INSTALL/LOAD");
    await refusedSql("LOAD httpfs", "sql_not_a_query");
    expect((await refusedSql("SET enable_external_access = true", "sql_not_a_query")).message).toContain("SET");
    await refusedSql("SET threads = 1", "sql_not_a_query");
    await refusedSql("PRAGMA enable_profiling", "sql_not_a_query");
    await refusedSql("RESET lock_configuration", "sql_not_a_query");
    await refusedSql("CALL pragma_version()", "sql_not_a_query");
    await refusedSql("EXPLAIN SELECT * FROM input", "sql_not_a_query");
    await refusedSql("INSERT INTO input VALUES (1, 2, 'c', 'F')", "sql_not_a_query");
    await refusedSql("DROP TABLE input", "sql_not_a_query");
  });

  it("CREATE TABLE / VIEW / MACRO is refused, and nothing is there for the next run", async () => {
    for (const sql of [
      "CREATE TABLE kept AS SELECT 1 AS a",
      "CREATE TEMP TABLE kept AS SELECT 1 AS a",
      "CREATE VIEW kept AS SELECT 1 AS a",
      "CREATE MACRO twice(x) AS x * 2",
      "CREATE SEQUENCE seq",
    ])
      expect((await refusedSql(sql, "sql_not_a_query")).message).toContain("CREATE");
    expect((await refusedSql("SELECT * FROM kept", "sql_error")).message).toContain("kept");
    expect((await refusedSql("SELECT twice(age) FROM input", "sql_error")).message).toContain("twice");
    expect((await userError(expression("twice(age)"))).code).toBe("sql_error");
  });

  it("two statements separated by ;", async () => {
    const e = await refusedSql("SELECT * FROM input; SELECT 1", "sql_multiple_statements");
    expect(e.message).toContain("2 statements");
    await refusedSql(`SELECT 1; COPY input TO ${q(join(dir, "two.csv"))}`, "sql_multiple_statements");
    expect(existsSync(join(dir, "two.csv"))).toBe(false);
    // A PIVOT without IN (...) is a CREATE TYPE and a SELECT; with the values listed it is one query.
    await refusedSql("PIVOT input ON sex USING sum(age)", "sql_multiple_statements");
    const { table } = await transform("PIVOT input ON sex IN ('F', 'M') USING sum(age) GROUP BY label ORDER BY label");
    expect(rows(table)).toEqual([{ label: "a", F: 20, M: 50 }, { label: "b", F: 65, M: 35 }]);
  });

  it("a query that runs too long is stopped after the time limit", async () => {
    const t0 = performance.now();
    const e = await refusedSql("SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b", "sql_timeout");
    expect(e.message).toContain("stopped after 1 s");
    expect(e.message).toContain("LATTICE_SQL_TIMEOUT_SECONDS");
    expect(performance.now() - t0).toBeLessThan(TIMEOUT_MS + 4000);
    // The database is still usable afterwards.
    expect((await transform("SELECT count(*)::INTEGER AS n FROM input")).table.getChild("n")!.toJSON()).toEqual([4]);
  });

  it("cancel interrupts a running query", async () => {
    const c = ctx();
    const running = transform("SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b", c);
    setTimeout(() => c.abort(), 100);
    const e = (await running.catch((x: unknown) => x)) as Error;
    expect(e.name).toBe("AbortError");
  });
});

describe("SQL expression column: refusals name \"Expression\"", () => {
  async function refusedExpr(expr: string, code: string): Promise<NodeUserError> {
    const e = await userError(expression(expr));
    expect([e.code, e.field], e.message).toEqual([code, "expression"]);
    return e;
  }
  it("file reads in a subquery, a second statement, a query that runs too long", async () => {
    expect((await refusedExpr(`(SELECT count(*) FROM read_csv(${q(secretCsv)}))`, "sql_not_allowed")).message).toContain('"Expression"');
    await refusedExpr(`(SELECT content FROM read_text(${q(secretCsv)}))`, "sql_not_allowed");
    await refusedExpr(`(SELECT count(*) FROM read_parquet(${q(secretParquet)}))`, "sql_not_allowed");
    await refusedExpr(`1; COPY input TO ${q(join(dir, "e.csv"))}`, "not_an_expression");
    // Closing the parenthesis early still leaves one SELECT: allowed, and it can only read the input.
    const { table } = await expression("age) AS a, (hours");
    expect(table.numRows).toBe(4);
    const e = await refusedExpr("(SELECT sum(a.range * b.range) FROM range(1000000) a, range(1000000) b)", "sql_timeout");
    expect(e.message).toContain('"Expression" was stopped after 1 s');
  });
});

describe("ordinary SQL gives what the main engine gives", () => {
  const queries = [
    "SELECT * FROM input",
    "SELECT label, avg(age) AS mean_age, count(*)::INTEGER AS n FROM input GROUP BY label ORDER BY label",
    "WITH older AS (SELECT * FROM input WHERE age > 30) SELECT sex, sum(hours) AS h FROM older GROUP BY sex ORDER BY sex",
    "FROM input SELECT age * 2 AS double_age ORDER BY age DESC",
    "VALUES (1, 'a'), (2, 'b')",
    "SELECT *, CASE WHEN age >= 65 THEN 'senior' ELSE 'adult' END AS band, row_number() OVER (ORDER BY hours)::INTEGER AS r FROM input",
    "SUMMARIZE input",
  ];
  it.each(queries)("%s", async (sql) => {
    const before = await runtime.tables.sql(sql, { input: people });
    const after = await runtime.tables.userSql(sql, { input: people }, { field: "sql", label: "SQL" });
    expect(after.schema.fields.map((f) => [f.name, String(f.type)])).toEqual(before.schema.fields.map((f) => [f.name, String(f.type)]));
    expect(rows(after)).toEqual(rows(before));
  });
  it("the expression node gives the main engine's column", async () => {
    const { table } = await expression("hours * 52 + age");
    const expected = await runtime.tables.sql(`SELECT *, (hours * 52 + age) AS "x" FROM input`, { input: people });
    expect(rows(table)).toEqual(rows(expected));
  });
});
