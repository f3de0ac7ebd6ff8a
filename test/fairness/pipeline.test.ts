/**
 * The fairness and evaluation nodes downstream of the real ones: logistic regression → classification metrics →
 * fairness metrics / per-group thresholds / PR & calibration, on the shared synthetic table (group = sensitive).
 */
import { afterAll, expect, it } from "vitest";
import cm from "../../nodes/evaluation/classification-metrics";
import prCal from "../../nodes/evaluation/pr-calibration";
import fairness from "../../nodes/fairness/fairness-metrics";
import groupThresholds from "../../nodes/fairness/group-thresholds";
import reweighing from "../../nodes/fairness/reweighing";
import lr from "../../nodes/training/logistic-regression";
import { binaryTable } from "../nodes/synthetic-classification";
import { closeTestRuntime, makeContext } from "../helpers/node-context";
import { tableInfo } from "../../nodes/core/arrow";

afterAll(closeTestRuntime);

it("predictions from Classification metrics feed the fairness and curve nodes", async () => {
  const train = binaryTable(400, 1);
  const weighted = (await reweighing.run({ inputs: { data: train }, params: reweighing.params.parse({ label: "label" }), ctx: makeContext() })).data;
  // the weight column is not learned from (role weight is excluded from features)
  const { model } = await lr.run({ inputs: { train: weighted }, params: lr.params.parse({ label: "label", epochs: 20, batchSize: 32, learningRate: 0.05 }), ctx: makeContext() });
  expect(model.info.features?.map((f) => f.name)).not.toContain("weight");
  const { predictions } = await cm.run({ inputs: { model, data: binaryTable(300, 8) }, params: cm.params.parse({}), ctx: makeContext() });

  // The predictions table does not mark the label column, so it is picked by name.
  const f = await fairness.run({ inputs: { predictions }, params: fairness.params.parse({ label: "label" }), ctx: makeContext() });
  expect(f.metrics.details).toMatchObject({ sensitive: "group", positiveClass: "yes", prediction: "prediction" });
  expect(f.metrics.values.demographic_parity_difference).toBeTypeOf("number");
  expect(typeof f.gate.passed).toBe("boolean");

  const adjusted = await groupThresholds.run({ inputs: { predictions }, params: groupThresholds.params.parse({ label: "label" }), ctx: makeContext() });
  expect(tableInfo(adjusted.predictions).columns.map((c) => c.name)).toEqual([...tableInfo(predictions).columns.map((c) => c.name).filter((n) => n !== "prediction"), "prediction", "threshold"]);
  const after = await fairness.run({ inputs: { predictions: adjusted.predictions }, params: fairness.params.parse({ label: "label" }), ctx: makeContext() });
  expect(after.metrics.values.demographic_parity_difference!).toBeLessThanOrEqual(f.metrics.values.demographic_parity_difference! + 0.02);

  const curves = await prCal.run({ inputs: { predictions }, params: prCal.params.parse({ label: "label" }), ctx: makeContext() });
  expect(curves.metrics.values.average_precision!).toBeGreaterThan(0.95);
  expect(curves.calibration.series![0]!.x.length).toBeGreaterThan(2);
}, 60_000);
