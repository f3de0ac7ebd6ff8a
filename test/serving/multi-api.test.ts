/**
 * Two API processes serving the same endpoints (queue mode: same PostgreSQL schema, artifact root and Redis
 * prefix), here two sets of services in one test process, each with its own HTTP server and caches:
 * - a key's rate limit holds across both (one bucket in Redis), not per process;
 * - a key revoked through one process is refused by the other at once, although the other had it cached;
 * - the endpoint page's figures (requests, latency, prediction mean, drift) count the traffic of both.
 */
import { existsSync, readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pgAvailable } from "../store/backends";
import { ADMIN, ADULT_CSV, example, post, queueFleet, runWorkflow, scoringCsv, type Harness } from "./helpers";

const fleet = queueFleet("multi-api");
const slug = "adult-two-apis";
const ready = pgAvailable && existsSync(ADULT_CSV);

type Api = Harness;

let a: Api | undefined;
let b: Api | undefined;
let row = "";
let published: { workflowId: string; runId: string } | undefined;

beforeAll(async () => {
  if (!ready) return;
  const first = (a = await fleet.startApi());
  b = await fleet.startApi();
  await fleet.startWorker(first, `worker-${fleet.prefix}`).ready;
  published = await runWorkflow(first.svc, example("adult-income"));
  await first.svc.endpoints.publish({ ...published, slug }, ADMIN);
  // One scoring row (header + first data line) as CSV.
  row = readFileSync(scoringCsv(fleet.dir, 1), "utf8");
}, 300_000);

afterAll(() => fleet.cleanup());

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

  it("count both processes' traffic in the endpoint page's figures", async () => {
    const other = "adult-stats";
    await a!.svc.endpoints.publish({ ...published!, slug: other }, ADMIN);
    const { key } = await a!.svc.endpoints.createKey(other, "stats", ADMIN, 1000);
    const call = (api: Api, body: string) => post(`${api.url}/api/v1/endpoints/${other}/predict`, body, { authorization: `Bearer ${key}`, "content-type": "text/csv" });
    for (let i = 0; i < 3; i++) expect((await call(a!, row)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await call(b!, row)).status).toBe(200);
    // 150 rows through B: enough served rows (≥ 100) for PSI figures.
    const many = readFileSync(scoringCsv(fleet.dir, 150), "utf8");
    expect((await call(b!, many)).status).toBe(200);
    // Each process writes its counts within a second; both read the same totals.
    const settled = async (api: Api) => {
      const end = Date.now() + 15_000;
      for (;;) {
        const d = await api.svc.endpoints.get(other);
        if (d.stats[1]?.requests === 7 && d.drift[0]?.served === 156) return d;
        if (Date.now() > end) throw new Error(`figures did not add up: ${JSON.stringify({ stats: d.stats, drift: d.drift.slice(0, 2) })}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    };
    const fromA = await settled(a!);
    const fromB = await settled(b!);
    expect(fromA.statsScope).toBe("fleet");
    expect(fromA.stats[1]).toMatchObject({ requests: 7, errors: 0 });
    expect(fromA.stats[1]!.p50Ms).toBeGreaterThan(0);
    expect(fromA.stats[1]!.p99Ms).toBeGreaterThanOrEqual(fromA.stats[1]!.p50Ms!);
    expect(fromA.stats[1]!.predictionMean).toBeGreaterThanOrEqual(0);
    expect(fromA.drift.every((f) => f.psi !== null && f.psi >= 0)).toBe(true);
    expect(fromB.stats).toEqual(fromA.stats);
    expect(fromB.drift).toEqual(fromA.drift);
  }, 60_000);
});
