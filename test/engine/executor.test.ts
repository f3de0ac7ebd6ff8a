import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import { compileGraph } from "../../server/graph/compile-graph";
import type { Workflow, WorkflowNode } from "../../server/graph/format";
import { InProcessExecutor } from "../../server/engine/in-process-executor";
import { loadValue } from "../../server/engine/codecs";
import { createNodeRuntime } from "../../server/engine/runtime/node-runtime";
import { ThreadPool } from "../../server/engine/thread-pool";
import type { RunEvent } from "../../server/engine/types";
import { FileArtifactStore } from "../../server/store/artifact-store";
import { executions, registry } from "../helpers/stub-nodes";

const dir = mkdtempSync(join(tmpdir(), "lattice-exec-"));
const store = new FileArtifactStore(join(dir, "artifacts"));
const runtime = createNodeRuntime();
const pool = new ThreadPool({ size: 2, storeRoot: store.root, registryModule: new URL("../helpers/stub-nodes.ts", import.meta.url).href });
const executor = new InProcessExecutor({ registry, store, runtime, pool });
afterAll(async () => {
  await executor.close();
  rmSync(dir, { recursive: true, force: true });
});

const node = (id: string, kind: string, params: Record<string, unknown> = {}, version = 1): WorkflowNode => ({ id, kind, version, params, position: { x: 0, y: 0 } });
const wf = (nodes: WorkflowNode[], edges: Array<[string, string, string, string]>): Workflow => ({
  formatVersion: 1,
  name: "t",
  nodes,
  edges: edges.map(([source, sourcePort, target, targetPort]) => ({ source, sourcePort, target, targetPort })),
});

let runCounter = 0;
async function run(w: Workflow, opts: { noCache?: boolean; onEvent?: (e: RunEvent, cancel: () => void) => void } = {}) {
  const plan = compileGraph(w, registry);
  expect(plan.issues).toEqual([]);
  const events: RunEvent[] = [];
  let cancel = () => {};
  const handle = executor.start({
    runId: `run-${++runCounter}`,
    plan,
    noCache: opts.noCache,
    sink: { emit: (e) => (events.push(e), opts.onEvent?.(e, () => cancel())) },
  });
  cancel = handle.cancel;
  const result = await handle.done;
  return { result, events };
}

const sumGraph = (offset: number, bValue = 3) =>
  wf([node("a", "test/const", { value: 2 }), node("b", "test/const", { value: bValue }), node("s", "test/add", { offset }, 2)], [["a", "value", "s", "a"], ["b", "value", "s", "b"]]);

beforeEach(() => executions.clear());

