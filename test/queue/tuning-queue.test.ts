/**
 * Child tasks in queue mode against the real Redis: two Tuning nodes side by side on two workers with one
 * slot each. Both parents are taken first and both must give their slot back while they wait (BullMQ
 * waiting-children), or nothing would run their trials. Every trial is its own job (run/node/child index) and
 * the trials spread over both workers; the results equal the in-process run's. Cancel reaches the children.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registry } from "../../nodes/catalog";
import { InProcessExecutor } from "../../server/engine/in-process-executor";
import { createNodeRuntime } from "../../server/engine/runtime/node-runtime";
import type { RunEvent } from "../../server/engine/types";
import { compileGraph } from "../../server/graph/compile-graph";
import type { Workflow } from "../../server/graph/format";
import { redisConnection } from "../../server/queue/connection";
import { childJobId } from "../../server/queue/keys";
import { startNodeWorker, type NodeWorkerHandle } from "../../server/queue/node-worker";
import { QueueExecutor } from "../../server/queue/queue-executor";
import { FileArtifactStore } from "../../server/store/artifact-store";
import { deletePrefix, eventually, REDIS_URL, summary, uniquePrefix } from "./helpers";

const prefix = uniquePrefix("tuning");
const dir = mkdtempSync(join(tmpdir(), "lattice-tuning-queue-"));
const store = new FileArtifactStore(join(dir, "artifacts"));
const runtime = createNodeRuntime();
const redis = redisConnection(REDIS_URL, "lattice-test");
let executor: QueueExecutor;
const workers: NodeWorkerHandle[] = [];

beforeAll(async () => {
  executor = new QueueExecutor({ redisUrl: REDIS_URL, prefix, store, watchdogMs: 500 });
  for (const id of ["w1", "w2"]) workers.push(startNodeWorker({ redisUrl: REDIS_URL, prefix, pools: ["cpu"], concurrency: 1, registry, store, runtime, heartbeatMs: 500, id }));
  await Promise.all(workers.map((w) => w.ready));
});

afterAll(async () => {
  await executor?.close();
  for (const w of workers) await w.close();
  await runtime.close();
  await deletePrefix(redis, prefix);
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
});

const TRIALS = 6;
const tune = (id: string, seed: number, method: string) => ({
  id,
  kind: "tuning/tune",
  version: 1,
  position: { x: 0, y: 0 },
  params: {
    trainer: "gradient-boosting",
    method,
    maxTrials: TRIALS,
    parallel: 3,
    startupTrials: 3,
    k: 3,
    seed,
    settings: { earlyStopping: "off" },
    space: [
      { type: "range", param: "maxIter", low: 2, high: 30, scale: "log" },
      { type: "range", param: "learningRate", low: 0.02, high: 0.5, scale: "log" },
    ],
  },
});
const workflow = (): Workflow => ({
  formatVersion: 1,
  name: "tuning",
  nodes: [{ id: "src", kind: "sources/synthetic", version: 1, params: { rows: 400, seed: 3 }, position: { x: 0, y: 0 } }, tune("tpe", 1, "tpe"), tune("rnd", 2, "random")],
  edges: [
    { source: "src", sourcePort: "table", target: "tpe", targetPort: "train" },
    { source: "src", sourcePort: "table", target: "rnd", targetPort: "train" },
  ],
});

describe("tuning in queue mode", () => {
  it("runs every trial as its own job on both workers without deadlock, with the in-process results", async () => {
    const plan = compileGraph(workflow(), registry);
    expect(plan.issues).toEqual([]);
    const events: RunEvent[] = [];
    const runId = `tq-${Date.now()}`;
    const queued = await executor.start({ runId, plan, noCache: true, sink: { emit: (e) => events.push(e) } }).done;
    expect(queued.status, JSON.stringify(queued.nodes.tpe?.error ?? queued.nodes.rnd?.error)).toBe("succeeded");

    const q = executor.queue("cpu");
    const ranOn = new Set<string>();
    for (const node of ["tpe", "rnd"]) {
      // TRIALS trials + the refit, each a job named by run, node and child index
      for (let i = 0; i <= TRIALS; i++) {
        const job = await q.getJob(childJobId(runId, node, i));
        expect(job, `${node} child ${i}`).toBeTruthy();
        expect(await job!.getState()).toBe("completed");
        expect(job!.data.task.child).toEqual({ index: i });
        expect(job!.parentKey).toContain(`${runId}/${node}`);
        ranOn.add(job!.processedBy!);
      }
      expect(await q.getJob(childJobId(runId, node, TRIALS + 1))).toBeUndefined();
    }
    expect([...ranOn].sort()).toEqual(["w1", "w2"]);
    // the live leaderboard went out once per trial, although each parent ran again after each batch
    const scores = events.filter((e) => e.type === "metric" && e.nodeId === "tpe" && e.name === "score");
    expect(scores.map((e) => (e as { step?: number }).step)).toEqual([1, 2, 3, 4, 5, 6]);

    const local = new InProcessExecutor({ registry, store, runtime });
    const inProcess = await local.start({ runId: `${runId}-local`, plan, noCache: true, sink: { emit: () => {} } }).done;
    expect(summary(queued)).toEqual(summary(inProcess));
  });

  it("Cancel reaches the children: the run stops and no trial job is left waiting", async () => {
    const w = workflow();
    (w.nodes[1]!.params as { maxTrials: number }).maxTrials = 60;
    (w.nodes[1]!.params as { settings: Record<string, unknown> }).settings = { earlyStopping: "off", maxIter: 400 };
    (w.nodes[1]!.params as { space: unknown[] }).space = [{ type: "range", param: "learningRate", low: 0.01, high: 0.5, scale: "log" }];
    w.nodes.pop();
    w.edges.pop();
    const plan = compileGraph(w, registry);
    const runId = `tqc-${Date.now()}`;
    const handle = executor.start({ runId, plan, noCache: true, sink: { emit: () => {} } });
    const q = executor.queue("cpu");
    await eventually(async () => ((await q.getJob(childJobId(runId, "tpe", 0)))?.processedOn ? true : undefined), 60_000, "a trial to start");
    const t0 = Date.now();
    await executor.cancelRun(runId);
    const result = await handle.done;
    expect(result.status).toBe("cancelled");
    expect(Date.now() - t0).toBeLessThan(5000);
    // Children of the first batch end cancelled, none after them was ever added.
    await eventually(async () => {
      const states = await Promise.all([0, 1, 2].map(async (i) => (await q.getJob(childJobId(runId, "tpe", i)))?.getState() ?? "removed"));
      return states.every((s) => s !== "active" && s !== "waiting") ? states : undefined;
    }, 15_000, "the trials to stop");
    expect(await q.getJob(childJobId(runId, "tpe", 3))).toBeUndefined();
  });
});
