/**
 * Design-time descriptions of what flows along an edge. Tables carry their columns (name, dtype, role) so
 * forms can offer column pickers and the compiler can reject a column that upstream does not produce.
 */

/** Logical column types. Mapped from Arrow/DuckDB types by the runtime. */
export type DType = "float" | "int" | "bool" | "string" | "date" | "timestamp" | "unknown";

/** What a column means to the ML nodes downstream. */
export type ColumnRole = "feature" | "label" | "sensitive" | "id" | "prediction" | "score" | "weight" | "fold";

export interface ColumnInfo {
  name: string;
  dtype: DType;
  role?: ColumnRole;
  /** Known categories for string columns, when cheap to know (e.g. after a one-hot fit). */
  categories?: string[];
}

export interface TableInfo {
  columns: ColumnInfo[];
  /** Row count when known (after a run or a probe); undefined at pure design time. */
  rows?: number;
}

export type Task = "binary" | "multiclass" | "regression";

export interface ModelInfo {
  task?: Task;
  label?: string;
  classes?: string[];
  features?: ColumnInfo[];
  algorithm?: string;
}

/**
 * What infer() knows about an output port. `undefined` means "unknown at design time" (e.g. a file that has
 * not been probed); the compiler then skips column checks downstream instead of reporting false errors.
 */
export interface PortInfo {
  table?: TableInfo;
  model?: ModelInfo;
}

export const isNumeric = (d: DType) => d === "float" || d === "int" || d === "bool";
