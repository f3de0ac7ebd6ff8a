/**
 * Bucketize: replace numbers by the number of their bin (0, 1, …), bins learned from the training rows, of
 * equal width (uniform) or holding equal numbers of rows (quantile). Same bins and codes as scikit-learn's
 * KBinsDiscretizer(encode="ordinal"), including its removal of quantile bins narrower than 1e-8.
 */
import type { Vector } from "apache-arrow";
import { z } from "zod";
import { numericColumn } from "../core/arrow";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { p } from "../core/params";
import { floatVector, needFittedColumn, needNumeric, replaceColumns } from "./feature-columns";
import { finishFitted, fittedInputs, fittedOutputs, type Fitter } from "./fitted";
import { fitNumericColumns, inferNumericReplace } from "./numeric-columns";
import { linspace, percentile, sortedObserved } from "./numeric";

const KIND = "features/bucketize";
const TITLE = "Bucketize";

const params = z.object({
  columns: p.columns({ port: "train", dtype: "numeric", title: "Columns", description: "Number columns to put into bins. Empty: every number column except label, sensitive, id and fold columns." }),
  bins: z.number().int().min(2).max(1000).default(5).meta({ title: "Bins", description: "How many bins per column (fewer when many training rows share a value)." }),
  strategy: z.enum(["quantile", "uniform"]).default("quantile").meta({
    title: "Bins of",
    description: "Quantile: each bin holds about the same number of training rows. Uniform: bins of equal width between the training minimum and maximum.",
  }),
});

/** Per column, the bin edges (first = training min, last = max); `[]` for a constant column (everything in bin 0). */
export interface BucketizeState {
  columns: Array<{ name: string; edges: number[] }>;
}

function fitEdges(x: Float64Array, name: string, bins: number, strategy: "quantile" | "uniform"): number[] {
  const sorted = sortedObserved(x);
  if (!sorted.length) fail("all_missing", `Column "${name}" has no values in the training rows, so no bins can be learned. Fill it first (Impute missing values) or drop it.`, "columns");
  const min = sorted[0]!;
  const max = sorted[sorted.length - 1]!;
  if (min === max) return [];
  if (strategy === "uniform") return linspace(min, max, bins + 1);
  const all = linspace(0, 100, bins + 1).map((q) => percentile(sorted, q));
  // Drop bins narrower than 1e-8 (ties in the data), like scikit-learn.
  return all.filter((e, i) => i === 0 || e - all[i - 1]! > 1e-8);
}

/** Bin of `v`: how many inner edges are ≤ v (`np.searchsorted(edges[1:-1], v, side="right")`). */
function binOf(edges: number[], v: number): number {
  let lo = 1;
  let hi = edges.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (edges[mid]! <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

export const bucketizer: Fitter<BucketizeState> = {
  kind: KIND,
  apply(state, table, ctx) {
    const replace = new Map<string, Array<[string, Vector]>>();
    for (const c of state.columns) {
      ctx.signal.throwIfAborted();
      needNumeric(needFittedColumn(table, c.name, TITLE), c.name, TITLE);
      const x = numericColumn(table, c.name);
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        if (v === v) x[i] = c.edges.length ? binOf(c.edges, v) : 0;
      }
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
    "Groups numbers into a few ranges (bins) and replaces each number by the number of its bin: 0 for the lowest range, 1 for the next, and so on. The ranges are learned from the training rows; values outside them go to the first or last bin. Empty cells stay empty.",
  inputs: fittedInputs(),
  outputs: fittedOutputs(),
  params,
  infer: ({ inputs, params: prm }) => inferNumericReplace(inputs, prm.columns),
  resources: { heavy: true },
  async run({ inputs, params: prm, ctx }) {
    const columns: BucketizeState["columns"] = fitNumericColumns(
      inputs.train,
      prm.columns,
      { node: TITLE, hint: "Cast it to a number first (Cast columns), or remove it from \"Columns\"." },
      ctx,
      (values, name) => {
        const edges = fitEdges(values, name, prm.bins, prm.strategy);
        if (edges.length && edges.length - 1 < prm.bins) ctx.log(`Column "${name}": ${edges.length - 1} bins instead of ${prm.bins} (many rows share a value).`, "warn");
        return { name, edges };
      },
    );
    return finishFitted(bucketizer, { columns }, inputs, ctx);
  },
});
