/**
 * Compiler: canvas graph → validated, topologically ordered plan, with design-time schemas on every port.
 * Pure (no I/O) so the browser runs the same checks at connect time. Every problem is an {@link Issue} placed on
 * a node or an edge, worded for a person who does not program.
 */
import type { z } from "zod";
import { portsOf, type AnyNodeDefinition, type PortMap } from "../../nodes/core/define-node";
import type { Issue } from "../../nodes/core/errors";
import { isUserError } from "../../nodes/core/errors";
import { paramFields } from "../../nodes/core/params";
import { PORT_TYPE_LABEL, portsCompatible } from "../../nodes/core/ports";
import type { NodeRegistry } from "../../nodes/core/registry";
import { isNumeric, type PortInfo } from "../../nodes/core/schema";
import { edgeId, type Workflow, type WorkflowEdge, type WorkflowNode } from "./format";
import { checkLeakage } from "./leakage";

export type PortInfos = Record<string, PortInfo | undefined>;

export interface PlanNode {
  id: string;
  label: string;
  kind: string;
  version: number;
  def: AnyNodeDefinition;
  /** Parsed params (defaults filled, migrated to the current version). */
  params: Record<string, unknown>;
  /** For each connected input port: the upstream node and output port. */
  inputs: Record<string, { node: string; port: string }>;
  /** Ids of nodes that consume any output of this node. */
  dependents: string[];
}

export interface Plan {
  ok: boolean;
  /** Topological order (only when there is no cycle). */
  nodes: PlanNode[];
  issues: Issue[];
  /** Design-time schema of every output port, by node id. */
  infos: Record<string, PortInfos>;
}

export interface CompileOptions {
  /** Output infos learned by probing sources (server side) or from a previous run, by node id. */
  known?: Record<string, PortInfos>;
}

const nodeName = (n: WorkflowNode, def?: AnyNodeDefinition) => `"${n.label || def?.title || n.kind}"`;

/** Migrate a node's saved params to its definition's current version. */
export function migrateParams(
  node: WorkflowNode,
  def: AnyNodeDefinition,
): { params: Record<string, unknown>; issue?: Omit<Issue, "severity"> } {
  if (node.version > def.version) {
    return {
      params: node.params,
      issue: {
        code: "future_version",
        nodeId: node.id,
        message: `${nodeName(node, def)} was saved by a newer Lattice (version ${node.version}; this one knows up to ${def.version}). Upgrade Lattice to run it.`,
      },
    };
  }
  let params = { ...node.params };
  for (let v = node.version; v < def.version; v++) {
    const step = def.migrate?.[v];
    if (!step) {
      return {
        params,
        issue: {
          code: "no_migration",
          nodeId: node.id,
          message: `${nodeName(node, def)} was saved as version ${node.version} and cannot be upgraded to version ${def.version} automatically. Re-add the node from the palette.`,
        },
      };
    }
    params = step(params);
  }
  return { params };
}

/** Zod issue → one sentence naming the field. */
function paramProblem(path: PropertyKey[], message: string): string {
  const field = path.length ? `Setting "${path.join(".")}"` : "Settings";
  return `${field}: ${message}`;
}

