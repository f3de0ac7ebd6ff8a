/**
 * Run-time values per port type. Tables are Apache Arrow tables (never arrays of row objects); everything
 * else is JSON plus optional binary blobs, so every value round-trips through the artifact store.
 */
import type { Table } from "apache-arrow";
import type { ModelInfo, TableInfo } from "./schema";
import type { PortType } from "./ports";

/** A trained model: JSON description + named binary files (e.g. TensorFlow.js `weights.bin`). */
export interface ModelValue {
  /** `tfjs-layers` models keep `model.json` (topology + weight manifest) and `weights.bin` in files. */
  format: "tfjs-layers" | "json";
  info: ModelInfo;
  /** Algorithm-specific state that is not tensor weights (encoders, thresholds, trees...). */
  state: unknown;
  files: Record<string, Uint8Array>;
}

/** A transform learned from training rows, applicable to other tables with identical results. */
export interface TransformValue {
  transform: string; // node kind that fitted it
  state: unknown;
  /** Output columns produced when applied to a table with the fitted input columns. */
  output?: TableInfo;
}

export type MetricValue = number | null;
export interface MetricsValue {
  values: Record<string, MetricValue>;
  /** Optional extras (confusion matrix, per-class figures) for the inspector. */
  details?: Record<string, unknown>;
}

export interface ChartSeries {
  name: string;
  x: number[];
  y: number[];
}
export interface ChartValue {
  kind: "line" | "scatter" | "bar" | "heatmap";
  title: string;
  xLabel?: string;
  yLabel?: string;
  series?: ChartSeries[];
  /** bar charts */
  categories?: string[];
  /** heatmap (e.g. confusion matrix): rows × cols */
  matrix?: number[][];
  rowLabels?: string[];
  colLabels?: string[];
}

export type ReportValue = Record<string, unknown>;
export type ScalarValue = number | string | boolean;

export interface PortValueMap {
  table: Table;
  model: ModelValue;
  transform: TransformValue;
  metrics: MetricsValue;
  report: ReportValue;
  chart: ChartValue;
  scalar: ScalarValue;
}

export type PortValue<T extends PortType = PortType> = PortValueMap[T];
