/**
 * The heavy runtime behind `ctx.runtime`: DuckDB for tables, TensorFlow.js for learning. Both load lazily,
 * once per process or worker thread (dynamic imports), so a node that needs neither pays nothing.
 */
import type { NodeRuntime, TableEngine, TF } from "../../../nodes/core/context";

export interface ManagedRuntime extends NodeRuntime {
  /** The TensorFlow.js backend in use, once loaded (`wasm`, `tensorflow`, `cpu`...). */
  tfBackend(): string | undefined;
  close(): Promise<void>;
}

export function createNodeRuntime(): ManagedRuntime {
  let engine: Promise<TableEngine & { close(): Promise<void> }> | undefined;
  let backend: string | undefined;
  const getEngine = () => (engine ??= import("./duckdb-engine").then((m) => m.createDuckDbEngine()));
  const tables: TableEngine = {
    readFile: async (path, opts) => (await getEngine()).readFile(path, opts),
    sql: async (q, t) => (await getEngine()).sql(q, t),
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
      if (engine) await (await engine).close();
      engine = undefined;
    },
  };
}