export function compileGraph(wf: Workflow, registry: NodeRegistry, opts: CompileOptions = {}): Plan {
  const issues: Issue[] = [];
  const err = (i: Omit<Issue, "severity">) => issues.push({ severity: "error", ...i });

  // 1. Nodes, definitions, params.
  const byId = new Map<string, Entry & { params?: Record<string, unknown> }>();
  for (const node of wf.nodes) {
    if (byId.has(node.id)) {
      err({ code: "duplicate_node_id", nodeId: node.id, message: `Two nodes share the id "${node.id}". Give each node its own id.` });
      continue;
    }
    const def = registry.get(node.kind);
    if (!def) {
      err({ code: "unknown_kind", nodeId: node.id, message: `Node "${node.label || node.id}" is of an unknown type "${node.kind}". It may come from a newer Lattice or a removed plugin; replace it with a node from the palette.` });
      byId.set(node.id, { node });
      continue;
    }
    if (def.internal) {
      err({ code: "internal_kind", nodeId: node.id, message: `Node "${node.label || node.id}" is of type "${node.kind}", a step other nodes run for themselves (e.g. one tuning trial); it cannot be placed in a workflow. Use Tuning or Cross-validation instead.` });
      byId.set(node.id, { node });
      continue;
    }
    const m = migrateParams(node, def);
    if (m.issue) {
      err(m.issue);
      byId.set(node.id, { node, def, ports: portsOf(def) });
      continue;
    }
    const parsed = def.params.safeParse(m.params);
    if (!parsed.success) {
      for (const zi of parsed.error.issues)
        err({ code: "invalid_param", nodeId: node.id, field: String(zi.path[0] ?? ""), message: `${nodeName(node, def)}: ${paramProblem(zi.path, zi.message)}.` });
    }
    const known = new Set(paramFields(def.params).map((f) => f.name));
    if (known.size) {
      for (const k of Object.keys(m.params))
        if (!known.has(k))
          err({ code: "unknown_param", nodeId: node.id, field: k, message: `${nodeName(node, def)} has a setting "${k}" that version ${def.version} of this node does not know. Remove it, or use the Lattice version that saved it.` });
    }
    const params = parsed.success ? parsed.data : undefined;
    byId.set(node.id, { node, def, params, ports: portsOf(def, params) });
  }

  // 2. Edges.
  const inputs = new Map<string, Record<string, { node: string; port: string; edge: string }>>();
  const dependents = new Map<string, Set<string>>();
  for (const e of wf.edges) {
    const eid = edgeId(e);
    const problem = checkEdge(e, byId);
    if (problem) {
      err({ code: problem.code, edgeId: eid, nodeId: problem.nodeId, field: problem.field, message: problem.message });
      continue;
    }
    const ins = inputs.get(e.target) ?? {};
    if (ins[e.targetPort]) {
      err({ code: "multiple_inputs", edgeId: eid, nodeId: e.target, field: e.targetPort, message: `Input "${e.targetPort}" of ${nodeName(byId.get(e.target)!.node, byId.get(e.target)!.def)} already has a connection. An input takes one connection; remove the other one first.` });
      continue;
    }
    ins[e.targetPort] = { node: e.source, port: e.sourcePort, edge: eid };
    inputs.set(e.target, ins);
    if (!dependents.has(e.source)) dependents.set(e.source, new Set());
    dependents.get(e.source)!.add(e.target);
  }

  // 3. Required inputs.
  for (const { node, def, ports } of byId.values()) {
    if (!def || !ports) continue;
    const ins = inputs.get(node.id) ?? {};
    for (const [name, spec] of Object.entries(ports.inputs))
      if (!spec.optional && !ins[name])
        err({ code: "missing_input", nodeId: node.id, field: name, message: `${nodeName(node, def)} needs its "${spec.label ?? name}" input (${PORT_TYPE_LABEL[spec.type]}) connected. Drag a connection into it from a node that produces a ${PORT_TYPE_LABEL[spec.type]}.` });
  }

  // 3b. An optional output named like an optional input (a fitted transform's `apply`) exists only when that
  //     input is connected.
  for (const e of wf.edges) {
    const src = byId.get(e.source);
    const spec = src?.ports?.outputs[e.sourcePort];
    const twin = src?.ports?.inputs[e.sourcePort];
    if (spec?.optional && twin?.optional && !inputs.get(e.source)?.[e.sourcePort])
      err({ code: "output_without_input", edgeId: edgeId(e), nodeId: e.source, field: e.sourcePort, message: `${nodeName(src!.node, src!.def)} gives its "${spec.label ?? e.sourcePort}" output only when its "${twin.label ?? e.sourcePort}" input is connected. Connect the rows to transform to "${twin.label ?? e.sourcePort}", or take the other output.` });
  }

  // 4. Topological order (Kahn), cycle detection.
  const indeg = new Map<string, number>();
  for (const id of byId.keys()) indeg.set(id, Object.keys(inputs.get(id) ?? {}).length);
  const queue: string[] = [];
  for (const n of wf.nodes) if (byId.get(n.id)?.node === n && indeg.get(n.id) === 0) queue.push(n.id);
  const order: string[] = [];
  for (let qi = 0; qi < queue.length; qi++) {
    const id = queue[qi]!;
    order.push(id);
    for (const d of dependents.get(id) ?? []) {
      // a node may consume several outputs of the same upstream node: count every edge
      const count = Object.values(inputs.get(d) ?? {}).filter((s) => s.node === id).length;
      const left = indeg.get(d)! - count;
      indeg.set(d, left);
      if (left === 0) queue.push(d);
    }
  }
  if (order.length < byId.size) {
    const inCycle = [...byId.keys()].filter((id) => !order.includes(id));
    const names = inCycle.map((id) => nodeName(byId.get(id)!.node, byId.get(id)!.def)).join(" → ");
    for (const id of inCycle)
      err({ code: "cycle", nodeId: id, message: `This node is part of a loop (${names}). Workflows must flow one way; remove one of the connections that closes the loop.` });
  }

  // 5. Schema propagation + column checks, in topological order.
  const infos: Record<string, PortInfos> = {};
  for (const id of order) {
    const { node, def, params, ports } = byId.get(id)!;
    if (!def || !ports) continue;
    const ins = inputs.get(id) ?? {};
    const inInfos: PortInfos = {};
    for (const name of Object.keys(ports.inputs)) {
      const src = ins[name];
      inInfos[name] = src ? infos[src.node]?.[src.port] : undefined;
    }
    if (!params) continue;
    checkColumns(node, def, params, inInfos, ins, byId, err);
    let out: PortInfos = {};
    try {
      out = def.infer ? (def.infer({ inputs: inInfos, params }) as PortInfos) : {};
    } catch (e) {
      if (!isUserError(e)) throw e;
      err({ code: e.code, nodeId: id, field: e.field, message: `${nodeName(node, def)}: ${e.message}` });
    }
    const known = opts.known?.[id];
    if (known) out = { ...out, ...Object.fromEntries(Object.entries(known).filter(([, v]) => v !== undefined)) };
    infos[id] = out;
  }

  // 6. Leakage guard: nothing may learn from rows of a split's held-out side (see leakage.ts).
  issues.push(
    ...checkLeakage(
      order.flatMap((id) => {
        const { node, def } = byId.get(id)!;
        if (!def) return [];
        const ins = Object.entries(inputs.get(id) ?? {}).map(([k, v]) => [k, { node: v.node, port: v.port }] as const);
        return [{ id, label: node.label || def.title, def, inputs: Object.fromEntries(ins) }];
      }),
    ),
  );

  const hasErrors = issues.some((i) => i.severity === "error");
  const planNodes: PlanNode[] = hasErrors
    ? []
    : order.map((id) => {
        const { node, def, params } = byId.get(id)!;
        const ins = inputs.get(id) ?? {};
        return {
          id,
          label: node.label || def!.title,
          kind: node.kind,
          version: def!.version,
          def: def!,
          params: params!,
          inputs: Object.fromEntries(Object.entries(ins).map(([k, v]) => [k, { node: v.node, port: v.port }])),
          dependents: [...(dependents.get(id) ?? [])],
        };
      });
  return { ok: !hasErrors, nodes: planNodes, issues, infos };
}

