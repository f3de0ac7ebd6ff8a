/**
 * TypeScript declarations for a code node's editor and type check (issue #6): the helper API the sandbox
 * offers (server/engine/sandbox/prelude.ts: Table, table(), sql(), console, ctx) and, per node, its inputs
 * (a row interface per table input, from the columns and dtypes that reach it), params and outputs.
 * Pure strings: the browser hands them to Monaco (addExtraLib), the server to the TypeScript compiler.
 */
import type { DType, PortInfo } from "../core/schema";
import type { InputDecl, OutputDecl, ParamDecl } from "./declarations";

/** File names both sides use, so diagnostics read the same in Monaco and on the server. */
export const API_LIB_FILE = "lattice-api.d.ts";
export const NODE_LIB_FILE = "lattice-node.d.ts";

/** Compiler options for user code: what the sandbox runs (ES2022, no DOM), strict except implicit any. */
export const CODE_COMPILER_OPTIONS = {
  target: "ES2022",
  lib: ["es2022"],
  module: "ESNext",
  strict: true,
  // Code written before typed inputs existed has unannotated parameters; keep it valid.
  noImplicitAny: false,
  noEmit: true,
  isolatedModules: true,
} as const;

/** The sandbox's helper API. Kept next to prelude.ts's behaviour: see test/sandbox/code-types.test.ts. */
export const API_DTS = String.raw`/** A value in a table cell. Numbers, dates (ms since 1970) and timestamps are numbers. */
type CellValue = number | string | boolean | null;
/** A row whose columns are not known at design time (input not connected yet, or a sql() result). */
type AnyRow = Record<string, any>;
/** Column values: a typed array for numbers without nulls, otherwise an array with nulls. */
interface ColumnValues<T> extends Iterable<T> {
  readonly length: number;
  readonly [index: number]: T;
  reduce<U>(fn: (acc: U, value: T, index: number) => U, initial: U): U;
  forEach(fn: (value: T, index: number) => void): void;
  some(fn: (value: T, index: number) => unknown): boolean;
  every(fn: (value: T, index: number) => unknown): boolean;
  find(fn: (value: T, index: number) => unknown): T | undefined;
  findIndex(fn: (value: T, index: number) => unknown): number;
  indexOf(value: T): number;
  includes(value: T): boolean;
  join(separator?: string): string;
}
type AggOp = "count" | "sum" | "mean" | "min" | "max" | "first" | "last";
type AggSpec<R> = Record<string, readonly [keyof R & string, AggOp] | "count">;
type AggResult<R, S> = {
  [O in keyof S]: S[O] extends readonly [infer C, infer Op]
    ? Op extends "count" | "sum" ? number : Op extends "mean" ? number | null : C extends keyof R ? R[C] | null : CellValue
    : number;
};
type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** An immutable columnar table. Methods return new tables; columns you do not touch are never copied. */
interface Table<R extends object = AnyRow> {
  readonly numRows: number;
  readonly columnNames: Array<keyof R & string>;
  has(name: string): boolean;
  /** A fresh copy of a column's values: a typed array for numbers without nulls, otherwise an array with nulls. */
  column<K extends keyof R & string>(name: K): ColumnValues<R[K]>;
  /** A column as Float64Array; nulls become NaN, booleans 0/1. Throws for text columns. */
  numbers(name: keyof R & string): Float64Array;
  select<K extends keyof R & string>(names: K[]): Table<Simplify<Pick<R, K>>>;
  select<K extends keyof R & string>(...names: K[]): Table<Simplify<Pick<R, K>>>;
  drop<K extends keyof R & string>(names: K[]): Table<Simplify<Omit<R, K>>>;
  drop<K extends keyof R & string>(...names: K[]): Table<Simplify<Omit<R, K>>>;
  rename(mapping: Partial<Record<keyof R & string, string>>): Table<AnyRow>;
  /** Adds or replaces a column from values or from fn(row, index). */
  withColumn<N extends string, V>(name: N, values: ArrayLike<V> | ((row: R, index: number) => V)): Table<Simplify<Omit<R, N> & Record<N, V>>>;
  /** Rows where pred(row, index) is truthy. */
  filter(pred: (row: R, index: number) => unknown): Table<R>;
  /** Rows at the given indices, in that order. */
  take(indices: ArrayLike<number>): Table<R>;
  /** The first n rows (default 5). */
  head(n?: number): Table<R>;
  /** A new table from fn(row, index) → object per row. */
  map<O extends object>(fn: (row: R, index: number) => O): Table<O>;
  /** Row i as a plain object. */
  row(index: number): R;
  /** Every row as a plain object (costly on large tables; prefer columns). */
  rows(): R[];
  groupBy<K extends keyof R & string>(keys: K[]): GroupBy<R, K>;
  groupBy<K extends keyof R & string>(...keys: K[]): GroupBy<R, K>;
  toString(): string;
}
interface GroupBy<R extends object, K extends keyof R> {
  /** spec: { outName: [column, "sum" | "mean" | "min" | "max" | "count" | "first" | "last"] } or "count". */
  agg<const S extends AggSpec<R>>(spec: S): Table<Simplify<Pick<R, K> & AggResult<R, S>>>;
  /** Rows per group, in a column called name (default "count"). */
  count<N extends string = "count">(name?: N): Table<Simplify<Pick<R, K> & Record<N, number>>>;
}
declare const Table: {
  /** A table from an array of objects; missing keys are null. */
  fromRows<O extends object>(rows: O[]): Table<O>;
};
/** A table from columns: { name: values }. Every column must have the same length. */
declare function table<C extends Record<string, ArrayLike<unknown>>>(columns: C): Table<{ [K in keyof C]: C[K] extends ArrayLike<infer V> ? V : never }>;
/**
 * SQL (DuckDB) over tables: each entry of tables is a view with that name (default: the node's table inputs,
 * e.g. SELECT * FROM a). No files or network.
 */
declare function sql(query: string, tables?: Record<string, Table<any>>): Promise<Table<AnyRow>>;
/** Lines go to the node's log. */
declare const console: {
  log(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
  debug(...args: unknown[]): void;
};
/** The run this code belongs to, and its side channels. */
interface RunCtx {
  readonly runId: string;
  readonly nodeId: string;
  /** A line in the node's log. */
  log(message: string, level?: "info" | "warn" | "error"): void;
  /** Progress on the node's face: fraction 0..1 and an optional message. */
  progress(fraction: number, message?: string): void;
  /** A metric; with step, a point on the node's live chart. */
  metric(name: string, value: number, step?: number): void;
}
/** What a metrics output holds: { name: number } or { values: { name: number }, details }. */
type MetricsOutput = Record<string, number | null> | { values: Record<string, number | null>; details?: Record<string, unknown> };
/** What a metrics input holds. */
interface MetricsInput { values: Record<string, number | null>; details?: Record<string, unknown> }
type ScalarOutput = number | string | boolean;
`;

