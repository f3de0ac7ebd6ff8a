/**
 * DuckDB for SQL that users write (the SQL transform and SQL expression nodes). Not the runtime's main engine:
 * DuckDB SQL can read and write files (`read_csv('/etc/passwd')`, `COPY … TO`), `ATTACH` databases, install
 * extensions, change settings, and leave tables or macros behind in a shared database.
 *
 * Here one in-memory database per runtime is opened with external access off, extension install/autoload off and
 * its configuration locked, so the instance can be kept and reused: a per-query database would cost milliseconds on
 * the serving path, where the SQL expression node replays on every request. Each query gets a fresh connection with
 * its input tables registered as temporary tables (gone when the connection closes), and must be exactly one
 * statement of type SELECT (which covers WITH, FROM-first and VALUES queries): the statement is extracted and
 * prepared by DuckDB itself, and anything else (CREATE, COPY, ATTACH, SET, PRAGMA, LOAD, several statements) is
 * refused before it runs. A SELECT cannot create objects, and with external access off it cannot touch files, so
 * nothing is left for the next query. A time limit interrupts the query.
 */
import { totalmem } from "node:os";
import type { Table } from "apache-arrow";
import { DuckDBInstance, StatementType, type DuckDBConnection, type DuckDBMaterializedResult } from "@duckdb/node-api";
import type { UserSqlOptions } from "../../../nodes/core/context";
import { fail, isUserError } from "../../../nodes/core/errors";
import { registerArrowTable } from "./duckdb-from-arrow";
import { errorText, quoteIdent } from "./duckdb-sql";
import { resultToArrow } from "./duckdb-to-arrow";

export interface UserSqlLimits {
  /** Wall-clock limit per query (statement checks and execution; not the copying of input tables). */
  timeoutMs: number;
  /** DuckDB's `max_memory` for the whole user-SQL database (all queries running at once). */
  memoryMB: number;
}

/**
 * Limits from the environment: `LATTICE_SQL_TIMEOUT_SECONDS` (default 120) and `LATTICE_SQL_MEMORY_MB` (default a
 * quarter of this machine's memory, at least 256).
 */
export function userSqlLimitsFromEnv(env: Record<string, string | undefined> = process.env): UserSqlLimits {
  const num = (v: string | undefined) => (v !== undefined && v.trim() !== "" && Number.isFinite(Number(v)) && Number(v) > 0 ? Number(v) : undefined);
  return {
    timeoutMs: Math.round((num(env.LATTICE_SQL_TIMEOUT_SECONDS) ?? 120) * 1000),
    memoryMB: Math.round(num(env.LATTICE_SQL_MEMORY_MB) ?? Math.max(256, totalmem() / 4 / 2 ** 20)),
  };
}

/**
 * DuckDB settings for a database that runs untrusted SQL: no file system or network (`enable_external_access`), no
 * extensions fetched or loaded behind the query's back, a memory cap, and `lock_configuration` last so that SQL
 * cannot `SET` any of it back. Shared with the code node's `sql()` (sandbox/guest-sql.ts).
 */
export function lockedDownConfig(opts: { memoryMB: number; threads?: number }): Record<string, string> {
  return {
    enable_external_access: "false",
    autoinstall_known_extensions: "false",
    autoload_known_extensions: "false",
    allow_community_extensions: "false",
    allow_unsigned_extensions: "false",
    max_memory: `${Math.max(64, Math.round(opts.memoryMB))}MB`,
    ...(opts.threads ? { threads: String(opts.threads) } : {}),
    lock_configuration: "true",
  };
}

export interface UserSqlEngine {
  run(query: string, tables: Record<string, Table>, opts: UserSqlOptions): Promise<Table>;
  close(): Promise<void>;
}

/** What a refused statement is, in the words a user wrote it. */
const STATEMENT_WORDS: Partial<Record<StatementType, string>> = {
  [StatementType.INSERT]: "INSERT",
  [StatementType.UPDATE]: "UPDATE",
  [StatementType.DELETE]: "DELETE",
  [StatementType.MERGE_INTO]: "MERGE",
  [StatementType.CREATE]: "CREATE",
  [StatementType.CREATE_FUNC]: "CREATE MACRO/FUNCTION",
  [StatementType.ALTER]: "ALTER",
  [StatementType.DROP]: "DROP",
  [StatementType.COPY]: "COPY",
  [StatementType.COPY_DATABASE]: "COPY FROM DATABASE",
  [StatementType.EXPORT]: "EXPORT DATABASE",
  [StatementType.ATTACH]: "ATTACH",
  [StatementType.DETACH]: "DETACH",
  [StatementType.LOAD]: "INSTALL/LOAD",
  [StatementType.EXTENSION]: "an extension statement",
  [StatementType.UPDATE_EXTENSIONS]: "UPDATE EXTENSIONS",
  [StatementType.SET]: "SET/PRAGMA",
  [StatementType.VARIABLE_SET]: "SET VARIABLE",
  [StatementType.PRAGMA]: "PRAGMA",
  [StatementType.CALL]: "CALL",
  [StatementType.EXPLAIN]: "EXPLAIN",
  [StatementType.TRANSACTION]: "a transaction statement",
  [StatementType.PREPARE]: "PREPARE",
  [StatementType.EXECUTE]: "EXECUTE",
  [StatementType.VACUUM]: "VACUUM",
  [StatementType.ANALYZE]: "ANALYZE",
};

