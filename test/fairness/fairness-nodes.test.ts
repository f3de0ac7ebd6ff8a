/**
 * The fairness nodes: outputs, gate, charts, schemas, and every error a person can run into.
 */
import { describe, expect, it } from "vitest";
import { numericColumn, stringColumn, tableFromColumns, tableInfo } from "../../nodes/core/arrow";
import type { ColumnInfo } from "../../nodes/core/schema";
import fairness, { evaluateGate } from "../../nodes/fairness/fairness-metrics";
import { disparities, groupRates } from "../../nodes/fairness/group-rates";
import groupThresholds from "../../nodes/fairness/group-thresholds";
import reweighing from "../../nodes/fairness/reweighing";
import { makeContext, userError } from "../helpers/node-context";
import { mulberry32 } from "../../nodes/core/random";

/** Biased predictions: group "f" is selected less often than "m" at the same label. */
function biased(n = 400, seed = 3) {
  const r = mulberry32(seed);
  const sex: string[] = [];
  const label: string[] = [];
  const score = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const f = r() < 0.5;
    const y = r() < (f ? 0.25 : 0.35);
    sex.push(f ? "f" : "m");
    label.push(y ? ">50K" : "<=50K");
    score[i] = Math.min(1, Math.max(0, (y ? 0.65 : 0.35) + (r() - 0.5) * 0.6 - (f ? 0.12 : 0)));
  }
  const prediction = Array.from(score, (s, i) => (s >= 0.5 ? ">50K" : "<=50K"));
  return tableFromColumns({ sex, label, score, prediction }, { sex: "sensitive", label: "label", score: "score", prediction: "prediction" });
}

const run = (table = biased(), params: Record<string, unknown> = {}, ctx = makeContext()) =>
  fairness.run({ inputs: { predictions: table }, params: fairness.params.parse(params), ctx });

