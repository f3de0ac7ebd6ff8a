/**
 * Power transform: make skewed number columns more bell-shaped. Yeo-Johnson (any numbers) and Box-Cox
 * (positive numbers) fit one lambda per column by maximum likelihood on the training rows (SciPy's Brent
 * search, ported in numeric.ts, as scikit-learn's PowerTransformer does); log1p is log(1 + x). Optionally standardized afterwards (StandardScaler statistics of
 * the transformed training rows). Missing values stay missing.
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
import { brent, numpyVar, pairwiseSum, standardStats } from "./numeric";

const KIND = "features/power-transform";
const TITLE = "Power transform";

const params = z.object({
  columns: p.columns({ port: "train", dtype: "numeric", title: "Columns", description: "Number columns to transform. Empty: every number column except label, sensitive, id and fold columns." }),
  method: z.enum(["yeo-johnson", "box-cox", "log1p"]).default("yeo-johnson").meta({
    title: "Method",
    description: "Yeo-Johnson: learns the best power for each column from the training rows (works with any number). Box-Cox: the same for columns of positive numbers only. Log: log(1 + x), for counts and amounts of 0 or more.",
  }),
  standardize: z.boolean().default(true).meta({ title: "Standardize", description: "Afterwards, shift and scale to mean 0 and standard deviation 1 (learned from the training rows)." }),
});

export interface PowerState {
  method: "yeo-johnson" | "box-cox" | "log1p";
  standardize: boolean;
  /** `lambda` for Yeo-Johnson and Box-Cox; `mean`/`scale` of the transformed training values (1 and 0 when not standardizing). */
  columns: Array<{ name: string; lambda: number; mean: number; scale: number }>;
}

const SPACING_1 = Number.EPSILON; // np.spacing(1.0)

/** scikit-learn's `_yeo_johnson_transform` for one value. */
export function yeoJohnson(x: number, lambda: number): number {
  if (x >= 0) return Math.abs(lambda) < SPACING_1 ? Math.log1p(x) : (Math.pow(x + 1, lambda) - 1) / lambda;
  return Math.abs(lambda - 2) > SPACING_1 ? -(Math.pow(-x + 1, 2 - lambda) - 1) / (2 - lambda) : -Math.log1p(-x);
}

/** The Yeo-Johnson lambda maximizing the log-likelihood on the observed values (scikit-learn 1.2's objective). */
export function fitYeoJohnson(observed: Float64Array, signal?: AbortSignal): number {
  const n = observed.length;
  const signedLog = new Float64Array(n);
  for (let i = 0; i < n; i++) signedLog[i] = Math.sign(observed[i]!) * Math.log1p(Math.abs(observed[i]!));
  const logSum = pairwiseSum(signedLog);
  const t = new Float64Array(n);
  const negLogLikelihood = (lambda: number) => {
    for (let i = 0; i < n; i++) t[i] = yeoJohnson(observed[i]!, lambda);
    const v = numpyVar(t);
    if (v < 2.2250738585072014e-308) return Infinity;
    return -((-n / 2) * Math.log(v) + (lambda - 1) * logSum);
  };
  return brent(negLogLikelihood, [-2, 2], signal);
}

/** SciPy's `special.boxcox` (expm1 form, as scikit-learn's Box-Cox uses it). */
export function boxCox(x: number, lambda: number): number {
  return Math.abs(lambda) < 1e-19 ? Math.log(x) : Math.expm1(lambda * Math.log(x)) / lambda;
}

/** The Box-Cox lambda maximizing SciPy 1.10's `boxcox_llf` (what `stats.boxcox(x)` and scikit-learn use). */
export function fitBoxCox(observed: Float64Array, signal?: AbortSignal): number {
  const n = observed.length;
  const logs = observed.map(Math.log);
  const logSum = pairwiseSum(logs);
  const t = new Float64Array(n);
  const negLogLikelihood = (lambda: number) => {
    if (lambda === 0) t.set(logs);
    else for (let i = 0; i < n; i++) t[i] = Math.pow(observed[i]!, lambda) / lambda;
    return -((lambda - 1) * logSum - (n / 2) * Math.log(numpyVar(t)));
  };
  return brent(negLogLikelihood, [-2, 2], signal);
}

