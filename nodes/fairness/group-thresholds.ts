/**
 * Post-processing mitigation: a separate decision threshold per group of the sensitive column, chosen on the
 * input predictions so that every group gets (as nearly as its scores allow) the same selection rate or the same
 * true positive rate.
 */
import { z } from "zod";
import { tableFromColumns } from "../core/arrow";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { p } from "../core/params";
import { port } from "../core/ports";
import type { ChartValue } from "../core/values";
import { binaryLabel, scoreColumn, sensitiveGroups } from "./outcomes";
import { chooseThreshold, rateAt, type Objective } from "./threshold-search";

const params = z.object({
  sensitive: p.column({ port: "predictions", title: "Sensitive column", description: "The column whose groups get their own threshold (e.g. sex). Empty: the column with the sensitive role." }),
  label: p.column({ port: "predictions", title: "Label", description: "Column with the true classes. Empty: the column with the label role." }),
  score: p.column({ port: "predictions", title: "Score", dtype: "numeric", description: "Column with the predicted probability of the favourable class. Empty: the column with the score role." }),
  positiveClass: z.string().default("").meta({ title: "Favourable class", description: "The outcome that counts as being selected. Empty: the last class in sort order (e.g. >50K, 1, true)." }),
  objective: z.enum(["selection_rate", "tpr"]).default("selection_rate").meta({
    title: "Equalize",
    description: "selection_rate: every group is selected equally often (demographic parity). tpr: every group has the same share of its truly favourable rows selected (equal opportunity).",
  }),
  target: z.enum(["overall", "custom"]).default("overall").meta({
    title: "Target rate",
    description: "overall: the rate all rows together get at the base threshold. custom: the rate given below.",
  }),
  customRate: z.number().min(0).max(1).default(0.25).meta({ title: "Custom rate", description: "The rate every group should reach when Target rate is custom." }),
  baseThreshold: z.number().min(0).max(1).default(0.5).meta({ title: "Base threshold", description: "The single threshold used so far; sets the overall target rate and is shown for comparison." }),
});

