/**
 * The evaluation additions against scikit-learn's own numbers (test/fixtures/golden/make_eval.py writes the
 * fixture; see its header to regenerate). Curves are compared point by point, everything within 1e-9.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { balancedAccuracy, f1Macro, f1Weighted, rocAucOneVsRest } from "../../nodes/evaluation/classification-extras";
import { averagePrecision, calibrationCurve, precisionRecallCurve } from "../../nodes/evaluation/curves";
import { summarizeFolds } from "../../nodes/evaluation/cv-summary";
import { regressionScores } from "../../nodes/evaluation/regression";
import cvSummary from "../../nodes/evaluation/cv-summary-node";
import { tableFromColumns } from "../../nodes/core/arrow";
import { makeContext } from "../helpers/node-context";

interface BinaryCase {
  name: string;
  kind: "binary";
  y_true: number[];
  y_score: number[];
  y_pred: number[];
  expected: {
    balanced_accuracy: number;
    f1_macro: number;
    f1_weighted: number;
    average_precision: number;
    pr: { precision: number[]; recall: number[]; thresholds: number[] };
    calibration: Record<string, { prob_true: number[]; prob_pred: number[] }>;
  };
}
interface MulticlassCase {
  name: string;
  kind: "multiclass";
  k: number;
  y_true: number[];
  proba: number[];
  y_pred: number[];
  expected: Record<"balanced_accuracy" | "f1_macro" | "f1_weighted" | "roc_auc_ovr_macro" | "roc_auc_ovr_weighted", number>;
}
interface RegressionCase {
  name: string;
  kind: "regression";
  y_true: number[];
  y_pred: number[];
  expected: Record<"rmse" | "mse" | "mae" | "r2" | "mape", number>;
}
type Case = BinaryCase | MulticlassCase | RegressionCase;

const fixture = JSON.parse(readFileSync(new URL("../fixtures/golden/evaluation.json", import.meta.url), "utf8")) as {
  cases: Case[];
  cv: {
    folds: Array<Record<string, number>>;
    expected: Record<string, { mean: number; std: number }>;
    oof: Array<{
      name: string;
      kind: "classification" | "regression";
      y_true: number[];
      y_pred: number[];
      y_score?: number[];
      folds: number[];
      per_fold: Array<Record<string, number>>;
      summary: Record<string, { mean: number; std: number }>;
    }>;
  };
};
const binary = fixture.cases.filter((c): c is BinaryCase => c.kind === "binary");
const multiclass = fixture.cases.filter((c): c is MulticlassCase => c.kind === "multiclass");
const regression = fixture.cases.filter((c): c is RegressionCase => c.kind === "regression");
const TOL = 1e-9;

function close(actual: number | null | undefined, expected: number) {
  expect(actual).toBeTypeOf("number");
  expect(Math.abs(actual! - expected)).toBeLessThanOrEqual(TOL);
}
function closeAll(actual: number[], expected: number[]) {
  expect(actual.length).toBe(expected.length);
  actual.forEach((v, i) => close(v, expected[i]!));
}

it("fixture has the cases the tests rely on", () => {
  expect(binary.map((c) => c.name)).toEqual(expect.arrayContaining(["docstring-pr", "docstring-calibration", "edges-and-ties", "extremes", "constant", "imbalanced"]));
  expect(multiclass.length).toBe(2);
  expect(regression.map((c) => c.name)).toEqual(expect.arrayContaining(["with-zero-truth", "constant-truth-perfect", "constant-truth-off"]));
});

describe.each(binary)("binary case $name", (c) => {
  it("balanced accuracy, macro and weighted F1", () => {
    close(balancedAccuracy(c.y_true, c.y_pred, 2), c.expected.balanced_accuracy);
    close(f1Macro(c.y_true, c.y_pred, 2), c.expected.f1_macro);
    close(f1Weighted(c.y_true, c.y_pred, 2), c.expected.f1_weighted);
  });
  it("precision-recall curve point by point and average precision", () => {
    const pr = precisionRecallCurve(c.y_true, c.y_score);
    closeAll(pr.precision, c.expected.pr.precision);
    closeAll(pr.recall, c.expected.pr.recall);
    closeAll(pr.thresholds, c.expected.pr.thresholds);
    close(averagePrecision(c.y_true, c.y_score), c.expected.average_precision);
  });
  it("calibration curve, uniform and quantile bins", () => {
    const keys = Object.keys(c.expected.calibration);
    expect(keys.length).toBe(4);
    for (const key of keys) {
      const [strategy, bins] = key.split("-") as ["uniform" | "quantile", string];
      const cal = calibrationCurve(c.y_true, c.y_score, Number(bins), strategy);
      closeAll(cal.probTrue, c.expected.calibration[key]!.prob_true);
      closeAll(cal.probPred, c.expected.calibration[key]!.prob_pred);
      expect(cal.counts.reduce((a, b) => a + b, 0)).toBe(c.y_true.length);
    }
  });
});

describe.each(multiclass)("multiclass case $name", (c) => {
  it("balanced accuracy, F1 and one-vs-rest ROC-AUC (macro and weighted)", () => {
    close(balancedAccuracy(c.y_true, c.y_pred, c.k), c.expected.balanced_accuracy);
    close(f1Macro(c.y_true, c.y_pred, c.k), c.expected.f1_macro);
    close(f1Weighted(c.y_true, c.y_pred, c.k), c.expected.f1_weighted);
    close(rocAucOneVsRest(c.y_true, c.proba, c.k, "macro"), c.expected.roc_auc_ovr_macro);
    close(rocAucOneVsRest(c.y_true, c.proba, c.k, "weighted"), c.expected.roc_auc_ovr_weighted);
  });
});

describe.each(regression)("regression case $name", (c) => {
  it("RMSE, MSE, MAE, R², MAPE", () => {
    const s = regressionScores(c.y_true, c.y_pred);
    for (const k of ["rmse", "mse", "mae", "r2", "mape"] as const) close(s[k], c.expected[k]);
    expect(s.rows).toBe(c.y_true.length);
  });
});

it("cross-validation summary: mean and population std per metric", () => {
  const s = summarizeFolds(fixture.cv.folds);
  expect(Object.keys(s).sort()).toEqual(Object.keys(fixture.cv.expected).sort());
  for (const [name, e] of Object.entries(fixture.cv.expected)) {
    close(s[name]!.mean, e.mean);
    close(s[name]!.std, e.std);
    expect(s[name]!.folds).toBe(5);
  }
});

describe.each(fixture.cv.oof)("cross-validation summary node: $name", (c) => {
  it("per-fold metrics and mean ± std equal scikit-learn's on (Stratified)KFold folds", async () => {
    const cls = c.kind === "classification";
    const table = tableFromColumns(
      {
        fold: Int32Array.from(c.folds),
        y: cls ? c.y_true.map((v) => (v ? "yes" : "no")) : Float64Array.from(c.y_true),
        p: cls ? c.y_pred.map((v) => (v ? "yes" : "no")) : Float64Array.from(c.y_pred),
        ...(c.y_score ? { s: Float64Array.from(c.y_score) } : {}),
      },
      { fold: "fold", y: "label", p: "prediction", ...(c.y_score ? { s: "score" as const } : {}) },
    );
    const out = await cvSummary.run({ inputs: { predictions: table }, params: cvSummary.params.parse({}), ctx: makeContext() });
    expect(out.metrics.details?.task).toBe(c.kind);
    const perFold = out.metrics.details?.perFold as Array<Record<string, number>>;
    expect(perFold).toHaveLength(c.per_fold.length);
    perFold.forEach((m, f) => {
      expect(Object.keys(m).sort()).toEqual(Object.keys(c.per_fold[f]!).sort());
      for (const [k, v] of Object.entries(c.per_fold[f]!)) close(m[k], v);
    });
    for (const [k, e] of Object.entries(c.summary)) {
      close(out.metrics.values[`${k}_mean`], e.mean);
      close(out.metrics.values[`${k}_std`], e.std);
    }
    expect(out.folds.numRows).toBe(c.per_fold.length);
  });
});

describe("input checks", () => {
  it("reject what scikit-learn rejects", () => {
    expect(() => calibrationCurve([0, 1], [0.2, 1.5])).toThrow(/\[0, 1\]/);
    expect(() => calibrationCurve([0, 1], [0.2, NaN])).toThrow(/NaN/);
    expect(() => calibrationCurve([0, 1], [0.2, 0.3], 0)).toThrow(/n_bins/);
    expect(() => precisionRecallCurve([], [])).toThrow(/No rows/);
    expect(() => regressionScores([1, 2], [1])).toThrow(/Length mismatch/);
    expect(rocAucOneVsRest([0, 0, 1], [0.9, 0.1, 0, 0.8, 0.2, 0, 0.3, 0.7, 0], 3)).toBeNull(); // class 2 never occurs
  });
  it("summaries skip missing fold values and metrics with none", () => {
    const s = summarizeFolds([{ a: 1, b: null }, { a: 3 }, { a: null }]);
    expect(s).toEqual({ a: { mean: 2, std: 1, folds: 2, min: 1, max: 3 } });
  });
});
