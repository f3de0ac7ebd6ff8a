/**
 * The serving plan of one endpoint version (stored as EndpointVersion.spec, immutable): which stored artifacts
 * turn a request's rows into predictions, in order. Derived from the graph and a succeeded run by plan.ts.
 */
import type { Task } from "../../nodes/core/schema";
import type { InputField } from "./types";

/** One step between the request's columns and the model, in forward order. */
export type ServingStep =
  /** A fitted transform (impute, scale, one-hot...) applied with what it learned in the run (artifact hash). */
  | { type: "fitted"; nodeId: string; label: string; transform: string; hash: string }
  /** A node that learns nothing (code, SQL expression, rename, cast), run again on the request's rows. */
  | { type: "node"; nodeId: string; label: string; kind: string; params: Record<string, unknown>; inputPort: string; outputPort: string };

/** Unit of an Arrow Timestamp column. */
export type TimestampUnit = "s" | "ms" | "us" | "ns";

/**
 * Arrow type of an input column, so request rows become exactly the column types the training rows had.
 * Dates: "date32" (Date32<DAY>), "date64" (Date64<MILLISECOND>). Timestamps: "timestamp[unit]" (no time zone:
 * wall-clock values) or "timestamp[unit, zone]" (instants, with the column's time zone, e.g. "timestamp[us, UTC]").
 */
export type ColumnType =
  | "float64"
  | "float32"
  | "int64"
  | "int32"
  | "int16"
  | "int8"
  | "utf8"
  | "bool"
  | "date32"
  | "date64"
  | `timestamp[${TimestampUnit}]`
  | `timestamp[${TimestampUnit}, ${string}]`;

export interface ServingSpec {
  formatVersion: 1;
  /** The run output holding the rows (with raw columns) that entered the first step during training. */
  entry: { nodeId: string; port: string; hash: string };
  steps: ServingStep[];
  model: { nodeId: string; label: string; hash: string; algorithm?: string; task: Task; classes?: string[]; label_column?: string };
  /** Two-class models: a row is the positive class when its score is at least this (as in the metrics node). */
  threshold: number;
  /** Arrow type per input field. */
  columnTypes: Record<string, ColumnType>;
  /** Model metrics recorded by the run (metrics nodes fed by this model), for the version list. */
  metrics: Record<string, number>;
}

/** Reference distribution of one input feature, from the training rows at publish (PSI drift). */
export type FeatureReference =
  | { feature: string; kind: "numeric"; edges: number[]; shares: number[] }
  | { feature: string; kind: "categorical"; categories: string[]; shares: number[] };

export interface VersionInput {
  fields: InputField[];
}
