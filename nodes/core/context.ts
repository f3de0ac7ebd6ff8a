/**
 * What a node's run() may touch. Heavy runtime dependencies (DuckDB, TensorFlow.js) are reached through
 * `ctx.runtime` so that nodes/ stays importable by the browser (palette, forms, connect-time checks).
 */
import type { Table } from "apache-arrow";

export type LogLevel = "info" | "warn" | "error";

/** DuckDB-backed table engine. All methods return Arrow tables; whole tables never become row objects. */
export interface TableEngine {
  /** Read CSV, Parquet or JSON with DuckDB's readers. `format` defaults to the file extension. */
  readFile(path: string, opts?: ReadFileOptions): Promise<Table>;
  /** Run SQL where each entry of `tables` is visible as a view with that name. */
  sql(query: string, tables?: Record<string, Table>): Promise<Table>;
  /** Write a table as CSV/Parquet/JSON through DuckDB's writers. */
  writeFile(table: Table, path: string, format: "csv" | "parquet" | "json"): Promise<void>;
}

export interface ReadFileOptions {
  format?: "csv" | "parquet" | "json";
  /** Strings that mean "missing" in CSV input, e.g. `?` in the UCI Adult file. */
  nullStrings?: string[];
  /** Read at most this many rows (previews, schema probes). */
  limit?: number;
}

/** The subset of `@tensorflow/tfjs` nodes use; typed as the real module. */
export type TF = typeof import("@tensorflow/tfjs");

export interface NodeRuntime {
  tables: TableEngine;
  /** TensorFlow.js with the best backend that loads here (tfjs-node-gpu → tfjs-node → wasm → cpu). */
  tf(): Promise<TF>;
}

/** Artifact IO for nodes that deal in files beyond their ports (uploads, exported reports). */
export interface ArtifactIO {
  /** Absolute path for a user-given path or upload reference (relative paths resolve against the workflow). */
  resolvePath(path: string): string;
  put(bytes: Uint8Array): Promise<string>;
  get(hash: string): Promise<Uint8Array>;
}

export interface RunContext {
  runId: string;
  nodeId: string;
  /** Aborted when the user cancels the run; long loops must check it. */
  signal: AbortSignal;
  /** Fraction in [0, 1]. Throttled by the engine; call freely. */
  progress(fraction: number, message?: string): void;
  log(message: string, level?: LogLevel): void;
  /** A named value; with `step` it forms a series (e.g. a learning curve per epoch). */
  metric(name: string, value: number, step?: number): void;
  runtime: NodeRuntime;
  artifacts: ArtifactIO;
}

/** Context for design-time probes (server side only): read a file's schema without running the graph. */
export interface ProbeContext {
  runtime: NodeRuntime;
  artifacts: ArtifactIO;
}
