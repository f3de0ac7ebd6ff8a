/**
 * The PostgreSQL source against the real server at 127.0.0.1:5432 (database `test`), with a throwaway table.
 */
import pg from "pg";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { tableInfo } from "../../nodes/core/arrow";
import { parsePgTime } from "../../nodes/sources/pg-columns";
import { maskConnection, maskSecrets, resolveConnection } from "../../nodes/sources/pg-connection";
import postgresQuery, { checkQuery } from "../../nodes/sources/postgres-query";
import { closeTestRuntime, makeContext, userError } from "../helpers/node-context";

const URL_ = "postgres://postgres@127.0.0.1:5432/test";
const T = `lattice_pg_source_${process.pid}_${Date.now()}`;
const admin = new pg.Client({ connectionString: URL_ });

const params = (p: Record<string, unknown>) => postgresQuery.params.parse({ connection: URL_, ...p });
const run = (p: Record<string, unknown>, ctx = makeContext()) => postgresQuery.run({ inputs: {}, params: params(p), ctx });

beforeAll(async () => {
  await admin.connect();
  await admin.query(`CREATE TABLE ${T} (
    id int4, big int8, huge int8, ratio float8, price numeric(10,2), ok boolean, name text, code varchar(5),
    day date, at timestamp, at_tz timestamptz, uid uuid, doc jsonb)`);
  await admin.query(`INSERT INTO ${T} VALUES
    (1, 10, 9007199254740000, 0.5, 12.34, true, 'ann', 'a1', '2024-02-29', '2024-02-29 12:34:56.789123', '2024-02-29 12:00:00+02', '00000000-0000-0000-0000-000000000001', '{"k": 1}'),
    (2, NULL, 1, NULL, NULL, false, NULL, 'b2', NULL, NULL, NULL, NULL, NULL),
    (3, -5, -2, 'NaN', 1e6, NULL, 'çé "q"', NULL, 'infinity', '1970-01-01 00:00:00', '1970-01-01 00:00:00+00', NULL, '[1,2]')`);
  // A function that writes: only the READ ONLY transaction stops a SELECT that calls it.
  await admin.query(`CREATE FUNCTION ${T}_add() RETURNS int LANGUAGE sql AS 'INSERT INTO ${T} (id) VALUES (99) RETURNING id'`);
});
afterAll(async () => {
  await admin.query(`DROP FUNCTION IF EXISTS ${T}_add()`);
  await admin.query(`DROP TABLE IF EXISTS ${T}`);
  await admin.end();
  await closeTestRuntime();
});

