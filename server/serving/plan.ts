/**
 * Derives an endpoint version's serving plan from the saved graph and a succeeded run: from the trained model
 * back along its training input, through fitted transforms (replayed with what they learned in that run) and
 * nodes that learn nothing (code, SQL expression, rename, cast: run again per request), to the rows with the
 * raw input columns. Nodes that only pick rows or set roles (split, checks, select) are passed through.
 * Anything else on that path cannot be served and is refused with the node named.
 */
import { FITTED_KINDS } from "../../nodes/features/apply-fitted";
import { portsOf } from "../../nodes/core/define-node";
import type { NodeRegistry } from "../../nodes/core/registry";
import type { Task } from "../../nodes/core/schema";
import { migrateParams } from "../graph/compile-graph";
import type { Workflow, WorkflowEdge, WorkflowNode } from "../graph/format";
import type { ArtifactRef } from "../engine/types";
import { ServiceError } from "../engine/service-error";
import type { RunRecord } from "../store/types";
import type { ServingStep } from "./spec";

/** Nodes that select rows or set column roles: output port → the input port the same columns come from. */
const PASS_THROUGH: Record<string, Record<string, string>> = {
  "features/select-columns": { table: "table" },
  "features/train-test-split": { train: "table", test: "table" },
  "features/k-fold-split": { train: "table", holdout: "table", table: "table" },
  "features/drop-columns": { table: "table" },
  "validation/expectations": { passed: "table" },
  "validation/schema-drift": { table: "table" },
  "fairness/reweighing": { table: "data", data: "data" },
};

/**
 * Nodes that learn nothing from their rows: run again on each request. They must have exactly one connected
 * input (the table the request stands in for); the code node's ports are whatever its params declare.
 */
const REPLAY = new Set(["code/typescript", "features/sql-expression", "features/rename-columns", "features/cast-columns"]);

/** Node kinds whose gate output publishing reads. */
export const GATE_KINDS = ["validation/expectations", "validation/schema-drift", "fairness/group-metrics"];

export interface ServingPath {
  model: { nodeId: string; label: string; ref: ArtifactRef; task?: Task };
  /** Forward order. */
  steps: ServingStep[];
  entry: { nodeId: string; port: string; ref: ArtifactRef };
  threshold: number;
  metrics: Record<string, number>;
}

const labelOf = (n: WorkflowNode, registry: NodeRegistry) => n.label || registry.get(n.kind)?.title || n.id;

/** Outputs of a node in the run, or a refusal naming it. */
function outputsOf(run: RunRecord, node: WorkflowNode, label: string): Record<string, ArtifactRef> {
  const nr = run.nodes.find((n) => n.nodeId === node.id);
  if (!nr || (nr.status !== "succeeded" && nr.status !== "cached"))
    throw new ServiceError("invalid_workflow", `"${label}" did not finish in run ${run.id} (${nr?.status ?? "not run"}); publish from a run where it succeeded.`);
  return nr.outputs;
}

function pickModel(graph: Workflow, run: RunRecord, registry: NodeRegistry, modelNodeId?: string): WorkflowNode {
  const produced = (n: WorkflowNode) => {
    const def = registry.get(n.kind);
    if (!def) return false;
    const modelPorts = Object.entries(def.outputs).filter(([, p]) => p.type === "model").map(([k]) => k);
    const nr = run.nodes.find((r) => r.nodeId === n.id);
    return modelPorts.length > 0 && modelPorts.some((p) => nr?.outputs[p]);
  };
  if (modelNodeId) {
    const n = graph.nodes.find((x) => x.id === modelNodeId);
    if (!n) throw new ServiceError("invalid_input", `The workflow has no node "${modelNodeId}" to publish.`);
    if (!produced(n)) throw new ServiceError("invalid_input", `"${labelOf(n, registry)}" produced no trained model in run ${run.id}.`);
    return n;
  }
  const models = graph.nodes.filter(produced);
  if (models.length === 1) return models[0]!;
  if (!models.length) throw new ServiceError("invalid_workflow", `Run ${run.id} trained no model: add a training node (logistic regression, gradient boosting, random forest, MLP) and run the workflow.`);
  // Several models: the one a Batch score node or a fairness gate reads is the one meant for deployment.
  const downstreamOf = (kinds: string[]) =>
    models.filter((m) => graph.edges.some((e) => e.source === m.id && kinds.includes(graph.nodes.find((n) => n.id === e.target)?.kind ?? "") ) || reachesKinds(graph, m.id, kinds));
  for (const kinds of [["deploy/batch-score"], ["fairness/group-metrics"]]) {
    const hit = downstreamOf(kinds);
    if (hit.length === 1) return hit[0]!;
  }
  throw new ServiceError(
    "invalid_input",
    `The workflow trains ${models.length} models (${models.map((m) => `"${labelOf(m, registry)}" (${m.id})`).join(", ")}); choose the one to publish.`,
  );
}

function reachesKinds(graph: Workflow, from: string, kinds: string[]): boolean {
  const seen = new Set<string>();
  const stack = [from];
  while (stack.length) {
    const id = stack.pop()!;
    for (const e of graph.edges)
      if (e.source === id && !seen.has(e.target)) {
        seen.add(e.target);
        if (kinds.includes(graph.nodes.find((n) => n.id === e.target)?.kind ?? "")) return true;
        stack.push(e.target);
      }
  }
  return false;
}

