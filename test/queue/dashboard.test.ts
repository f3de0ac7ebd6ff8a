/** The operators' queue dashboard (bull-board) answers under its admin path and asks for the admin token. */
import { createServer, type Server } from "node:http";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bullConnection, redisConnection } from "../../server/queue/connection";
import { createQueueDashboard, DASHBOARD_PATH } from "../../server/queue/dashboard";
import { POOLS, queueName } from "../../server/queue/keys";
import { deletePrefix, REDIS_URL, uniquePrefix } from "./helpers";

const prefix = uniquePrefix("board");
const queues = POOLS.map((p) => new Queue(queueName(p), { connection: bullConnection(REDIS_URL), prefix }));
const redis = redisConnection(REDIS_URL, "lattice-test");
let server: Server;
let base = "";

beforeAll(async () => {
  await queues[0]!.add("test/const", { n: 1 }, { jobId: "board-job" });
  const board = createQueueDashboard(queues, { token: "s3cret" });
  server = createServer((req, res) => {
    if (!board.handle(req, res)) res.writeHead(404).end("not the board");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});

afterAll(async () => {
  await new Promise((r) => server.close(r));
  await Promise.all(queues.map((q) => q.close()));
  await deletePrefix(redis, prefix);
  await redis.quit();
});

const auth = { authorization: `Basic ${Buffer.from("admin:s3cret").toString("base64")}` };

describe("queue dashboard", () => {
  it("asks for the admin token", async () => {
    expect((await fetch(`${base}${DASHBOARD_PATH}`)).status).toBe(401);
    expect((await fetch(`${base}${DASHBOARD_PATH}`, { headers: { authorization: `Basic ${Buffer.from("admin:wrong").toString("base64")}` } })).status).toBe(401);
  });

  it("serves the board and the pools' queues, and nothing outside its path", async () => {
    const page = await fetch(`${base}${DASHBOARD_PATH}`, { headers: auth });
    expect(page.status).toBe(200);
    expect(await page.text()).toContain("Lattice queues");
    const api = await fetch(`${base}${DASHBOARD_PATH}/api/queues`, { headers: auth });
    expect(api.status).toBe(200);
    const body = (await api.json()) as { queues: Array<{ name: string; counts: Record<string, number> }> };
    expect(body.queues.map((q) => q.name).sort()).toEqual(["cpu", "gpu"]);
    expect(body.queues.find((q) => q.name === "cpu")!.counts.waiting).toBe(1);
    expect((await fetch(`${base}/api/trpc`)).status).toBe(404);
  });
});