describe("postgres-query", () => {
  test("defaults parse; cached only when a cache key is set", async () => {
    const d = postgresQuery.params.parse({});
    expect(d).toMatchObject({ connection: "", sql: "", batchRows: 10_000, maxRows: 5_000_000, timeoutSeconds: 300, cacheKey: "" });
    const cacheable = postgresQuery.cacheable as (p: ReturnType<typeof params>) => boolean;
    expect(cacheable(params({ sql: "SELECT 1" }))).toBe(false);
    expect(cacheable(params({ sql: "SELECT 1", cacheKey: "2026-11-24" }))).toBe(true);
    expect(postgresQuery.infer!({ inputs: {}, params: d })).toEqual({ table: undefined });
  });

  test("reads PostgreSQL types into Arrow columns by the documented rule", async () => {
    const ctx = makeContext();
    const { table } = await run({ sql: `SELECT * FROM ${T} ORDER BY id;` }, ctx);
    expect(tableInfo(table)).toEqual({
      rows: 3,
      columns: [
        { name: "id", dtype: "int" },
        { name: "big", dtype: "int" },
        { name: "huge", dtype: "float" }, // does not fit in 32 bits
        { name: "ratio", dtype: "float" },
        { name: "price", dtype: "float" },
        { name: "ok", dtype: "bool" },
        { name: "name", dtype: "string" },
        { name: "code", dtype: "string" },
        { name: "day", dtype: "date" },
        { name: "at", dtype: "timestamp" },
        { name: "at_tz", dtype: "timestamp" },
        { name: "uid", dtype: "string" },
        { name: "doc", dtype: "string" },
      ],
    });
    const col = (n: string) => table.getChild(n)!.toJSON();
    expect(col("id")).toEqual([1, 2, 3]);
    expect(col("big")).toEqual([10, null, -5]);
    expect(col("huge")).toEqual([9007199254740000, 1, -2]);
    expect(col("ratio")[0]).toBe(0.5);
    expect(col("ratio")[1]).toBeNull();
    expect(Number.isNaN(col("ratio")[2])).toBe(true);
    expect(col("price")).toEqual([12.34, null, 1e6]);
    expect(col("ok")).toEqual([true, false, null]);
    expect(col("name")).toEqual(["ann", null, 'çé "q"']);
    expect(col("day")).toEqual([Date.UTC(2024, 1, 29), null, null]); // infinity → missing, with a warning
    expect(col("at")).toEqual([Date.UTC(2024, 1, 29, 12, 34, 56, 789), null, 0]);
    expect(col("at_tz")).toEqual([Date.UTC(2024, 1, 29, 10, 0, 0), null, 0]);
    expect(col("uid")).toEqual(["00000000-0000-0000-0000-000000000001", null, null]);
    expect(col("doc")).toEqual(['{"k": 1}', null, "[1, 2]"]);
    expect(ctx.logs.some((l) => l.includes('"day"') && l.includes("infinity"))).toBe(true);
    expect(ctx.logs.join("\n")).toContain("127.0.0.1:5432/test");
    expect(ctx.progressCalls.at(-1)).toBe(1);
  });

  test("streams in batches: every row arrives, progress is reported per batch", async () => {
    const ctx = makeContext();
    const { table } = await run({ sql: "SELECT g AS n, g::text AS s FROM generate_series(1, 1050) g", batchRows: 100 }, ctx);
    expect(table.numRows).toBe(1050);
    expect(table.batches.length).toBe(1);
    const n = table.getChild("n")!.toArray() as Int32Array;
    expect(n[0]).toBe(1);
    expect(n[1049]).toBe(1050);
    expect(ctx.progressCalls.length).toBeGreaterThanOrEqual(10);
  });

  test("the row limit stops reading and warns; an exact fit does not warn", async () => {
    const ctx = makeContext();
    const { table } = await run({ sql: "SELECT g FROM generate_series(1, 500) g", batchRows: 100, maxRows: 250 }, ctx);
    expect(table.numRows).toBe(250);
    expect(ctx.logs.some((l) => l.includes("row limit"))).toBe(true);
    const exact = makeContext();
    expect((await run({ sql: "SELECT g FROM generate_series(1, 200) g", batchRows: 100, maxRows: 200 }, exact)).table.numRows).toBe(200);
    expect(exact.logs.some((l) => l.includes("row limit"))).toBe(false);
  });

  test("an empty result keeps its columns", async () => {
    const { table } = await run({ sql: `SELECT id, name FROM ${T} WHERE false` });
    expect(tableInfo(table)).toEqual({ rows: 0, columns: [{ name: "id", dtype: "int" }, { name: "name", dtype: "string" }] });
  });

  test("probe returns the columns and types without rows", async () => {
    const out = await postgresQuery.probe!({ params: params({ sql: `SELECT id, ok, at_tz, doc FROM ${T}` }), ctx: makeContext() });
    expect(out.table!.table).toEqual({
      columns: [
        { name: "id", dtype: "int" },
        { name: "ok", dtype: "bool" },
        { name: "at_tz", dtype: "timestamp" },
        { name: "doc", dtype: "string" },
      ],
    });
  });

  test("writes are refused and the table is unchanged", async () => {
    const cte = await userError(run({ sql: `WITH x AS (INSERT INTO ${T} (id) VALUES (99) RETURNING id) SELECT * FROM x` }));
    expect([cte.code, cte.field]).toEqual(["read_only", "sql"]);
    expect(cte.message).toContain("only reads data");
    const viaFunction = await userError(run({ sql: `SELECT ${T}_add()` }));
    expect([viaFunction.code, viaFunction.field]).toEqual(["read_only", "sql"]);
    expect(viaFunction.message).toContain("read-only transaction");
    const del = await userError(run({ sql: `DELETE FROM ${T}` }));
    expect([del.code, del.field]).toEqual(["not_a_query", "sql"]);
    const smuggled = await userError(run({ sql: `SELECT 1; DROP TABLE ${T}` }));
    expect([smuggled.code, smuggled.field]).toEqual(["one_statement", "sql"]);
    const escape = await userError(run({ sql: `SELECT 1; COMMIT; DELETE FROM ${T}` }));
    expect(escape.code).toBe("one_statement");
    const fn = await userError(run({ sql: `SELECT nextval('lattice_no_such_seq')` }));
    expect(fn.code).toBe("sql_error");
    expect((await admin.query(`SELECT count(*)::int AS n FROM ${T}`)).rows[0].n).toBe(3);
  });

  test("checkQuery skips comments and parentheses, strips trailing semicolons", () => {
    expect(checkQuery("  -- top rows\n/* c */ (SELECT 1) ;; ")).toBe("-- top rows\n/* c */ (SELECT 1)");
    expect(checkQuery("with a as (select 1) select * from a")).toContain("with");
    expect(() => checkQuery("update t set x = 1")).toThrow(/only reads/);
  });

  test("the statement timeout stops a slow query", async () => {
    const e = await userError(run({ sql: "SELECT pg_sleep(30)", timeoutSeconds: 1 }));
    expect([e.code, e.field]).toEqual(["query_timeout", "timeoutSeconds"]);
    expect(e.message).toContain("1 seconds");
  });

  test("SQL errors name the problem; duplicate column names are refused", async () => {
    const e = await userError(run({ sql: "SELECT * FROM lattice_no_such_table" }));
    expect([e.code, e.field]).toEqual(["sql_error", "sql"]);
    expect(e.message).toContain("lattice_no_such_table");
    const dup = await userError(run({ sql: "SELECT 1 AS a, 2 AS a" }));
    expect([dup.code, dup.field]).toEqual(["duplicate_column", "sql"]);
    const none = await userError(run({ sql: "SELECT" }));
    expect(none.code).toBe("no_columns");
    expect((await userError(run({ sql: "  ;" }))).code).toBe("no_query");
  });

  test("connection failures are user errors that never show the password", async () => {
    const secret = "s3cr3t-pw";
    const refused = await userError(run({ connection: `postgres://postgres:${secret}@127.0.0.1:1/test`, sql: "SELECT 1" }));
    expect([refused.code, refused.field]).toEqual(["connection_failed", "connection"]);
    expect(refused.message).toContain("127.0.0.1:1/test");
    expect(refused.message).not.toContain(secret);
    const noDb = await userError(run({ connection: `postgres://postgres:${secret}@127.0.0.1:5432/lattice_no_such_db`, sql: "SELECT 1" }));
    expect(noDb.code).toBe("connection_failed");
    expect(noDb.message).toContain("lattice_no_such_db");
    expect(noDb.message).not.toContain(secret);
    expect((await userError(run({ connection: "", sql: "SELECT 1" }))).code).toBe("no_connection");
  });

  test("env:NAME reads the connection string from the environment", async () => {
    process.env.LATTICE_TEST_PG_URL = URL_;
    const { table } = await run({ connection: "env:LATTICE_TEST_PG_URL", sql: "SELECT 7 AS x" });
    expect(table.getChild("x")!.toJSON()).toEqual([7]);
    const e = await userError(run({ connection: "env:LATTICE_NO_SUCH_VAR", sql: "SELECT 1" }));
    expect([e.code, e.field]).toEqual(["connection_env_missing", "connection"]);
    expect(() => resolveConnection("  ", {})).toThrow(/No database/);
  });

  test("cancel between batches stops the read", async () => {
    const ctx = makeContext();
    ctx.progress = (f, message) => {
      ctx.progressCalls.push(f);
      if (message?.includes("rows")) ctx.abort();
    };
    const e = await run({ sql: "SELECT g FROM generate_series(1, 100000) g", batchRows: 100 }, ctx).catch((x: unknown) => x);
    expect((e as Error).name).toBe("AbortError");
    const before = makeContext();
    before.abort();
    expect(((await run({ sql: "SELECT 1" }, before).catch((x: unknown) => x)) as Error).name).toBe("AbortError");
  });

  test("masking hides passwords in URL and key=value forms", () => {
    expect(maskConnection("postgres://bob:hunter22@db:5432/x")).toBe("postgres://bob:****@db:5432/x");
    expect(maskConnection("host=db password='a b' user=bob")).toBe("host=db password=**** user=bob");
    expect(maskSecrets("auth failed for hunter22 at postgres://bob:hunter22@db/x", "postgres://bob:hunter22@db/x")).toBe(
      "auth failed for **** at postgres://bob:****@db/x",
    );
    expect(parsePgTime("2024-01-01 00:00:00-05:30")).toBe(Date.UTC(2024, 0, 1, 5, 30));
    expect(parsePgTime("-infinity")).toBeNull();
  });
});
