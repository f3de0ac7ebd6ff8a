import { describe, expect, it } from "vitest";
import { z } from "zod";
import { defineNode, type AnyNodeDefinition } from "../../nodes/core/define-node";
import { port } from "../../nodes/core/ports";
import { createRegistry } from "../../nodes/core/registry";
import applyTransform from "../../nodes/features/apply-transform";
import impute from "../../nodes/features/impute";
import kFold from "../../nodes/features/k-fold-split";
import scale from "../../nodes/features/scale";
import selectColumns from "../../nodes/features/select-columns";
import trainTestSplit from "../../nodes/features/train-test-split";
import logisticRegression from "../../nodes/training/logistic-regression";
import { tableNode } from "../../test/helpers/stub-nodes";
import { compileGraph } from "./compile-graph";
import type { WorkflowInput } from "./format";
import { parseWorkflow } from "./format";
import type { Issue } from "../../nodes/core/errors";
import { heldOutPorts, learnedPorts } from "./leakage";

/** A node kind declaring the proposed contract fields directly. */
const customFit = Object.assign(
  defineNode({
    kind: "test/custom-fit", version: 1, title: "Custom fit", category: "Code", description: "Learns from its data input.",
    inputs: { data: port.table(), other: port.table({ optional: true }) }, outputs: { out: port.table() },
    params: z.object({}), async run({ inputs }) { return { out: inputs.data }; },
  }),
  { learns: ["data"] },
);
const customSplit = Object.assign(
  defineNode({
    kind: "test/custom-split", version: 1, title: "Custom split", category: "Code", description: "Splits rows into kept and validation.",
    inputs: { table: port.table() }, outputs: { kept: port.table(), validation: port.table() },
    params: z.object({}), async run({ inputs }) { return { kept: inputs.table, validation: inputs.table }; },
  }),
  { heldOut: ["validation"] },
);

const registry = createRegistry([tableNode, trainTestSplit, kFold, selectColumns, impute, scale, applyTransform, logisticRegression, customFit, customSplit] as unknown as AnyNodeDefinition[]);

const KIND: Record<string, string> = {
  src: "test/table", split: "features/train-test-split", kfold: "features/k-fold-split", select: "features/select-columns",
  impute: "features/impute", scale: "features/scale", apply: "features/apply-transform", model: "training/logistic-regression",
  custom: "test/custom-fit", csplit: "test/custom-split",
};
/** A workflow from edges written "node.port->node.port"; a node's kind is its id without trailing digits. */
function graph(...edges: string[]) {
  const ids = new Set<string>(["src"]);
  const parsed = edges.map((e) => {
    const [from, to] = e.split("->") as [string, string];
    const [source, sourcePort] = from.split(".") as [string, string];
    const [target, targetPort] = to.split(".") as [string, string];
    ids.add(source).add(target);
    return { source, sourcePort, target, targetPort };
  });
  const doc: WorkflowInput = {
    formatVersion: 1,
    nodes: [...ids].map((id) => ({ id, kind: KIND[id.replace(/\d+$/, "")]!, version: 1 })),
    edges: parsed,
  };
  const r = parseWorkflow(doc);
  if (!r.ok) throw new Error(r.problems.join("\n"));
  // Through the compiler, as the editor and the CLI see it: leakage is one of its issue classes.
  const plan = compileGraph(r.workflow, registry);
  expect(plan.issues.filter((i) => i.code !== "leakage")).toEqual([]);
  return plan.issues.filter((i) => i.code === "leakage");
}
const where = (issues: Issue[]) => issues.map((i) => `${i.nodeId}.${i.field}`);

