/**
 * The Adult example (real node catalogue: DuckDB source, split, TensorFlow.js logistic regression, metrics)
 * run in process and through a queue worker process: same outputs, same metrics. A Code node (QuickJS sandbox)
 * runs on the worker too, and a runaway one fails with its time limit and leaves the worker healthy.
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

describe.skipIf(!existsSync(ADULT))("Code node in queue mode", () => {
  const code = (body: string) => `export default async function run({ inputs, ctx }: RunArgs): Promise<Outputs> {
${body}
}`;
  const withCode = (body: string, timeoutMs = 30_000): Workflow => ({
    formatVersion: 1,
    name: "code on a worker",
    nodes: [
      { id: "source", kind: "sources/file", version: 1, params: { path: ADULT, format: "csv", nullStrings: ["?"] }, position: { x: 0, y: 0 } },
      { id: "code", kind: "code/typescript", version: 2, params: { code: code(body), timeoutMs }, position: { x: 0, y: 0 } },
    ],
    edges: [{ id: "e1", source: "source", sourcePort: "table", target: "code", targetPort: "a" }],
  });

  it("runs in the sandbox on the worker with the in-process result, and a runaway loop fails alone", async () => {
    worker ??= spawnWorker({ LATTICE_QUEUE_PREFIX: prefix, LATTICE_ARTIFACTS: artifacts, LATTICE_WORKER_CONCURRENCY: "2" });
    const analyzer = createAnalyzer(registry, runtime);
    const ok = await analyzer.analyze(
      withCode(`  const t = inputs.a!;
  const long = t.filter((r) => (r["hours-per-week"] ?? 0) > 45);
  ctx.log(\`\${long.numRows} of \${t.numRows} rows work over 45 hours\`);
  return { table: long.select("age", "hours-per-week", "class"), metrics: { long_hours: long.numRows } };`),
      repoRoot,
    );
    expect(ok.issues.filter((i) => i.severity === "error")).toEqual([]);
    const local = await new InProcessExecutor({ registry, store, runtime }).start({ runId: "code-local", plan: ok, noCache: true, sink: { emit: () => {} } }).done;
    expect(local.status).toBe("succeeded");
    await worker.ready;
    const queued = await executor.start({ runId: `code-${prefix}`, plan: ok, noCache: true, sink: { emit: () => {} } }).done;
    expect(queued.status).toBe("succeeded");
    expect(summary(queued)).toEqual(summary(local));
    expect(queued.nodes.code!.metrics.long_hours).toBeGreaterThan(1000);

    const loop = await analyzer.analyze(withCode(`  for (;;) {}`, 500), repoRoot);
    const stuck = await executor.start({ runId: `loop-${prefix}`, plan: loop, noCache: true, sink: { emit: () => {} } }).done;
    expect(stuck.status).toBe("failed");
    expect(stuck.nodes.code!.error?.message).toMatch(/time limit|stopped/i);
    // The same worker takes the next job.
    const again = await executor.start({ runId: `code2-${prefix}`, plan: ok, noCache: true, sink: { emit: () => {} } }).done;
    expect(again.status).toBe("succeeded");
    expect(summary(again)).toEqual(summary(local));
  }, 180_000);
});
