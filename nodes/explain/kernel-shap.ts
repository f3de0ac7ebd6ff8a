/**
 * Kernel SHAP: per-row feature attributions for any model. For each explained row, coalitions of its
 * features are evaluated with the missing features filled in from background rows (averaging over them),
 * and shapley.ts turns those values into SHAP values with `base value + Σ SHAP = model output` exactly.
 */
import { Table, type Vector } from "apache-arrow";
import { z } from "zod";
import { dtypeOf, gatherRows, numericColumn, stringColumn, tableFromColumns } from "../core/arrow";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { port } from "../core/ports";
import { mulberry32, shuffleInPlace } from "../core/random";
import type { ChartValue } from "../core/values";
import { explainTarget, modelOutput, requireFeatures } from "./model-output";
import { coalitions, solveShap } from "./shapley";

/** Hard ceiling of `maxRows`: each explained row costs coalitions × background model evaluations. */
export const SHAP_ROWS_LIMIT = 500;
/** Model evaluations per scoring call (bounds the memory of the hybrid tables). */
const ROWS_PER_CALL = 65536;

const params = z.object({
  targetClass: z.string().default("").meta({
    title: "Explained class",
    description: "Classifiers: the class whose probability is explained. Empty: the positive class (two classes) or the first class.",
  }),
  maxRows: z.number().int().min(1).max(SHAP_ROWS_LIMIT).default(50).meta({
    title: "Max rows",
    description: `Refuse to explain more rows than this (at most ${SHAP_ROWS_LIMIT}); each row costs Coalitions × Background rows model evaluations.`,
  }),
  maxBackground: z.number().int().min(1).max(1000).default(50).meta({
    title: "Background rows",
    description: "A seeded sample of at most this many background rows stands for 'feature unknown'. More: steadier, slower.",
  }),
  coalitions: z.number().int().min(2).max(100000).default(2048).meta({
    title: "Coalitions",
    description: "Feature subsets evaluated per row. When all 2^features - 2 subsets fit, the SHAP values are exact; otherwise they are estimated from a seeded sample.",
  }),
  seed: z.number().int().default(0).meta({ title: "Seed", description: "Background sample and coalition sample." }),
});

export default defineNode({
  kind: "explain/kernel-shap",
  version: 1,
  title: "SHAP values (Kernel SHAP)",
  category: "Explain",
  description:
    "Explains individual predictions: for each row, how much each feature pushed the model's output (a class probability, or the predicted number) up or down from the average over the background rows. The base value plus the row's SHAP values adds up to the model's output for that row. Works with any trained model; keep the rows to explain few.",
  inputs: {
    model: port.model({ label: "Model" }),
    background: port.table({ label: "Background", description: "Typical rows (e.g. a sample of the training data)." }),
    rows: port.table({ label: "Rows to explain" }),
  },
  outputs: { shap: port.table({ label: "SHAP values" }), chart: port.chart({ label: "SHAP chart" }) },
  params,
  resources: { heavy: true },
  infer: ({ inputs }) => {
    const features = inputs.model?.model?.features;
    if (!features) return { chart: {} };
    const columns = [
      { name: "row", dtype: "int" as const, role: "id" as const },
      { name: "base_value", dtype: "float" as const },
      { name: "output", dtype: "float" as const },
      ...features.map((f) => ({ name: `shap_${f.name}`, dtype: "float" as const })),
    ];
    return { shap: { table: { columns } }, chart: {} };
  },
  async run({ inputs, params, ctx }) {
    const { model, rows } = inputs;
    const target = explainTarget(model, params.targetClass);
    const features = target.features;
    if (rows.numRows === 0) fail("no_rows", "The table of rows to explain has no rows.", "rows");
    if (inputs.background.numRows === 0) fail("no_rows", "The background table has no rows; give it typical rows, e.g. a sample of the training data.", "background");
    if (rows.numRows > params.maxRows)
      fail(
        "too_many_rows",
        `Kernel SHAP explains at most ${params.maxRows} rows per run (Max rows; the ceiling is ${SHAP_ROWS_LIMIT}), and this table has ${rows.numRows}. Filter or sample the rows to explain first.`,
        "rows",
      );
    requireFeatures(target, rows, "rows");
    requireFeatures(target, inputs.background, "background");

    const random = mulberry32(params.seed);
    const background = sampleRows(inputs.background, params.maxBackground, random);
    // Per feature, one column holding the explained rows' values then the background's: hybrid rows are
    // gathers from it (typed-array and byte copies, no per-cell objects).
    const combined = features.map((f) => combinedColumn(rows, background, f));
    const getTf = () => ctx.runtime.tf();
    const fx = await modelOutput(model, target, rows, getTf);
    const bgOut = await modelOutput(model, target, background, getTf);
    const base = bgOut.reduce((s, v) => s + v, 0) / bgOut.length;

    const m = features.length;
    const plan = coalitions(m, params.coalitions, random);
    const K = plan.weights.length;
    const B = background.numRows;
    const R = rows.numRows;
    const perCall = Math.max(1, Math.floor(ROWS_PER_CALL / B));
    const shap: Float64Array[] = features.map(() => new Float64Array(R));
    for (let i = 0; i < R; i++) {
      const v = new Float64Array(K);
      for (let k0 = 0; k0 < K; k0 += perCall) {
        ctx.signal.throwIfAborted();
        const k1 = Math.min(K, k0 + perCall);
        const idx = new Int32Array((k1 - k0) * B);
        const columns: Record<string, Vector> = {};
        features.forEach((f, j) => {
          for (let k = k0; k < k1; k++) {
            const fromRow = plan.masks[k * m + j] === 1;
            const at = (k - k0) * B;
            for (let b = 0; b < B; b++) idx[at + b] = fromRow ? i : R + b;
          }
          columns[f] = gatherRows(combined[j]!, idx).getChild(f)!;
        });
        const out = await modelOutput(model, target, new Table(columns), getTf);
        for (let k = k0; k < k1; k++) {
          let s = 0;
          for (let b = 0; b < B; b++) s += out[(k - k0) * B + b]!;
          v[k] = s / B;
        }
      }
      const phi = solveShap(plan, v, base, fx[i]!);
      phi.forEach((value, j) => (shap[j]![i] = value));
      ctx.progress((i + 1) / R);
    }
    ctx.log(
      `${plan.exact ? "Exact" : "Sampled"} Kernel SHAP of ${target.outputName}: ${m} features, ${K} coalitions${plan.exact ? " (all)" : ""} × ${B} background rows, ${R} rows`,
    );

    const table = tableFromColumns({
      row: Int32Array.from({ length: R }, (_, i) => i),
      base_value: new Float64Array(R).fill(base),
      output: fx,
      ...Object.fromEntries(features.map((f, j) => [`shap_${f}`, shap[j]!])),
    });
    return { shap: table, chart: shapChart(features, shap, target.outputName) };
  },
});

