/**
 * Issue #4's load check with the real node catalogue: 20 concurrent runs of the Adult workflow (DuckDB CSV
 * source, select, stratified split, logistic regression, metrics) over 3 worker processes. Every run
 * completes; every node of every run finishes exactly once (one terminal event, one result on the run's
 * stream, one completed BullMQ job); all runs agree. Bounded: the whole file stays under 3 minutes.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { registry } from "../../nodes/catalog";
import { createAnalyzer } from "../../server/engine/analyze";
import { createNodeRuntime } from "../../server/engine/runtime/node-runtime";
import type { RunEvent, RunResult } from "../../server/engine/types";
import type { Workflow } from "../../server/graph/format";
import { redisConnection } from "../../server/queue/connection";
import { jobId, latticeKeys } from "../../server/queue/keys";
import { decodeMessage } from "../../server/queue/messages";
import { QueueExecutor } from "../../server/queue/queue-executor";
import { FileArtifactStore } from "../../server/store/artifact-store";
import { deletePrefix, REDIS_URL, repoRoot, spawnWorker, stopWorker, summary, uniquePrefix, type WorkerProcess } from "./helpers";

const ADULT = resolve(repoRoot, "../shared/datasets/adult.csv");
const RUNS = 20;
const prefix = uniquePrefix("adult20");
const dir = mkdtempSync(join(tmpdir(), "lattice-adult20-"));
const artifacts = join(dir, "artifacts");
const store = new FileArtifactStore(artifacts);
const runtime = createNodeRuntime();
const redis = redisConnection(REDIS_URL, "lattice-test");
const workers: WorkerProcess[] = [];
const executor = new QueueExecutor({ redisUrl: REDIS_URL, prefix, store });

afterAll(async () => {
  await executor.close();
  await Promise.all(workers.map(stopWorker));
  await runtime.close();
  await deletePrefix(redis, prefix);
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(!existsSync(ADULT))("20 concurrent Adult runs over 3 workers", () => {
  it("all complete, each node result delivered exactly once", async () => {
    const env = { LATTICE_QUEUE_PREFIX: prefix, LATTICE_ARTIFACTS: artifacts, LATTICE_WORKER_CONCURRENCY: "2", LATTICE_WORKER_THREADS: "1" };
    for (let i = 0; i < 3; i++) workers.push(spawnWorker(env));
    const wf = JSON.parse(readFileSync(join(repoRoot, "examples/adult-income.workflow.json"), "utf8")) as Workflow;
    wf.nodes.find((n) => n.id === "source")!.params.path = ADULT; // the shared file, read in place
    const plan = await createAnalyzer(registry, runtime).analyze(wf, repoRoot);
    expect(plan.issues.filter((i) => i.severity === "error")).toEqual([]);
    const nodeIds = plan.nodes.map((n) => n.id).sort();
    await Promise.all(workers.map((w) => w.ready));

    const t0 = Date.now();
    const runs = await Promise.all(
      Array.from({ length: RUNS }, (_, i) => {
        const events: RunEvent[] = [];
        const runId = `adult-${i}-${prefix}`;
        // noCache: every node of every run really executes on a worker (no run is served from another's cache).
        return executor.start({ runId, plan, noCache: true, sink: { emit: (e) => events.push(e) } }).done.then((result) => ({ runId, result, events }));
      }),
    );
    console.log(`[adult20] ${RUNS} runs × ${nodeIds.length} nodes over 3 workers in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

    // Everything, model bytes included, must be identical whichever worker ran which node (models carry
    // fixed tfjs names, not a per-process counter, so their hashes agree too).
    const comparable = (r: RunResult) => summary(r);
    const reference = comparable(runs[0]!.result);
    expect(runs[0]!.result.nodes.metrics!.metrics.roc_auc).toBeGreaterThan(0.85);
    const cpu = executor.queue("cpu");
    const processedBy = new Set<string>();
    for (const { runId, result, events } of runs) {
      expect(result.status).toBe("succeeded");
      expect(comparable(result)).toEqual(reference);
      // One terminal event per node, all "succeeded"; seqs 1..n without gaps.
      const terminal = events.filter((e) => e.type === "succeeded" || e.type === "cached" || e.type === "failed" || e.type === "skipped");
      expect(terminal.map((e) => `${e.type}:${(e as { nodeId: string }).nodeId}`).sort()).toEqual(nodeIds.map((id) => `succeeded:${id}`));
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      // One result message per node on the run's stream.
      const stream = await redis.xrange(latticeKeys(prefix).runStream(runId), "-", "+");
      const done = stream.map(([, f]) => decodeMessage(f[1] ?? "")).filter((m) => m?.t === "done").map((m) => m!.nodeId).sort();
      expect(done).toEqual(nodeIds);
      // One completed job per node, finished in one attempt.
      for (const id of nodeIds) {
        const job = (await cpu.getJob(jobId(runId, id)))!;
        expect(await job.getState()).toBe("completed");
        expect(job.attemptsMade).toBe(1);
        processedBy.add(job.processedBy!);
      }
    }
    expect((await cpu.getJobCounts("completed")).completed).toBe(RUNS * nodeIds.length);
    expect(processedBy.size).toBe(3); // the work was spread over all three workers
  }, 170_000);
});
