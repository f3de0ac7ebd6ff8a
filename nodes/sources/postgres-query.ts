/**
 * PostgreSQL query source: one SELECT against a PostgreSQL database → a table.
 *
 * Read-only by construction: the query runs inside a `READ ONLY` transaction that is always rolled back, as the
 * body of a server-side cursor (`DECLARE … CURSOR FOR <query>`, so it must be a single SELECT/WITH/VALUES/TABLE
 * statement), sent with the extended protocol (which refuses a second statement smuggled after a `;`), with a
 * statement timeout. Rows are fetched `batchRows` at a time (`FETCH FORWARD`) and appended to Arrow columns, so
 * memory holds the growing columns and one batch of text rows, never the whole result as row objects.
 * pg-cursor is not a dependency; DECLARE/FETCH is what it does on the wire anyway.
 *
 * Types: see pg-columns.ts. Secrets: see pg-connection.ts (`env:NAME`, masking).
 *
 * Caching: a database changes under the same query, and there is no cheap, general way to tell. So by default the
 * node is re-run every time (not cached). Set "Cache key" (e.g. a date, or a data version)
 * to have results reused while the key, the connection and the query stay the same.
 */
import type { Client, FieldDef } from "pg";
import { Table } from "apache-arrow";
import { z } from "zod";
import { defineNode } from "../core/define-node";
import { fail, isUserError } from "../core/errors";
import { port } from "../core/ports";
import type { ColumnInfo } from "../core/schema";
import { PgColumn, pgDType } from "./pg-columns";
import { describeTarget, maskSecrets, resolveConnection } from "./pg-connection";

const params = z.object({
  connection: z
    .string()
    .default("")
    .meta({
      title: "Connection",
      description:
        "Where the database is: postgres://user:password@host:5432/database. Write env:NAME instead to read it from the server's environment variable NAME, so the password is not saved in the workflow. Use a database user that may only read.",
    }),
  sql: z
    .string()
    .default("")
    .meta({ ui: "code", title: "SQL query", description: "One SELECT query. Its result becomes the table. Queries that change data are refused." }),
  batchRows: z
    .number()
    .int()
    .min(100)
    .max(1_000_000)
    .default(10_000)
    .meta({ title: "Rows per batch", description: "Rows fetched from the database at a time. Larger is faster, smaller uses less memory." }),
  maxRows: z
    .number()
    .int()
    .min(0)
    .default(5_000_000)
    .meta({ title: "Row limit", description: "Stop after this many rows (a warning says so). 0 means no limit." }),
  timeoutSeconds: z
    .number()
    .min(1)
    .max(86_400)
    .default(300)
    .meta({ title: "Time limit (seconds)", description: "The database stops the query if one step of it takes longer than this." }),
  cacheKey: z
    .string()
    .default("")
    .meta({
      title: "Cache key",
      description:
        "Leave empty to read the database again on every run. Enter any text (for example today's date, or a data version) to reuse the last result for as long as this text, the connection and the query stay the same.",
    }),
});
type Params = z.output<typeof params>;

const CURSOR = "lattice_source_cursor";
const CONNECT_TIMEOUT_MS = 10_000;
/** Words a query may start with: all of them can be a cursor's body. */
const QUERY_STARTS = new Set(["select", "with", "values", "table"]);

