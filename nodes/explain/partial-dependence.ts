/**
 * Partial dependence (Friedman 2001; scikit-learn's `partial_dependence` with `kind="average"`): the model's
 * average output over the data when one feature (or a pair) is set to each value of a grid. The grid is
 * scikit-learn's: the distinct values when fewer than the resolution, else evenly spaced between two
 * percentiles; text features use their categories.
 */
import type { Table } from "apache-arrow";
import { z } from "zod";
import { dtypeOf, gatherRows, numericColumn, stringColumn, tableFromColumns, type ColumnData } from "../core/arrow";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { p } from "../core/params";
import { port } from "../core/ports";
import { mulberry32, shuffleInPlace } from "../core/random";
import type { ChartValue } from "../core/values";
import { compare } from "../training/columns";
import { explainTarget, modelOutput, pickFeatures, requireFeatures } from "./model-output";

/** Model evaluations per scoring call. */
const ROWS_PER_CALL = 65536;

const params = z.object({
  features: p.columns({ port: "data", title: "Features", description: "One feature (a curve) or two (a heat map) of the model." }),
  targetClass: z.string().default("").meta({
    title: "Class",
    description: "Classifiers: the class whose probability is plotted. Empty: the positive class (two classes) or the first class.",
  }),
  gridResolution: z.number().int().min(2).max(200).default(20).meta({
    title: "Grid points",
    description: "Values tried per numeric feature (fewer when it has fewer distinct values); the most frequent categories of a text feature.",
  }),
  lowerPercentile: z.number().min(0).max(1).default(0.05).meta({ title: "Lower percentile", description: "Numeric grids start here, so outliers do not stretch the plot." }),
  upperPercentile: z.number().min(0).max(1).default(0.95).meta({ title: "Upper percentile" }),
  maxRows: z.number().int().min(0).default(1000).meta({ title: "Max rows", description: "Average over a seeded sample of at most this many rows (0: all rows)." }),
  seed: z.number().int().default(0).meta({ title: "Seed" }),
});

type Grid = { name: string; numeric: true; values: number[] } | { name: string; numeric: false; values: string[] };

export default defineNode({
  kind: "explain/partial-dependence",
  version: 1,
  title: "Partial dependence",
  category: "Explain",
  description:
    "How the model's prediction changes with one feature (a line) or two (a heat map), on average over the data: every row gets each grid value in turn and the model's outputs are averaged. Shows the shape of a feature's effect, e.g. income probability rising with age then flattening.",
  inputs: { model: port.model({ label: "Model" }), data: port.table({ label: "Data" }) },
  outputs: { values: port.table({ label: "Partial dependence" }), chart: port.chart({ label: "Chart" }) },
  params,
  resources: { heavy: true },
  infer: ({ inputs, params }) => {
    const t = inputs.data?.table;
    if (!t || params.features.length < 1 || params.features.length > 2) return { chart: {} };
    const columns = params.features.map((f) => {
      const c = t.columns.find((x) => x.name === f);
      return { name: f, dtype: c?.dtype === "string" ? ("string" as const) : ("float" as const) };
    });
    return { values: { table: { columns: [...columns, { name: "average", dtype: "float" }] } }, chart: {} };
  },
  async run({ inputs, params, ctx }) {
    const { model } = inputs;
    const target = explainTarget(model, params.targetClass);
    if (params.features.length === 0) fail("no_features", "Pick one or two features to plot.", "features");
    if (params.features.length > 2) fail("too_many_features", `Partial dependence plots one or two features; ${params.features.length} are picked.`, "features");
    const features = pickFeatures(target, params.features);
    if (params.lowerPercentile >= params.upperPercentile) fail("bad_percentiles", "The lower percentile must be below the upper one.", "lowerPercentile");
    if (inputs.data.numRows === 0) fail("no_rows", "The data table has no rows to average over.", "data");
    requireFeatures(target, inputs.data, "data");

    const random = mulberry32(params.seed);
    const data = sample(inputs.data.select(target.features), params.maxRows, random);
    const grids = features.map((f) => grid(data, f, params));
    const n = data.numRows;
    const points = grids.reduce((acc, g) => acc * g.values.length, 1);
    const g2 = grids[1]?.values.length ?? 1;
    const average = new Float64Array(points);
    const perCall = Math.max(1, Math.floor(ROWS_PER_CALL / n));
    const gridTables = grids.map((g) => tableFromColumns({ [g.name]: (g.numeric ? Float64Array.from(g.values) : g.values) as ColumnData }));
    const getTf = () => ctx.runtime.tf();
    for (let p0 = 0; p0 < points; p0 += perCall) {
      ctx.signal.throwIfAborted();
      const p1 = Math.min(points, p0 + perCall);
      const rowIdx = new Int32Array((p1 - p0) * n);
      const gridIdx = grids.map(() => new Int32Array((p1 - p0) * n));
      for (let q = p0; q < p1; q++) {
        const at = (q - p0) * n;
        const which = grids.length === 2 ? [Math.floor(q / g2), q % g2] : [q];
        for (let r = 0; r < n; r++) {
          rowIdx[at + r] = r;
          which.forEach((w, j) => (gridIdx[j]![at + r] = w));
        }
      }
      let table = gatherRows(data, rowIdx);
      grids.forEach((g, j) => (table = table.setChild(g.name, gatherRows(gridTables[j]!, gridIdx[j]!).getChild(g.name)!)));
      const out = await modelOutput(model, target, table, getTf);
      for (let q = p0; q < p1; q++) {
        let s = 0;
        for (let r = 0; r < n; r++) s += out[(q - p0) * n + r]!;
        average[q] = s / n;
      }
      ctx.progress(p1 / points);
    }
    ctx.log(`Partial dependence of ${target.outputName} on ${features.join(" × ")}: ${points} grid points averaged over ${n} rows`);

    const columns: Record<string, ColumnData> = {};
    grids.forEach((g, j) => {
      const at = (q: number) => (grids.length === 2 ? (j === 0 ? Math.floor(q / g2) : q % g2) : q);
      columns[g.name] = g.numeric ? Float64Array.from({ length: points }, (_, q) => g.values[at(q)]!) : Array.from({ length: points }, (_, q) => g.values[at(q)]!);
    });
    columns.average = average;
    return { values: tableFromColumns(columns), chart: chartOf(grids, average, target.outputName) };
  },
});