describe("fairness/group-metrics", () => {
  it("defaults parse; infer gives the per-group table's columns", () => {
    const p = fairness.params.parse({});
    expect(p).toMatchObject({ sensitive: "", maxParityDifference: 0.1, minDisparateImpact: 0.8, onFail: "report" });
    const info = fairness.infer!({ inputs: { predictions: { table: tableInfo(biased(10)) } }, params: p });
    expect(info.groups?.table?.columns.map((c: ColumnInfo) => c.name)).toEqual(["group", "count", "positives", "selection_rate", "tpr", "fpr", "precision", "accuracy", "roc_auc", "selection_rate_ratio"]);
  });

  it("per-group rates, fairlearn disparities, a failing gate and a bar chart", async () => {
    const ctx = makeContext();
    const table = biased();
    const out = await run(table, {}, ctx);
    const v = out.metrics.values;
    const d = out.metrics.details as { groups: Array<{ group: string; selection_rate: number; count: number; roc_auc: number }> };
    expect(d.groups.map((g) => g.group)).toEqual(["f", "m"]);
    expect(d.groups[0]!.count + d.groups[1]!.count).toBe(400);
    expect(v.demographic_parity_difference).toBeCloseTo(Math.abs(d.groups[1]!.selection_rate - d.groups[0]!.selection_rate), 12);
    expect(v.disparate_impact).toBe(v.demographic_parity_ratio);
    expect(v.disparate_impact).toBeLessThan(0.8);
    expect(d.groups[0]!.roc_auc).toBeGreaterThan(0.8); // per-group AUC from the score column
    expect(out.gate.passed).toBe(false);
    const checks = out.gate.checks as Array<{ metric: string; passed: boolean; message: string; threshold: number }>;
    expect(checks.map((c) => c.metric)).toEqual(["demographic_parity_difference", "disparate_impact", "equalized_odds_difference"]);
    const di = checks.find((c) => c.metric === "disparate_impact")!;
    expect(di).toMatchObject({ passed: false, threshold: 0.8 });
    expect(di.message).toMatch(/below the limit 0\.8: the selection rate ranges from .* \("f"\) to .* \("m"\) across sex/);
    expect(out.chart).toMatchObject({ kind: "bar", categories: ["f", "m"] });
    expect(out.chart.series!.map((s) => s.name)).toEqual(["selection rate", "true positive rate", "false positive rate"]);
    expect(stringColumn(out.groups, "group")).toEqual(["f", "m"]);
    const inferred = fairness.infer!({ inputs: { predictions: undefined }, params: fairness.params.parse({}) });
    expect(tableInfo(out.groups).columns).toEqual(inferred.groups?.table?.columns);
    expect(numericColumn(out.groups, "selection_rate_ratio")[1]).toBe(1);
    expect(ctx.progressCalls.at(-1)).toBe(1);
    expect(ctx.logs.some((l) => /below the limit/.test(l))).toBe(true);
  });

  it("looser limits pass the gate; a limit of 1 (or 0 for disparate impact) turns a check off", async () => {
    const out = await run(biased(), { maxParityDifference: 0.5, minDisparateImpact: 0.3, maxEqualizedOddsDifference: 0.5 });
    expect(out.gate.passed).toBe(true);
    const off = await run(biased(), { maxParityDifference: 1, minDisparateImpact: 0, maxEqualizedOddsDifference: 1, maxEqualOpportunityDifference: 0.5 });
    expect((off.gate.checks as Array<{ metric: string }>).map((c) => c.metric)).toEqual(["equal_opportunity_difference"]);
  });

  it("derives predictions from the score when there is no prediction column", async () => {
    const t = biased();
    const noPred = t.select(["sex", "label", "score"]);
    const a = await run(noPred, { threshold: 0.5 });
    const b = await run(t);
    expect(a.metrics.values.demographic_parity_difference).toBe(b.metrics.values.demographic_parity_difference);
    expect(a.metrics.details?.predictionFromScore).toBe(true);
    const strict = await run(noPred, { threshold: 0.9 });
    expect(strict.metrics.values.selection_rate!).toBeLessThan(a.metrics.values.selection_rate!);
  });

  it("an undefined ratio (nobody selected) fails its check with a message instead of passing silently", () => {
    const rates = groupRates([1, 0, 1, 0], [0, 0, 0, 0], [0, 0, 1, 1], 2);
    const gate = evaluateGate(disparities(rates), rates.map((r, i) => ({ ...r, group: `g${i}` })), { maxParityDifference: 0.1, minDisparateImpact: 0.8, maxEqualizedOddsDifference: 1, maxEqualOpportunityDifference: 1 }, "sex");
    expect(gate.checks.map((c) => c.passed)).toEqual([true, false]);
    expect(gate.checks[1]!.message).toMatch(/could not be computed/);
  });

  it("missing sensitive values form their own group; rows without a label are left out with a warning", async () => {
    const t = tableFromColumns({ s: ["a", null, "a", null, "b", "b"], y: ["1", "0", null, "1", "0", "1"], p: ["1", "0", "1", "1", "1", "0"] }, { s: "sensitive", y: "label", p: "prediction" });
    const ctx = makeContext();
    const out = await run(t, {}, ctx);
    expect(stringColumn(out.groups, "group")).toEqual(["(missing)", "a", "b"]);
    expect(numericColumn(out.groups, "count")).toEqual(Float64Array.from([2, 1, 2]));
    expect(ctx.logs.some((l) => /1 rows without a label/.test(l))).toBe(true);
  });

  describe("errors", () => {
    const t = biased(40);
    it.each([
      ["zero rows", () => run(t.slice(0, 0)), "no_rows", "predictions"],
      ["sensitive column missing", () => run(t, { sensitive: "race" }), "unknown_column", "sensitive"],
      ["no sensitive column at all", () => run(t.select(["label", "prediction"])), "no_sensitive", "sensitive"],
      ["one group only", () => run(tableFromColumns({ sex: ["f", "f"], label: ["0", "1"], prediction: ["0", "1"] }, { sex: "sensitive", label: "label", prediction: "prediction" })), "single_group", "sensitive"],
      ["label with one class", () => run(tableFromColumns({ sex: ["f", "m"], label: ["1", "1"], prediction: ["0", "1"] }, { sex: "sensitive", label: "label", prediction: "prediction" })), "single_class", "label"],
      ["label with three classes", () => run(tableFromColumns({ sex: ["f", "m", "m"], label: ["a", "b", "c"], prediction: ["a", "b", "c"] }, { sex: "sensitive", label: "label", prediction: "prediction" })), "not_binary", "label"],
      ["no label column", () => run(t.select(["sex", "prediction"])), "no_label", "label"],
      ["unknown favourable class", () => run(t, { positiveClass: "rich" }), "unknown_class", "positiveClass"],
      ["predictions that are not label classes", () => run(t, { prediction: "score" }), "unknown_prediction_values", "prediction"],
      ["neither prediction nor score", () => run(t.select(["sex", "label"])), "no_prediction", "prediction"],
      ["text in the score column", () => run(t.select(["sex", "label"]), { score: "sex" }), "not_numeric", "sex"],
      ["two sensitive columns", () => run(tableFromColumns({ a: ["x", "y"], b: ["x", "y"], label: ["0", "1"], prediction: ["0", "1"] }, { a: "sensitive", b: "sensitive", label: "label", prediction: "prediction" })), "ambiguous_column", "sensitive"],
      ["gate fails with onFail stop", () => run(biased(), { onFail: "stop" }), "fairness_gate_failed", "onFail"],
    ])("%s", async (_name, call, code, field) => {
      const e = await userError(call());
      expect(e.code).toBe(code);
      expect(e.field).toBe(field);
      expect(e.message.length).toBeGreaterThan(20);
    });
    it("names the missing sensitive column and what is there", async () => {
      expect((await userError(run(t, { sensitive: "race" }))).message).toMatch(/"race" is not in the input table \(columns: sex, label, score, prediction\)/);
    });
  });
});

