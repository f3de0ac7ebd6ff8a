/**
 * The Adult example (real node catalogue: DuckDB source, split, TensorFlow.js logistic regression, metrics)
 * run in process and through a queue worker process: same outputs, same metrics.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { registry } from "../../nodes/catalog";
import { createAnalyzer } from "../../server/engine/analyze";
import { InProcessExecutor } from "../../server/engine/in-process-executor";
import { createNodeRuntime } from "../../server/engine/runtime/node-runtime";
import type { Workflow } from "../../server/graph/format";
import { redisConnection } from "../../server/queue/connection";
import { QueueExecutor } from "../../server/queue/queue-executor";
import { FileArtifactStore } from "../../server/store/artifact-store";
import { deletePrefix, REDIS_URL, repoRoot, spawnWorker, stopWorker, uniquePrefix, type WorkerProcess, summary } from "./helpers";

const ADULT = resolve(repoRoot, "../shared/datasets/adult.csv");
const prefix = uniquePrefix("adult");
const dir = mkdtempSync(join(tmpdir(), "lattice-queue-adult-"));
const artifacts = join(dir, "artifacts");
const store = new FileArtifactStore(artifacts);
const runtime = createNodeRuntime();
const redis = redisConnection(REDIS_URL, "lattice-test");
let worker: WorkerProcess | undefined;
const executor = new QueueExecutor({ redisUrl: REDIS_URL, prefix, store });

afterAll(async () => {
  await executor.close();
  if (worker) await stopWorker(worker);
  await runtime.close();
  await deletePrefix(redis, prefix);
  await redis.quit();
  rmSync(dir, { recursive: true, force: true });
});


describe.skipIf(!existsSync(ADULT))("Adult example in queue mode", () => {
  it("gives the in-process results through a worker process", async () => {
    worker = spawnWorker({ LATTICE_QUEUE_PREFIX: prefix, LATTICE_ARTIFACTS: artifacts, LATTICE_WORKER_CONCURRENCY: "2" });
    const wf = JSON.parse(readFileSync(join(repoRoot, "examples/adult-income.workflow.json"), "utf8")) as Workflow;
    wf.nodes.find((n) => n.id === "source")!.params.path = ADULT;
    const plan = await createAnalyzer(registry, runtime).analyze(wf, repoRoot);
    expect(plan.issues.filter((i) => i.severity === "error")).toEqual([]);

    const local = await new InProcessExecutor({ registry, store, runtime }).start({ runId: "adult-local", plan, noCache: true, sink: { emit: () => {} } }).done;
    expect(local.status).toBe("succeeded");
    await worker.ready;
    const queued = await executor.start({ runId: `adult-${prefix}`, plan, noCache: true, sink: { emit: () => {} } }).done;
    expect(queued.status).toBe("succeeded");
    expect(summary(queued)).toEqual(summary(local));
    expect(queued.nodes.metrics!.metrics.roc_auc).toBeGreaterThan(0.85);
  }, 180_000);
});
