/**
 * Code node (issue #6): the user's TypeScript, `export default async function run({ inputs, params, ctx })`,
 * run in the QuickJS sandbox (server/engine/sandbox). The code is a param, so it is part of the cache key.
 *
 * Ports are fixed for now (inputs `a`, `b`: optional tables; outputs `table`, `metrics`) because the node
 * contract has static ports; `ports` records what the user declared, so that once the contract lets params
 * shape ports (see the issue #6 report) the same saved params keep working.
 */
import { z } from "zod";
import type { Table } from "apache-arrow";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { port } from "../core/ports";
import type { MetricValue, MetricsValue } from "../core/values";

export const DEFAULT_CODE = `// inputs.a, inputs.b: tables (when connected). Return { table, metrics }.
export default async function run({ inputs, params, ctx }) {
  const t = inputs.a;
  if (!t) throw new Error("Connect a table to input a");
  return { table: t, metrics: { rows: t.numRows } };
}
`;

// A variable specifier keeps bundlers from pulling the sandbox into the browser build.
const SANDBOX = "../../server/engine/sandbox/run-sandboxed";

const portDecl = z.object({
  name: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, "a port name is a letter or _ followed by letters, digits or _"),
  type: z.enum(["table", "scalar", "metrics"]),
});

const params = z.object({
  code: z.string().default(DEFAULT_CODE).meta({ ui: "code", title: "Code", description: "TypeScript run in a sandbox: no files, network or process; tables are Arrow." }),
  ports: z
    .object({ inputs: z.array(portDecl).default([]), outputs: z.array(portDecl).default([]) })
    .default({ inputs: [], outputs: [] })
    .meta({ ui: "hidden", description: "Ports declared by the user (the node's face uses a, b → table, metrics until declared ports land)." }),
  values: z
    .record(z.string(), z.union([z.number(), z.string(), z.boolean()]))
    .default({})
    .meta({ title: "Parameters", description: "Values your code reads as params.<name>." }),
  timeoutMs: z.number().int().min(100).max(600_000).default(30_000).meta({ title: "Time limit (ms)", description: "CPU time the code may use before it is stopped." }),
  memoryMB: z.number().int().min(16).max(4096).default(256).meta({ title: "Memory limit (MB)", description: "Heap the code may use, input tables included." }),
});

/** Turns the code's `metrics` output into a MetricsValue: `{ name: number }` or `{ values, details }`. */
export function toMetrics(v: unknown): MetricsValue | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "object" || Array.isArray(v)) fail("code_bad_output", "The metrics output must be an object such as { accuracy: 0.9 }.", "code");
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
  version: 1,
  title: "Code",
  category: "Code",
  description: "Your own TypeScript over tables (columns, filter, map, group-by, SQL), run in a sandbox with time and memory limits.",
  inputs: { a: port.table({ optional: true }), b: port.table({ optional: true }) },
  outputs: { table: port.table({ optional: true }), metrics: port.metrics({ optional: true }) },
  params,
  resources: { heavy: true },
  async run({ inputs, params: prm, ctx }) {
    // Lazy: the browser imports this file for the palette; the sandbox (QuickJS, esbuild) is server-only.
    const { runSandboxed } = (await import(/* webpackIgnore: true */ /* turbopackIgnore: true */ SANDBOX)) as typeof import("../../server/engine/sandbox/run-sandboxed");
    const out = await runSandboxed({
      code: prm.code,
      inputs: { a: inputs.a, b: inputs.b },
      params: prm.values,
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
    const extra = Object.keys(out.tables).concat(Object.keys(out.values)).filter((k) => k !== "table" && k !== "metrics");
    if (extra.length) ctx.log(`Outputs ${extra.map((k) => `"${k}"`).join(", ")} are ignored: this node's outputs are "table" and "metrics".`, "warn");
    if ("table" in out.values) fail("code_bad_output", "The table output must be a Table (an input, or one made with table({...}), Table.fromRows or sql()).", "code");
    const table: Table | undefined = out.tables.table;
    const metrics = toMetrics(out.values.metrics);
    return { ...(table ? { table } : {}), ...(metrics ? { metrics } : {}) };
  },
});