describe("fairness/reweighing", () => {
  const rw = (table = biased(), params: Record<string, unknown> = {}) => reweighing.run({ inputs: { data: table }, params: reweighing.params.parse(params), ctx: makeContext() });

  it("adds a weight column (role weight) that makes label and group independent", async () => {
    const t = biased();
    const out = await rw(t);
    const info = tableInfo(out.data);
    expect(info.columns.at(-1)).toEqual({ name: "weight", dtype: "float", role: "weight" });
    const w = numericColumn(out.data, "weight");
    const sex = stringColumn(t, "sex");
    const y = stringColumn(t, "label");
    // Weighted P(y = >50K | group) is the same for both groups and equals the overall rate.
    const rate = (g: string) => {
      let num = 0, den = 0;
      sex.forEach((s, i) => s === g && ((den += w[i]!), y[i] === ">50K" && (num += w[i]!)));
      return num / den;
    };
    const overall = y.filter((v) => v === ">50K").length / y.length;
    expect(rate("f")).toBeCloseTo(overall, 12);
    expect(rate("m")).toBeCloseTo(overall, 12);
    expect(w.reduce((a, b) => a + b, 0)).toBeCloseTo(t.numRows, 9); // weights keep the total
    expect(out.weights.numRows).toBe(4);
    expect(out.chart).toMatchObject({ kind: "bar", categories: ["f", "m"] });
    const inf = reweighing.infer!({ inputs: { data: { table: tableInfo(t) } }, params: reweighing.params.parse({ weightColumn: "w" }) });
    expect(inf.data?.table?.columns.at(-1)).toEqual({ name: "w", dtype: "float", role: "weight" });
  });

  it("replaces an existing weight column and leaves unlabelled rows without a weight", async () => {
    const t = tableFromColumns({ s: ["a", "a", "b", "b", "b"], y: ["1", "0", "1", null, "0"], weight: Float64Array.from([9, 9, 9, 9, 9]) }, { s: "sensitive", y: "label" });
    const out = await rw(t);
    expect(out.data.schema.fields.map((f) => f.name)).toEqual(["s", "y", "weight"]);
    expect(out.data.getChild("weight")!.get(3)).toBeNull();
    expect(numericColumn(out.data, "weight")[0]).toBeCloseTo((2 * 2) / (4 * 1), 12);
  });

  it.each([
    ["zero rows", () => rw(biased().slice(0, 0)), "no_rows"],
    ["one group", () => rw(tableFromColumns({ s: ["a", "a"], y: ["0", "1"] }, { s: "sensitive", y: "label" })), "single_group"],
    ["label with one class", () => rw(tableFromColumns({ s: ["a", "b"], y: ["1", "1"] }, { s: "sensitive", y: "label" })), "single_class"],
    ["label without values", () => rw(tableFromColumns({ s: ["a", "b"], y: [null, null] as Array<string | null> }, { s: "sensitive" }), { label: "y" }), "no_rows"],
    ["label is the sensitive column", () => rw(biased(), { label: "sex" }), "label_is_sensitive"],
    ["numeric target", () => rw(tableFromColumns({ s: Array.from({ length: 60 }, (_, i) => (i % 2 ? "a" : "b")), y: Float64Array.from({ length: 60 }, (_, i) => i) }, { s: "sensitive", y: "label" })), "too_many_classes"],
    ["sensitive column missing", () => rw(biased(), { sensitive: "race" }), "unknown_column"],
  ])("%s", async (_n, call, code) => {
    expect((await userError(call())).code).toBe(code);
  });
});