/** The query without trailing semicolons, or a user error when it is not a single read query. */
export function checkQuery(sql: string): string {
  const text = sql.trim().replace(/[;\s]+$/, "");
  if (!text) fail("no_query", 'The "SQL query" setting is empty. Write a SELECT query, for example: SELECT * FROM customers.', "sql");
  // First word after comments and opening parentheses.
  const word = /^(?:\s+|--[^\n]*\n?|\/\*[\s\S]*?\*\/|\()*([A-Za-z]+)/.exec(text)?.[1]?.toLowerCase();
  if (!word || !QUERY_STARTS.has(word))
    fail(
      "not_a_query",
      `The SQL query starts with "${word ?? text.slice(0, 20)}", but this node only reads: write one query that starts with SELECT, WITH, VALUES or TABLE.`,
      "sql",
    );
  return text;
}

/** pg's error → a user error with a masked message, naming the setting to fix. Other errors pass through. */
function translate(e: unknown, conn: string, prm: Params): never {
  if (isUserError(e)) throw e;
  const err = e as { code?: string; message?: string; position?: string };
  const msg = maskSecrets(err.message ?? String(e), conn);
  const code = err.code ?? "";
  const where = describeTarget(conn);
  if (code === "25006" || msg.includes("data-modifying"))
    fail("read_only", `The query tried to change the database (${msg}). This node only reads data: use a SELECT query, and change data with a database tool instead.`, "sql");
  if (code === "57014")
    fail("query_timeout", `The query took longer than the time limit of ${prm.timeoutSeconds} seconds and was stopped. Raise "Time limit", or make the query cheaper (filter rows, add an index).`, "timeoutSeconds");
  if (msg.includes("multiple commands"))
    fail("one_statement", "The SQL holds more than one statement. This node runs exactly one query: remove everything after the first ;.", "sql");
  if (/^(28|3D|08)/.test(code) || /ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|timeout expired|Connection terminated|getaddrinfo|password|SSL/i.test(msg))
    fail("connection_failed", `Could not connect to the database at ${where}: ${msg}. Check the host, port, database name, user and password in the "Connection" setting, and that the database server is running.`, "connection");
  if (/^(42|22|0A|2B|P0)/.test(code)) {
    const at = err.position ? ` (near character ${err.position} of the query)` : "";
    fail("sql_error", `The database rejected the query: ${msg}${at}. Fix the SQL and run again.`, "sql");
  }
  throw new Error(`PostgreSQL error at ${where}: ${msg}`);
}

/** Connects, opens a read-only transaction with a cursor over the query, hands it to `body`, always rolls back. */
async function withCursor<T>(prm: Params, signal: AbortSignal | undefined, body: (client: Client, sql: string) => Promise<T>): Promise<T> {
  const sql = checkQuery(prm.sql);
  const conn = resolveConnection(prm.connection, globalThis.process?.env ?? {});
  const pg = (await import(/* webpackIgnore: true */ /* turbopackIgnore: true */ "pg")).default;
  const client = new pg.Client({ connectionString: conn, connectionTimeoutMillis: CONNECT_TIMEOUT_MS, application_name: "lattice" });
  client.on("error", () => undefined); // a dropped connection surfaces through the pending query instead
  // Cancel: closing the socket ends the pending FETCH; the server rolls the transaction back. pg leaves a query
  // sent after end() pending forever, so nothing is sent once the signal fired.
  let ending: Promise<void> | undefined;
  const end = () => (ending ??= client.end().catch(() => undefined));
  const onAbort = () => void end();
  let connected = false;
  try {
    signal?.throwIfAborted();
    signal?.addEventListener("abort", onAbort, { once: true });
    await client.connect();
    connected = true;
    await client.query("BEGIN TRANSACTION READ ONLY");
    await client.query(`SET LOCAL statement_timeout = ${Math.round(prm.timeoutSeconds * 1000)}`);
    await client.query("SET LOCAL TimeZone = 'UTC'");
    // Extended protocol: PostgreSQL refuses a prepared statement holding several commands.
    await client.query({ text: `DECLARE ${CURSOR} NO SCROLL CURSOR FOR ${sql}`, queryMode: "extended" } as never);
    return await body(client, sql);
  } catch (e) {
    signal?.throwIfAborted();
    return translate(e, conn, prm);
  } finally {
    signal?.removeEventListener("abort", onAbort);
    if (connected && !ending) await client.query("ROLLBACK").catch(() => undefined);
    await end();
  }
}

/** Every value as PostgreSQL's text form (no Date/number conversion by pg); rows as arrays. */
const TEXT_TYPES = { getTypeParser: () => (v: string) => v };

async function fetchBatch(client: Client, n: number): Promise<{ fields: FieldDef[]; rows: Array<Array<string | null>> }> {
  return client.query({ text: `FETCH FORWARD ${n} FROM ${CURSOR}`, rowMode: "array", types: TEXT_TYPES } as never);
}

function columnsOf(fields: FieldDef[]): ColumnInfo[] {
  return fields.map((f) => ({ name: f.name, dtype: pgDType(f.dataTypeID) }));
}

function checkUniqueNames(fields: FieldDef[]): void {
  const seen = new Set<string>();
  for (const f of fields) {
    if (seen.has(f.name))
      fail("duplicate_column", `The query returns two columns named "${f.name}". Give each column its own name with AS, e.g. SELECT a.id AS customer_id, b.id AS order_id.`, "sql");
    seen.add(f.name);
  }
}

export default defineNode({
  kind: "sources/postgres-query",
  version: 1,
  title: "PostgreSQL query",
  category: "Sources",
  description:
    "Reads a table from a PostgreSQL database with a SQL query you write (SELECT …). It only reads: queries that would change the database are refused. Numbers, yes/no values, dates and times keep their types; other values come as text.",
  inputs: {},
  outputs: { table: port.table({ label: "Table" }) },
  params,
  infer: () => ({ table: undefined }),
  // Columns and types without reading rows: the cursor's row description comes with an empty FETCH.
  async probe({ params: prm }) {
    return withCursor(prm, undefined, async (client) => {
      const { fields } = await fetchBatch(client, 0);
      checkUniqueNames(fields);
      return { table: { table: { columns: columnsOf(fields) } } };
    });
  },
  async run({ params: prm, ctx }) {
    ctx.progress(0.02, "Connecting");
    const table = await withCursor(prm, ctx.signal, async (client) => {
      const target = describeTarget(resolveConnection(prm.connection, globalThis.process?.env ?? {}));
      ctx.log(`Reading from ${target}.`);
      let columns: PgColumn[] | undefined;
      let rows = 0;
      let truncated = false;
      for (let batch = 1; ; batch++) {
        ctx.signal.throwIfAborted();
        const want = prm.maxRows > 0 ? Math.min(prm.batchRows, prm.maxRows - rows) : prm.batchRows;
        const res = await fetchBatch(client, want);
        if (!columns) {
          checkUniqueNames(res.fields);
          columns = res.fields.map((f) => new PgColumn(f.name, f.dataTypeID));
        }
        for (let c = 0; c < columns.length; c++) {
          const col = columns[c]!;
          for (const r of res.rows) col.push(r[c]!);
        }
        rows += res.rows.length;
        if (res.rows.length < want) break;
        if (prm.maxRows > 0 && rows >= prm.maxRows) {
          truncated = (await fetchBatch(client, 1)).rows.length > 0;
          break;
        }
        // The total is unknown until the cursor runs dry: progress creeps towards 0.9 as batches arrive.
        ctx.progress(0.9 - 0.85 / (1 + batch / 4), `${rows.toLocaleString("en")} rows`);
      }
      if (truncated) ctx.log(`Stopped at the row limit of ${prm.maxRows} rows; the query returns more. Raise "Row limit" (0 = no limit) to read them all.`, "warn");
      for (const col of columns!) if (col.unreadable) ctx.log(`Column "${col.name}": ${col.unreadable} date/time values could not be read (e.g. infinity or BC dates) and are left missing.`, "warn");
      return new Table(Object.fromEntries(columns!.map((c) => [c.name, c.vector()])));
    });
    if (table.numCols === 0) fail("no_columns", "The query returns no columns. Select at least one column.", "sql");
    ctx.log(`Read ${table.numRows} rows and ${table.numCols} columns.`);
    ctx.metric("rows", table.numRows);
    ctx.progress(1);
    return { table };
  },
  resources: { heavy: true },
  // Outside data with no cheap identity: cached only when the user names a version in "Cache key" (a param,
  // so it is part of the cache key already).
  cacheable: (prm) => prm.cacheKey.trim() !== "",
});