function chartOf(grids: Grid[], average: Float64Array, outputName: string): ChartValue {
  const [a, b] = grids as [Grid, Grid | undefined];
  const title = `Partial dependence of ${outputName} on ${grids.map((g) => g.name).join(" and ")}`;
  if (!b && a.numeric) return { kind: "line", title, xLabel: a.name, yLabel: outputName, series: [{ name: outputName, x: a.values, y: Array.from(average) }] };
  if (!b)
    return { kind: "bar", title, xLabel: a.name, yLabel: outputName, categories: a.values.map(String), series: [{ name: outputName, x: a.values.map((_, i) => i), y: Array.from(average) }] };
  const cols = b.values.length;
  return {
    kind: "heatmap",
    title,
    xLabel: b.name,
    yLabel: a.name,
    matrix: a.values.map((_, i) => Array.from(average.subarray(i * cols, (i + 1) * cols))),
    rowLabels: a.values.map(label),
    colLabels: b.values.map(label),
  };
}

function label(v: number | string): string {
  return typeof v === "number" ? String(Number(v.toPrecision(4))) : v;
}

function sample(table: Table, max: number, random: () => number): Table {
  const n = table.numRows;
  const idx = Int32Array.from({ length: n }, (_, i) => i);
  // Always gathered: one record batch, so the tiling below takes the column-wise fast path.
  return gatherRows(table, max > 0 && n > max ? Int32Array.from(shuffleInPlace(idx, random).subarray(0, max)).sort() : idx);
}

/** scikit-learn's grid for one feature (`_grid_from_X`); text: the most frequent categories, sorted. */
export function grid(table: Table, name: string, opts: { gridResolution: number; lowerPercentile: number; upperPercentile: number }): Grid {
  const dt = dtypeOf(table.getChild(name)!.type);
  if (dt === "string") {
    const counts = new Map<string, number>();
    for (const v of stringColumn(table, name)) if (v !== null) counts.set(v, (counts.get(v) ?? 0) + 1);
    if (!counts.size) fail("no_values", `Feature "${name}" has no values in these rows.`, "features");
    const top = [...counts.entries()].sort((x, y) => y[1] - x[1] || compare(x[0], y[0])).slice(0, opts.gridResolution);
    return { name, numeric: false, values: top.map((e) => e[0]).sort(compare) };
  }
  const x = Array.from(numericColumn(table, name)).filter((v) => !Number.isNaN(v)).sort((p, q) => p - q);
  if (!x.length) fail("no_values", `Feature "${name}" has no values in these rows.`, "features");
  const distinct = [...new Set(x)];
  if (distinct.length < opts.gridResolution) return { name, numeric: true, values: distinct };
  const lo = percentile(x, opts.lowerPercentile);
  const hi = percentile(x, opts.upperPercentile);
  if (lo === hi) return { name, numeric: true, values: [lo] };
  const k = opts.gridResolution;
  return { name, numeric: true, values: Array.from({ length: k }, (_, i) => lo + ((hi - lo) * i) / (k - 1)) };
}

/** numpy's default (linear) percentile of sorted values. */
function percentile(sorted: number[], q: number): number {
  const pos = q * (sorted.length - 1);
  const i = Math.floor(pos);
  const frac = pos - i;
  return i + 1 < sorted.length ? sorted[i]! + frac * (sorted[i + 1]! - sorted[i]!) : sorted[i]!;
}
