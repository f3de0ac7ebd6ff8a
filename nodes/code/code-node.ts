/**
 * Code node (issue #6): the user's TypeScript, `export default async function run({ inputs, params, ctx })`,
 * run in the QuickJS sandbox (server/engine/sandbox). The code is a param, so it is part of the cache key.
 *
 * The user declares the node's input and output ports and its parameters (declarations.ts); `ports(params)`
 * gives the compiler, executor and canvas those ports, and `values` holds what the node's form sets for the
 * declared parameters. The editor types the code from the same declarations and the schemas that reach the
 * inputs (code-types.ts); `check` type-checks it on the server before a run.
 */
import { z } from "zod";
import type { Table } from "apache-arrow";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { port } from "../core/ports";
import type { PortInfo } from "../core/schema";
import type { MetricValue, MetricsValue, PortValue } from "../core/values";
import {
  DEFAULT_INPUTS,
  DEFAULT_OUTPUTS,
  declarationProblems,
  declaredPorts,
  inputDecl,
  outputDecl,
  paramDecl,
  paramValues,
  type OutputDecl,
  type ParamDecl,
} from "./declarations";

export const DEFAULT_CODE = `// Inputs, Params and Outputs follow the ports and parameters declared below (hover them).
export default async function run({ inputs, params, ctx }: RunArgs): Promise<Outputs> {
  const t = inputs.a;
  if (!t) throw new Error("Connect a table to input a");
  return { table: t, metrics: { rows: t.numRows } };
}
`;

// Variable specifiers keep bundlers from pulling the sandbox and the type checker into the browser build.
const SANDBOX = "../../server/engine/sandbox/run-sandboxed";
const TYPECHECK = "../../server/engine/sandbox/typecheck-service";

const params = z.object({
  code: z.string().default(DEFAULT_CODE).meta({ ui: "code", title: "Code", description: "TypeScript run in a sandbox: no files, network or process; tables are Arrow." }),
  inputs: z.array(inputDecl).default(DEFAULT_INPUTS).meta({ title: "Inputs", itemLabel: "input", description: "The node's input ports: inputs.<name> in your code." }),
  outputs: z.array(outputDecl).default(DEFAULT_OUTPUTS).meta({ title: "Outputs", itemLabel: "output", description: "The node's output ports: return { <name>: ... }." }),
  parameters: z.array(paramDecl).default([]).meta({ title: "Parameters", itemLabel: "parameter", description: "Settings your code reads as params.<name>; they get a form below." }),
  values: z
    .record(z.string(), z.union([z.number(), z.string(), z.boolean()]))
    .default({})
    .meta({ ui: "code-params", title: "Parameter values", description: "Values of the declared parameters (their defaults when left alone)." }),
  timeoutMs: z.number().int().min(100).max(600_000).default(30_000).meta({ title: "Time limit (ms)", description: "CPU time the code may use before it is stopped." }),
  memoryMB: z.number().int().min(16).max(4096).default(256).meta({ title: "Memory limit (MB)", description: "Heap the code may use, input tables included." }),
});

/** Version 1 had fixed ports (a, b → table, metrics) and undeclared `values`; `ports` was recorded but unused. */
function migrateV1(p: Record<string, unknown>): Record<string, unknown> {
  const { ports: _unused, ...rest } = p;
  const values = (typeof p.values === "object" && p.values !== null ? p.values : {}) as Record<string, unknown>;
  const parameters: ParamDecl[] = [];
  for (const [name, v] of Object.entries(values)) {
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) continue; // the compiler reports nothing for it: it stays a stale value
    if (typeof v === "number") parameters.push({ type: "number", name, label: "", default: v });
    else if (typeof v === "string") parameters.push({ type: "string", name, label: "", default: v });
    else if (typeof v === "boolean") parameters.push({ type: "boolean", name, label: "", default: v });
  }
  return { ...rest, inputs: DEFAULT_INPUTS, outputs: DEFAULT_OUTPUTS, parameters };
}

type CodeParams = z.output<typeof params>;

/** Issues with declared column parameters against the schemas reaching the inputs (pure, design time). */
function columnProblems(p: CodeParams, infos: Record<string, PortInfo | undefined>): string[] {
  const out: string[] = [];
  for (const d of p.parameters) {
    if (d.type !== "column") continue;
    const v = paramValues([d], p.values)[d.name];
    const cols = infos[d.port]?.table?.columns;
    if (!v || !cols || typeof v !== "string") continue;
    if (!cols.some((c) => c.name === v))
      out.push(`Parameter "${d.label || d.name}": column "${v}" is not in the table reaching input "${d.port}". Available: ${cols.slice(0, 12).map((c) => c.name).join(", ")}${cols.length > 12 ? ", …" : ""}.`);
  }
  return out;
}

