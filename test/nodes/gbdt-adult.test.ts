/**
 * Gradient boosting on UCI Adult, stratified 80/20 split (seed 0) with the project's split node. The
 * reference is scikit-learn 1.2's HistGradientBoostingClassifier with default settings: ROC-AUC 0.9245 on
 * its own 80/20 split (ENVIRONMENT.md) and 0.926 with native categoricals (test/bench/gbdt.bench.ts).
 */
import { afterAll, expect, test } from "vitest";
import { rocAuc } from "../../nodes/evaluation/metrics";
import trainTestSplit from "../../nodes/features/train-test-split";
import gradientBoosting, { predictGradientBoosting } from "../../nodes/training/gradient-boosting";
import type { GbdtState } from "../../nodes/training/gbdt/model";
import { closeTestRuntime, makeContext, testRuntime } from "../helpers/node-context";

const ADULT = "/work/shared/datasets/adult.csv";

afterAll(closeTestRuntime);

test("Adult: test ROC-AUC at least 0.92 with default settings", async () => {
  const table = await testRuntime().tables.readFile(ADULT, { nullStrings: ["?"] });
  const ctx = makeContext();
  const { train, test } = await trainTestSplit.run({ inputs: { table }, params: trainTestSplit.params.parse({ stratify: "class", seed: 0 }), ctx });
  const { model, curve } = await gradientBoosting.run({ inputs: { train }, params: gradientBoosting.params.parse({ label: "class" }), ctx });
  expect(model.info).toMatchObject({ task: "binary", classes: ["<=50K", ">50K"] });
  const state = model.state as GbdtState;
  // Early stopping is on ("auto", > 10,000 rows): 10% of the training rows are held out.
  expect(state.validationRows).toBe(Math.round(train.numRows * 0.1));
  expect(curve.series?.map((s) => s.name)).toEqual(["loss", "val_loss"]);

  const { classes, proba } = predictGradientBoosting(model, test);
  const y = (test.getChild("class")!.toArray() as string[]).map((v) => (v === classes[1] ? 1 : 0));
  const score = Float64Array.from(y, (_, i) => proba[i * 2 + 1]!);
  expect(rocAuc(y, score)).toBeGreaterThanOrEqual(0.92);
});
