/**
 * Worker processes as `npm run worker` starts them (stub node registry): a worker killed with SIGKILL in the
 * middle of a node loses nothing; BullMQ's stalled-job check hands the job to a second worker and the run
 * finishes with the same results as a clean in-process run.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InProcessExecutor } from "../../server/engine/in-process-executor";
import { createNodeRuntime } from "../../server/engine/runtime/node-runtime";
import type { RunEvent } from "../../server/engine/types";
import { compileGraph } from "../../server/graph/compile-graph";
import type { Workflow } from "../../server/graph/format";
import { redisConnection } from "../../server/queue/connection";
import { jobId, latticeKeys } from "../../server/queue/keys";
import { listWorkers } from "../../server/queue/monitor";
import { QueueExecutor } from "../../server/queue/queue-executor";
import { FileArtifactStore } from "../../server/store/artifact-store";
import { registry } from "../helpers/stub-nodes";
import { deletePrefix, eventually, REDIS_URL, spawnWorker, stopWorker, stubRegistryModule, uniquePrefix, type WorkerProcess, summary } from "./helpers";

const prefix = uniquePrefix("faults");
const dir = mkdtempSync(join(tmpdir(), "lattice-queue-faults-"));
const artifacts = join(dir, "artifacts");
const store = new FileArtifactStore(artifacts);
const redis = redisConnection(REDIS_URL, "lattice-test");
const workers: WorkerProcess[] = [];
const workerEnv = { LATTICE_QUEUE_PREFIX: prefix, LATTICE_ARTIFACTS: artifacts, LATTICE_REGISTRY_MODULE: stubRegistryModule, LATTICE_LOCK_MS: "1000", LATTICE_STALLED_INTERVAL_MS: "500", LATTICE_HEARTBEAT_MS: "300" };
const executor = new QueueExecutor({ redisUrl: REDIS_URL, prefix, store, watchdogMs: 500 });

afterAll(async () => {
  await executor.close();
  await Promise.all(workers.map(stopWorker));
  await deletePrefix(redis, prefix);
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
});

const pos = { x: 0, y: 0 };
/** const → slow (the node the worker dies in) → add, plus an independent heavy branch. */
const graph: Workflow = {
  formatVersion: 1,
  name: "faults",
  nodes: [
    { id: "c", kind: "test/const", version: 1, params: { value: 4 }, position: pos },
    { id: "slow", kind: "test/slow", version: 1, params: { ms: 3000 }, position: pos },
    { id: "sum", kind: "test/add", version: 2, params: { offset: 1 }, position: pos },
    { id: "h", kind: "test/heavy", version: 1, params: { n: 100 }, position: pos },
  ],
  edges: [
    { source: "c", sourcePort: "value", target: "sum", targetPort: "a" },
    { source: "slow", sourcePort: "out", target: "sum", targetPort: "b" },
    { source: "c", sourcePort: "value", target: "h", targetPort: "in" },
  ],
};

describe("queue workers in separate processes", () => {
  it("recovers a node whose worker was killed with SIGKILL, with results equal to a clean run", async () => {
    const plan = compileGraph(graph, registry);
    const runtime = createNodeRuntime();
    const clean = await new InProcessExecutor({ registry, store, runtime }).start({ runId: "clean", plan, noCache: true, sink: { emit: () => {} } }).done;
    await runtime.close();
    expect(clean.status).toBe("succeeded");

    workers.push(spawnWorker(workerEnv), spawnWorker(workerEnv));
    await Promise.all(workers.map((w) => w.ready));

    const events: RunEvent[] = [];
    let killing = false;
    let killed!: (w: WorkerProcess) => void;
    const killedP = new Promise<WorkerProcess>((r) => (killed = r));
    const runId = `killed-${prefix}`;
    const handle = executor.start({
      runId,
      plan,
      noCache: true,
      sink: {
        emit: (e) => {
          events.push(e);
          // The slow node has started: kill the worker that runs it (its id names its pid), mid-node.
          if (e.type === "progress" && e.nodeId === "slow" && !killing) {
            killing = true;
            void executor.queue("cpu").getJob(jobId(runId, "slow")).then((job) => {
              const pid = Number(job!.processedBy!.split(":")[1]);
              const victim = workers.find((w) => w.child.pid === pid)!;
              victim.child.kill("SIGKILL");
              killed(victim);
            });
          }
        },
      },
    });
    const dead = await killedP;
    expect(await dead.exited).toBe(null); // killed by signal, no exit code
    const survivor = workers.find((w) => w !== dead)!;
    const result = await handle.done;
    expect(result.status).toBe("succeeded");
    expect(summary(result)).toEqual(summary(clean));
    // the take-over is visible in the run's log
    expect(events.some((e) => e.type === "log" && e.nodeId === "slow" && /started on worker/.test(e.message))).toBe(true);
    // the dead worker drops out of the live list once its heartbeat expires; the second one is there
    const live = await eventually(async () => {
      const ws = await listWorkers(redis, prefix);
      return ws.some((w) => w.pid === dead.child.pid) ? undefined : ws;
    }, 30_000, "the killed worker's heartbeat to expire");
    expect(live.map((w) => w.pid)).toEqual([survivor.child.pid]);
  });

  it("completes 20 concurrent runs over 3 workers with every node result delivered exactly once", async () => {
    while (workers.filter((w) => w.child.exitCode === null && w.child.signalCode === null).length < 3) workers.push(spawnWorker(workerEnv));
    await Promise.all(workers.filter((w) => w.child.signalCode === null).map((w) => w.ready));
    const plan = compileGraph({ ...graph, nodes: graph.nodes.map((n) => (n.id === "slow" ? { ...n, params: { ms: 200 } } : n)) }, registry);
    const runs = await Promise.all(
      Array.from({ length: 20 }, (_, i) => {
        const events: RunEvent[] = [];
        const runId = `many-${i}-${prefix}`;
        return executor.start({ runId, plan, noCache: true, sink: { emit: (e) => events.push(e) } }).done.then((result) => ({ runId, result, events }));
      }),
    );
    const reference = summary(runs[0]!.result);
    for (const { runId, result, events } of runs) {
      expect(result.status).toBe("succeeded");
      expect(summary(result)).toEqual(reference);
      // one terminal event per node, and exactly one result message per node on the run's stream
      expect(events.filter((e) => e.type === "succeeded").map((e) => (e as { nodeId: string }).nodeId).sort()).toEqual(["c", "h", "slow", "sum"]);
      const results = (await redis.xrange(latticeKeys(prefix).runStream(runId), "-", "+")).filter(([, f]) => f[0] === "m" && f[1]!.includes('"t":"done"'));
      expect(results).toHaveLength(4);
    }
    // the work was spread over the workers
    const done = new Set(await Promise.all(runs.map(async (r) => (await executor.queue("cpu").getJob(jobId(r.runId, "slow")))!.processedBy)));
    expect(done.size).toBeGreaterThan(1);
  }, 120_000);
});