/** Turns the code's `metrics` output into a MetricsValue: `{ name: number }` or `{ values, details }`. */
export function toMetrics(v: unknown, name = "metrics"): MetricsValue | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) fail("code_bad_output", `The "${name}" output must be an object such as { accuracy: 0.9 }.`, "code");
  const o = v as Record<string, unknown>;
  const src = (typeof o.values === "object" && o.values !== null ? o.values : o) as Record<string, unknown>;
  const values: Record<string, MetricValue> = {};
  for (const [k, x] of Object.entries(src)) {
    if (k === "__proto__") continue;
    if (x === null || typeof x === "number") values[k] = x === null || Number.isFinite(x) ? x : null;
    else if (src === o) fail("code_bad_output", `Metric "${k}" must be a number or null.`, "code");
  }
  const details = src !== o && typeof o.details === "object" && o.details !== null ? (o.details as Record<string, unknown>) : undefined;
  return details ? { values, details } : { values };
}

export default defineNode({
  kind: "code/typescript",
  version: 2,
  title: "Code",
  category: "Code",
  description: "Your own TypeScript over tables (columns, filter, map, group-by, SQL), run in a sandbox with time and memory limits.",
  // The ports of the default params; `ports` gives the declared ones.
  inputs: { a: port.table({ optional: true }), b: port.table({ optional: true }) },
  outputs: { table: port.table({ optional: true }), metrics: port.metrics({ optional: true }) },
  params,
  migrate: { 1: migrateV1 },
  ports: (p) => declaredPorts(p),
  resources: { heavy: true },
  infer({ inputs, params: prm }) {
    const first = declarationProblems(prm)[0];
    if (first) fail("code_declaration", first.message, first.field);
    const col = columnProblems(prm, inputs)[0];
    if (col) fail("unknown_column", col, "values");
    // What the code returns is known only when it runs.
    return {};
  },
  async check({ inputs, params: prm }) {
    const { typecheckCodeNode } = (await import(/* webpackIgnore: true */ /* turbopackIgnore: true */ TYPECHECK)) as typeof import("../../server/engine/sandbox/typecheck-service");
    const problems = await typecheckCodeNode({ code: prm.code, inputs: prm.inputs, outputs: prm.outputs, parameters: prm.parameters, infos: inputs });
    return problems.map((t) => ({ code: "code_type_error", field: "code", message: `Type error at line ${t.line}: ${t.message}` }));
  },
  async run({ inputs, params: prm, ctx }) {
    // Lazy: the browser imports this file for the palette; the sandbox (QuickJS, esbuild) is server-only.
    const { runSandboxed } = (await import(/* webpackIgnore: true */ /* turbopackIgnore: true */ SANDBOX)) as typeof import("../../server/engine/sandbox/run-sandboxed");
    const given = inputs as Record<string, PortValue | undefined>;
    const tables: Record<string, Table | undefined> = {};
    const values: Record<string, unknown> = {};
    for (const d of prm.inputs) {
      const v = given[d.name];
      if (d.type === "table") tables[d.name] = v as Table | undefined;
      else if (v !== undefined) values[d.name] = v;
    }
    const out = await runSandboxed({
      code: prm.code,
      inputs: tables,
      values,
      params: paramValues(prm.parameters, prm.values),
      limits: { timeoutMs: prm.timeoutMs, memoryMB: prm.memoryMB },
      host: {
        runId: ctx.runId,
        nodeId: ctx.nodeId,
        signal: ctx.signal,
        log: (m, level) => ctx.log(m, level),
        progress: (f, m) => ctx.progress(f, m),
        metric: (n, v, s) => ctx.metric(n, v, s),
        // No `sql` here on purpose: the sandbox's own DuckDB has file access off (guest-sql.ts).
      },
    });
    return collectOutputs(prm.outputs, out, (m) => ctx.log(m, "warn"));
  },
});

/** The sandbox's outputs as the declared ports' values, with a message naming the port for each mismatch. */
export function collectOutputs(decls: OutputDecl[], out: { tables: Record<string, Table>; values: Record<string, unknown> }, warn: (m: string) => void): Record<string, PortValue> {
  const declared = new Set(decls.map((d) => d.name));
  const extra = Object.keys(out.tables).concat(Object.keys(out.values)).filter((k) => !declared.has(k));
  if (extra.length) warn(`Outputs ${extra.map((k) => `"${k}"`).join(", ")} are ignored: this node declares ${decls.map((d) => `"${d.name}"`).join(", ") || "no outputs"}. Declare them under Outputs to use them.`);
  const result: Record<string, PortValue> = {};
  for (const d of decls) {
    const table = out.tables[d.name];
    const value = out.values[d.name];
    if (table === undefined && (value === undefined || value === null)) {
      if (!d.optional) fail("code_missing_output", `run() did not return the "${d.name}" output (a ${d.type}). Return it, or mark the output optional.`, "code");
      continue;
    }
    if (d.type === "table") {
      if (!table) fail("code_bad_output", `The "${d.name}" output must be a Table (an input, or one made with table({...}), Table.fromRows or sql()).`, "code");
      result[d.name] = table;
    } else if (table) fail("code_bad_output", `The "${d.name}" output is declared as ${d.type === "metrics" ? "metrics" : "a value"}, but run() returned a Table for it.`, "code");
    else if (d.type === "metrics") {
      const m = toMetrics(value, d.name);
      if (m) result[d.name] = m;
    } else {
      if (typeof value !== "number" && typeof value !== "string" && typeof value !== "boolean") fail("code_bad_output", `The "${d.name}" output must be a number, text or true/false.`, "code");
      result[d.name] = value;
    }
  }
  return result;
}
