/**
 * nodes/evaluation/metrics.ts against scikit-learn's own numbers (test/fixtures/golden/make_golden.py writes
 * the fixture; see its header to regenerate).
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import {
  accuracy,
  averagedScores,
  confusionMatrix,
  f1,
  logLoss,
  logLossBinary,
  precision,
  recall,
  rocAuc,
  rocAucOvr,
  rocCurve,
  type RocCurve,
} from "../../nodes/evaluation/metrics";

interface Curve {
  fpr: number[];
  tpr: number[];
  thresholds: number[];
}
interface BinaryCase {
  name: string;
  kind: "binary";
  y_true: number[];
  y_score: number[];
  y_pred: number[];
  expected: Record<"accuracy" | "precision" | "recall" | "f1" | "roc_auc" | "log_loss", number> & {
    confusion_matrix: number[][];
    roc: Curve;
    roc_full: Curve;
  };
}
interface MulticlassCase {
  name: string;
  kind: "multiclass";
  k: number;
  y_true: number[];
  proba: number[];
  y_pred: number[];
  expected: Record<string, number> & { confusion_matrix: number[][] };
}

const fixture = JSON.parse(readFileSync(new URL("../fixtures/golden/classification.json", import.meta.url), "utf8")) as {
  cases: Array<BinaryCase | MulticlassCase>;
};
const binary = fixture.cases.filter((c): c is BinaryCase => c.kind === "binary");
const multiclass = fixture.cases.filter((c): c is MulticlassCase => c.kind === "multiclass");
const TOL = 1e-9;

function expectClose(actual: number | null, expected: number) {
  expect(actual).not.toBeNull();
  expect(Math.abs(actual! - expected)).toBeLessThanOrEqual(TOL);
}

function expectCurve(actual: RocCurve, expected: Curve) {
  expect(actual.fpr.length).toBe(expected.fpr.length);
  actual.fpr.forEach((v, i) => expectClose(v, expected.fpr[i]!));
  actual.tpr.forEach((v, i) => expectClose(v, expected.tpr[i]!));
  // thresholds[0] is a convention (max + 1 in scikit-learn 1.2, +inf from 1.3); the rest are scores.
  actual.thresholds.slice(1).forEach((v, i) => expectClose(v, expected.thresholds[i + 1]!));
}

describe("golden fixture", () => {
  it("has the binary and multiclass cases the tests rely on", () => {
    expect(binary.map((c) => c.name)).toEqual(expect.arrayContaining(["ties", "mixed-ties", "integer-scores", "imbalanced", "extremes", "constant", "none-predicted"]));
    expect(multiclass.length).toBeGreaterThanOrEqual(2);
  });
});

describe.each(binary)("binary case $name", (c) => {
  const e = c.expected;
  it("accuracy, precision, recall, F1", () => {
    expectClose(accuracy(c.y_true, c.y_pred), e.accuracy);
    expectClose(precision(c.y_true, c.y_pred), e.precision);
    expectClose(recall(c.y_true, c.y_pred), e.recall);
    expectClose(f1(c.y_true, c.y_pred), e.f1);
  });
  it("confusion matrix", () => {
    expect(confusionMatrix(c.y_true, c.y_pred, 2)).toEqual(e.confusion_matrix);
  });
  it("ROC-AUC with ties", () => {
    expectClose(rocAuc(c.y_true, c.y_score), e.roc_auc);
  });
  it("ROC curve point by point (drop_intermediate true and false)", () => {
    expectCurve(rocCurve(c.y_true, c.y_score), e.roc);
    expectCurve(rocCurve(c.y_true, c.y_score, false), e.roc_full);
    expect(rocCurve(c.y_true, c.y_score).thresholds[0]).toBe(e.roc.thresholds[0]);
  });
  it("log loss from the positive probability and from the two-column form", () => {
    expectClose(logLossBinary(c.y_true, c.y_score), e.log_loss);
    const proba = c.y_score.flatMap((p) => [1 - p, p]);
    expectClose(logLoss(c.y_true, proba, 2), e.log_loss);
  });
});

describe.each(multiclass)("multiclass case $name", (c) => {
  const e = c.expected;
  it("accuracy and confusion matrix", () => {
    expectClose(accuracy(c.y_true, c.y_pred), e.accuracy!);
    expect(confusionMatrix(c.y_true, c.y_pred, c.k)).toEqual(e.confusion_matrix);
  });
  it.each(["macro", "weighted"] as const)("%s precision, recall, F1", (avg) => {
    const s = averagedScores(c.y_true, c.y_pred, c.k, avg);
    expectClose(s.precision, e[`precision_${avg}`]!);
    expectClose(s.recall, e[`recall_${avg}`]!);
    expectClose(s.f1, e[`f1_${avg}`]!);
  });
  it("one-vs-rest macro ROC-AUC and log loss", () => {
    expectClose(rocAucOvr(c.y_true, c.proba, c.k), e.roc_auc_ovr!);
    expectClose(logLoss(c.y_true, c.proba, c.k), e.log_loss!);
  });
});

describe("metric input checks", () => {
  it("rejects a ROC curve with one class only", () => {
    expect(() => rocCurve([1, 1, 1], [0.2, 0.5, 0.9])).toThrow(/both classes/);
  });
  it("rejects NaN scores and mismatched lengths", () => {
    expect(() => rocAuc([0, 1], [0.1, NaN])).toThrow(/NaN/);
    expect(() => accuracy([0, 1], [0])).toThrow(/Length mismatch/);
    expect(() => accuracy([], [])).toThrow(/No rows/);
  });
});