/** Open the locked-down database. `close()` when the runtime closes. */
export async function createUserSqlEngine(limits: UserSqlLimits): Promise<UserSqlEngine> {
  const instance = await DuckDBInstance.create(":memory:", lockedDownConfig({ memoryMB: limits.memoryMB }));
  const open = new Set<DuckDBConnection>();
  let closed = false;
  const seconds = limits.timeoutMs / 1000;
  const shownLimit = `${Number.isInteger(seconds) ? seconds : seconds.toFixed(1)} s`;

  async function run(query: string, tables: Record<string, Table>, opts: UserSqlOptions): Promise<Table> {
    if (closed) throw new Error("The user SQL engine was closed.");
    const { field, label, signal } = opts;
    signal?.throwIfAborted();
    const con = await instance.connect();
    open.add(con);
    let timedOut = false;
    let done = false;
    let deadline: ReturnType<typeof setTimeout> | undefined;
    let again: ReturnType<typeof setTimeout> | undefined;
    // Interrupt again until the call unwinds: an interrupt that lands between two steps would otherwise be lost.
    const interrupt = () => {
      if (done) return;
      con.interrupt();
      clearTimeout(again);
      again = setTimeout(interrupt, 100);
    };
    const onAbort = () => interrupt();
    try {
      // Temporary tables belong to this connection: invisible to other queries, dropped when it closes.
      for (const [name, t] of Object.entries(tables)) await registerArrowTable(con, name, t);
      deadline = setTimeout(() => {
        timedOut = true;
        interrupt();
      }, limits.timeoutMs);
      signal?.addEventListener("abort", onAbort, { once: true });
      let result: DuckDBMaterializedResult;
      try {
        const extracted = await con.extractStatements(query);
        if (extracted.count !== 1)
          fail(
            "sql_multiple_statements",
            extracted.count === 0
              ? `"${label}" holds no SQL statement. Write one query, e.g. SELECT * FROM input.`
              : `"${label}" holds ${extracted.count} statements; it must be exactly one query. Remove the ";" and what follows it. (A PIVOT without an IN (...) list of values also counts as two: list the values.)`,
            field,
          );
        const prepared = await extracted.prepare(0);
        try {
          if (prepared.statementType !== StatementType.SELECT) {
            const what = STATEMENT_WORDS[prepared.statementType] ?? "this kind of statement";
            fail(
              "sql_not_a_query",
              `"${label}" may only read the input with a query (SELECT, WITH … SELECT, FROM …, VALUES); ${what} is not allowed here. SQL in a workflow cannot change the database, its settings, files or extensions.`,
              field,
            );
          }
          if (timedOut || signal?.aborted) throw new Error("Interrupted before the query started.");
          result = await prepared.run();
        } finally {
          prepared.destroySync();
        }
      } catch (e) {
        if (signal?.aborted) throw signal.reason;
        if (timedOut)
          fail(
            "sql_timeout",
            `"${label}" was stopped after ${shownLimit}, the time limit for SQL in a workflow. Filter or aggregate earlier, or simplify the query; an administrator can raise LATTICE_SQL_TIMEOUT_SECONDS.`,
            field,
          );
        if (isUserError(e)) throw e;
        throw userSqlError(e, tables, label, field);
      }
      return resultToArrow(result);
    } finally {
      done = true;
      clearTimeout(deadline);
      clearTimeout(again);
      signal?.removeEventListener("abort", onAbort);
      open.delete(con);
      con.closeSync();
    }
  }

  return {
    run,
    async close() {
      if (closed) return;
      closed = true;
      for (const con of open) con.interrupt();
      // Connections close as their queries unwind; the instance after them.
      while (open.size) await new Promise((r) => setTimeout(r, 10));
      instance.closeSync();
    },
  };
}

/** DuckDB's error → a user error on the field; refusals by the lock-down get their own code and advice. */
function userSqlError(e: unknown, tables: Record<string, Table>, label: string, field: string): unknown {
  const text = errorText(e).trim();
  try {
    if (/^Permission Error|disabled (by|through) configuration|configuration has been locked/i.test(text))
      fail(
        "sql_not_allowed",
        `"${label}" tried to reach outside the query (a file, the network, an extension or a setting), which SQL in a workflow may not do on this server. ${text}\nWork only on the input table; load files with the File or Web file nodes.`,
        field,
      );
    const names = Object.keys(tables);
    const hint = names.length ? ` Tables available to the query: ${names.map(quoteIdent).join(", ")}.` : "";
    fail("sql_error", `The SQL in "${label}" failed. ${text}\nFix it and run again.${hint}`, field);
  } catch (err) {
    return err;
  }
}
