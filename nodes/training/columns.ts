/**
 * Which columns a supervised node learns from: the label (param, else the column with role `label`), the
 * features (param, else every other column whose role does not say it must stay out), and the class order.
 * Shared by infer() (design time, from TableInfo) and run() (from the Arrow table's TableInfo).
 */
import type { Table } from "apache-arrow";
import { gatherRows, numericColumn, tableInfo } from "../core/arrow";
import { fail } from "../core/errors";
import type { ColumnInfo, ColumnRole, TableInfo } from "../core/schema";

/**
 * Roles never used as features unless listed explicitly. `sensitive` is here on purpose: a protected
 * attribute (sex, race...) should not drive predictions by default; fairness nodes still see it.
 */
export const NON_FEATURE_ROLES: ReadonlySet<ColumnRole> = new Set<ColumnRole>(["label", "sensitive", "id", "prediction", "score", "weight", "fold"]);

const LEARNABLE = new Set<ColumnInfo["dtype"]>(["float", "int", "bool", "string"]);

export function resolveLabel(info: TableInfo, label: string, field = "label"): string {
  if (label) {
    if (!info.columns.some((c) => c.name === label))
      fail("unknown_column", `The label column "${label}" is not in the input table.`, field);
    return label;
  }
  const marked = info.columns.filter((c) => c.role === "label");
  if (marked.length === 1) return marked[0]!.name;
  return fail(
    "no_label",
    marked.length > 1
      ? `Several columns have the label role (${marked.map((c) => c.name).join(", ")}); pick the label column.`
      : "Pick the label column: no column has the label role.",
    field,
  );
}

export function resolveFeatures(info: TableInfo, label: string, features: string[]): string[] {
  if (features.length) {
    if (features.includes(label)) fail("label_in_features", `The label "${label}" cannot also be a feature.`, "features");
    for (const f of features)
      if (!info.columns.some((c) => c.name === f)) fail("unknown_column", `The feature column "${f}" is not in the input table.`, "features");
    return features;
  }
  const out = info.columns.filter((c) => c.name !== label && !(c.role && NON_FEATURE_ROLES.has(c.role)) && LEARNABLE.has(c.dtype));
  if (!out.length) fail("no_features", "No usable feature columns: the table has only the label and excluded columns.", "features");
  return out.map((c) => c.name);
}

/**
 * Classes in model order. Sorted; for two classes the positive one goes last (so `proba[:, 1]` is its
 * probability), defaulting to the lexicographically last class (e.g. `>50K` over `<=50K`, `1` over `0`).
 */
export function orderClasses(distinct: Iterable<string>, label: string, positiveClass: string): string[] {
  const classes = [...new Set(distinct)].sort(compare);
  if (classes.length < 2)
    fail(
      "single_class",
      classes.length
        ? `The label "${label}" has only one class ("${classes[0]}") in the training rows; a classifier needs at least two.`
        : `The label "${label}" has no values in the training rows.`,
      "label",
    );
  if (positiveClass && !classes.includes(positiveClass))
    fail("unknown_class", `The positive class "${positiveClass}" is not a value of "${label}" (values: ${classes.slice(0, 10).join(", ")}).`, "positiveClass");
  if (classes.length === 2 && positiveClass === classes[0]) classes.reverse();
  return classes;
}

/** Plain code-unit order, identical everywhere (localeCompare depends on the machine's locale). */
export function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Row weights from the column with role weight (e.g. Reweighing's output), if any. Missing weights count as 1;
 * negative or non-finite weights are a user error.
 */
export function rowWeights(train: Table, info: TableInfo, log: (m: string, level?: "warn") => void): Float32Array | undefined {
  const col = info.columns.find((c) => c.role === "weight");
  if (!col) return undefined;
  const w = numericColumn(train, col.name);
  let missing = 0;
  const out = Float32Array.from(w, (v) => (Number.isNaN(v) ? (missing++, 1) : v));
  const bad = out.findIndex((v) => !Number.isFinite(v) || v < 0);
  if (bad >= 0) fail("bad_weight", `The weight column "${col.name}" has an invalid weight (${w[bad]}) in row ${bad + 1}; weights must be 0 or more.`, col.name);
  if (missing) log(`${missing} rows have no "${col.name}" weight and count with weight 1`, "warn");
  log(`Rows are weighted by "${col.name}"`);
  return out;
}

/**
 * The rows a trainer learns from: label and features resolved from the params (or roles), the target read by
 * the trainer's own `readTarget`, rows without a label dropped (with a warning), and a clear error when none
 * is left.
 */
export function labelledRows<T extends { keep?: Int32Array }>(
  table: Table,
  params: { label: string; features: string[] },
  readTarget: (table: Table, label: string) => T,
  log: (m: string, level?: "warn") => void,
): { info: TableInfo; label: string; features: string[]; target: T; train: Table } {
  const info = tableInfo(table);
  if (table.numRows === 0) fail("no_rows", "The training table has no rows.", "train");
  const label = resolveLabel(info, params.label);
  const features = resolveFeatures(info, label, params.features);
  const target = readTarget(table, label);
  const train = target.keep ? gatherRows(table, target.keep) : table;
  if (target.keep) log(`Skipped ${table.numRows - target.keep.length} rows with no "${label}" value`, "warn");
  if (train.numRows === 0) fail("no_rows", `No training rows have a value for "${label}".`, "label");
  return { info, label, features, target, train };
}
