/**
 * Issue #2 benchmarks: compile time of a 1,000-node graph and in-process per-node overhead on a 200-node
 * chain of no-op nodes, each next to a baseline measured in the same run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { compileGraph } from "../../server/graph/compile-graph";
import type { Workflow, WorkflowEdge, WorkflowNode } from "../../server/graph/format";
import { InProcessExecutor } from "../../server/engine/in-process-executor";
import { createNodeRuntime } from "../../server/engine/runtime/node-runtime";
import { FileArtifactStore } from "../../server/store/artifact-store";
import { noopNode, registry } from "../helpers/stub-nodes";
import { median, type BenchResult } from "./stats";

const pos = { x: 0, y: 0 };

/** 1,000 nodes: 250 table sources each feeding a column-picking node, plus a 500-node arithmetic tree. */
export function bigGraph(n = 1000): Workflow {
  const nodes: WorkflowNode[] = [];
  const edges: WorkflowEdge[] = [];
  const quarter = Math.floor(n / 4);
  for (let i = 0; i < quarter; i++) {
    nodes.push({ id: `t${i}`, kind: "test/table", version: 1, params: { rows: 4 }, position: pos });
    nodes.push({ id: `p${i}`, kind: "test/pick", version: 1, params: { column: "x", numeric: "x" }, position: pos });
    edges.push({ source: `t${i}`, sourcePort: "table", target: `p${i}`, targetPort: "data" });
  }
  nodes.push({ id: "c0", kind: "test/const", version: 1, params: { value: 1 }, position: pos });
  for (let i = 1; nodes.length < n; i++) {
    nodes.push({ id: `a${i}`, kind: "test/add", version: 2, params: { offset: i }, position: pos });
    edges.push({ source: i === 1 ? "c0" : `a${Math.floor(i / 2) || 1}`, sourcePort: i === 1 ? "value" : "sum", target: `a${i}`, targetPort: "a" });
  }
  return { formatVersion: 1, name: "big", nodes, edges };
}

export function chain(n: number): Workflow {
  const nodes: WorkflowNode[] = Array.from({ length: n }, (_, i) => ({ id: `n${i}`, kind: "test/noop", version: 1, params: {}, position: pos }));
  const edges = nodes.slice(1).map((nd, i) => ({ source: `n${i}`, sourcePort: "out", target: nd.id, targetPort: "in" }));
  return { formatVersion: 1, name: "chain", nodes, edges };
}

export async function benchFoundation(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];

  // Compile 1,000 nodes.
  const g = bigGraph(1000);
  for (let i = 0; i < 5; i++) compileGraph(g, registry);
  const times: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t = performance.now();
    const plan = compileGraph(g, registry);
    times.push(performance.now() - t);
    if (!plan.ok) throw new Error(`bench graph does not compile: ${plan.issues[0]?.message}`);
  }
  // Baseline: a plain topological sort (Kahn) of the same edges, no validation.
  const base: number[] = [];
  for (let i = 0; i < 30; i++) {
    const t = performance.now();
    kahn(g);
    base.push(performance.now() - t);
  }
  out.push({ name: "compile 1,000-node graph", value: median(times), unit: "ms", target: "≤ 20 ms", ok: median(times) <= 20, baseline: `bare topological sort ${median(base).toFixed(2)} ms (×${(median(times) / median(base)).toFixed(1)})` });

  // Per-node overhead, 200-node chain of no-op nodes, in process.
  const dir = mkdtempSync(join(tmpdir(), "lattice-bench-"));
  const store = new FileArtifactStore(join(dir, "artifacts"));
  const runtime = createNodeRuntime();
  const executor = new InProcessExecutor({ registry, store, runtime });
  const c = chain(200);
  const plan = compileGraph(c, registry);
  const runOnce = async (noCache: boolean) => {
    const t = performance.now();
    const r = await executor.start({ runId: "b", plan, noCache, sink: { emit: () => {} } }).done;
    if (r.status !== "succeeded") throw new Error("bench chain failed");
    return performance.now() - t;
  };
  for (let i = 0; i < 3; i++) await runOnce(true);
  const fresh: number[] = [];
  const cached: number[] = [];
  for (let i = 0; i < 15; i++) fresh.push(await runOnce(true));
  for (let i = 0; i < 15; i++) cached.push(await runOnce(false));
  // Baseline: the same 200 run() calls awaited in a plain loop (no scheduling, events, storage or cache).
  const raw: number[] = [];
  for (let i = 0; i < 15; i++) {
    const t = performance.now();
    let v: unknown = 0;
    for (let k = 0; k < 200; k++) v = (await noopNode.run({ inputs: { in: v as number }, params: {}, ctx: undefined as never })).out;
    raw.push(performance.now() - t);
  }
  const perNode = (median(fresh) - median(raw)) / 200;
  out.push({ name: "in-process overhead per node (200-node chain, executed)", value: perNode, unit: "ms/node", target: "≤ 0.5 ms/node", ok: perNode <= 0.5, baseline: `plain loop ${(median(raw) / 200).toFixed(4)} ms/node` });
  const perCached = (median(cached) - median(raw)) / 200;
  out.push({ name: "in-process overhead per node (200-node chain, all cached)", value: perCached, unit: "ms/node", baseline: "same plain loop" });
  await executor.close();
  await runtime.close();
  rmSync(dir, { recursive: true, force: true });
  return out;
}

function kahn(g: Workflow) {
  const indeg = new Map(g.nodes.map((n) => [n.id, 0]));
  const out = new Map<string, string[]>();
  for (const e of g.edges) {
    indeg.set(e.target, indeg.get(e.target)! + 1);
    out.set(e.source, [...(out.get(e.source) ?? []), e.target]);
  }
  const q = g.nodes.filter((n) => indeg.get(n.id) === 0).map((n) => n.id);
  for (let i = 0; i < q.length; i++) for (const d of out.get(q[i]!) ?? []) if (indeg.set(d, indeg.get(d)! - 1).get(d) === 0) q.push(d);
  return q;
}
