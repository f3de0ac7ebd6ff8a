/**
 * Workflow format v1: the JSON the editor exports, the CLI runs and WorkflowVersion stores.
 */
import { z } from "zod";

export const FORMAT_VERSION = 1;

const id = z.string().min(1).max(200);

export const workflowNodeSchema = z.object({
  id,
  kind: z.string().min(1),
  version: z.number().int().min(1),
  params: z.record(z.string(), z.unknown()).default({}),
  position: z.object({ x: z.number(), y: z.number() }).default({ x: 0, y: 0 }),
  label: z.string().optional(),
});

export const workflowEdgeSchema = z.object({
  id: id.optional(),
  source: id,
  sourcePort: z.string().min(1),
  target: id,
  targetPort: z.string().min(1),
});

export const workflowSchema = z.object({
  formatVersion: z.literal(FORMAT_VERSION),
  name: z.string().default("Untitled workflow"),
  description: z.string().optional(),
  nodes: z.array(workflowNodeSchema),
  edges: z.array(workflowEdgeSchema).default([]),
});

export type WorkflowNode = z.output<typeof workflowNodeSchema>;
export type WorkflowEdge = z.output<typeof workflowEdgeSchema>;
export type Workflow = z.output<typeof workflowSchema>;
export type WorkflowInput = z.input<typeof workflowSchema>;

/** Stable id for an edge that was saved without one. */
export function edgeId(e: WorkflowEdge): string {
  return e.id ?? `${e.source}.${e.sourcePort}->${e.target}.${e.targetPort}`;
}

/**
 * Parse a workflow document, turning zod's paths into messages a person can act on.
 * Returns either the workflow or a list of human-readable problems.
 */
export function parseWorkflow(doc: unknown): { ok: true; workflow: Workflow } | { ok: false; problems: string[] } {
  if (doc && typeof doc === "object" && "formatVersion" in doc) {
    const v = (doc as { formatVersion: unknown }).formatVersion;
    if (typeof v === "number" && v > FORMAT_VERSION)
      return { ok: false, problems: [`This workflow uses format version ${v}; this Lattice reads up to ${FORMAT_VERSION}. Upgrade Lattice.`] };
  }
  const r = workflowSchema.safeParse(doc);
  if (r.success) return { ok: true, workflow: r.data };
  return {
    ok: false,
    problems: r.error.issues.map((i) => {
      const where = describePath(doc, i.path);
      return `${where}: ${i.message}`;
    }),
  };
}

function describePath(doc: unknown, path: PropertyKey[]): string {
  if (path[0] === "nodes" && typeof path[1] === "number") {
    const n = (doc as { nodes?: Array<{ id?: unknown }> }).nodes?.[path[1]];
    const nid = n && typeof n.id === "string" ? `node "${n.id}"` : `node #${path[1] + 1}`;
    return path.length > 2 ? `${nid}, field "${path.slice(2).join(".")}"` : nid;
  }
  if (path[0] === "edges" && typeof path[1] === "number") return `edge #${path[1] + 1}${path.length > 2 ? `, field "${path.slice(2).join(".")}"` : ""}`;
  return path.length ? `field "${path.join(".")}"` : "workflow";
}
