/**
 * Queue mode: a batch scoring job outlives the API process that accepted it. The job is submitted while no
 * worker is up (so it is certainly unfinished), the API process shuts down (leases released, jobs left in
 * BullMQ), a new API process on the same PostgreSQL schema, artifact root and Redis prefix starts, rebuilds
 * the job's plan from its run record (endpoint version + upload on disk) and resumes it; a worker then runs
 * the nodes, the job succeeds with the online predictions' numbers, and its upload is removed afterwards.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { numericColumn } from "../../nodes/core/arrow";
import { registry } from "../../nodes/catalog";
import { createNodeRuntime } from "../../server/engine/runtime/node-runtime";
import { redisConnection } from "../../server/queue/connection";
import { startNodeWorker, type NodeWorkerHandle } from "../../server/queue/node-worker";
import { deletePrefix, eventually, REDIS_URL, uniquePrefix } from "../queue/helpers";
import { dropSchema, pgAvailable, throwawaySchema, urlWithSchema } from "../store/backends";
import { ADMIN, ADULT_CSV, example, post, runWorkflow, scoringCsv, startHarness, type Harness } from "./helpers";

const prefix = uniquePrefix("batch-resume");
const schema = throwawaySchema();
const dir = mkdtempSync(join(tmpdir(), "lattice-batch-resume-"));
const redis = redisConnection(REDIS_URL, "lattice-test");
const runtime = createNodeRuntime();
const slug = "adult-resume";
const previousPrefix = process.env.LATTICE_QUEUE_PREFIX;
const open: Array<{ close(): Promise<void> }> = [];

type Api = Harness;

/** One API process's services (queue mode, the shared PostgreSQL schema and data folder) with the public routes. */
async function startApi(): Promise<Api> {
  const api = await startHarness({}, { databaseUrl: urlWithSchema(schema), memoryDb: false, redisUrl: REDIS_URL }, { dir });
  open.push(api);
  return api;
}

function startWorker(api: Api, id: string): NodeWorkerHandle {
  const w = startNodeWorker({ redisUrl: REDIS_URL, prefix, pools: ["cpu", "gpu"], concurrency: 2, registry, store: api.svc.artifacts, runtime, id, heartbeatMs: 500 });
  open.push(w);
  return w;
}

afterAll(async () => {
  for (const o of open.reverse()) await o.close().catch(() => undefined);
  await runtime.close();
  await deletePrefix(redis, prefix);
  await redis.quit();
  if (pgAvailable) await dropSchema(schema);
  rmSync(dir, { recursive: true, force: true });
  if (previousPrefix === undefined) delete process.env.LATTICE_QUEUE_PREFIX;
  else process.env.LATTICE_QUEUE_PREFIX = previousPrefix;
});

describe.skipIf(!pgAvailable || !existsSync(ADULT_CSV))("a batch job across an API restart (queue mode)", () => {
  it("is resumed by the next API process and finishes with the online predictions", async () => {
    process.env.LATTICE_QUEUE_PREFIX = prefix;
    const first = await startApi();
    const publisher = startWorker(first, `publisher-${prefix}`);
    await publisher.ready;
    const { workflowId, runId } = await runWorkflow(first.svc, example("adult-income"));
    await first.svc.endpoints.publish({ workflowId, runId, slug }, ADMIN);
    const key = (await first.svc.endpoints.createKey(slug, "batch", ADMIN, 100_000)).key;
    // No worker from here on until the restart: the job cannot finish in the first process.
    await publisher.close();

    const csv = readFileSync(scoringCsv(dir), "utf8");
    const sub = await post(`${first.url}/api/v1/endpoints/${slug}/batch`, csv, { authorization: `Bearer ${key}`, "content-type": "text/csv" });
    expect(sub.status, sub.text).toBe(202);
    const id = sub.json.id as string;
    const upload = join(first.svc.artifacts.root, "batch", id, "input.csv");
    expect(existsSync(upload)).toBe(true);
    // Its first node is a job waiting on the queue.
    await eventually(async () => ((await first.svc.queue!.executor.queue("cpu").getWaitingCount()) > 0 ? true : undefined), 20_000, "the job's first node on the queue");
    expect((await first.svc.db.runs.get(id))?.status).toMatch(/queued|running/);
    await first.close();

    const second = await startApi();
    startWorker(second, `worker-${prefix}`);
    const status = await eventually(
      async () => {
        const res = await fetch(`${second.url}/api/v1/endpoints/${slug}/batch/${id}`, { headers: { authorization: `Bearer ${key}` } });
        const s = (await res.json()) as Record<string, any>;
        return ["queued", "running"].includes(s.status) ? undefined : s;
      },
      120_000,
      "the resumed batch job to finish",
    );
    expect(status).toMatchObject({ status: "succeeded", rows: 300, progress: 1 });

    const online = await post(`${second.url}/api/v1/endpoints/${slug}/predict`, csv, { authorization: `Bearer ${key}`, "content-type": "text/csv" });
    expect(online.status).toBe(200);
    const res = await fetch(`${second.url}${status.resultUrl}`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    const scored = await second.svc.endpoints.readCsv(new Uint8Array(await res.arrayBuffer()));
    const proba = numericColumn(scored, "proba_>50K");
    let maxDiff = 0;
    (online.json.predictions as Array<{ probabilities: Record<string, number> }>).forEach((p, i) => (maxDiff = Math.max(maxDiff, Math.abs(p.probabilities[">50K"]! - proba[i]!))));
    expect(maxDiff).toBeLessThanOrEqual(1e-6);
    // The resumed run cleaned up after itself like the original would have.
    await eventually(() => (existsSync(upload) ? undefined : true), 10_000, "the upload to be removed");
  }, 300_000);
});
