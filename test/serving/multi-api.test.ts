/**
 * Two API processes serving the same endpoints (queue mode: same PostgreSQL schema, artifact root and Redis
 * prefix), here two sets of services in one test process, each with its own HTTP server and caches:
 * - a key's rate limit holds across both (one bucket in Redis), not per process;
 * - a key revoked through one process is refused by the other at once, although the other had it cached.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { registry } from "../../nodes/catalog";
import { createAppServices, type LatticeServices } from "../../server/engine/app-services";
import { createNodeRuntime } from "../../server/engine/runtime/node-runtime";
import { redisConnection } from "../../server/queue/connection";
import { startNodeWorker, type NodeWorkerHandle } from "../../server/queue/node-worker";
import { createServingHandler } from "../../server/serving/http";
import { deletePrefix, REDIS_URL, uniquePrefix } from "../queue/helpers";
import { dropSchema, pgAvailable, throwawaySchema, urlWithSchema } from "../store/backends";
import { ADMIN, ADULT_CSV, example, post, runWorkflow, scoringCsv } from "./helpers";

const prefix = uniquePrefix("multi-api");
const schema = throwawaySchema();
const dir = mkdtempSync(join(tmpdir(), "lattice-multi-api-"));
const redis = redisConnection(REDIS_URL, "lattice-test");
const runtime = createNodeRuntime();
const slug = "adult-two-apis";
const previousPrefix = process.env.LATTICE_QUEUE_PREFIX;
const ready = pgAvailable && existsSync(ADULT_CSV);

interface Api {
  svc: LatticeServices;
  url: string;
  close(): Promise<void>;
}

async function startApi(): Promise<Api> {
  const svc = await createAppServices({ dataDir: dir, databaseUrl: urlWithSchema(schema), threads: 1, redisUrl: REDIS_URL });
  const handler = createServingHandler(svc.endpoints, {});
  const server = http.createServer((req, res) => {
    void handler(req, res).then((handled) => {
      if (!handled) {
        res.writeHead(404);
        res.end();
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    svc,
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await svc.close();
    },
  };
}

let a: Api | undefined;
let b: Api | undefined;
let worker: NodeWorkerHandle | undefined;
let row = "";

beforeAll(async () => {
  if (!ready) return;
  process.env.LATTICE_QUEUE_PREFIX = prefix;
  a = await startApi();
  b = await startApi();
  worker = startNodeWorker({ redisUrl: REDIS_URL, prefix, pools: ["cpu", "gpu"], concurrency: 2, registry, store: a.svc.artifacts, runtime, id: `worker-${prefix}`, heartbeatMs: 500 });
  await worker.ready;
  const { workflowId, runId } = await runWorkflow(a.svc, example("adult-income"));
  await a.svc.endpoints.publish({ workflowId, runId, slug }, ADMIN);
  // One scoring row (header + first data line) as CSV.
  row = readFileSync(scoringCsv(dir, 1), "utf8");
}, 300_000);

afterAll(async () => {
  await worker?.close();
  await b?.close();
  await a?.close();
  await runtime.close();
  await deletePrefix(redis, prefix);
  await redis.quit();
  if (pgAvailable) await dropSchema(schema);
  rmSync(dir, { recursive: true, force: true });
  if (previousPrefix === undefined) delete process.env.LATTICE_QUEUE_PREFIX;
  else process.env.LATTICE_QUEUE_PREFIX = previousPrefix;
});

const predict = (api: Api, key: string) => post(`${api.url}/api/v1/endpoints/${slug}/predict`, row, { authorization: `Bearer ${key}`, "content-type": "text/csv" });

describe.skipIf(!ready)("several API processes", () => {
  it("share a key's rate limit", async () => {
    const { key } = await a!.svc.endpoints.createKey(slug, "shared limit", ADMIN, 10);
    const statuses: number[] = [];
    // Alternate between the two processes: 12 requests against a limit of 10 a minute.
    for (let i = 0; i < 12; i++) statuses.push((await predict(i % 2 ? b! : a!, key)).status);
    expect(statuses.filter((s) => s === 200)).toHaveLength(10);
    expect(statuses.slice(10)).toEqual([429, 429]);
    const refused = await predict(b!, key);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get("retry-after"))).toBeGreaterThanOrEqual(1);
  }, 60_000);

  it("refuse a key revoked through the other process at once", async () => {
    const { key, summary } = await a!.svc.endpoints.createKey(slug, "to revoke", ADMIN, 1000);
    // B has looked the key up and cached it (for 30 s when alone).
    expect((await predict(b!, key)).status).toBe(200);
    await a!.svc.endpoints.revokeKey(slug, summary.id, ADMIN);
    const res = await predict(b!, key);
    expect(res.status).toBe(401);
    expect(res.json.error?.message ?? JSON.stringify(res.json)).toMatch(/revoked/);
  }, 60_000);
});