/** A node with its definition and its ports for its params (both absent when the kind is unknown). */
type Entry = { node: WorkflowNode; def?: AnyNodeDefinition; ports?: { inputs: PortMap; outputs: PortMap } };

function checkEdge(
  e: WorkflowEdge,
  byId: Map<string, Entry>,
): { code: string; message: string; nodeId?: string; field?: string } | undefined {
  const s = byId.get(e.source);
  const t = byId.get(e.target);
  if (!s) return { code: "dangling_edge", nodeId: e.target, message: `A connection comes from node "${e.source}", which is not in the workflow. Delete the connection.` };
  if (!t) return { code: "dangling_edge", nodeId: e.source, message: `A connection goes to node "${e.target}", which is not in the workflow. Delete the connection.` };
  if (e.source === e.target) return { code: "cycle", nodeId: e.source, message: `${nodeName(s.node, s.def)} is connected to itself. Remove that connection.` };
  if (!s.def || !t.def || !s.ports || !t.ports) return undefined; // unknown kind already reported
  const out = s.ports.outputs[e.sourcePort];
  if (!out) return { code: "unknown_port", nodeId: s.node.id, field: e.sourcePort, message: `${nodeName(s.node, s.def)} has no output "${e.sourcePort}" (it has: ${Object.keys(s.ports.outputs).join(", ") || "none"}).` };
  const inp = t.ports.inputs[e.targetPort];
  if (!inp) return { code: "unknown_port", nodeId: t.node.id, field: e.targetPort, message: `${nodeName(t.node, t.def)} has no input "${e.targetPort}" (it has: ${Object.keys(t.ports.inputs).join(", ") || "none"}).` };
  if (!portsCompatible(out.type, inp.type))
    return {
      code: "incompatible_ports",
      nodeId: t.node.id,
      field: e.targetPort,
      message: `Cannot connect ${nodeName(s.node, s.def)} → ${nodeName(t.node, t.def)}: output "${out.label ?? e.sourcePort}" gives a ${PORT_TYPE_LABEL[out.type]}, but input "${inp.label ?? e.targetPort}" expects a ${PORT_TYPE_LABEL[inp.type]}.`,
    };
  return undefined;
}

