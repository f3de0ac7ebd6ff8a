/**
 * Fairness across the groups of a sensitive column, from a predictions table: per-group selection rate, TPR, FPR,
 * precision, accuracy and count; fairlearn's disparity metrics; and a pass/fail gate that publishing reads.
 */
import { Float64, Int32, Table, Utf8, vectorFromArray } from "apache-arrow";
import { z } from "zod";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { p } from "../core/params";
import { port } from "../core/ports";
import type { ChartValue, MetricsValue } from "../core/values";
import { disparities, groupRates, type Disparities, type GroupRates } from "./group-rates";
import { binaryLabel, binaryPrediction, scoreColumn, sensitiveGroups } from "./outcomes";

const limit = (title: string, description: string, value: number) => z.number().min(0).max(1).default(value).meta({ title, description });

const params = z.object({
  sensitive: p.column({ port: "predictions", title: "Sensitive column", description: "The column whose groups are compared (e.g. sex or race). Empty: the column with the sensitive role." }),
  label: p.column({ port: "predictions", title: "Label", description: "Column with the true classes. Empty: the column with the label role." }),
  prediction: p.column({ port: "predictions", title: "Prediction", description: "Column with the predicted classes. Empty: the column with the prediction role, else the score column cut at Threshold." }),
  score: p.column({ port: "predictions", title: "Score", dtype: "numeric", description: "Column with the predicted probability of the positive class (used for per-group ROC-AUC). Empty: the column with the score role." }),
  positiveClass: z.string().default("").meta({ title: "Favourable class", description: "The outcome that counts as being selected (e.g. >50K, approved). Empty: the last class in sort order." }),
  threshold: z.number().min(0).max(1).default(0.5).meta({ title: "Threshold", description: "Only when there is no prediction column: a row counts as selected when its score is at least this." }),
  maxParityDifference: limit("Max demographic parity difference", "Largest allowed gap between the highest and lowest group selection rate. 1 turns the check off.", 0.1),
  minDisparateImpact: limit("Min disparate impact", "Lowest allowed ratio of the lowest to the highest group selection rate; 0.8 is the four-fifths rule. 0 turns the check off.", 0.8),
  maxEqualizedOddsDifference: limit("Max equalized odds difference", "Largest allowed gap between groups in true positive rate or false positive rate. 1 turns the check off.", 0.1),
  maxEqualOpportunityDifference: limit("Max equal opportunity difference", "Largest allowed gap between groups in true positive rate. 1 turns the check off.", 1),
  onFail: z.enum(["report", "stop"]).default("report").meta({
    title: "When the gate fails",
    description: "report: the gate output says failed (publishing is blocked) and the run goes on. stop: the node fails and the run stops.",
  }),
});

/** One check of the fairness gate. */
export interface GateCheck {
  metric: keyof Disparities;
  value: number | null;
  threshold: number;
  /** `max`: the value must be at most the threshold; `min`: at least. */
  direction: "max" | "min";
  passed: boolean;
  message: string;
}

/** The gate report publishing reads: `passed` is false when any enabled check failed. */
export interface FairnessGate {
  passed: boolean;
  sensitive: string;
  checks: GateCheck[];
}

const GROUP_COLUMNS = [
  { name: "group", dtype: "string" as const },
  { name: "count", dtype: "int" as const },
  { name: "positives", dtype: "int" as const },
  ...["selection_rate", "tpr", "fpr", "precision", "accuracy", "roc_auc", "selection_rate_ratio"].map((name) => ({ name, dtype: "float" as const })),
];

