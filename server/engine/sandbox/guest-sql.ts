/**
 * DuckDB for the guest's `sql()`. Not the runtime's shared TableEngine: DuckDB SQL can read and write files
 * (`read_csv('/etc/passwd')`, `read_text`, `COPY … TO`, `ATTACH`) and install extensions, and a shared database
 * would let one job leave tables or macros for the next. So each job that calls `sql()` gets its own in-memory
 * database with external access off and its configuration locked (a guest cannot `SET` it back), a memory cap,
 * and a wall-clock limit after which the query is interrupted.
 */
import type { Table } from "apache-arrow";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { NodeUserError } from "../../../nodes/core/errors";
import { registerArrowTable } from "../runtime/duckdb-from-arrow";
import { errorText, quoteIdent } from "../runtime/duckdb-sql";
import { resultToArrow } from "../runtime/duckdb-to-arrow";
import { lockedDownConfig } from "../runtime/user-sql";

export interface GuestSql {
  sql(query: string, tables: Record<string, Table>): Promise<Table>;
  close(): void;
}

/** A per-job, locked-down DuckDB; the database is created on the first query. */
export function createGuestSql(opts: { memoryMB: number; timeoutMs: number; signal: AbortSignal }): GuestSql {
  let instance: Promise<DuckDBInstance> | undefined;
  const open = new Set<DuckDBConnection>();
  let closed = false;
  const db = () =>
    (instance ??= DuckDBInstance.create(":memory:", lockedDownConfig({ memoryMB: opts.memoryMB, threads: 1 })));
  return {
    async sql(query, tables) {
      if (closed) throw new Error("the job has ended");
      const con = await (await db()).connect();
      open.add(con);
      const timer = setTimeout(() => con.interrupt(), opts.timeoutMs);
      const onAbort = () => con.interrupt();
      opts.signal.addEventListener("abort", onAbort, { once: true });
      try {
        for (const [name, t] of Object.entries(tables)) await registerArrowTable(con, name, t);
        let result;
        try {
          result = await con.run(query);
        } catch (e) {
          const text = errorText(e).trim();
          const hint = Object.keys(tables).length ? ` Tables available: ${Object.keys(tables).map(quoteIdent).join(", ")}.` : "";
          if (/interrupt/i.test(text)) throw new NodeUserError("code_timeout", `A sql() query ran longer than ${opts.timeoutMs} ms and was stopped.`, { field: "code" });
          throw new Error(`${text}${hint}`);
        }
        return resultToArrow(result);
      } finally {
        clearTimeout(timer);
        opts.signal.removeEventListener("abort", onAbort);
        open.delete(con);
        con.closeSync();
      }
    },
    close() {
      closed = true;
      for (const con of open) con.interrupt();
      void instance?.then((i) => {
        // Connections close as their queries unwind; the instance after them.
        const wait = () => (open.size ? setTimeout(wait, 10) : i.closeSync());
        wait();
      }).catch(() => undefined);
    },
  };
}
