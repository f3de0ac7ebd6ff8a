/**
 * Connect-time check used by the editor while a person drags a connection: the same rules as the compiler,
 * answered for one candidate edge. Returns the reason to refuse, or undefined when the edge is fine.
 */
import type { NodeRegistry } from "../../nodes/core/registry";
import { compileGraph } from "./compile-graph";
import type { Workflow, WorkflowEdge } from "./format";

const EDGE_CODES = new Set(["incompatible_ports", "unknown_port", "dangling_edge", "cycle", "multiple_inputs"]);

export function checkConnection(wf: Workflow, registry: NodeRegistry, edge: WorkflowEdge): string | undefined {
  if (wf.edges.some((e) => e.target === edge.target && e.targetPort === edge.targetPort))
    return `Input "${edge.targetPort}" already has a connection. Remove it first; an input takes one connection.`;
  const candidateId = "__candidate__";
  const before = new Set(compileGraph(wf, registry).issues.filter((i) => i.code === "cycle").map((i) => i.nodeId));
  const plan = compileGraph({ ...wf, edges: [...wf.edges, { ...edge, id: candidateId }] }, registry);
  const own = plan.issues.find((i) => i.edgeId === candidateId && EDGE_CODES.has(i.code));
  if (own) return own.message;
  const cycle = plan.issues.find((i) => i.code === "cycle" && !before.has(i.nodeId));
  if (cycle) return "This connection would close a loop. Workflows must flow one way.";
  return undefined;
}