export default defineNode({
  kind: "fairness/group-metrics",
  version: 1,
  title: "Fairness metrics",
  category: "Fairness",
  description:
    "Checks whether the model treats the groups of a sensitive column (such as sex or race) alike. For each group it shows how often people are selected (predicted the favourable class), how many of the truly favourable are found (true positive rate), how many others are wrongly selected (false positive rate), precision, accuracy and size. It then measures the gaps between groups (demographic parity, equalized odds, equal opportunity, disparate impact with the four-fifths rule, all as fairlearn defines them) and passes or fails a gate against the limits you set; publishing a model reads that gate.",
  inputs: { predictions: port.table({ label: "Predictions", description: "Rows with the true label, the predicted class (or a score) and the sensitive column, e.g. the Predictions output of Classification metrics." }) },
  outputs: {
    metrics: port.metrics({ label: "Fairness metrics" }),
    groups: port.table({ label: "Per-group rates" }),
    gate: port.report({ label: "Fairness gate", description: "{ passed, checks: [{ metric, value, threshold, passed, message }] }" }),
    chart: port.chart({ label: "Per-group chart" }),
  },
  params,
  keyMetric: "demographic_parity_difference",
  infer: () => ({ metrics: {}, gate: {}, chart: {}, groups: { table: { columns: GROUP_COLUMNS } } }),
  async run({ inputs, params, ctx }) {
    const table = inputs.predictions;
    if (table.numRows === 0) fail("no_rows", "The predictions table has no rows.", "predictions");
    const sens = sensitiveGroups(table, params.sensitive);
    const label = binaryLabel(table, params.label, params.positiveClass);
    const pred = binaryPrediction(table, { prediction: params.prediction, score: params.score, threshold: params.threshold, classes: label.classes });
    const score = scoreColumn(table, params.score);
    ctx.progress(0.3);

    const rows: number[] = [];
    for (let i = 0; i < table.numRows; i++)
      if (label.code[i]! >= 0 && pred.code[i]! >= 0 && (!score || !Number.isNaN(score.values[i]!))) rows.push(i);
    if (rows.length < table.numRows)
      ctx.log(`${table.numRows - rows.length} rows without a label, prediction or score are left out`, "warn");
    if (!rows.length) fail("no_rows", `No row has both a "${label.column}" value and a prediction.`, "label");
    const yTrue = Uint8Array.from(rows, (i) => label.code[i]!);
    if (!yTrue.includes(0) || !yTrue.includes(1))
      fail("single_class", `The label "${label.column}" has only one class in the rows with a prediction; fairness rates need both classes.`, "label");
    const yPred = Uint8Array.from(rows, (i) => pred.code[i]!);
    const group = Int32Array.from(rows, (i) => sens.code[i]!);
    const present = new Set(group);
    const k = sens.groups.length;
    const rates = groupRates(yTrue, yPred, group, k, score ? Float64Array.from(rows, (i) => score.values[i]!) : undefined);
    if (present.size < 2)
      fail("single_group", `Only one group of "${sens.column}" has labelled, predicted rows, so there is nothing to compare.`, "sensitive");
    const used = rates.map((r, g) => ({ ...r, group: sens.groups[g]! })).filter((r) => r.count > 0);
    for (const r of used)
      if (r.positives === 0 || r.positives === r.count)
        ctx.log(`Group "${r.group}" has only ${r.positives ? "favourable" : "unfavourable"} rows: its ${r.positives ? "FPR" : "TPR"} is set to 0 (fairlearn's convention)`, "warn");
    const d = disparities(used);
    ctx.progress(0.7);

    const gate = evaluateGate(d, used, params, sens.column);
    const maxSel = Math.max(...used.map((r) => r.selection_rate));
    const overallSel = yPred.reduce((a, b) => a + b, 0) / yPred.length;
    const overallAcc = yTrue.reduce((a, t, i) => a + (t === yPred[i] ? 1 : 0), 0) / yTrue.length;
    const metrics: MetricsValue = {
      values: { ...d, selection_rate: overallSel, accuracy: overallAcc, groups: used.length, gate_passed: gate.passed ? 1 : 0 },
      details: { sensitive: sens.column, label: label.column, positiveClass: label.classes[1], prediction: pred.column, predictionFromScore: pred.fromScore, groups: used },
    };
    const groups = new Table({
      group: vectorFromArray(used.map((r) => r.group), new Utf8()),
      count: vectorFromArray(used.map((r) => r.count), new Int32()),
      positives: vectorFromArray(used.map((r) => r.positives), new Int32()),
      ...Object.fromEntries(
        (["selection_rate", "tpr", "fpr", "precision", "accuracy", "roc_auc"] as const).map((m) => [m, vectorFromArray(used.map((r) => r[m]), new Float64())]),
      ),
      selection_rate_ratio: vectorFromArray(used.map((r) => (maxSel ? r.selection_rate / maxSel : null)), new Float64()),
    });
    for (const c of gate.checks) ctx.log(c.message, c.passed ? "info" : "warn");
    if (!gate.passed && params.onFail === "stop")
      fail("fairness_gate_failed", `The fairness gate failed on "${sens.column}": ${gate.checks.filter((c) => !c.passed).map((c) => c.message).join(" ")}`, "onFail");
    ctx.progress(1);
    return { metrics, groups, gate: { ...gate }, chart: groupChart(used, sens.column) };
  },
});

