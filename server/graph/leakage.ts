/**
 * Leakage guard: a pure check over a compiled plan. Rows that descend from the held-out side of a split (the
 * train/test split's Test output, a k-fold split's Held out output) must never be learned from: a fitted
 * transform or a model fitted on them has seen the data meant to judge it, and its test scores look better
 * than it will do on new data. Each such fitting node gets an error naming the split and what to do.
 *
 * Which inputs a node learns from: `def.learns`; left out, Training nodes learn from `train`, and so does any
 * node with a `train` input that outputs a fitted transform or a model. Which outputs hold held-out rows:
 * `def.heldOut` (the splits declare theirs).
 */
import type { AnyNodeDefinition } from "../../nodes/core/define-node";
import type { Issue } from "../../nodes/core/errors";
import type { PlanNode } from "./compile-graph";

/** Input ports whose rows `def` fits on. */
export function learnedPorts(def: AnyNodeDefinition): string[] {
  if (def.learns) return def.learns.filter((p) => p in def.inputs);
  if (!("train" in def.inputs)) return [];
  const fits = def.category === "Training" || Object.values(def.outputs).some((o) => o.type === "transform" || o.type === "model");
  return fits ? ["train"] : [];
}

/** Output ports of `def` that carry held-out (test) rows. */
export function heldOutPorts(def: AnyNodeDefinition): string[] {
  return (def.heldOut ?? []).filter((p) => p in def.outputs);
}

/** Where held-out rows came from: the split node and its output port. */
interface Origin {
  node: string;
  port: string;
}

export type LeakageNode = Pick<PlanNode, "id" | "label" | "def" | "inputs">;

/**
 * Errors for every node that fits on rows descending from a held-out split output. `nodes` are the plan's nodes
 * (any order; the inputs must form a DAG, as in a compiled plan).
 */
export function checkLeakage(nodes: readonly LeakageNode[]): Issue[] {
  const byId = new Map(nodes.map((n) => [n.id, n]));
  const tainted = new Map<string, Map<string, Origin[]>>();
  const issues: Issue[] = [];

  const taintOf = (id: string): Map<string, Origin[]> => {
    const known = tainted.get(id);
    if (known) return known;
    const node = byId.get(id);
    const out = new Map<string, Origin[]>();
    tainted.set(id, out); // before recursing: a cycle (never in a compiled plan) ends here instead of looping
    if (!node) return out;
    const def = node.def;
    const outputs = Object.keys(def.outputs);
    const learns = new Set(learnedPorts(def));
    const add = (port: string, origins: readonly Origin[]) => {
      if (!origins.length) return;
      const cur = out.get(port) ?? [];
      for (const o of origins) if (!cur.some((c) => c.node === o.node && c.port === o.port)) cur.push(o);
      out.set(port, cur);
    };
    for (const [input, src] of Object.entries(node.inputs)) {
      const origins = taintOf(src.node).get(src.port) ?? [];
      if (!origins.length) continue;
      if (learns.has(input)) issues.push(leakIssue(node, input, origins, byId));
      // In a node that learns, an input it does not learn from reaches only its namesake output, if any (a
      // fitted transform's apply → apply; train and fitted come from train alone). Otherwise rows reach every output.
      const targets = learns.size && !learns.has(input) && outputs.includes(input) ? [input] : outputs;
      for (const o of targets) add(o, origins);
    }
    for (const port of heldOutPorts(def)) add(port, [{ node: id, port }]);
    return out;
  };

  for (const n of nodes) taintOf(n.id);
  return issues;
}

function leakIssue(node: LeakageNode, input: string, origins: readonly Origin[], byId: Map<string, LeakageNode>): Issue {
  const splits = origins.map((o) => {
    const split = byId.get(o.node);
    const portLabel = split?.def.outputs[o.port]?.label ?? o.port;
    return `"${split?.label ?? o.node}" (its ${portLabel} output)`;
  });
  const inputLabel = node.def.inputs[input]?.label ?? input;
  const makesModel = Object.values(node.def.outputs).some((o) => o.type === "model");
  const instead = makesModel
    ? "Connect the split's Train output to this input instead, and use the held-out rows only to evaluate the trained model."
    : "Connect the split's Train output to this input instead, and send the held-out rows to this node's Apply to input (or an Apply transform node), which transforms them without learning from them.";
  return {
    severity: "error",
    code: "leakage",
    nodeId: node.id,
    field: input,
    message: `"${node.label}" learns from rows that come from the held-out side of ${splits.join(" and ")}, through its ${inputLabel} input. Held-out rows are kept aside to judge the result; learning from them makes scores look better than they will be on new data. ${instead}`,
  };
}
