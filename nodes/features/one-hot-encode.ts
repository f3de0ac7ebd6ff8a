/**
 * One-hot encoding: each category of a column seen in the training rows becomes a 0/1 column `name=category`,
 * in sorted order (as scikit-learn's OneHotEncoder), plus `name=(missing)` when training had missing values.
 */
import { makeVector, type Vector } from "apache-arrow";
import { z } from "zod";
import { stringColumn, tableInfo } from "../core/arrow";
import { defineNode } from "../core/define-node";
import type { ColumnInfo } from "../core/schema";
import { autoEncodable, columnsParam, encodable, fitCategories, MISSING_CATEGORY, UNKNOWN_CATEGORY, unseenError, unseenParam, type CategoryColumn, type UnseenPolicy } from "./categories";
import { needFittedColumn, pickColumns, pickColumnsInfo, replaceColumns, replaceInfo, requireRows } from "./feature-columns";
import { finishFitted, fittedInputs, fittedOutputs, inferFitted, type Fitter } from "./fitted";

const KIND = "features/one-hot-encode";
const TITLE = "One-hot encode";

const params = z.object({
  columns: columnsParam(),
  unknown: unseenParam({ ignore: "all of the column's 0/1 columns are 0", unknown: `an extra column "name=${UNKNOWN_CATEGORY}" is 1` }),
  maxCategories: z.number().int().min(2).max(10_000).default(100).meta({
    title: "Max categories",
    description: "Stop with a message when a column has more different values than this in the training rows (each one becomes a column).",
  }),
});

export interface OneHotState {
  unknown: UnseenPolicy;
  columns: CategoryColumn[];
}

/** Output column names for one encoded column, in order. */
export function oneHotNames(c: CategoryColumn, unknown: UnseenPolicy): string[] {
  const out = c.categories.map((v) => `${c.name}=${v}`);
  if (c.missing) out.push(`${c.name}=${MISSING_CATEGORY}`);
  if (unknown === "unknown") out.push(`${c.name}=${UNKNOWN_CATEGORY}`);
  return out;
}

export const oneHotEncoder: Fitter<OneHotState> = {
  kind: KIND,
  apply(state, table, ctx) {
    const n = table.numRows;
    const replace = new Map<string, Array<[string, Vector]>>();
    for (const c of state.columns) {
      ctx.signal.throwIfAborted();
      needFittedColumn(table, c.name, TITLE);
      const names = oneHotNames(c, state.unknown);
      const cols = names.map(() => new Float64Array(n));
      const index = new Map(c.categories.map((v, j) => [v, j]));
      const missing = c.missing ? c.categories.length : -1;
      const unknown = state.unknown === "unknown" ? names.length - 1 : -1;
      const x = stringColumn(table, c.name);
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        let j = v === null ? missing : (index.get(v) ?? -1);
        if (j < 0) {
          if (state.unknown === "error") unseenError(c.name, v, i, TITLE);
          j = unknown;
        }
        if (j >= 0) cols[j]![i] = 1;
      }
      replace.set(c.name, names.map((name, j) => [name, makeVector(cols[j]!)] as [string, Vector]));
    }
    return replaceColumns(table, replace);
  },
};

export default defineNode({
  kind: KIND,
  version: 1,
  title: TITLE,
  category: "Features",
  description:
    "Turns a text column such as \"color\" into one yes/no column per value (color=red, color=blue, …) holding 1 or 0, which models can use. The values are learned from the training rows; choose what happens when other rows have a value the training rows never had.",
  inputs: fittedInputs(),
  outputs: fittedOutputs(),
  params,
  infer: ({ inputs, params: prm }) =>
    // The indicator columns depend on the data: known after a run, so design time only drops the sources.
    inferFitted(inputs, (t) => replaceInfo(t, new Map(pickColumnsInfo(t, prm.columns, autoEncodable).map((n): [string, ColumnInfo[]] => [n, []])))),
  resources: { heavy: true },
  async run({ inputs, params: prm, ctx }) {
    requireRows(inputs.train, TITLE, "training rows");
    const names = pickColumns(tableInfo(inputs.train), prm.columns, {
      setting: "columns",
      title: "Columns",
      node: TITLE,
      suitable: prm.columns.length ? encodable : autoEncodable,
      needs: prm.columns.length ? "text or number columns" : "text columns",
      hint: "Remove it from \"Columns\".",
    });
    const columns: CategoryColumn[] = [];
    for (let i = 0; i < names.length; i++) {
      ctx.signal.throwIfAborted();
      columns.push(fitCategories(inputs.train, names[i]!, prm.maxCategories, TITLE));
      ctx.progress((0.4 * (i + 1)) / names.length);
    }
    ctx.log(`One-hot encoding ${columns.length} column(s) into ${columns.reduce((s, c) => s + oneHotNames(c, prm.unknown).length, 0)} indicator columns.`);
    return finishFitted(oneHotEncoder, { unknown: prm.unknown, columns }, inputs, ctx);
  },
});
