/**
 * What a code node's user declares: its input and output ports and its parameters. The declarations are
 * ordinary params (so they are saved, versioned and part of the cache key); `declaredPorts` turns them into
 * the node's ports (the contract's `ports(params)` hook) and `paramValues` into the `params` the code gets.
 */
import { z } from "zod";
import type { PortMap } from "../core/define-node";
import type { ScalarValue } from "../core/values";

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const RESERVED = new Set(["__proto__", "constructor", "prototype"]);
const ident = (what: string) =>
  z
    .string()
    .regex(IDENT, `a ${what} name is a letter or _ followed by letters, digits or _`)
    .refine((s) => !RESERVED.has(s), `"${what}" cannot be called that`)
    .meta({ title: "Name" });

export const INPUT_TYPES = ["table", "metrics", "scalar"] as const;
export const OUTPUT_TYPES = ["table", "metrics", "scalar"] as const;
const TYPE_TITLES = { table: "Table", metrics: "Metrics", scalar: "Value (number, text or yes/no)" };

export const inputDecl = z.object({
  name: ident("port"),
  type: z.enum(INPUT_TYPES).default("table").meta({ title: "Type", description: Object.values(TYPE_TITLES).join(" · ") }),
  optional: z.boolean().default(false).meta({ title: "Optional", description: "The node may run without this input connected (your code then sees undefined)." }),
});
export const outputDecl = z.object({
  name: ident("port"),
  type: z.enum(OUTPUT_TYPES).default("table").meta({ title: "Type" }),
  optional: z.boolean().default(false).meta({ title: "Optional", description: "Your code may leave this output out of what it returns." }),
});
export type InputDecl = z.output<typeof inputDecl>;
export type OutputDecl = z.output<typeof outputDecl>;

const paramName = ident("parameter");
const label = z.string().default("").meta({ title: "Label", description: "Shown in the form; the name when empty." });
export const paramDecl = z.discriminatedUnion("type", [
  z.object({ type: z.literal("number"), name: paramName, label, default: z.number().default(0).meta({ title: "Default" }) }).meta({ title: "Number" }),
  z.object({ type: z.literal("string"), name: paramName, label, default: z.string().default("").meta({ title: "Default" }) }).meta({ title: "Text" }),
  z.object({ type: z.literal("boolean"), name: paramName, label, default: z.boolean().default(false).meta({ title: "Default" }) }).meta({ title: "Yes / no" }),
  z
    .object({ type: z.literal("column"), name: paramName, label, port: z.string().default("a").meta({ title: "Of input", description: "The input port (a table) whose columns the picker offers." }) })
    .meta({ title: "Column of an input" }),
]);
export type ParamDecl = z.output<typeof paramDecl>;

/** The ports every code node had in version 1, and the ports of a new one. */
export const DEFAULT_INPUTS: InputDecl[] = [
  { name: "a", type: "table", optional: true },
  { name: "b", type: "table", optional: true },
];
export const DEFAULT_OUTPUTS: OutputDecl[] = [
  { name: "table", type: "table", optional: true },
  { name: "metrics", type: "metrics", optional: true },
];

export function portMap(decls: ReadonlyArray<InputDecl | OutputDecl>): PortMap {
  const out: PortMap = {};
  for (const d of decls) out[d.name] = { type: d.type, optional: d.optional };
  return out;
}

/** The ports a code node's params declare. */
export function declaredPorts(p: { inputs: InputDecl[]; outputs: OutputDecl[] }): { inputs: PortMap; outputs: PortMap } {
  return { inputs: portMap(p.inputs), outputs: portMap(p.outputs) };
}

/** The value of a declared parameter when the form leaves it empty. */
export function paramDefault(d: ParamDecl): ScalarValue {
  return d.type === "column" ? "" : d.default;
}

/**
 * What the code sees as `params`: each declared parameter's value (or its default). Values of parameters no
 * longer declared are left out (the form no longer shows them, so they must not be an error either).
 */
export function paramValues(decls: ParamDecl[], values: Record<string, ScalarValue>): Record<string, ScalarValue> {
  const out: Record<string, ScalarValue> = {};
  for (const d of decls) out[d.name] = Object.hasOwn(values, d.name) ? values[d.name]! : paramDefault(d);
  return out;
}

/** Problems with the declarations and values, as messages naming the field they belong to (pure; used by infer). */
export function declarationProblems(p: { inputs: InputDecl[]; outputs: OutputDecl[]; parameters: ParamDecl[]; values: Record<string, ScalarValue> }): Array<{ field: string; message: string }> {
  const out: Array<{ field: string; message: string }> = [];
  const dup = (list: Array<{ name: string }>, field: string, what: string) => {
    const seen = new Set<string>();
    for (const d of list) {
      if (seen.has(d.name)) out.push({ field, message: `Two ${what} are called "${d.name}". Give each its own name.` });
      seen.add(d.name);
    }
  };
  dup(p.inputs, "inputs", "inputs");
  dup(p.outputs, "outputs", "outputs");
  dup(p.parameters, "parameters", "parameters");
  for (const d of p.parameters) {
    if (d.type === "column") {
      const port = p.inputs.find((i) => i.name === d.port);
      if (!port) out.push({ field: "parameters", message: `Parameter "${d.name}" picks a column of input "${d.port}", but there is no such input (inputs: ${p.inputs.map((i) => i.name).join(", ") || "none"}).` });
      else if (port.type !== "table") out.push({ field: "parameters", message: `Parameter "${d.name}" picks a column of input "${d.port}", which is not a table.` });
    }
    if (!Object.hasOwn(p.values, d.name)) continue;
    const v = p.values[d.name];
    const want = d.type === "column" ? "string" : d.type;
    if (typeof v !== want) out.push({ field: "values", message: `Parameter "${d.name}" must be ${want === "number" ? "a number" : want === "boolean" ? "yes or no" : "text"} (it is ${JSON.stringify(v)}).` });
  }
  return out;
}