export default defineNode({
  kind: "fairness/group-thresholds",
  version: 1,
  title: "Per-group thresholds",
  category: "Fairness",
  description:
    "Reduces bias after training by using a different score cut-off for each group of a sensitive column, chosen so that every group is selected equally often, or so that every group has the same share of its truly favourable cases found. Outputs the predictions with the adjusted decisions and the chosen thresholds. Choose thresholds on validation data, then check them with Fairness metrics on test data.",
  inputs: { predictions: port.table({ label: "Predictions", description: "Rows with the true label, a score and the sensitive column, e.g. the Predictions output of Classification metrics." }) },
  outputs: {
    predictions: port.table({ label: "Adjusted predictions" }),
    thresholds: port.report({ label: "Thresholds", description: "{ objective, target, sensitive, thresholds: { group: threshold }, groups: [...] }" }),
    chart: port.chart({ label: "Before / after chart" }),
  },
  params,
  infer: ({ inputs }) => {
    const t = inputs.predictions?.table;
    return {
      predictions: t
        ? { table: { columns: [...t.columns.filter((c) => c.name !== "prediction" && c.name !== "threshold" && c.role !== "prediction"), { name: "prediction", dtype: "string", role: "prediction" }, { name: "threshold", dtype: "float" }] } }
        : undefined,
      thresholds: {},
      chart: {},
    };
  },
  async run({ inputs, params, ctx }) {
    const table = inputs.predictions;
    if (table.numRows === 0) fail("no_rows", "The predictions table has no rows.", "predictions");
    const sens = sensitiveGroups(table, params.sensitive);
    const label = binaryLabel(table, params.label, params.positiveClass);
    const score = scoreColumn(table, params.score);
    if (!score) fail("no_score", "Pick the score column (predicted probability of the favourable class): no column has the score role.", "score");
    const objective: Objective = params.objective;

    const rows: number[] = [];
    for (let i = 0; i < table.numRows; i++) if (label.code[i]! >= 0 && !Number.isNaN(score.values[i]!)) rows.push(i);
    if (rows.length < table.numRows) ctx.log(`${table.numRows - rows.length} rows without a label or score are left out of the search`, "warn");
    const allScores = Float64Array.from(rows, (i) => score.values[i]!);
    const allPos = Uint8Array.from(rows, (i) => label.code[i]!);
    if (!allPos.includes(0) || !allPos.includes(1))
      fail("single_class", `The label "${label.column}" has only one class in the rows with a score; both are needed.`, "label");
    const target = params.target === "custom" ? params.customRate : rateAt(allScores, allPos, objective, params.baseThreshold)!;
    ctx.progress(0.2);

    const perGroup = sens.groups.map((g, gi) => {
      const idx = rows.filter((i) => sens.code[i] === gi);
      const s = Float64Array.from(idx, (i) => score.values[i]!);
      const pos = Uint8Array.from(idx, (i) => label.code[i]!);
      const choice = idx.length ? chooseThreshold(s, pos, objective, target) : undefined;
      if (idx.length && !choice) ctx.log(`Group "${g}" has no favourable rows, so its TPR is undefined: it keeps the base threshold`, "warn");
      const threshold = choice?.threshold ?? params.baseThreshold;
      return {
        group: g,
        rows: idx.length,
        threshold,
        before: { selection_rate: rateAt(s, pos, "selection_rate", params.baseThreshold) ?? null, tpr: rateAt(s, pos, "tpr", params.baseThreshold) ?? null },
        after: { selection_rate: rateAt(s, pos, "selection_rate", threshold) ?? null, tpr: rateAt(s, pos, "tpr", threshold) ?? null },
      };
    });
    ctx.signal.throwIfAborted();
    ctx.progress(0.7);

    const byGroup = new Map(perGroup.map((g) => [g.group, g.threshold]));
    const thr = new Float64Array(table.numRows);
    const prediction: Array<string | null> = new Array(table.numRows);
    for (let i = 0; i < table.numRows; i++) {
      thr[i] = byGroup.get(sens.groups[sens.code[i]!]!)!;
      const s = score.values[i]!;
      prediction[i] = Number.isNaN(s) ? null : s >= thr[i]! ? label.classes[1] : label.classes[0];
    }
    const keep = table.schema.fields.filter((f) => f.name !== "prediction" && f.name !== "threshold" && f.metadata.get("lattice.role") !== "prediction").map((f) => f.name);
    const predictions = table.select(keep).assign(
      tableFromColumns({ prediction, threshold: thr }, { prediction: "prediction" }),
    );
    for (const g of perGroup) ctx.log(`"${g.group}": threshold ${g.threshold.toFixed(4)} → ${objective} ${fmt(g.after[objective])} (was ${fmt(g.before[objective])})`);
    const chart: ChartValue = {
      kind: "bar",
      title: `${objective === "tpr" ? "True positive rate" : "Selection rate"} per group of ${sens.column}`,
      xLabel: sens.column,
      yLabel: objective === "tpr" ? "true positive rate" : "selection rate",
      categories: perGroup.map((g) => g.group),
      series: [
        { name: `before (threshold ${params.baseThreshold})`, x: perGroup.map((_, i) => i), y: perGroup.map((g) => g.before[objective] ?? 0) },
        { name: "after (per-group thresholds)", x: perGroup.map((_, i) => i), y: perGroup.map((g) => g.after[objective] ?? 0) },
      ],
    };
    ctx.progress(1);
    return {
      predictions,
      thresholds: {
        objective,
        target,
        sensitive: sens.column,
        positiveClass: label.classes[1],
        baseThreshold: params.baseThreshold,
        thresholds: Object.fromEntries(byGroup),
        groups: perGroup,
      },
      chart,
    };
  },
});

const fmt = (v: number | null) => (v === null ? "n/a" : v.toFixed(3));
