/**
 * Small trained models for the explanation node tests: a logistic regression (tfjs layers classifier), a
 * gradient-boosting classifier (JSON trees), an MLP regressor and a three-class MLP.
 */
import type { Table } from "apache-arrow";
import { tableFromColumns } from "../../nodes/core/arrow";
import { mulberry32 } from "../../nodes/core/random";
import type { ModelValue } from "../../nodes/core/values";
import gradientBoosting from "../../nodes/training/gradient-boosting";
import logisticRegression from "../../nodes/training/logistic-regression";
import mlp from "../../nodes/training/mlp";
import { makeContext } from "../helpers/node-context";
import { binaryTable, multiclassTable } from "../nodes/synthetic-classification";

export { binaryTable, multiclassTable };

/** `y ≈ 100 + 30a - 20b² (+25 when kind = up)`, plus `noise` that the target ignores. */
export function regressionTable(n: number, seed: number): Table {
  const r = mulberry32(seed);
  const a = Float64Array.from({ length: n }, () => r() * 4 - 2);
  const b = Float64Array.from({ length: n }, () => r() * 4 - 2);
  const kind = Array.from({ length: n }, () => (r() < 0.5 ? "up" : "down"));
  const y = Float64Array.from(a, (v, i) => 100 + 30 * v - 20 * b[i]! * b[i]! + (kind[i] === "up" ? 25 : 0) + r());
  return tableFromColumns({ a, b, kind, y });
}

export async function logisticModel(): Promise<ModelValue> {
  const params = logisticRegression.params.parse({ label: "label", epochs: 25, batchSize: 32, learningRate: 0.05 });
  return (await logisticRegression.run({ inputs: { train: binaryTable(600, 1) }, params, ctx: makeContext() })).model;
}

export async function boostingModel(): Promise<ModelValue> {
  const params = gradientBoosting.params.parse({ label: "label", maxIter: 20, minSamplesLeaf: 5 });
  return (await gradientBoosting.run({ inputs: { train: binaryTable(400, 2) }, params, ctx: makeContext() })).model;
}

export async function mlpRegressor(): Promise<ModelValue> {
  const params = mlp.params.parse({ label: "y", epochs: 30, batchSize: 32, learningRate: 0.01, hiddenLayers: [16, 8], validationFraction: 0, patience: 0 });
  return (await mlp.run({ inputs: { train: regressionTable(500, 1) }, params, ctx: makeContext() })).model;
}

export async function multiclassMlp(): Promise<ModelValue> {
  const params = mlp.params.parse({ epochs: 20, batchSize: 32, learningRate: 0.01, hiddenLayers: [8], validationFraction: 0, patience: 0 });
  return (await mlp.run({ inputs: { train: multiclassTable(300) }, params, ctx: makeContext() })).model;
}

/** Sum of a table's float column values per row, over the columns whose names start with `prefix`. */
export function rowSums(t: Table, prefix: string): number[] {
  const cols = t.schema.fields.filter((f) => f.name.startsWith(prefix)).map((f) => t.getChild(f.name)!.toArray() as Float64Array);
  return Array.from({ length: t.numRows }, (_, i) => cols.reduce((s, c) => s + c[i]!, 0));
}
