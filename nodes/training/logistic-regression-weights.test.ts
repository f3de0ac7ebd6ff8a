import type { Table } from "apache-arrow";
import { afterAll, expect, it } from "vitest";
import { closeTestRuntime, makeContext, userError } from "../../test/helpers/node-context";
import { binaryTable } from "../../test/nodes/synthetic-classification";
import { tableFromColumns } from "../core/arrow";
import reweighing from "../fairness/reweighing";
import lr from "./logistic-regression";
import { WEIGHTS_BIN } from "./model-files";

afterAll(closeTestRuntime);
const FAST = { epochs: 5, batchSize: 64, learningRate: 0.05 };
const train = (t: Table) => lr.run({ inputs: { train: t }, params: lr.params.parse({ label: "label", ...FAST }), ctx: makeContext() });
const withWeight = (t: Table, w: Float64Array) => t.assign(tableFromColumns({ weight: w }, { weight: "weight" }));
const bytes = (m: { files: Record<string, Uint8Array> }) => Array.from(m.files[WEIGHTS_BIN]!);

it("honours a row-weight column: all ones change nothing, Reweighing's weights change the fit", async () => {
  const t = binaryTable(400, 1);
  const plain = (await train(t)).model;
  const ones = (await train(withWeight(t, new Float64Array(t.numRows).fill(1)))).model;
  expect(bytes(ones)).toEqual(bytes(plain));

  const { data } = await reweighing.run({ inputs: { data: t }, params: reweighing.params.parse({ label: "label" }), ctx: makeContext() });
  const weighted = (await train(data)).model;
  expect(bytes(weighted)).not.toEqual(bytes(plain));
});

it("rejects a negative weight, naming the column and the row", async () => {
  const t = binaryTable(50, 2);
  const w = new Float64Array(t.numRows).fill(1);
  w[3] = -2;
  const e = await userError(train(withWeight(t, w)));
  expect(e.message).toMatch(/weight column "weight".*row 4/);
});