const ROW_TYPE: Record<DType, string> = {
  float: "number | null",
  int: "number | null",
  bool: "boolean | null",
  string: "string | null",
  date: "number | null",
  timestamp: "number | null",
  unknown: "CellValue",
};

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;
const key = (name: string) => (IDENT.test(name) ? name : JSON.stringify(name));
const pascal = (name: string) => name.replace(/(^|_)([a-z0-9])/g, (_, __, c: string) => c.toUpperCase()).replace(/^[^A-Za-z_$]/, "_$&");

const PORT_TYPE: Record<string, string> = { table: "Table", metrics: "MetricsInput", scalar: "ScalarOutput" };
const OUT_TYPE: Record<string, string> = { table: "Table<any>", metrics: "MetricsOutput", scalar: "ScalarOutput" };

export interface NodeTypesInput {
  inputs: InputDecl[];
  outputs: OutputDecl[];
  parameters: ParamDecl[];
  /** Design-time schema arriving at each input (undefined: not connected or unknown). */
  infos: Record<string, PortInfo | undefined>;
}

/** The declarations for one code node: `XRow` per table input, `Inputs`, `Params`, `Outputs`, `RunArgs`. */
export function nodeDts(n: NodeTypesInput): string {
  const lines: string[] = [];
  const used = new Set<string>();
  const inputFields: string[] = [];
  for (const port of n.inputs) {
    let type = PORT_TYPE[port.type] ?? "unknown";
    if (port.type === "table") {
      let rowName = `${pascal(port.name)}Row`;
      for (let i = 2; used.has(rowName); i++) rowName = `${pascal(port.name)}Row${i}`;
      used.add(rowName);
      const cols = n.infos[port.name]?.table?.columns;
      if (cols) {
        lines.push(`/** A row of input "${port.name}" (${cols.length} column${cols.length === 1 ? "" : "s"}, from the schema that reaches it). */`);
        lines.push(`interface ${rowName} {`);
        for (const c of cols) lines.push(`  /** ${c.dtype}${c.role ? `, ${c.role}` : ""} */\n  ${key(c.name)}: ${ROW_TYPE[c.dtype] ?? "CellValue"};`);
        lines.push("}");
      } else {
        lines.push(`/** A row of input "${port.name}": its columns are not known yet (connect it, or run the upstream node). */`);
        lines.push(`type ${rowName} = AnyRow;`);
      }
      type = `Table<${rowName}>`;
    }
    inputFields.push(`  /** Input port "${port.name}" (${port.type}${port.optional ? ", optional: undefined when not connected" : ""}). */\n  readonly ${key(port.name)}: ${type}${port.optional ? " | undefined" : ""};`);
  }
  lines.push("/** The node's inputs, one per declared input port. */", `interface Inputs {\n${inputFields.join("\n")}\n}`);
  const params = n.parameters.map((d) => {
    const t = d.type === "column" ? "string" : d.type;
    const doc = d.type === "column" ? `a column of input "${d.port}"` : `default ${JSON.stringify(d.default)}`;
    return `  /** ${d.label ? `${d.label}: ` : ""}${doc} */\n  readonly ${key(d.name)}: ${t};`;
  });
  lines.push("/** The node's parameters, as set in its form. */", `interface Params {\n${params.join("\n")}\n}`);
  const outs = n.outputs.map((o) => `  /** Output port "${o.name}" (${o.type}${o.optional ? ", optional" : ""}). */\n  ${key(o.name)}${o.optional ? "?" : ""}: ${OUT_TYPE[o.type] ?? "unknown"};`);
  lines.push("/** What run() returns: one entry per declared output port. */", `interface Outputs {\n${outs.join("\n")}\n}`);
  lines.push("/** The argument of run(). */", "interface RunArgs {\n  readonly inputs: Inputs;\n  readonly params: Params;\n  readonly ctx: RunCtx;\n}");
  return lines.join("\n") + "\n";
}