describe("leakage guard", () => {
  it("accepts the right wiring: fit on Train, transform Test through Apply to, train the model on Train", () => {
    const issues = graph(
      "src.table->split.table",
      "split.train->impute.train", "split.test->impute.apply",
      "impute.train->scale.train", "impute.apply->scale.apply",
      "scale.train->model.train",
      "scale.fitted->apply.fitted", "split.test->apply.table",
    );
    expect(issues).toEqual([]);
  });

  it("rejects a transform fitted on the test side, on that node, naming the split and what to do", () => {
    const issues = graph("src.table->split.table", "split.test->impute.train", "split.train->impute.apply");
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({ severity: "error", code: "leakage", nodeId: "impute", field: "train" });
    expect(issues[0]!.message).toContain('"Impute missing values" learns from rows');
    expect(issues[0]!.message).toContain('"Train/test split" (its Test output)');
    expect(issues[0]!.message).toMatch(/Connect the split's Train output.*Apply to input/);
  });

  it("rejects a model trained on test rows, also through nodes that only pass rows on", () => {
    const direct = graph("src.table->split.table", "split.test->model.train");
    expect(where(direct)).toEqual(["model.train"]);
    expect(direct[0]!.message).toContain("only to evaluate the trained model");
    expect(where(graph("src.table->split.table", "split.test->select.table", "select.table->model.train"))).toEqual(["model.train"]);
  });

  it("follows rows port by port: a transform's Applied output is test rows, its Train output is not", () => {
    const base = ["src.table->split.table", "split.train->impute.train", "split.test->impute.apply"];
    expect(where(graph(...base, "impute.apply->model.train"))).toEqual(["model.train"]);
    expect(graph(...base, "impute.train->model.train")).toEqual([]);
    // rows transformed by Apply transform stay test rows
    expect(where(graph(...base, "impute.fitted->apply.fitted", "split.test->apply.table", "apply.table->model.train"))).toEqual(["model.train"]);
  });

  it("reports every fitting node downstream of the leak", () => {
    const issues = graph("src.table->split.table", "split.test->impute.train", "impute.train->scale.train", "scale.train->model.train");
    expect(where(issues).sort()).toEqual(["impute.train", "model.train", "scale.train"]);
  });

  it("treats a k-fold split's Held out output as test rows, its Train output as training rows", () => {
    const bad = graph("src.table->kfold.table", "kfold.holdout->scale.train");
    expect(where(bad)).toEqual(["scale.train"]);
    expect(bad[0]!.message).toContain('"K-fold split" (its Held out output)');
    expect(graph("src.table->kfold.table", "kfold.train->scale.train", "kfold.holdout->scale.apply")).toEqual([]);
    // a split of test rows is still test rows
    expect(where(graph("src.table->split.table", "split.test->kfold.table", "kfold.train->model.train"))).toEqual(["model.train"]);
  });

  it("names both splits when the rows come from two", () => {
    const issues = graph("src.table->split.table", "src.table->kfold.table", "split.test->custom.data", "kfold.holdout->custom.other", "custom.out->model.train");
    expect(where(issues)).toEqual(["custom.data", "model.train"]);
    expect(issues[1]!.message).toMatch(/"Train\/test split" \(its Test output\) and "K-fold split" \(its Held out output\)/);
  });

  it("reads the proposed contract fields learns and heldOut", () => {
    expect(learnedPorts(customFit as unknown as AnyNodeDefinition)).toEqual(["data"]);
    expect(heldOutPorts(customSplit as unknown as AnyNodeDefinition)).toEqual(["validation"]);
    expect(learnedPorts(impute as unknown as AnyNodeDefinition)).toEqual(["train"]);
    expect(learnedPorts(logisticRegression as unknown as AnyNodeDefinition)).toEqual(["train"]);
    expect(learnedPorts(selectColumns as unknown as AnyNodeDefinition)).toEqual([]);
    expect(where(graph("src.table->csplit.table", "csplit.validation->custom.data"))).toEqual(["custom.data"]);
    expect(graph("src.table->csplit.table", "csplit.kept->custom.data", "csplit.validation->custom.other")).toEqual([]);
  });
});
