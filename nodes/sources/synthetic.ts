/**
 * Synthetic data: a seeded table for classification or regression with a sensitive attribute whose effect on
 * the label is a setting, so fairness checks (and their failure) can be shown with no download.
 *
 * Model of the data (all draws from one mulberry32 stream, in a fixed order, so a seed gives identical output):
 * - features x1..xn ~ N(0, 1) independently; the first `informative` carry signal with weights w (|w| in
 *   [0.5, 1.5), random sign, rescaled so the hidden score s = Σ w·x has variance 1);
 * - group ∈ {A, B} with P(B) = `groupBShare`; with `proxy` > 0 the last uninformative feature is mixed with the
 *   group (proxy·(±1) + √(1−proxy²)·N(0,1)), so dropping the group column does not hide it from a model;
 * - z = s + noise·N(0, 1) − bias·[group = B];
 * - classification: label = 1 when z > 0, else 0 (about half positive in group A; bias > 0 gives group B fewer 1s);
 *   regression: label = z.
 */
import { z } from "zod";
import { tableFromColumns, type ColumnData } from "../core/arrow";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { port } from "../core/ports";
import { mulberry32 } from "../core/random";
import type { ColumnInfo, TableInfo } from "../core/schema";
import type { ChartValue } from "../core/values";

const params = z.object({
  task: z
    .enum(["classification", "regression"])
    .default("classification")
    .meta({ title: "Task", description: "Classification: the label is 0 or 1. Regression: the label is a number." }),
  rows: z.number().int().min(10).max(10_000_000).default(2000).meta({ title: "Rows" }),
  features: z.number().int().min(1).max(500).default(6).meta({ title: "Features", description: "How many feature columns (x1, x2, …) to make." }),
  informative: z
    .number()
    .int()
    .min(1)
    .max(500)
    .default(4)
    .meta({ title: "Informative features", description: "How many of the features actually influence the label; the rest are pure noise." }),
  noise: z
    .number()
    .min(0)
    .max(10)
    .default(0.5)
    .meta({ title: "Noise", description: "Randomness added to the label. 0: the features decide it exactly; 1: as much randomness as signal." }),
  sensitive: z.boolean().default(true).meta({ title: "Add a group column", description: "Adds a column \"group\" (A or B), marked as sensitive, for fairness checks." }),
  groupBShare: z.number().min(0.01).max(0.99).default(0.4).meta({ title: "Share of group B", description: "Fraction of rows in group B (the rest are in group A)." }),
  bias: z
    .number()
    .min(-3)
    .max(3)
    .default(0.5)
    .meta({
      title: "Bias against group B",
      description: "How much being in group B lowers the label. 0: no unfairness in the data; 0.5: clearly fewer positive labels for B; negative values favour B.",
    }),
  proxy: z
    .number()
    .min(0)
    .max(0.99)
    .default(0)
    .meta({
      title: "Proxy strength",
      description: "How strongly the last non-informative feature reveals the group (0: not at all). Shows that removing the group column does not remove bias.",
    }),
  seed: z.number().int().default(42).meta({ title: "Seed", description: "The same seed always gives the same table." }),
});
type Params = z.output<typeof params>;

const LABEL = "label";
const GROUP = "group";

function checkParams(prm: Params): void {
  if (prm.informative > prm.features)
    fail("too_many_informative", `"Informative features" (${prm.informative}) cannot be more than "Features" (${prm.features}). Lower it or add features.`, "informative");
  if (prm.proxy > 0 && !prm.sensitive) fail("proxy_without_group", '"Proxy strength" needs a group to reveal: turn on "Add a group column", or set it to 0.', "proxy");
  if (prm.proxy > 0 && prm.informative === prm.features)
    fail("no_proxy_feature", '"Proxy strength" uses the last non-informative feature, but every feature is informative. Add a feature or set it to 0.', "proxy");
}

function outputInfo(prm: Params): TableInfo {
  const columns: ColumnInfo[] = Array.from({ length: prm.features }, (_, j) => ({ name: `x${j + 1}`, dtype: "float" as const }));
  if (prm.sensitive) columns.push({ name: GROUP, dtype: "string", role: "sensitive" });
  columns.push({ name: LABEL, dtype: prm.task === "classification" ? "int" : "float", role: "label" });
  return { columns, rows: prm.rows };
}

/** Standard normal draw (Box–Muller, one value per two uniforms: simple and order-stable). */
function gaussian(r: () => number): number {
  return Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
}