describe("InProcessExecutor", () => {
  it("runs in topological order and stores every output as an artifact", async () => {
    const { result, events } = await run(sumGraph(10), { noCache: true });
    expect(result.status).toBe("succeeded");
    expect(await loadValue(store, result.nodes.s!.outputs.sum!)).toBe(15);
    const order = events.filter((e) => e.type === "succeeded").map((e) => (e as { nodeId: string }).nodeId);
    expect(order.indexOf("s")).toBe(2);
    // events are numbered without gaps, first and last are the run's
    expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
    expect(events[0]!.type).toBe("run-started");
    expect(events.at(-1)).toMatchObject({ type: "run-finished", status: "succeeded" });
  });

  it("serves a second identical run entirely from the cache", async () => {
    await run(sumGraph(20));
    executions.clear();
    const { result, events } = await run(sumGraph(20));
    expect(Object.values(result.nodes).every((n) => n.cached && n.status === "cached")).toBe(true);
    expect(executions.size).toBe(0);
    expect(events.filter((e) => e.type === "cached")).toHaveLength(3);
  });

  it("re-executes only the changed node and its descendants after a param change", async () => {
    const g = wf(
      [node("a", "test/const", { value: 1 }), node("b", "test/const", { value: 2 }), node("s", "test/add", { offset: 0 }, 2), node("t", "test/add", { offset: 0 }, 2), node("side", "test/add", { offset: 100 }, 2)],
      [["a", "value", "s", "a"], ["b", "value", "s", "b"], ["s", "sum", "t", "a"], ["a", "value", "side", "a"]],
    );
    await run(g);
    executions.clear();
    g.nodes[2]!.params = { offset: 5 }; // s changes → t must re-run; a, b, side come from cache
    const { result } = await run(g);
    expect([...executions.keys()].sort()).toEqual(["s", "t"]);
    expect(result.nodes.a!.cached && result.nodes.b!.cached && result.nodes.side!.cached).toBe(true);
    expect(await loadValue(store, result.nodes.t!.outputs.sum!)).toBe(8);
    // re-saving a param with the value it already has changes no key: everything is served from the cache
    executions.clear();
    g.nodes[1]!.params = { value: 2 };
    await run(g);
    expect(executions.size).toBe(0);
  });

  it("runs independent branches concurrently", async () => {
    const g = wf([node("x", "test/slow", { ms: 300 }), node("y", "test/slow", { ms: 300 })], []);
    const { events } = await run(g, { noCache: true });
    const types = events.filter((e) => e.type === "running" || e.type === "succeeded").map((e) => e.type);
    // both start before either finishes
    expect(types.slice(0, 2)).toEqual(["running", "running"]);
  });

  it("fails a node with its message, skips its descendants and still finishes other branches", async () => {
    const g = wf(
      [node("f", "test/fail", { message: "column age is empty" }), node("after", "test/add", {}, 2), node("ok", "test/const", { value: 1 })],
      [["f", "out", "after", "a"]],
    );
    const { result, events } = await run(g);
    expect(result.status).toBe("failed");
    expect(result.nodes.f).toMatchObject({ status: "failed", error: { code: "bad", message: "column age is empty", user: true } });
    expect(result.nodes.after!.status).toBe("skipped");
    expect(result.nodes.ok!.status).toMatch(/succeeded|cached/);
    expect(events.at(-1)).toMatchObject({ type: "run-finished", status: "failed" });
    expect((events.at(-1) as { error?: string }).error).toContain("column age is empty");
  });

  it("cancels a running node that checks its signal, and nodes not yet started", async () => {
    const g = wf([node("slow", "test/slow", { ms: 60_000 }), node("next", "test/add", {}, 2)], [["slow", "out", "next", "a"]]);
    const { result, events } = await run(g, {
      noCache: true,
      onEvent: (e, cancel) => {
        if (e.type === "progress") cancel();
      },
    });
    expect(result.status).toBe("cancelled");
    expect(result.nodes.slow!.status).toBe("cancelled");
    expect(result.nodes.next!.status).toBe("cancelled");
    expect(events.at(-1)).toMatchObject({ type: "run-finished", status: "cancelled" });
  });

  it("runs heavy nodes in worker threads and streams their progress, logs and metrics", async () => {
    const { result, events } = await run(wf([node("h", "test/heavy", { n: 1000 })], []), { noCache: true });
    expect(result.status).toBe("succeeded");
    expect(result.nodes.h!.metrics).toEqual({ total: 499500 });
    expect(events.some((e) => e.type === "log" && e.message === "summed 1000")).toBe(true);
    expect(await loadValue(store, result.nodes.h!.outputs.out!)).toBe(499500);
  });

  it("stops a worker thread that ignores cancel (busy loop), and the pool keeps working", async () => {
    const { result } = await run(wf([node("busy", "test/busy", { ms: 60_000 })], []), {
      noCache: true,
      onEvent: (e, cancel) => {
        if (e.type === "running") setTimeout(cancel, 100);
      },
    });
    expect(result.status).toBe("cancelled");
    const again = await run(wf([node("h", "test/heavy", { n: 10 })], []), { noCache: true });
    expect(again.result.status).toBe("succeeded");
  });
});

describe("ThreadPool.prewarm", () => {
  it("starts the first thread before any heavy node, and the first heavy node runs on it", async () => {
    const warm = new ThreadPool({ size: 1, storeRoot: store.root, registryModule: new URL("../helpers/stub-nodes.ts", import.meta.url).href });
    const threads = () => (warm as unknown as { slots: unknown[] }).slots.length;
    try {
      expect(threads()).toBe(0);
      warm.prewarm();
      expect(threads()).toBe(1);
      warm.prewarm(); // idempotent
      expect(threads()).toBe(1);
      const ex = new InProcessExecutor({ registry, store, runtime, pool: warm });
      const r = await ex.start({ runId: "prewarm", plan: compileGraph(wf([node("h", "test/heavy", { n: 10 })], []), registry), noCache: true, sink: { emit: () => {} } }).done;
      expect(r.nodes.h!.status).toBe("succeeded");
      expect(threads()).toBe(1);
    } finally {
      await warm.close();
    }
  });
});