function forward(state: Pick<PowerState, "method">, lambda: number, v: number): number {
  if (state.method === "log1p") return Math.log1p(v);
  return state.method === "box-cox" ? boxCox(v, lambda) : yeoJohnson(v, lambda);
}

/** Each method's allowed values; a user error naming the column and value otherwise. */
function checkDomain(method: PowerState["method"], name: string, v: number): void {
  if (method === "log1p" && v <= -1)
    fail("log_domain", `Column "${name}" has the value ${v}; log(1 + x) needs values above -1. Use the Yeo-Johnson method, which accepts any number.`, "method");
  if (method === "box-cox" && v <= 0)
    fail("box_cox_domain", `Column "${name}" has the value ${v}; Box-Cox needs numbers above 0. Use the Yeo-Johnson method, which accepts any number.`, "method");
}

export const powerTransformer: Fitter<PowerState> = {
  kind: KIND,
  apply(state, table, ctx) {
    const replace = new Map<string, Array<[string, Vector]>>();
    for (const c of state.columns) {
      ctx.signal.throwIfAborted();
      needNumeric(needFittedColumn(table, c.name, TITLE), c.name, TITLE);
      const x = numericColumn(table, c.name);
      for (let i = 0; i < x.length; i++) {
        const v = x[i]!;
        if (v !== v) continue;
        checkDomain(state.method, c.name, v);
        x[i] = (forward(state, c.lambda, v) - c.mean) / c.scale;
      }
      replace.set(c.name, [[c.name, floatVector(x)]]);
    }
    return replaceColumns(table, replace);
  },
};

/**
 * Fit one column: the Yeo-Johnson lambda (unless given, e.g. to check the transform against another
 * library's lambda) and the standardization statistics of the transformed training values.
 */
export function fitPowerColumn(name: string, x: Float64Array, state: Pick<PowerState, "method" | "standardize">, signal?: AbortSignal, lambda?: number): PowerState["columns"][number] {
  const observed = x.filter((v) => v === v);
  if (!observed.length) fail("all_missing", `Column "${name}" has no values in the training rows, so it cannot be transformed. Fill it first (Impute missing values) or drop it.`, "columns");
  for (const v of observed) checkDomain(state.method, name, v);
  const fit = state.method === "yeo-johnson" ? fitYeoJohnson : state.method === "box-cox" ? fitBoxCox : undefined;
  const lam = fit ? (lambda ?? fit(observed, signal)) : 0;
  const col = { name, lambda: lam, mean: 0, scale: 1 };
  if (state.standardize) {
    const s = standardStats(x.map((v) => (v === v ? forward(state, lam, v) : NaN)));
    col.mean = s.mean;
    col.scale = s.scale;
  }
  return col;
}


export default defineNode({
  kind: KIND,
  version: 1,
  title: TITLE,
  category: "Features",
  description:
    "Reshapes lopsided number columns (a few very large values, like incomes) so they look more like a bell curve, which helps many models. Yeo-Johnson (any numbers) or Box-Cox (positive numbers only) learns the best reshaping for each column from the training rows; Log takes log(1 + x). Empty cells stay empty.",
  inputs: fittedInputs(),
  outputs: fittedOutputs(),
  params,
  infer: ({ inputs, params: prm }) => inferNumericReplace(inputs, prm.columns),
  resources: { heavy: true },
  async run({ inputs, params: prm, ctx }) {
    const state: PowerState = { method: prm.method, standardize: prm.standardize, columns: [] };
    state.columns = fitNumericColumns(
      inputs.train,
      prm.columns,
      { node: TITLE, hint: "Encode text columns instead (One-hot or Ordinal encode), or remove the column from \"Columns\".", share: 0.6 },
      ctx,
      (values, name) => fitPowerColumn(name, values, state, ctx.signal),
    );
    return finishFitted(powerTransformer, state, inputs, ctx);
  },
});