/** The serving path of the run's model (or `modelNodeId`'s). */
export function deriveServingPath(graph: Workflow, run: RunRecord, registry: NodeRegistry, modelNodeId?: string): ServingPath {
  const byId = new Map(graph.nodes.map((n) => [n.id, n]));
  const incoming = (nodeId: string, port: string) => graph.edges.find((e) => e.target === nodeId && e.targetPort === port);
  const modelNode = pickModel(graph, run, registry, modelNodeId);
  const modelLabel = labelOf(modelNode, registry);
  const modelDef = registry.get(modelNode.kind)!;
  const modelPort = Object.entries(modelDef.outputs).find(([, p]) => p.type === "model")![0];
  const modelRef = outputsOf(run, modelNode, modelLabel)[modelPort]!;
  const tablePorts = Object.entries(modelDef.inputs).filter(([, p]) => p.type === "table").map(([k]) => k);
  const trainPort = tablePorts.includes("train") ? "train" : tablePorts.find((p) => incoming(modelNode.id, p));
  const first = trainPort ? incoming(modelNode.id, trainPort) : undefined;
  if (!first) throw new ServiceError("invalid_workflow", `"${modelLabel}" has no training table connected, so its input columns cannot be traced.`);

  const reversed: ServingStep[] = [];
  let entry: ServingPath["entry"] | undefined;
  const seen = new Set<string>();
  let edge: WorkflowEdge = first;
  for (;;) {
    const node: WorkflowNode = byId.get(edge.source)!;
    const label = labelOf(node, registry);
    if (seen.has(`${node.id}.${edge.sourcePort}`)) throw new ServiceError("invalid_workflow", `The graph loops at "${label}".`);
    seen.add(`${node.id}.${edge.sourcePort}`);
    const outputs = outputsOf(run, node, label);
    const ref = outputs[edge.sourcePort];
    if (!ref) throw new ServiceError("invalid_workflow", `"${label}" produced no "${edge.sourcePort}" output in run ${run.id}.`);
    // The first table seen upstream of the last step is what the request's rows stand for.
    if (!entry) entry = { nodeId: node.id, port: edge.sourcePort, ref };

    let next: string | undefined;
    if (FITTED_KINDS.includes(node.kind) && (edge.sourcePort === "train" || edge.sourcePort === "apply")) {
      const fitted = outputs.fitted;
      if (!fitted) throw new ServiceError("invalid_workflow", `"${label}" stored no fitted transform in run ${run.id}.`);
      reversed.push({ type: "fitted", nodeId: node.id, label, transform: node.kind, hash: fitted.hash });
      next = edge.sourcePort;
      entry = undefined;
    } else if (node.kind === "features/apply-transform") {
      const from = incoming(node.id, "fitted");
      const src = from && byId.get(from.source);
      const fitted = src && outputsOf(run, src, labelOf(src, registry))[from.sourcePort];
      if (!fitted) throw new ServiceError("invalid_workflow", `"${label}" has no fitted transform in run ${run.id}.`);
      reversed.push({ type: "fitted", nodeId: node.id, label, transform: src.kind, hash: fitted.hash });
      next = "table";
      entry = undefined;
    } else if (REPLAY.has(node.kind)) {
      const def = registry.get(node.kind)!;
      const connected: WorkflowEdge[] = graph.edges.filter((e) => e.target === node.id);
      if (connected.length !== 1)
        throw new ServiceError("invalid_workflow", `"${label}" reads ${connected.length ? `${connected.length} inputs` : "no input"}; a node on the serving path must read exactly one table (the request's rows).`);
      const migrated = migrateParams(node, def);
      const parsed = def.params.safeParse(migrated.params);
      if (migrated.issue || !parsed.success) throw new ServiceError("invalid_workflow", `"${label}" has invalid settings; fix them and run again.`);
      const ports = portsOf(def, parsed.data as Record<string, unknown>);
      const input = connected[0]!.targetPort;
      if (ports.inputs[input]?.type !== "table" || ports.outputs[edge.sourcePort]?.type !== "table")
        throw new ServiceError("invalid_workflow", `"${label}" must take and give a table to be on the serving path.`);
      reversed.push({ type: "node", nodeId: node.id, label, kind: node.kind, params: parsed.data as Record<string, unknown>, inputPort: input, outputPort: edge.sourcePort });
      next = input;
      entry = undefined;
    } else if (PASS_THROUGH[node.kind]?.[edge.sourcePort]) {
      next = PASS_THROUGH[node.kind]![edge.sourcePort]!;
    } else if (registry.get(node.kind)?.category === "Sources") {
      break;
    } else {
      throw new ServiceError(
        "invalid_workflow",
        `"${label}" (${node.kind}) is on the path from the input columns to "${modelLabel}", and it cannot be replayed on a request's rows. Serving supports fitted transforms, Apply transform, Code, SQL expression, Rename and Cast columns, and nodes that only pick rows.`,
      );
    }
    const up = next === undefined ? undefined : incoming(node.id, next);
    if (!up) break;
    edge = up;
  }
  if (!entry) throw new ServiceError("invalid_workflow", `The rows entering "${reversed.at(-1)?.label ?? modelLabel}" come from nowhere the run stored.`);

  // Metrics and threshold from evaluation nodes fed by the model.
  const metrics: Record<string, number> = {};
  let threshold = 0.5;
  for (const e of graph.edges.filter((x) => x.source === modelNode.id)) {
    const t = byId.get(e.target);
    if (!t?.kind.startsWith("evaluation/")) continue;
    const nr = run.nodes.find((n) => n.nodeId === t.id);
    for (const [k, v] of Object.entries(nr?.metrics ?? {})) if (Number.isFinite(v) && !(k in metrics)) metrics[k] = v;
    if (t.kind === "evaluation/classification-metrics" && typeof t.params.threshold === "number") threshold = t.params.threshold;
  }
  return {
    model: { nodeId: modelNode.id, label: modelLabel, ref: modelRef },
    steps: reversed.reverse(),
    entry,
    threshold,
    metrics,
  };
}