function checkColumns(
  node: WorkflowNode,
  def: AnyNodeDefinition,
  params: Record<string, unknown>,
  inInfos: PortInfos,
  ins: Record<string, { node: string; port: string }>,
  byId: Map<string, Entry>,
  err: (i: Omit<Issue, "severity">) => void,
) {
  for (const f of paramFields(def.params as z.ZodType)) {
    const meta = f.meta;
    if (!meta?.port || (meta.ui !== "column" && meta.ui !== "columns")) continue;
    const table = inInfos[meta.port]?.table;
    if (!table) continue; // schema unknown at design time: checked at run time instead
    const v = params[f.name];
    const names = meta.ui === "column" ? (typeof v === "string" && v ? [v] : []) : Array.isArray(v) ? (v as string[]) : [];
    for (const col of names) {
      const c = table.columns.find((x) => x.name === col);
      const from = ins[meta.port];
      const upstream = from ? byId.get(from.node) : undefined;
      if (!c) {
        const avail = table.columns.map((x) => x.name);
        err({
          code: "unknown_column",
          nodeId: node.id,
          field: f.name,
          message: `${nodeName(node, def)}: column "${col}" (setting "${meta.title ?? f.name}") is not in the table coming from ${upstream ? nodeName(upstream.node, upstream.def) : "upstream"}. ${avail.length ? `Available: ${avail.slice(0, 12).join(", ")}${avail.length > 12 ? ", …" : ""}.` : "That table has no columns."} Pick another column, or keep it upstream.`,
        });
      } else if (meta.dtype === "numeric" && !isNumeric(c.dtype) && c.dtype !== "unknown") {
        err({ code: "column_dtype", nodeId: node.id, field: f.name, message: `${nodeName(node, def)}: column "${col}" holds ${c.dtype} values but setting "${meta.title ?? f.name}" needs a numeric column. Cast or encode it first.` });
      }
    }
  }
}
