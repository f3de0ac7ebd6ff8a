/**
 * The source and feature nodes together: schemas flow through the compiler (pickers and column checks work at
 * design time), and the Adult file goes through file → select columns → stratified split.
 */
import { afterAll, expect, test } from "vitest";
import { stringColumn, tableInfo } from "../../nodes/core/arrow";
import type { AnyNodeDefinition } from "../../nodes/core/define-node";
import { createRegistry } from "../../nodes/core/registry";
import selectColumns from "../../nodes/features/select-columns";
import trainTestSplit from "../../nodes/features/train-test-split";
import fileSource from "../../nodes/sources/file-source";
import sampleDataset from "../../nodes/sources/sample-dataset";
import { compileGraph } from "../../server/graph/compile-graph";
import type { Workflow } from "../../server/graph/format";
import { closeTestRuntime, makeContext } from "../helpers/node-context";

afterAll(closeTestRuntime);

const defs = [fileSource, sampleDataset, selectColumns, trainTestSplit] as unknown as AnyNodeDefinition[];
const registry = createRegistry(defs);

test("every default parses", () => {
  for (const d of defs) expect(d.params.safeParse({}).success, d.kind).toBe(true);
});

function workflow(selectParams: Record<string, unknown>, source: { kind: string; params: Record<string, unknown> } = { kind: "sources/sample-dataset", params: { dataset: "penguins" } }): Workflow {
  return {
    formatVersion: 1,
    name: "t",
    nodes: [
      { id: "src", kind: source.kind, version: 1, params: source.params, position: { x: 0, y: 0 } },
      { id: "sel", kind: "features/select-columns", version: 1, params: selectParams, position: { x: 0, y: 0 } },
      { id: "split", kind: "features/train-test-split", version: 1, params: { stratify: "Species" }, position: { x: 0, y: 0 } },
    ],
    edges: [
      { source: "src", sourcePort: "table", target: "sel", targetPort: "table" },
      { source: "sel", sourcePort: "table", target: "split", targetPort: "table" },
    ],
  };
}

test("schemas with roles reach the split's outputs at design time", () => {
  const plan = compileGraph(workflow({ label: "Species", sensitive: ["Sex"] }), registry);
  expect(plan.issues).toEqual([]);
  const cols = plan.infos.split!.train!.table!.columns;
  expect(cols.find((c) => c.name === "Species")!.role).toBe("label");
  expect(cols.find((c) => c.name === "Sex")!.role).toBe("sensitive");
});

test("the compiler reports a misspelt column against the sample dataset's declared schema", () => {
  const plan = compileGraph(workflow({ label: "Specie" }), registry);
  expect(plan.ok).toBe(false);
  expect(plan.issues.map((i) => [i.nodeId, i.code, i.field])).toContainEqual(["sel", "unknown_column", "label"]);
});

test("an unprobed file source leaves columns unchecked; probed columns are checked", async () => {
  const src = { kind: "sources/file", params: { path: "/work/shared/datasets/adult.csv" } };
  // Unprobed: nothing is known downstream, so neither "class" nor the split's "Species" can be checked yet.
  expect(compileGraph(workflow({ label: "class" }, src), registry).issues).toEqual([]);
  const probed = await fileSource.probe!({ params: fileSource.params.parse(src.params), ctx: makeContext() });
  const plan = compileGraph(workflow({ label: "class" }, src), registry, { known: { src: probed } });
  expect(plan.issues.map((i) => [i.nodeId, i.code, i.field])).toEqual([["split", "unknown_column", "stratify"]]);
});

test("Adult: file → select columns → stratified 80/20 split keeps the income ratio", async () => {
  const ctx = makeContext();
  const { table: raw } = await fileSource.run({ inputs: {}, params: fileSource.params.parse({ path: "/work/shared/datasets/adult.csv" }), ctx });
  const { table } = await selectColumns.run({ inputs: { table: raw }, params: selectColumns.params.parse({ label: "class", sensitive: ["sex", "race"] }), ctx });
  const { train, test: tst } = await trainTestSplit.run({ inputs: { table }, params: trainTestSplit.params.parse({ stratify: "class" }), ctx });
  expect([train.numRows, tst.numRows]).toEqual([26049, 6512]);
  const share = (t: typeof train) => stringColumn(t, "class").filter((c) => c === ">50K").length / t.numRows;
  const all = share(table);
  expect(Math.abs(share(train) - all)).toBeLessThan(1 / 6512);
  expect(Math.abs(share(tst) - all)).toBeLessThan(1 / 6512);
  expect(tableInfo(tst).columns.find((c) => c.name === "sex")!.role).toBe("sensitive");
  expect(tst.getChild("workclass")!.nullCount + train.getChild("workclass")!.nullCount).toBe(raw.getChild("workclass")!.nullCount);
});