/** A single row's signed SHAP values, or the mean |SHAP| per feature over several rows; largest first. */
function shapChart(features: string[], shap: Float64Array[], outputName: string): ChartValue {
  const R = shap[0]?.length ?? 0;
  const value = shap.map((s) => (R === 1 ? s[0]! : s.reduce((a, v) => a + Math.abs(v), 0) / R));
  const order = features.map((_, j) => j).sort((a, b) => Math.abs(value[b]!) - Math.abs(value[a]!));
  return {
    kind: "bar",
    title: R === 1 ? `SHAP values for ${outputName}` : `Mean |SHAP| for ${outputName} over ${R} rows`,
    xLabel: "feature",
    yLabel: R === 1 ? "SHAP value" : "mean |SHAP value|",
    categories: order.map((j) => features[j]!),
    series: [{ name: R === 1 ? "SHAP" : "mean |SHAP|", x: order.map((_, k) => k), y: order.map((j) => value[j]!) }],
  };
}

function sampleRows(table: Table, max: number, random: () => number): Table {
  if (table.numRows <= max) return table;
  const pick = shuffleInPlace(Int32Array.from({ length: table.numRows }, (_, i) => i), random).subarray(0, max);
  return gatherRows(table, Int32Array.from(pick).sort());
}

/**
 * `rows`' then `background`'s values of feature `f` as a one-column, one-batch table. Numbers become float64
 * (missing = NaN) and text stays text, which is how the models read them either way.
 */
function combinedColumn(rows: Table, background: Table, f: string): Table {
  const a = dtypeOf(rows.getChild(f)!.type);
  const b = dtypeOf(background.getChild(f)!.type);
  const numeric = (d: string) => d === "float" || d === "int" || d === "bool";
  if (numeric(a) && numeric(b)) {
    const x = numericColumn(rows, f);
    const y = numericColumn(background, f);
    const out = new Float64Array(x.length + y.length);
    out.set(x);
    out.set(y, x.length);
    return tableFromColumns({ [f]: out });
  }
  if (a === "string" && b === "string") return tableFromColumns({ [f]: [...stringColumn(rows, f), ...stringColumn(background, f)] });
  return fail("type_mismatch", `Column "${f}" holds ${a} values in the rows to explain but ${b} values in the background; they must match.`, "background");
}
