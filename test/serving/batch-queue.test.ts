/**
 * Batch scoring in queue mode: the API process (REDIS_URL set, a unique LATTICE_QUEUE_PREFIX) enqueues the
 * job's nodes on BullMQ against the real Redis at 127.0.0.1:6379, a node worker runs them, and the result
 * equals the online predictions for the same rows (≤ 1e-6). A bad file fails on the worker with the column named.
 */
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { numericColumn, stringColumn } from "../../nodes/core/arrow";
import { registry } from "../../nodes/catalog";
import { createNodeRuntime } from "../../server/engine/runtime/node-runtime";
import { redisConnection } from "../../server/queue/connection";
import { jobId } from "../../server/queue/keys";
import { startNodeWorker, type NodeWorkerHandle } from "../../server/queue/node-worker";
import { deletePrefix, REDIS_URL, uniquePrefix } from "../queue/helpers";
import { ADMIN, ADULT_CSV, example, post, runWorkflow, scoringCsv, startHarness, type Harness } from "./helpers";

const prefix = uniquePrefix("batch");
const slug = "adult-queued";
const redis = redisConnection(REDIS_URL, "lattice-test");
const runtime = createNodeRuntime();
let h: Harness;
let worker: NodeWorkerHandle | undefined;
let key = "";
let csvText = "";
const previousPrefix = process.env.LATTICE_QUEUE_PREFIX;

beforeAll(async () => {
  process.env.LATTICE_QUEUE_PREFIX = prefix;
  h = await startHarness({}, { redisUrl: REDIS_URL });
  expect(h.svc.queue?.executor.prefix).toBe(prefix);
  worker = startNodeWorker({ redisUrl: REDIS_URL, prefix, pools: ["cpu", "gpu"], concurrency: 2, registry, store: h.svc.artifacts, runtime, id: `batch-worker-${prefix}`, heartbeatMs: 500 });
  await worker.ready;
  const { workflowId, runId } = await runWorkflow(h.svc, example("adult-income"));
  await h.svc.endpoints.publish({ workflowId, runId, slug }, ADMIN);
  key = (await h.svc.endpoints.createKey(slug, "batch", ADMIN, 100_000)).key;
  csvText = readFileSync(scoringCsv(h.dir), "utf8");
}, 300_000);

afterAll(async () => {
  await worker?.close();
  await h?.close();
  await runtime.close();
  await deletePrefix(redis, prefix);
  await redis.quit();
  if (previousPrefix === undefined) delete process.env.LATTICE_QUEUE_PREFIX;
  else process.env.LATTICE_QUEUE_PREFIX = previousPrefix;
});

async function finished(id: string) {
  const end = Date.now() + 120_000;
  for (;;) {
    const res = await fetch(`${h.url}/api/v1/endpoints/${slug}/batch/${id}`, { headers: { authorization: `Bearer ${key}` } });
    const s = (await res.json()) as Record<string, any>;
    expect(res.status).toBe(200);
    if (!["queued", "running"].includes(s.status)) return s;
    if (Date.now() > end) throw new Error(`batch job ${id} did not finish: ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe.skipIf(!existsSync(ADULT_CSV))("batch scoring in queue mode", () => {
  it("runs the job's nodes as BullMQ jobs on a worker; the result equals online predictions", async () => {
    const sub = await post(`${h.url}/api/v1/endpoints/${slug}/batch`, csvText, { authorization: `Bearer ${key}`, "content-type": "text/csv" });
    expect(sub.status, sub.text).toBe(202);
    const id = sub.json.id as string;
    const s = await finished(id);
    expect(s).toMatchObject({ status: "succeeded", rows: 300, progress: 1 });

    // The scoring node was a job on the queue, finished by the worker, and its output is the run's.
    const job = await h.svc.queue!.executor.queue("cpu").getJob(jobId(id, "score"));
    expect(job?.name).toBe("deploy/score-version");
    expect(job?.finishedOn).toBeGreaterThan(0);
    const run = await h.svc.db.runs.get(id);
    expect(job?.returnvalue.outputs.scored?.hash).toBe(run!.nodes.find((n) => n.nodeId === "score")!.outputs.scored!.hash);
    expect(run!.info.executor).toBe("queue");

    const online = await post(`${h.url}/api/v1/endpoints/${slug}/predict`, csvText, { authorization: `Bearer ${key}`, "content-type": "text/csv" });
    expect(online.status).toBe(200);
    const res = await fetch(`${h.url}${s.resultUrl}`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    const t = await h.svc.endpoints.readCsv(new Uint8Array(await res.arrayBuffer()));
    expect(t.numRows).toBe(300);
    const score = numericColumn(t, "proba_>50K");
    const cls = stringColumn(t, "prediction");
    let maxDiff = 0;
    (online.json.predictions as Array<{ prediction: string; probabilities: Record<string, number> }>).forEach((p, i) => {
      maxDiff = Math.max(maxDiff, Math.abs(p.probabilities[">50K"]! - score[i]!));
      expect(cls[i]).toBe(p.prediction);
    });
    expect(maxDiff).toBeLessThanOrEqual(1e-6);
  }, 120_000);

  it("a bad file fails on the worker, and the status names the column", async () => {
    const sub = await post(`${h.url}/api/v1/endpoints/${slug}/batch`, csvText.replace("workclass", "work_class"), { authorization: `Bearer ${key}`, "content-type": "text/csv" });
    expect(sub.status).toBe(202);
    const s = await finished(sub.json.id);
    expect(s.status).toBe("failed");
    expect(s.error).toMatch(/no column "workclass".*"work_class"/);
  }, 120_000);
});
