/**
 * The queued executor against the real Redis, with a worker in this process (stub nodes plus two test-only
 * kinds): same results as in process, events streamed back, user errors not retried, infrastructure errors
 * retried, per-node timeout, cancel reaching the running job, double enqueue harmless.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { z } from "zod";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { defineNode, type AnyNodeDefinition } from "../../nodes/core/define-node";
import { fail } from "../../nodes/core/errors";
import { port } from "../../nodes/core/ports";
import { createRegistry } from "../../nodes/core/registry";
import { loadValue } from "../../server/engine/codecs";
import { InProcessExecutor } from "../../server/engine/in-process-executor";
import { createNodeRuntime } from "../../server/engine/runtime/node-runtime";
import type { RunEvent } from "../../server/engine/types";
import { compileGraph } from "../../server/graph/compile-graph";
import type { Workflow, WorkflowNode } from "../../server/graph/format";
import { redisConnection } from "../../server/queue/connection";
import { jobId, latticeKeys } from "../../server/queue/keys";
import { listWorkers } from "../../server/queue/monitor";
import { startNodeWorker, type NodeWorkerHandle } from "../../server/queue/node-worker";
import { QueueExecutor } from "../../server/queue/queue-executor";
import { FileArtifactStore } from "../../server/store/artifact-store";
import { STUB_NODES } from "../helpers/stub-nodes";
import { deletePrefix, eventually, REDIS_URL, uniquePrefix, summary } from "./helpers";

/** Attempts per node id, counted by the worker in this process. */
const attempts = new Map<string, number>();
const flakyNode = defineNode({
  kind: "test/flaky", version: 1, title: "Flaky", category: "Features", description: "Fails (infrastructure-style) on its first attempts.",
  inputs: {}, outputs: { out: port.scalar() },
  params: z.object({ failures: z.number().default(1) }),
  async run({ params, ctx }) {
    const n = (attempts.get(ctx.nodeId) ?? 0) + 1;
    attempts.set(ctx.nodeId, n);
    if (n <= params.failures) throw new Error(`disk hiccup ${n}`);
    return { out: n };
  },
});
const countedFail = defineNode({
  kind: "test/counted-fail", version: 1, title: "Counted fail", category: "Validation", description: "User error, counted.",
  inputs: {}, outputs: { out: port.scalar() },
  params: z.object({}),
  async run({ ctx }) {
    attempts.set(ctx.nodeId, (attempts.get(ctx.nodeId) ?? 0) + 1);
    return fail("bad_column", "Column age is empty.", "column");
  },
});
const registry = createRegistry([...STUB_NODES, flakyNode, countedFail] as unknown as AnyNodeDefinition[]);

const prefix = uniquePrefix("exec");
const dir = mkdtempSync(join(tmpdir(), "lattice-queue-"));
const store = new FileArtifactStore(join(dir, "artifacts"));
const runtime = createNodeRuntime();
const redis = redisConnection(REDIS_URL, "lattice-test");
let executor: QueueExecutor;
let worker: NodeWorkerHandle;

beforeAll(async () => {
  executor = new QueueExecutor({ redisUrl: REDIS_URL, prefix, store, watchdogMs: 500, policy: () => ({ backoffMs: 50 }) });
  worker = startNodeWorker({ redisUrl: REDIS_URL, prefix, pools: ["cpu", "gpu"], concurrency: 4, registry, store, runtime, heartbeatMs: 500 });
  await worker.ready;
});

afterAll(async () => {
  await executor?.close();
  await worker?.close();
  await runtime.close();
  await deletePrefix(redis, prefix);
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
});

const node = (id: string, kind: string, params: Record<string, unknown> = {}, version = 1): WorkflowNode => ({ id, kind, version, params, position: { x: 0, y: 0 } });
const wf = (nodes: WorkflowNode[], edges: Array<[string, string, string, string]>): Workflow => ({
  formatVersion: 1,
  name: "t",
  nodes,
  edges: edges.map(([source, sourcePort, target, targetPort]) => ({ source, sourcePort, target, targetPort })),
});