export default defineNode({
  kind: "sources/synthetic",
  version: 1,
  title: "Synthetic data",
  category: "Sources",
  description:
    "Makes up a table of example data: feature columns x1, x2, … and a label to predict, plus an optional group column (A or B). You choose how much the group affects the label, so you can see a fairness check catch unfair data. The same seed always gives the same table.",
  inputs: {},
  outputs: { table: port.table({ label: "Table" }), report: port.report({ label: "About the data" }), chart: port.chart({ label: "Label by group" }) },
  params,
  infer: ({ params: prm }) => {
    checkParams(prm);
    return { table: { table: outputInfo(prm) } };
  },
  async run({ params: prm, ctx }) {
    checkParams(prm);
    const r = mulberry32(prm.seed);
    const n = prm.rows;
    const k = prm.informative;
    const raw = Array.from({ length: k }, () => (r() < 0.5 ? -1 : 1) * (0.5 + r()));
    const norm = Math.sqrt(raw.reduce((a, w) => a + w * w, 0));
    const weights = raw.map((w) => w / norm);
    const proxyCol = prm.proxy > 0 ? prm.features - 1 : -1;
    const mix = Math.sqrt(1 - prm.proxy * prm.proxy);

    const xs = Array.from({ length: prm.features }, () => new Float64Array(n));
    const groups: string[] = prm.sensitive ? new Array(n) : [];
    const label = prm.task === "classification" ? new Int32Array(n) : new Float64Array(n);
    const CHUNK = 65_536;
    for (let i = 0; i < n; i++) {
      if (i % CHUNK === 0) {
        ctx.signal.throwIfAborted();
        ctx.progress((0.9 * i) / n, "Generating rows");
      }
      const inB = prm.sensitive && r() < prm.groupBShare;
      if (prm.sensitive) groups[i] = inB ? "B" : "A";
      let s = 0;
      for (let j = 0; j < prm.features; j++) {
        const x = j === proxyCol ? prm.proxy * (inB ? 1 : -1) + mix * gaussian(r) : gaussian(r);
        xs[j]![i] = x;
        if (j < k) s += weights[j]! * x;
      }
      const zv = s + prm.noise * gaussian(r) - (inB ? prm.bias : 0);
      label[i] = prm.task === "classification" ? (zv > 0 ? 1 : 0) : zv;
    }

    const cols: Record<string, ColumnData> = {};
    xs.forEach((x, j) => (cols[`x${j + 1}`] = x));
    if (prm.sensitive) cols[GROUP] = groups;
    cols[LABEL] = label;
    const table = tableFromColumns(cols, prm.sensitive ? { [GROUP]: "sensitive", [LABEL]: "label" } : { [LABEL]: "label" });

    // Mean label per group: the positive rate for classification, the average for regression.
    const names = prm.sensitive ? ["A", "B"] : ["all"];
    const sums = [0, 0];
    const counts = [0, 0];
    for (let i = 0; i < n; i++) {
      const g = prm.sensitive && groups[i] === "B" ? 1 : 0;
      sums[g]! += label[i]!;
      counts[g]!++;
    }
    const means = names.map((_, g) => (counts[g] ? sums[g]! / counts[g]! : 0));
    const measure = prm.task === "classification" ? "share of label 1" : "mean label";
    const chart: ChartValue = {
      kind: "bar",
      title: prm.task === "classification" ? "Positive labels by group" : "Mean label by group",
      xLabel: "group",
      yLabel: measure,
      categories: names,
      series: [{ name: measure, x: names.map((_, i) => i), y: means }],
    };
    const report = {
      task: prm.task,
      rows: n,
      seed: prm.seed,
      informativeFeatures: weights.map((w, j) => ({ feature: `x${j + 1}`, weight: w })),
      noiseFeatures: xs.slice(k).map((_, j) => `x${k + j + 1}`),
      proxyFeature: proxyCol >= 0 ? `x${proxyCol + 1}` : null,
      groups: names.map((g, i) => ({ group: g, rows: counts[i], [prm.task === "classification" ? "positiveRate" : "meanLabel"]: means[i] })),
      summary: prm.sensitive
        ? `Group B (${counts[1]} rows) has ${measure} ${means[1]!.toFixed(3)} vs ${means[0]!.toFixed(3)} for group A (${counts[0]} rows); bias setting ${prm.bias}.`
        : `${n} rows, ${measure} ${means[0]!.toFixed(3)}.`,
    };
    ctx.metric("rows", n);
    ctx.progress(1);
    return { table, report, chart };
  },
  resources: { heavy: true },
});
