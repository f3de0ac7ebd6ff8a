/**
 * Reads a predictions table (true label, predicted class or score, sensitive column) into the 0/1 codes the
 * fairness functions work on, with one clear error per problem a person can fix. Shared by the fairness nodes.
 */
import type { Table } from "apache-arrow";
import { numericColumn, stringColumn, tableInfo } from "../core/arrow";
import { fail } from "../core/errors";
import type { ColumnRole, TableInfo } from "../core/schema";
import { compare, resolveLabel } from "../training/columns";

/** Group name used for rows whose sensitive value is missing. */
export const MISSING_GROUP = "(missing)";

/**
 * The column chosen in param `field`, else the one column with `role`. Undefined when neither exists;
 * a user error when the chosen column is absent or several columns have the role.
 */
export function columnFor(info: TableInfo, chosen: string, role: ColumnRole, field: string, what: string): string | undefined {
  if (chosen) {
    if (!info.columns.some((c) => c.name === chosen)) {
      const names = info.columns.map((c) => c.name);
      fail(
        "unknown_column",
        `The ${what} "${chosen}" is not in the input table (columns: ${names.slice(0, 15).join(", ")}${names.length > 15 ? ", …" : ""}). Was it dropped upstream? Pick another column in "${field}".`,
        field,
      );
    }
    return chosen;
  }
  const marked = info.columns.filter((c) => c.role === role);
  if (marked.length > 1)
    fail("ambiguous_column", `Several columns have the ${role} role (${marked.map((c) => c.name).join(", ")}); pick one as the ${what}.`, field);
  return marked[0]?.name;
}

export interface SensitiveGroups {
  column: string;
  /** Group names, sorted; `code[i]` indexes them. */
  groups: string[];
  code: Int32Array;
}

/** Group codes of the sensitive column (missing values form their own group). Needs at least two groups. */
export function sensitiveGroups(table: Table, chosen: string): SensitiveGroups {
  const column = columnFor(tableInfo(table), chosen, "sensitive", "sensitive", "sensitive column");
  if (!column)
    fail("no_sensitive", 'Pick the sensitive column (e.g. sex or race) in "Sensitive column": no column has the sensitive role.', "sensitive");
  const raw = stringColumn(table, column).map((v) => v ?? MISSING_GROUP);
  const groups = [...new Set(raw)].sort(compare);
  if (groups.length < 2)
    fail(
      "single_group",
      `The sensitive column "${column}" has only one group ("${groups[0]}") in these rows, so there is nothing to compare. Use data with at least two groups, or pick another sensitive column.`,
      "sensitive",
    );
  const index = new Map(groups.map((g, i) => [g, i]));
  return { column, groups, code: Int32Array.from(raw, (g) => index.get(g)!) };
}

export interface LabelClasses {
  column: string;
  /** [negative, positive] */
  classes: [string, string];
  /** Per row: 1 positive, 0 negative, -1 missing label. */
  code: Int8Array;
}

/** The true label as 0/1 codes; a two-class label is required. */
export function binaryLabel(table: Table, chosen: string, positiveClass: string): LabelClasses {
  const column = resolveLabel(tableInfo(table), chosen, "label");
  const values = stringColumn(table, column);
  const distinct = [...new Set(values.filter((v): v is string => v !== null))].sort(compare);
  if (distinct.length === 0) fail("no_rows", `No rows have a value for the label "${column}".`, "label");
  if (distinct.length === 1)
    fail("single_class", `The label "${column}" has only one class ("${distinct[0]}") in these rows; fairness rates need rows of both classes.`, "label");
  if (distinct.length > 2)
    fail(
      "not_binary",
      `The label "${column}" has ${distinct.length} classes (${distinct.slice(0, 6).join(", ")}${distinct.length > 6 ? ", …" : ""}); these fairness metrics are defined for two-class labels.`,
      "label",
    );
  const positive = positiveClass || distinct[1]!;
  if (!distinct.includes(positive))
    fail("unknown_class", `The positive class "${positive}" is not a value of "${column}" (values: ${distinct.join(", ")}).`, "positiveClass");
  const negative = distinct.find((c) => c !== positive)!;
  return { column, classes: [negative, positive], code: Int8Array.from(values, (v) => (v === null ? -1 : v === positive ? 1 : 0)) };
}

/** Scores of the chosen (or role `score`) column; undefined when the table has none. */
export function scoreColumn(table: Table, chosen: string): { column: string; values: Float64Array } | undefined {
  const column = columnFor(tableInfo(table), chosen, "score", "score", "score column");
  return column ? { column, values: numericColumn(table, column) } : undefined;
}

/**
 * Predicted classes as 0/1 codes (-1 missing): from the prediction column (param, else role `prediction`), else
 * from the score column as score ≥ threshold.
 */
export function binaryPrediction(
  table: Table,
  opts: { prediction: string; score: string; threshold: number; classes: [string, string] },
): { column: string; fromScore: boolean; code: Int8Array } {
  const info = tableInfo(table);
  const column = columnFor(info, opts.prediction, "prediction", "prediction", "prediction column");
  if (column) {
    const values = stringColumn(table, column);
    const unknown = [...new Set(values.filter((v): v is string => v !== null && !opts.classes.includes(v)))].sort(compare);
    if (unknown.length)
      fail(
        "unknown_prediction_values",
        `The prediction column "${column}" has values that are not label classes: ${unknown.slice(0, 6).map((v) => `"${v}"`).join(", ")} (label classes: ${opts.classes.join(", ")}). Pick the column with predicted classes.`,
        "prediction",
      );
    return { column, fromScore: false, code: Int8Array.from(values, (v) => (v === null ? -1 : v === opts.classes[1] ? 1 : 0)) };
  }
  const score = scoreColumn(table, opts.score);
  if (!score)
    fail("no_prediction", 'Pick the prediction column (predicted classes) or a score column: no column has the prediction or score role.', "prediction");
  return { column: score.column, fromScore: true, code: Int8Array.from(score.values, (s) => (Number.isNaN(s) ? -1 : s >= opts.threshold ? 1 : 0)) };
}