describe("fairness/group-thresholds", () => {
  const gt = (table = biased(), params: Record<string, unknown> = {}, ctx = makeContext()) =>
    groupThresholds.run({ inputs: { predictions: table }, params: groupThresholds.params.parse(params), ctx });

  it("equalizes selection rates and the fairness gap shrinks", async () => {
    const t = biased(2000);
    const before = await run(t);
    const out = await gt(t);
    const after = await run(out.predictions);
    expect(after.metrics.values.demographic_parity_difference!).toBeLessThan(before.metrics.values.demographic_parity_difference! / 3);
    const th = out.thresholds.thresholds as Record<string, number>;
    expect(th.f!).toBeLessThan(th.m!);
    // the adjusted predictions are exactly score ≥ the row's group threshold
    const s = numericColumn(out.predictions, "score");
    const sex = stringColumn(out.predictions, "sex");
    const pred = stringColumn(out.predictions, "prediction");
    pred.forEach((p, i) => expect(p).toBe(s[i]! >= th[sex[i]!]! ? ">50K" : "<=50K"));
    expect(numericColumn(out.predictions, "threshold")[0]).toBe(th[sex[0]!]);
    expect(tableInfo(out.predictions).columns.find((c) => c.name === "prediction")?.role).toBe("prediction");
    expect(out.chart.series).toHaveLength(2);
  });

  it("equalizes TPR to a custom target", async () => {
    const out = await gt(biased(2000), { objective: "tpr", target: "custom", customRate: 0.7 });
    for (const g of out.thresholds.groups as Array<{ after: { tpr: number } }>) expect(Math.abs(g.after.tpr - 0.7)).toBeLessThan(0.03);
    expect(out.thresholds.target).toBe(0.7);
  });

  it("infer replaces the prediction column and adds threshold", () => {
    const inf = groupThresholds.infer!({ inputs: { predictions: { table: tableInfo(biased(5)) } }, params: groupThresholds.params.parse({}) });
    expect(inf.predictions?.table?.columns.map((c: ColumnInfo) => c.name)).toEqual(["sex", "label", "score", "prediction", "threshold"]);
  });

  it.each([
    ["zero rows", () => gt(biased().slice(0, 0)), "no_rows"],
    ["no score column", () => gt(biased().select(["sex", "label", "prediction"])), "no_score"],
    ["one group", () => gt(tableFromColumns({ s: ["a", "a"], y: ["0", "1"], score: Float64Array.from([0.2, 0.8]) }, { s: "sensitive", y: "label", score: "score" })), "single_group"],
    ["label with one class", () => gt(tableFromColumns({ s: ["a", "b"], y: ["1", "1"], score: Float64Array.from([0.2, 0.8]) }, { s: "sensitive", y: "label", score: "score" })), "single_class"],
    ["text score", () => gt(biased(), { score: "label" }), "not_numeric"],
  ])("%s", async (_n, call, code) => {
    expect((await userError(call())).code).toBe(code);
  });
});
