/**
 * The heavy runtime behind `ctx.runtime`: DuckDB for tables, TensorFlow.js for learning. Both load lazily,
 * once per process or worker thread (dynamic imports), so a node that needs neither pays nothing.
 *
 * Two DuckDB databases: the main engine for the SQL Lattice generates (file reading, previews, writing), and a
 * locked-down one for SQL users write (user-sql.ts), opened on the first user query and kept for the next ones.
 */
import type { NodeRuntime, TableEngine, TF } from "../../../nodes/core/context";
import type { DuckDbEngine } from "./duckdb-engine";
import type { UserSqlEngine, UserSqlLimits } from "./user-sql";

export interface ManagedRuntime extends NodeRuntime {
  /** The TensorFlow.js backend in use, once loaded (`wasm`, `tensorflow`, `cpu`...). */
  tfBackend(): string | undefined;
  close(): Promise<void>;
}

export interface NodeRuntimeOptions {
  /** Limits for user SQL; default from LATTICE_SQL_TIMEOUT_SECONDS / LATTICE_SQL_MEMORY_MB (user-sql.ts). */
  userSql?: Partial<UserSqlLimits>;
}

export function createNodeRuntime(opts: NodeRuntimeOptions = {}): ManagedRuntime {
  let engine: Promise<DuckDbEngine> | undefined;
  let userSql: Promise<UserSqlEngine> | undefined;
  let backend: string | undefined;
  const getEngine = () => (engine ??= import("./duckdb-engine").then((m) => m.createDuckDbEngine()));
  const getUserSql = () =>
    (userSql ??= import("./user-sql").then((m) => m.createUserSqlEngine({ ...m.userSqlLimitsFromEnv(), ...opts.userSql })));
  const tables: TableEngine = {
    readFile: async (path, o) => (await getEngine()).readFile(path, o),
    sql: async (q, t) => (await getEngine()).sql(q, t),
    userSql: async (q, t, o) => (await getUserSql()).run(q, t, o),
    writeFile: async (t, path, format) => (await getEngine()).writeFile(t, path, format),
  };
  return {
    tables,
    async tf(): Promise<TF> {
      const r = await (await import("./tf-backend")).loadTf();
      backend = r.backend;
      return r.tf;
    },
    tfBackend: () => backend,
    async close() {
      const [e, u] = [engine, userSql];
      engine = userSql = undefined;
      if (e) await (await e).close();
      if (u) await (await u).close();
    },
  };
}
