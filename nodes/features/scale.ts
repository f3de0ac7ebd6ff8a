/**
 * Scale number columns with statistics of the training rows: standard (mean 0, std 1), min-max (0 to 1) or
 * robust (median 0, interquartile range 1). Same numbers as scikit-learn's StandardScaler, MinMaxScaler and
 * RobustScaler; missing values stay missing.
 */
import type { Vector } from "apache-arrow";
import { z } from "zod";
import { numericColumn } from "../core/arrow";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { p } from "../core/params";
import { finishFitted, fittedInputs, fittedOutputs, type Fitter } from "./fitted";
import { fitNumericColumns, inferNumericReplace } from "./numeric-columns";
import { floatVector, needFittedColumn, needNumeric, replaceColumns } from "./feature-columns";
import { median, nonZeroScale, percentile, sortedObserved, standardStats } from "./numeric";

const KIND = "features/scale";
const TITLE = "Scale";

const params = z.object({
  columns: p.columns({ port: "train", dtype: "numeric", title: "Columns", description: "Number columns to scale. Empty: every number column except label, sensitive, id and fold columns." }),
  method: z.enum(["standard", "minmax", "robust"]).default("standard").meta({
    title: "Method",
    description: "Standard: subtract the mean, divide by the standard deviation. Min-max: map the training range to 0…1. Robust: subtract the median, divide by the interquartile range (less sensitive to outliers).",
  }),
});

/**
 * Per column: standard and robust compute (x - center) / scale; min-max computes x * scale + center, the
 * form scikit-learn uses (so results agree to the last bits).
 */
export interface ScaleState {
  method: "standard" | "minmax" | "robust";
  columns: Array<{ name: string; center: number; scale: number }>;
}

function fitColumn(x: Float64Array, name: string, method: ScaleState["method"]) {
  const sorted = sortedObserved(x);
  if (!sorted.length)
    fail("all_missing", `Column "${name}" has no values in the training rows, so it cannot be scaled. Fill it first (Impute missing values) or drop it.`, "columns");
  if (method === "standard") {
    const s = standardStats(x);
    return { name, center: s.mean, scale: s.scale };
  }
  if (method === "robust") return { name, center: median(sorted), scale: nonZeroScale(percentile(sorted, 75) - percentile(sorted, 25)) };
  const min = sorted[0]!;
  const scale = 1 / nonZeroScale(sorted[sorted.length - 1]! - min);
  return { name, center: 0 - min * scale, scale };
}

export const scaler: Fitter<ScaleState> = {
  kind: KIND,
  apply(state, table, ctx) {
    const replace = new Map<string, Array<[string, Vector]>>();
    for (const c of state.columns) {
      ctx.signal.throwIfAborted();
      needNumeric(needFittedColumn(table, c.name, TITLE), c.name, TITLE);
      const x = numericColumn(table, c.name);
      if (state.method === "minmax") for (let i = 0; i < x.length; i++) x[i] = x[i]! * c.scale + c.center;
      else for (let i = 0; i < x.length; i++) x[i] = (x[i]! - c.center) / c.scale;
      replace.set(c.name, [[c.name, floatVector(x)]]);
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
    "Puts number columns on a comparable scale, which many models need. The statistics (average and spread, or minimum and maximum) come from the training rows only, and the same ones are used for any rows connected to Apply to. Empty cells stay empty.",
  inputs: fittedInputs(),
  outputs: fittedOutputs(),
  params,
  infer: ({ inputs, params: prm }) => inferNumericReplace(inputs, prm.columns),
  resources: { heavy: true },
  async run({ inputs, params: prm, ctx }) {
    const columns: ScaleState["columns"] = fitNumericColumns(
      inputs.train,
      prm.columns,
      { node: TITLE, hint: "Encode text columns first (One-hot or Ordinal encode), or remove the column from \"Columns\"." },
      ctx,
      (values, name) => fitColumn(values, name, prm.method),
    );
    return finishFitted(scaler, { method: prm.method, columns }, inputs, ctx);
  },
});
