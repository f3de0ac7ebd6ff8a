/**
 * Tiny node kinds for compiler and executor tests: constants, arithmetic, a table with a column param,
 * slow / busy / failing nodes. Also a registry module for worker threads (exports `registry`).
 */
import { z } from "zod";
import { defineNode, type AnyNodeDefinition } from "../../nodes/core/define-node";
import { fail } from "../../nodes/core/errors";
import { port } from "../../nodes/core/ports";
import { p } from "../../nodes/core/params";
import { createRegistry } from "../../nodes/core/registry";
import { tableFromColumns } from "../../nodes/core/arrow";

/** Executions per node id, for cache tests (inline execution only). */
export const executions = new Map<string, number>();
const count = (id: string) => executions.set(id, (executions.get(id) ?? 0) + 1);

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((res, rej) => {
    if (signal.aborted) return rej(signal.reason);
    const onAbort = () => (clearTimeout(t), rej(signal.reason));
    const t = setTimeout(() => (signal.removeEventListener("abort", onAbort), res()), ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });

export const constNode = defineNode({
  kind: "test/const", version: 1, title: "Constant", category: "Sources", description: "A number.",
  inputs: {}, outputs: { value: port.scalar() },
  params: z.object({ value: z.number().default(1) }),
  async run({ params, ctx }) { count(ctx.nodeId); return { value: params.value }; },
});

export const addNode = defineNode({
  kind: "test/add", version: 2, title: "Add", category: "Features", description: "a + b (+ offset).",
  inputs: { a: port.scalar(), b: port.scalar({ optional: true }) }, outputs: { sum: port.scalar() },
  params: z.object({ offset: z.number().default(0) }),
  // v1 called the param "bias"
  migrate: { 1: ({ bias, ...rest }) => ({ ...rest, offset: bias ?? 0 }) },
  async run({ inputs, params, ctx }) { count(ctx.nodeId); return { sum: Number(inputs.a) + Number(inputs.b ?? 0) + params.offset }; },
});

export const noopNode = defineNode({
  kind: "test/noop", version: 1, title: "No-op", category: "Features", description: "Passes its input on.",
  inputs: { in: port.scalar({ optional: true }) }, outputs: { out: port.scalar() },
  params: z.object({}),
  async run({ inputs }) { return { out: inputs.in ?? 0 }; },
});

export const tableNode = defineNode({
  kind: "test/table", version: 1, title: "Table", category: "Sources", description: "A table with columns x and label.",
  inputs: {}, outputs: { table: port.table() },
  params: z.object({ rows: z.number().int().min(1).default(4) }),
  infer: () => ({ table: { table: { columns: [{ name: "x", dtype: "float" }, { name: "label", dtype: "string", role: "label" }] } } }),
  async run({ params, ctx }) {
    count(ctx.nodeId);
    const x = new Float64Array(params.rows).map((_, i) => i);
    return { table: tableFromColumns({ x, label: Array.from(x, (v) => (v % 2 ? "a" : "b")) }, { label: "label" }) };
  },
});

export const pickNode = defineNode({
  kind: "test/pick", version: 1, title: "Pick column", category: "Features", description: "Keeps one column.",
  inputs: { data: port.table() }, outputs: { data: port.table(), model: port.model({ optional: true }) },
  params: z.object({ column: p.column({ port: "data", title: "Column" }), numeric: p.column({ port: "data", dtype: "numeric" }) }),
  infer: ({ inputs, params }) => ({ data: { table: { columns: inputs.data?.table?.columns.filter((c) => c.name === params.column) ?? [] } } }),
  async run({ inputs, params }) { return { data: inputs.data.select([params.column]) }; },
});

export const slowNode = defineNode({
  kind: "test/slow", version: 1, title: "Slow", category: "Training", description: "Waits, checking for cancel.",
  inputs: { in: port.scalar({ optional: true }) }, outputs: { out: port.scalar() },
  params: z.object({ ms: z.number().default(2000) }),
  async run({ params, ctx }) {
    for (let t = 0; t < params.ms; t += 50) { ctx.progress(t / params.ms); await sleep(50, ctx.signal); }
    ctx.metric("loss", 0.5, 1);
    return { out: 1 };
  },
});

export const busyNode = defineNode({
  kind: "test/busy", version: 1, title: "Busy", category: "Training", description: "Spins the CPU, ignoring cancel.",
  inputs: {}, outputs: { out: port.scalar() },
  params: z.object({ ms: z.number().default(10_000) }),
  resources: { heavy: true },
  async run({ params }) { const end = Date.now() + params.ms; let x = 0; while (Date.now() < end) x++; return { out: x }; },
});

export const heavyNode = defineNode({
  kind: "test/heavy", version: 1, title: "Heavy", category: "Training", description: "Sums in a worker thread.",
  inputs: { in: port.scalar({ optional: true }) }, outputs: { out: port.scalar(), metrics: port.metrics() },
  params: z.object({ n: z.number().default(1000) }),
  resources: { heavy: true },
  async run({ inputs, params, ctx }) {
    let s = Number(inputs.in ?? 0);
    for (let i = 0; i < params.n; i++) s += i;
    ctx.progress(1);
    ctx.log(`summed ${params.n}`);
    return { out: s, metrics: { values: { total: s } } };
  },
});

export const failNode = defineNode({
  kind: "test/fail", version: 1, title: "Fail", category: "Validation", description: "Always fails.",
  inputs: { in: port.scalar({ optional: true }) }, outputs: { out: port.scalar() },
  params: z.object({ message: z.string().default("bad input") }),
  async run({ params }) { fail("bad", params.message, "message"); },
});

export const STUB_NODES = [constNode, addNode, noopNode, tableNode, pickNode, slowNode, busyNode, heavyNode, failNode] as unknown as AnyNodeDefinition[];
export const registry = createRegistry(STUB_NODES);