let counter = 0;
async function run(ex: QueueExecutor | InProcessExecutor, w: Workflow, opts: { noCache?: boolean; onEvent?: (e: RunEvent, cancel: () => void) => void } = {}) {
  const plan = compileGraph(w, registry);
  expect(plan.issues).toEqual([]);
  const events: RunEvent[] = [];
  let cancel = () => {};
  const runId = `r${++counter}-${prefix.slice(-8)}`;
  const handle = ex.start({ runId, plan, noCache: opts.noCache ?? true, sink: { emit: (e) => (events.push(e), opts.onEvent?.(e, () => cancel())) } });
  cancel = handle.cancel;
  const result = await handle.done;
  return { runId, result, events };
}

const mixedGraph = () =>
  wf(
    [
      node("a", "test/const", { value: 2 }),
      node("b", "test/const", { value: 3 }),
      node("s", "test/add", { offset: 10 }, 2),
      node("h", "test/heavy", { n: 1000 }),
      node("t", "test/table", { rows: 6 }),
      node("p", "test/pick", { column: "x", numeric: "x" }),
      node("slow", "test/slow", { ms: 120 }),
    ],
    [["a", "value", "s", "a"], ["b", "value", "s", "b"], ["s", "sum", "h", "in"], ["t", "table", "p", "data"], ["s", "sum", "slow", "in"]],
  );

/** The node's job once BullMQ has moved it to failed (the worker reports to the run before that). */
const failedJob = (ex: QueueExecutor, runId: string, nodeId: string) =>
  eventually(async () => {
    const q = ex.queue("cpu");
    return (await q.getJobState(jobId(runId, nodeId))) === "failed" ? q.getJob(jobId(runId, nodeId)).then((j) => j!) : undefined;
  }, 15_000, `job ${nodeId} to fail`);

/** Outputs (content hashes) and metrics per node: equal hashes mean equal results. */

