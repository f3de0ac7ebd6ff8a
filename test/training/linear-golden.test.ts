/**
 * Logistic regression (newton and lbfgs solvers) and linear regression against scikit-learn's coefficients
 * on the same encoded features (test/fixtures/golden/make_linear.py writes the fixture; see its header to
 * regenerate). The solvers reach the exact optimum of the same objective, so the only differences left are
 * float32 storage of the encoded matrix and of the weights: coefficients agree within 1e-6 (measured: 2e-7).
 */
import { readFileSync } from "node:fs";
import type { Table } from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import { tableFromColumns, type ColumnData } from "../../nodes/core/arrow";
import type { ModelValue } from "../../nodes/core/values";
import linearRegression from "../../nodes/training/linear-regression";
import logisticRegression from "../../nodes/training/logistic-regression";
import { predictMlpRegression } from "../../nodes/training/mlp-model";
import { WEIGHTS_BIN, type ClassifierState } from "../../nodes/training/model-files";
import { closeTestRuntime, makeContext, testRuntime } from "../helpers/node-context";

afterAll(closeTestRuntime);

type Rows = Record<string, Array<number | string>>;
interface LogisticCase {
  name: string;
  kind: "logistic";
  C: number;
  classes: string[];
  rows: Rows;
  columns: string[];
  coef: number[][];
  intercept: number[];
}
interface LinearCase {
  name: string;
  kind: "linear";
  alpha: number;
  rows: Rows;
  columns: string[];
  predictions: number[];
}
const fixture = JSON.parse(readFileSync(new URL("../fixtures/golden/linear.json", import.meta.url), "utf8")) as { cases: Array<LogisticCase | LinearCase> };
const logistic = fixture.cases.filter((c): c is LogisticCase => c.kind === "logistic");
const linear = fixture.cases.filter((c): c is LinearCase => c.kind === "linear");
const TOL = 1e-6;

function toTable(rows: Rows): Table {
  const cols: Record<string, ColumnData> = {};
  for (const [name, values] of Object.entries(rows)) cols[name] = typeof values[0] === "number" ? Float64Array.from(values as number[]) : (values as string[]);
  const t = tableFromColumns(cols, rows.w ? { w: "weight" } : {});
  return t;
}

/** Kernel (inputs × units, row-major) and bias from the model's weights.bin. */
function weights(model: ModelValue, units: number): { W: Float32Array; b: Float32Array } {
  const bin = model.files[WEIGHTS_BIN]!;
  const all = new Float32Array(bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength));
  return { W: all.subarray(0, all.length - units), b: all.subarray(all.length - units) };
}

describe("golden fixture", () => {
  it("has the cases the tests rely on", () => {
    expect(logistic.map((c) => c.name)).toEqual(["binary", "binary-weighted-C0.1", "three-classes"]);
    expect(linear.map((c) => c.name)).toEqual(["ols", "ridge-weighted"]);
  });
});

describe.each(logistic)("logistic regression, $name", (c) => {
  const solvers = c.classes.length === 2 ? (["newton", "lbfgs"] as const) : (["lbfgs"] as const);
  it.each(solvers)("%s gives scikit-learn's coefficients", async (solver) => {
    const ctx = makeContext();
    const params = logisticRegression.params.parse({ label: "label", features: ["x1", "x2", "color"], solver, C: c.C, maxIter: 1000 });
    const { model } = await logisticRegression.run({ inputs: { train: toTable(c.rows) }, params, ctx });
    expect(model.info.classes).toEqual(c.classes);
    const outputs = (model.state as ClassifierState).preprocess.outputs;
    expect([...outputs].sort()).toEqual([...c.columns].sort());
    const units = c.classes.length === 2 ? 1 : c.classes.length;
    const { W, b } = weights(model, units);
    const centre = (v: number[]) => (units === 1 ? v : v.map((x) => x - v.reduce((s, y) => s + y, 0) / v.length));
    const ourB = centre(Array.from(b));
    for (let k = 0; k < units; k++) expect(Math.abs(ourB[k]! - c.intercept[k]!)).toBeLessThan(TOL);
    c.columns.forEach((name, j) => {
      const row = centre(Array.from({ length: units }, (_, k) => W[outputs.indexOf(name) * units + k]!));
      for (let k = 0; k < units; k++) expect(Math.abs(row[k]! - c.coef[k]![j]!), `${name}, class ${c.classes[units === 1 ? 1 : k]}`).toBeLessThan(TOL);
    });
    expect(ctx.logs.join("\n")).not.toMatch(/did not converge/);
    if (solver === "newton") expect(ctx.metrics.filter((m) => m.name === "loss").length).toBeLessThan(15);
  });
});

describe.each(linear)("linear regression, $name", (c) => {
  it("predicts what scikit-learn's LinearRegression / Ridge predicts", async () => {
    const table = toTable(c.rows);
    const params = linearRegression.params.parse({ label: "target", features: ["x1", "x2", "color"], alpha: c.alpha });
    const { model } = await linearRegression.run({ inputs: { train: table }, params, ctx: makeContext() });
    expect(model.info.task).toBe("regression");
    const pred = await predictMlpRegression(model, table, await testRuntime().tf());
    const scale = Math.max(...c.predictions.map(Math.abs));
    c.predictions.forEach((p, i) => expect(Math.abs(pred[i]! - p)).toBeLessThan(TOL * scale));
  });
});