type Limits = Pick<z.output<typeof params>, "maxParityDifference" | "minDisparateImpact" | "maxEqualizedOddsDifference" | "maxEqualOpportunityDifference">;

const NAMES: Record<keyof Disparities, string> = {
  demographic_parity_difference: "Demographic parity difference",
  demographic_parity_ratio: "Demographic parity ratio",
  equalized_odds_difference: "Equalized odds difference",
  equalized_odds_ratio: "Equalized odds ratio",
  equal_opportunity_difference: "Equal opportunity difference",
  equal_opportunity_ratio: "Equal opportunity ratio",
  disparate_impact: "Disparate impact",
};

/** The enabled checks (a max limit of 1 or a min limit of 0 can never fail, so it is off) and their verdicts. */
export function evaluateGate(d: Disparities, groups: Array<GroupRates & { group: string }>, limits: Limits, sensitive: string): FairnessGate {
  const specs: Array<{ metric: keyof Disparities; threshold: number; direction: "max" | "min"; rate: "selection_rate" | "tpr" | "fpr" }> = [
    { metric: "demographic_parity_difference", threshold: limits.maxParityDifference, direction: "max", rate: "selection_rate" },
    { metric: "disparate_impact", threshold: limits.minDisparateImpact, direction: "min", rate: "selection_rate" },
    { metric: "equalized_odds_difference", threshold: limits.maxEqualizedOddsDifference, direction: "max", rate: "tpr" },
    { metric: "equal_opportunity_difference", threshold: limits.maxEqualOpportunityDifference, direction: "max", rate: "tpr" },
  ];
  const checks = specs
    .filter((s) => (s.direction === "max" ? s.threshold < 1 : s.threshold > 0))
    .map((s): GateCheck => {
      const value = d[s.metric];
      const name = NAMES[s.metric];
      if (value === null)
        return { ...s, value, passed: false, message: `${name} could not be computed: no group has any selected rows. Check the threshold or the model.` };
      const passed = s.direction === "max" ? value <= s.threshold : value >= s.threshold;
      const rate = s.metric === "equalized_odds_difference" && spread(groups, "fpr") > spread(groups, "tpr") ? "fpr" : s.rate;
      const lo = groups.reduce((a, b) => (b[rate] < a[rate] ? b : a));
      const hi = groups.reduce((a, b) => (b[rate] > a[rate] ? b : a));
      const range = `${RATE_NAMES[rate]} ranges from ${fmt(lo[rate])} ("${lo.group}") to ${fmt(hi[rate])} ("${hi.group}")`;
      const verdict = passed
        ? `${name} ${fmt(value)} is within the limit (${s.direction === "max" ? "at most" : "at least"} ${fmt(s.threshold)}).`
        : `${name} ${fmt(value)} is ${s.direction === "max" ? "above" : "below"} the limit ${fmt(s.threshold)}: ${range} across ${sensitive}.`;
      return { metric: s.metric, value, threshold: s.threshold, direction: s.direction, passed, message: verdict };
    });
  return { passed: checks.every((c) => c.passed), sensitive, checks };
}

const RATE_NAMES = { selection_rate: "the selection rate", tpr: "the true positive rate", fpr: "the false positive rate" } as const;
const spread = (g: GroupRates[], k: "tpr" | "fpr") => Math.max(...g.map((r) => r[k])) - Math.min(...g.map((r) => r[k]));
const fmt = (v: number) => (Math.round(v * 1000) / 1000).toString();

/** Bars per group: selection rate, TPR and FPR side by side. */
export function groupChart(groups: Array<GroupRates & { group: string }>, sensitive: string): ChartValue {
  const x = groups.map((_, i) => i);
  return {
    kind: "bar",
    title: `Rates per group of ${sensitive}`,
    xLabel: sensitive,
    yLabel: "rate",
    categories: groups.map((g) => g.group),
    series: [
      { name: "selection rate", x, y: groups.map((g) => g.selection_rate) },
      { name: "true positive rate", x, y: groups.map((g) => g.tpr) },
      { name: "false positive rate", x, y: groups.map((g) => g.fpr) },
    ],
  };
}
