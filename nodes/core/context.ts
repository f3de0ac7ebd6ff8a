/**
 * What a node's run() may touch. Heavy runtime dependencies (DuckDB, TensorFlow.js) are reached through
 * `ctx.runtime` so that nodes/ stays importable by the browser (palette, forms, connect-time checks).
 */
import type { Table } from "apache-arrow";
import type { NodeErrorInfo } from "./errors";
import type { PortType } from "./ports";
import type { TableInfo } from "./schema";
import type { PortValue, PortValueMap } from "./values";

export type LogLevel = "info" | "warn" | "error";

/** DuckDB-backed table engine. All methods return Arrow tables; whole tables never become row objects. */
export interface TableEngine {
  /** Read CSV, Parquet or JSON with DuckDB's readers. `format` defaults to the file extension. */
  readFile(path: string, opts?: ReadFileOptions): Promise<Table>;
  /**
   * Run SQL that Lattice itself generates, where each entry of `tables` is visible as a table with that name.
   * Full DuckDB (files, settings): never pass SQL a user wrote here; use {@link TableEngine.userSql}.
   */
  sql(query: string, tables?: Record<string, Table>): Promise<Table>;
  /**
   * Run SQL a user wrote (the SQL nodes) in a locked-down DuckDB: one read-only query (SELECT, WITH, FROM, VALUES),
   * no files, network, extensions or settings, nothing kept between calls, and a time limit. Refusals and DuckDB
   * errors are user errors on `opts.field`.
   */
  userSql(query: string, tables: Record<string, Table>, opts: UserSqlOptions): Promise<Table>;
  /** Write a table as CSV/Parquet/JSON through DuckDB's writers. */
  writeFile(table: Table, path: string, format: "csv" | "parquet" | "json"): Promise<void>;
}

export interface UserSqlOptions {
  /** The node's param the SQL came from: errors belong to it. */
  field: string;
  /** That param's title as the form shows it ("SQL", "Expression"), for messages. */
  label: string;
  /** Cancels the query (the run's signal). */
  signal?: AbortSignal;
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
  /**
   * Child tasks: fan work out (e.g. one tuning trial each) to run in parallel, on threads or queued workers.
   * Every engine (in process, worker threads, queue workers, the CLI) provides it; contexts made outside the
   * engine (a published endpoint scoring a pipeline, bare test contexts) may not.
   */
  subtasks?: Subtasks;
}

/** A stored port value a child task can take as input (the engine's ArtifactRef: content hash + type). */
export interface TaskArtifact {
  hash: string;
  type: PortType;
  size: number;
  table?: TableInfo;
}

/** One child task: a registered node kind (usually an `internal` one) run with these params and inputs. */
export interface SubtaskSpec {
  kind: string;
  /** Parsed with the kind's params schema (defaults fill in), so a bad value fails the child with a clear error. */
  params: Record<string, unknown>;
  inputs: Record<string, TaskArtifact>;
}

/** How one child task ended. `index` numbers the node's child tasks from 0 in the order they were asked for. */
export type SubtaskOutcome =
  | { ok: true; index: number; outputs: Record<string, TaskArtifact>; metrics: Record<string, number> }
  | { ok: false; index: number; error: NodeErrorInfo };

/**
 * Child tasks of a running node. In process they run in parallel on the worker-thread pool; in queue mode each
 * is its own BullMQ job (id: run id / node id / child index) on its kind's pool queue. Children are numbered in
 * the order the node asks for them, so a node must ask deterministically (same params and inputs, same
 * children): in queue mode a node waiting for a batch gives its worker slot back and is run again from the
 * start when the batch is done, and earlier batches then return their stored results at once
 * (docs/architecture.md, "Child tasks"). Events the re-run repeats are not shown twice.
 */
export interface Subtasks {
  /** Store a value so that child tasks can take it as an input. */
  put<T extends PortType>(type: T, value: PortValueMap[T]): Promise<TaskArtifact>;
  /** Read a child's output. */
  load(ref: TaskArtifact): Promise<PortValue>;
  /**
   * Run a batch of children, yielding each outcome as it finishes (in queue mode: all at once, when the whole
   * batch is done). A failed child is an outcome, not an exception; Cancel aborts every child.
   */
  runBatch(specs: SubtaskSpec[]): AsyncIterable<SubtaskOutcome>;
  /** One child; its failure is rethrown (a user error stays a user error). */
  run(spec: SubtaskSpec): Promise<Extract<SubtaskOutcome, { ok: true }>>;
  /**
   * False once `limitMs` have passed since the node first started, for a time budget checked before each batch.
   * Always true when the next batch was already started by an earlier run of this node (queue mode), so a
   * re-run makes the same decisions as the first.
   */
  withinTime(limitMs: number): boolean;
}

/** Context for design-time probes (server side only): read a file's schema without running the graph. */
export interface ProbeContext {
  runtime: NodeRuntime;
  artifacts: ArtifactIO;
}
