/**
 * Impute: fill missing values with a value learned from the training rows (mean, median, most frequent) or a
 * constant. Same numbers as scikit-learn's SimpleImputer (test/golden/features.test.ts).
 */
import { makeVector, Utf8, vectorFromArray, type Table, type Vector } from "apache-arrow";
import { z } from "zod";
import { dtypeOf, numericColumn, stringColumn, tableInfo } from "../core/arrow";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { p } from "../core/params";
import type { ColumnInfo } from "../core/schema";
import { finishFitted, fittedInputs, fittedOutputs, inferFitted, type Fitter } from "./fitted";
import { needFittedColumn, needNumeric, numericInfo, numericOrText, pickColumns, pickColumnsInfo, replaceColumns, replaceInfo, requireRows } from "./feature-columns";
import { median, sortedObserved } from "./numeric";

const KIND = "features/impute";
const TITLE = "Impute missing values";

const STRATEGY_TITLE = { mean: "Mean", median: "Median", most_frequent: "Most frequent", constant: "Constant" } as const;

const params = z.object({
  columns: p.columns({
    port: "train",
    title: "Columns",
    description: "Columns whose missing values to fill. Empty: every number column (Mean, Median) or every number and text column (Most frequent, Constant), except label, sensitive, id and fold columns.",
  }),
  strategy: z.enum(["mean", "median", "most_frequent", "constant"]).default("mean").meta({
    title: "Fill with",
    description: "Mean or Median of the training rows (number columns), the Most frequent value (numbers or text), or a Constant you type.",
  }),
  fillValue: z.string().default("").meta({
    title: "Constant",
    description: "For Fill with = Constant. Empty: 0 in number columns and (missing) in text columns.",
  }),
});
type Params = z.output<typeof params>;

/** What was learned for one column: the value that replaces a missing one. */
export type ImputeColumn = { name: string; kind: "number"; value: number } | { name: string; kind: "text"; value: string };
export interface ImputeState {
  columns: ImputeColumn[];
}

export const DEFAULT_TEXT_FILL = "(missing)";

function suitable(strategy: Params["strategy"]) {
  return strategy === "mean" || strategy === "median" ? numericInfo : numericOrText;
}

function mostFrequent<T extends string | number>(values: Iterable<T>): T | undefined {
  const counts = new Map<T, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best: T | undefined;
  let bestCount = 0;
  // Ties go to the smallest value, as in scikit-learn.
  for (const [v, c] of counts)
    if (c > bestCount || (c === bestCount && v < best!)) {
      best = v;
      bestCount = c;
    }
  return best;
}

function fitColumn(table: Table, name: string, prm: Params): ImputeColumn {
  const dt = dtypeOf(table.getChild(name)!.type);
  const numeric = dt === "float" || dt === "int" || dt === "bool";
  if (prm.strategy === "constant") {
    if (!numeric) return { name, kind: "text", value: prm.fillValue || DEFAULT_TEXT_FILL };
    const value = prm.fillValue.trim() === "" ? 0 : Number(prm.fillValue);
    if (!Number.isFinite(value))
      fail("invalid_fill_value", `The constant "${prm.fillValue}" is not a number, but column "${name}" holds numbers. Type a number (e.g. 0), or impute text columns in a separate node.`, "fillValue");
    return { name, kind: "number", value };
  }
  const noValues = () =>
    fail(
      "all_missing",
      `Column "${name}" has no values at all in the training rows, so its ${STRATEGY_TITLE[prm.strategy].toLowerCase()} cannot be computed. Drop the column (Drop columns), or fill it with a Constant.`,
      "columns",
    );
  if (!numeric) {
    const best = mostFrequent(stringColumn(table, name).filter((v): v is string => v !== null));
    return best === undefined ? noValues() : { name, kind: "text", value: best };
  }
  const sorted = sortedObserved(numericColumn(table, name));
  if (!sorted.length) noValues();
  if (prm.strategy === "median") return { name, kind: "number", value: median(sorted) };
  if (prm.strategy === "most_frequent") return { name, kind: "number", value: mostFrequent(sorted)! };
  let sum = 0;
  for (const v of sorted) sum += v;
  return { name, kind: "number", value: sum / sorted.length };
}

export const imputer: Fitter<ImputeState> = {
  kind: KIND,
  apply(state, table, ctx) {
    const replace = new Map<string, Array<[string, Vector]>>();
    for (const c of state.columns) {
      ctx.signal.throwIfAborted();
      const v = needFittedColumn(table, c.name, TITLE);
      if (c.kind === "number") {
        needNumeric(v, c.name, TITLE);
        const x = numericColumn(table, c.name);
        for (let i = 0; i < x.length; i++) if (x[i] !== x[i]) x[i] = c.value;
        replace.set(c.name, [[c.name, makeVector(x)]]);
      } else {
        const x = stringColumn(table, c.name).map((s) => s ?? c.value);
        replace.set(c.name, [[c.name, vectorFromArray(x, new Utf8())]]);
      }
    }
    return replaceColumns(table, replace);
  },
};

/** Numbers come out as floats (a mean is rarely a whole number); text stays text. */
function outputInfo(c: ColumnInfo): ColumnInfo {
  return numericInfo(c) ? { name: c.name, dtype: "float" } : { name: c.name, dtype: "string" };
}

export default defineNode({
  kind: KIND,
  version: 1,
  title: TITLE,
  category: "Features",
  description:
    "Fills empty cells. It learns a replacement from the training rows (the average, the middle value, or the most common value of each column) or uses a value you type, then fills the training rows and any other rows connected to Apply to with those same values.",
  inputs: fittedInputs(),
  outputs: fittedOutputs(),
  params,
  infer: ({ inputs, params: prm }) =>
    inferFitted(inputs, (t) => {
      const cols = pickColumnsInfo(t, prm.columns, suitable(prm.strategy));
      return replaceInfo(t, new Map(cols.map((n) => [n, [outputInfo(t.columns.find((c) => c.name === n)!)]])));
    }),
  resources: { heavy: true },
  async run({ inputs, params: prm, ctx }) {
    requireRows(inputs.train, TITLE, "training rows");
    const names = pickColumns(tableInfo(inputs.train), prm.columns, {
      setting: "columns",
      title: "Columns",
      node: `${TITLE} with ${STRATEGY_TITLE[prm.strategy]}`,
      suitable: suitable(prm.strategy),
      needs: prm.strategy === "mean" || prm.strategy === "median" ? "numbers" : "numbers or text",
      hint: 'Use "Most frequent" or "Constant" for text columns, or remove the column from "Columns".',
    });
    const columns: ImputeColumn[] = [];
    for (let i = 0; i < names.length; i++) {
      ctx.signal.throwIfAborted();
      columns.push(fitColumn(inputs.train, names[i]!, prm));
      ctx.progress((0.5 * (i + 1)) / names.length);
    }
    const filled = columns.filter((c) => c.kind === "number").length;
    ctx.log(`Imputing ${columns.length} column(s) (${filled} numeric) with ${STRATEGY_TITLE[prm.strategy].toLowerCase()}.`);
    return finishFitted(imputer, { columns }, inputs, ctx);
  },
});
