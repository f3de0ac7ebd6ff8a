/**
 * Ordinal encoding: each category becomes its position in the sorted training categories (0, 1, 2, …), as
 * scikit-learn's OrdinalEncoder; missing values stay missing.
 */
import { type Vector } from "apache-arrow";
import { z } from "zod";
import { stringColumn, tableInfo } from "../core/arrow";
import { defineNode } from "../core/define-node";
import { autoEncodable, columnsParam, encodable, fitCategories, unseenError, unseenParam, type CategoryColumn, type UnseenPolicy } from "./categories";
import { floatVector, needFittedColumn, pickColumns, pickColumnsInfo, replaceColumns, replaceInfo, requireRows } from "./feature-columns";
import { finishFitted, fittedInputs, fittedOutputs, inferFitted, type Fitter } from "./fitted";

const KIND = "features/ordinal-encode";
const TITLE = "Ordinal encode";
/** Code of an unseen category under the "unknown" policy (scikit-learn's usual `unknown_value=-1`). */
export const UNKNOWN_CODE = -1;

const params = z.object({
  columns: columnsParam(),
  unknown: unseenParam({ ignore: "the cell becomes empty (missing)", unknown: `the cell becomes ${UNKNOWN_CODE}` }),
  maxCategories: z.number().int().min(2).max(1_000_000).default(10_000).meta({
    title: "Max categories",
    description: "Stop with a message when a column has more different values than this in the training rows.",
  }),
});

export interface OrdinalState {
  unknown: UnseenPolicy;
  columns: Array<Omit<CategoryColumn, "missing">>;
}

export const ordinalEncoder: Fitter<OrdinalState> = {
  kind: KIND,
  apply(state, table, ctx) {
    const n = table.numRows;
    const replace = new Map<string, Array<[string, Vector]>>();
    for (const c of state.columns) {
      ctx.signal.throwIfAborted();
      needFittedColumn(table, c.name, TITLE);
      const index = new Map(c.categories.map((v, j) => [v, j]));
      const x = stringColumn(table, c.name);
      const out = new Float64Array(n);
      for (let i = 0; i < n; i++) {
        const v = x[i]!;
        if (v === null) {
          out[i] = NaN;
          continue;
        }
        const j = index.get(v);
        if (j !== undefined) out[i] = j;
        else if (state.unknown === "error") unseenError(c.name, v, i, TITLE);
        else out[i] = state.unknown === "unknown" ? UNKNOWN_CODE : NaN;
      }
      replace.set(c.name, [[c.name, floatVector(out)]]);
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
    "Replaces each value of a text column by a number: its position in the sorted list of values seen in the training rows (e.g. Bachelors → 0, Doctorate → 1, HS-grad → 2). Useful for tree models; empty cells stay empty.",
  inputs: fittedInputs(),
  outputs: fittedOutputs(),
  params,
  infer: ({ inputs, params: prm }) =>
    inferFitted(inputs, (t) => replaceInfo(t, new Map(pickColumnsInfo(t, prm.columns, autoEncodable).map((n) => [n, [{ name: n, dtype: "float" as const }]])))),
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
    const columns: OrdinalState["columns"] = [];
    for (let i = 0; i < names.length; i++) {
      ctx.signal.throwIfAborted();
      const { name, categories } = fitCategories(inputs.train, names[i]!, prm.maxCategories, TITLE);
      columns.push({ name, categories });
      ctx.progress((0.4 * (i + 1)) / names.length);
    }
    return finishFitted(ordinalEncoder, { unknown: prm.unknown, columns }, inputs, ctx);
  },
});
