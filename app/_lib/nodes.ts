/**
 * The browser's view of the node catalog: palette groups, form schemas and default params. Definitions come
 * straight from nodes/ (no server round trip), the same code the compiler and executor use.
 */
import { z } from "zod";
import { registry } from "../../nodes/catalog";
import { CATEGORIES, portsOf, type AnyNodeDefinition, type PortMap } from "../../nodes/core/define-node";
import type { PortType } from "../../nodes/core/ports";

export { registry };

/** A property of the params JSON Schema, with Lattice's meta keys. */
export interface FieldSchema {
  type?: string | string[];
  enum?: unknown[];
  default?: unknown;
  title?: string;
  description?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  items?: FieldSchema;
  minItems?: number;
  maxItems?: number;
  /** Object fields (array items, discriminated-union variants). */
  properties?: Record<string, FieldSchema>;
  required?: string[];
  /** Records (`z.record`): the schema of each value. */
  additionalProperties?: FieldSchema | boolean;
  propertyNames?: FieldSchema;
  anyOf?: FieldSchema[];
  oneOf?: FieldSchema[];
  const?: unknown;
  ui?: "column" | "columns" | "code" | "code-params" | "file" | "textarea" | "hidden" | "trainer-setting";
  port?: string;
  dtype?: "any" | "numeric" | "string";
  /** What one item of a list is called in the form ("rule", "layer"); else derived from the title. */
  itemLabel?: string;
}

export interface ParamsSchema {
  properties: Record<string, FieldSchema>;
  required: string[];
}

const schemaCache = new Map<string, ParamsSchema>();

export function paramsSchema(def: AnyNodeDefinition): ParamsSchema {
  const hit = schemaCache.get(def.kind);
  if (hit) return hit;
  let out: ParamsSchema = { properties: {}, required: [] };
  try {
    const js = z.toJSONSchema(def.params, { io: "input", unrepresentable: "any" }) as { properties?: Record<string, FieldSchema>; required?: string[] };
    out = { properties: js.properties ?? {}, required: js.required ?? [] };
  } catch {
    // A schema zod cannot express stays editable through Export/Import JSON.
  }
  schemaCache.set(def.kind, out);
  return out;
}

/** Params of a freshly dropped node: every default filled in, so the saved JSON says what will run. */
export function defaultParams(def: AnyNodeDefinition): Record<string, unknown> {
  const r = def.params.safeParse({});
  if (r.success) return { ...r.data };
  const out: Record<string, unknown> = {};
  for (const [k, f] of Object.entries(paramsSchema(def).properties)) if (f.default !== undefined) out[k] = structuredClone(f.default);
  return out;
}

export function paletteGroups(query: string): Array<{ category: string; defs: AnyNodeDefinition[] }> {
  const q = query.trim().toLowerCase();
  const defs = registry.all().filter((d) => !d.internal).filter((d) => !q || `${d.title} ${d.description} ${d.category} ${d.kind}`.toLowerCase().includes(q));
  return CATEGORIES.map((c) => ({ category: c as string, defs: defs.filter((d) => d.category === c).sort((a, b) => a.title.localeCompare(b.title)) })).filter((g) => g.defs.length > 0);
}

export const PORT_COLOR: Record<PortType, string> = {
  table: "#2f7de1",
  model: "#8a4fd8",
  transform: "#0f9d8a",
  metrics: "#e08a00",
  report: "#6b7280",
  chart: "#d6457a",
  scalar: "#4b5563",
};

export const CATEGORY_COLOR: Record<string, string> = {
  Sources: "#2f7de1",
  Validation: "#0891b2",
  Features: "#0f9d8a",
  Training: "#8a4fd8",
  Tuning: "#7c3aed",
  Evaluation: "#e08a00",
  Fairness: "#db2777",
  Explain: "#ca8a04",
  Deployment: "#475569",
  Code: "#334155",
};

const portsCache = new WeakMap<Record<string, unknown>, { inputs: PortMap; outputs: PortMap }>();

/** A node's ports for its params on the canvas (a code node's declared ports); cached per params object. */
export function nodePorts(def: AnyNodeDefinition, params: Record<string, unknown>): { inputs: PortMap; outputs: PortMap } {
  if (!def.ports) return { inputs: def.inputs, outputs: def.outputs };
  let hit = portsCache.get(params);
  if (!hit) {
    const r = def.params.safeParse(params);
    hit = portsOf(def, r.success ? r.data : undefined);
    portsCache.set(params, hit);
  }
  return hit;
}