describe("QueueExecutor", () => {
  it("gives the same results as the in-process executor and streams worker events back", async () => {
    const inProcess = new InProcessExecutor({ registry, store, runtime });
    const local = await run(inProcess, mixedGraph());
    await inProcess.close();
    const queued = await run(executor, mixedGraph());
    expect(queued.result.status).toBe("succeeded");
    expect(summary(queued.result)).toEqual(summary(local.result));
    expect(await loadValue(store, queued.result.nodes.h!.outputs.out!)).toBe(499500 + 15);
    // events from the worker reach the run's sink, numbered without gaps
    const ev = queued.events;
    expect(ev.some((e) => e.type === "log" && e.nodeId === "h" && e.message === "summed 1000")).toBe(true);
    expect(ev.some((e) => e.type === "metric" && e.nodeId === "slow" && e.name === "loss")).toBe(true);
    expect(ev.some((e) => e.type === "progress" && e.nodeId === "slow")).toBe(true);
    expect(ev.map((e) => e.seq)).toEqual(ev.map((_, i) => i + 1));
    expect(ev.at(-1)).toMatchObject({ type: "run-finished", status: "succeeded" });
  });

  it("serves a repeated run from the cache without enqueuing", async () => {
    const first = await run(executor, mixedGraph(), { noCache: false });
    const again = await run(executor, mixedGraph(), { noCache: false });
    expect(Object.values(again.result.nodes).every((n) => n.status === "cached")).toBe(true);
    expect(await executor.queue("cpu").getJob(jobId(again.runId, "s"))).toBeUndefined();
    expect(summary(first.result).h!.outputs).toEqual(summary(again.result).h!.outputs);
  });

  it("fails a user error once, without retrying, and skips descendants", async () => {
    const { runId, result } = await run(executor, wf([node("f", "test/counted-fail"), node("after", "test/add", {}, 2)], [["f", "out", "after", "a"]]));
    expect(result.status).toBe("failed");
    expect(result.nodes.f).toMatchObject({ status: "failed", error: { code: "bad_column", message: "Column age is empty.", field: "column", user: true } });
    expect(result.nodes.after!.status).toBe("skipped");
    expect(attempts.get("f")).toBe(1);
    const job = await failedJob(executor, runId, "f");
    expect(job.attemptsStarted).toBe(1);
    expect(job.failedReason).toBe("Column age is empty.");
  });

  it("retries an infrastructure error and succeeds, logging the failed attempt", async () => {
    attempts.delete("flaky");
    const { result, events } = await run(executor, wf([node("flaky", "test/flaky", { failures: 2 })], []));
    expect(result.status).toBe("succeeded");
    expect(attempts.get("flaky")).toBe(3);
    expect(events.filter((e) => e.type === "log" && e.level === "warn" && e.message.includes("disk hiccup"))).toHaveLength(2);
  });

  it("fails an infrastructure error after the last attempt with its message", async () => {
    attempts.delete("flaky2");
    const { result } = await run(executor, wf([node("flaky2", "test/flaky", { failures: 10 })], []));
    expect(result.nodes.flaky2).toMatchObject({ status: "failed", error: { code: "internal", message: "disk hiccup 3", user: false } });
    expect(attempts.get("flaky2")).toBe(3);
  });

  it("stops a node at its time limit and does not retry it", async () => {
    const timed = new QueueExecutor({ redisUrl: REDIS_URL, prefix, store, policy: (n) => (n.kind === "test/slow" ? { timeoutMs: 300 } : undefined) });
    try {
      const { runId, result } = await run(timed, wf([node("slow", "test/slow", { ms: 60_000 })], []));
      expect(result.nodes.slow).toMatchObject({ status: "failed", error: { code: "timeout", user: true } });
      expect((await failedJob(timed, runId, "slow")).attemptsStarted).toBe(1);
    } finally {
      await timed.close();
    }
  });

  it("cancel reaches the running job's AbortSignal on the worker", async () => {
    let cancelledAt = 0;
    const { runId, result } = await run(executor, wf([node("slow", "test/slow", { ms: 60_000 }), node("next", "test/add", {}, 2)], [["slow", "out", "next", "a"]]), {
      onEvent: (e, cancel) => {
        if (e.type === "progress" && !cancelledAt) {
          cancelledAt = Date.now();
          cancel();
        }
      },
    });
    expect(result.status).toBe("cancelled");
    expect(result.nodes.next!.status).toBe("cancelled");
    // The worker aborted the node (the job failed as cancelled, not retried) long before its 60 s were up.
    const job = await failedJob(executor, runId, "slow");
    expect(job.failedReason).toBe("Cancelled");
    expect(job.attemptsStarted).toBe(1);
  });

  it("cancels a run scheduled by another API process", async () => {
    const other = new QueueExecutor({ redisUrl: REDIS_URL, prefix, store });
    try {
      let started!: () => void;
      const startedP = new Promise<void>((r) => (started = r));
      const runId = `remote-cancel-${prefix}`;
      const handle = executor.start({ runId, plan: compileGraph(wf([node("slow", "test/slow", { ms: 60_000 })], []), registry), noCache: true, sink: { emit: (e) => e.type === "progress" && started() } });
      await startedP;
      await other.cancelRun(runId);
      expect((await handle.done).status).toBe("cancelled");
      expect((await failedJob(executor, runId, "slow")).failedReason).toBe("Cancelled");
    } finally {
      await other.close();
    }
  });

  it("treats a second enqueue of the same node as the same job", async () => {
    const q = executor.queue("cpu");
    const runId = `dup-${prefix}`;
    const task = { runId, nodeId: "c", kind: "test/const", version: 1, params: { value: 7 }, inputs: {} };
    const data = { task, timeoutMs: 0, stream: latticeKeys(prefix).runStream(runId) };
    const [j1, j2] = await Promise.all([q.add("test/const", data, { jobId: jobId(runId, "c") }), q.add("test/const", data, { jobId: jobId(runId, "c") })]);
    expect(j1.id).toBe(j2.id);
    const done = await eventually(async () => {
      const j = await q.getJob(jobId(runId, "c"));
      return j?.returnvalue ? j : undefined;
    });
    expect(await loadValue(store, done.returnvalue.outputs.value!)).toBe(7);
    const entries = await redis.xrange(latticeKeys(prefix).runStream(runId), "-", "+");
    expect(entries.filter(([, f]) => f[1]!.includes('"t":"done"'))).toHaveLength(1);
    // enqueuing it again after it finished does not run it again either
    await q.add("test/const", data, { jobId: jobId(runId, "c") });
    await new Promise((r) => setTimeout(r, 300));
    expect((await redis.xrange(latticeKeys(prefix).runStream(runId), "-", "+")).filter(([, f]) => f[1]!.includes('"t":"done"'))).toHaveLength(1);
  });

  it("lets a second API process resume a run whose scheduler went away mid-node", async () => {
    const g = wf(
      [node("c", "test/const", { value: 5 }), node("slow", "test/slow", { ms: 600 }), node("sum", "test/add", { offset: 1 }, 2)],
      [["c", "value", "sum", "a"], ["slow", "out", "sum", "b"]],
    );
    const plan = compileGraph(g, registry);
    const clean = await run(executor, g);
    const runId = `resume-${prefix}`;
    const first = new QueueExecutor({ redisUrl: REDIS_URL, prefix, store });
    const before: RunEvent[] = [];
    let gone!: () => void;
    const goneP = new Promise<void>((r) => (gone = r));
    first.start({
      runId,
      plan,
      noCache: true,
      sink: {
        emit: (e) => {
          before.push(e);
          if (e.type === "progress" && e.nodeId === "slow" && before.filter((x) => x.type === "progress").length === 1) void first.close({ detach: true }).then(gone);
        },
      },
    });
    await goneP;
    const lastSeq = before.at(-1)!.seq;
    const after: RunEvent[] = [];
    const second = new QueueExecutor({ redisUrl: REDIS_URL, prefix, store, watchdogMs: 500 });
    try {
      const result = await second.resume({ runId, plan, noCache: true, sink: { emit: (e) => after.push(e) } }, lastSeq).done;
      expect(result.status).toBe("succeeded");
      expect(summary(result).sum).toEqual(summary(clean.result).sum);
      // events continue the sequence without a gap or a repeat
      expect(after.map((e) => e.seq)).toEqual(after.map((_, i) => lastSeq + 1 + i));
      // the slow node's job was attached to, not run a second time
      expect((await executor.queue("cpu").getJob(jobId(runId, "slow")))!.attemptsStarted).toBe(1);
    } finally {
      await second.close();
    }
  });

  it("registers the worker with its capabilities and heartbeat", async () => {
    const workers = await listWorkers(redis, prefix);
    expect(workers.map((w) => w.id)).toContain(worker.id);
    const me = workers.find((w) => w.id === worker.id)!;
    expect(me).toMatchObject({ pid: process.pid, pools: ["cpu", "gpu"], concurrency: 4 });
    expect(me.processed).toBeGreaterThan(0);
    const overview = await executor.overview();
    expect(overview.workers.map((w) => w.id)).toContain(worker.id);
    expect(overview.pools.map((p) => p.pool)).toEqual(["cpu", "gpu"]);
    expect(overview.pools[0]!.completed).toBeGreaterThan(0);
  });

  it("publishes jobs done within about a second of finishing them, not only at the next heartbeat", async () => {
    const other = `${prefix}-beat`;
    const slowBeats = startNodeWorker({ redisUrl: REDIS_URL, prefix: other, pools: ["cpu"], concurrency: 1, registry, store, runtime, heartbeatMs: 60_000 });
    const ex = new QueueExecutor({ redisUrl: REDIS_URL, prefix: other, store });
    try {
      await slowBeats.ready;
      const info = async () => (await listWorkers(redis, other)).find((w) => w.id === slowBeats.id);
      expect((await info())?.processed).toBe(0);
      const plan = compileGraph({ formatVersion: 1, name: "one", nodes: [{ id: "c", kind: "test/const", version: 1, params: { value: 1 }, position: { x: 0, y: 0 } }], edges: [] }, registry);
      expect((await ex.start({ runId: "beat-1", plan, noCache: true, sink: { emit: () => {} } }).done).status).toBe("succeeded");
      await eventually(async () => ((await info())?.processed === 1 ? true : undefined), 5_000, "the worker's jobs-done count");
    } finally {
      await slowBeats.close();
      await ex.close();
      await deletePrefix(redis, other);
    }
  });
});
