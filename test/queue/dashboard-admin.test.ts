/** The queue dashboard also lets in signed-in admins (the API server passes its session check as `isAdmin`). */
import { createServer, type Server } from "node:http";
import { Queue } from "bullmq";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bullConnection, redisConnection } from "../../server/queue/connection";
import { createQueueDashboard, DASHBOARD_PATH } from "../../server/queue/dashboard";
import { POOLS, queueName } from "../../server/queue/keys";
import { deletePrefix, REDIS_URL, uniquePrefix } from "./helpers";

const prefix = uniquePrefix("board-admin");
const queues = POOLS.map((p) => new Queue(queueName(p), { connection: bullConnection(REDIS_URL), prefix }));
const redis = redisConnection(REDIS_URL, "lattice-test");
const servers: Server[] = [];

/** A board on its own server; `isAdmin` accepts the cookie `session=admin`. */
async function board(token: string | undefined): Promise<string> {
  const b = createQueueDashboard(queues, { token: token ?? "", isAdmin: async (req) => req.headers.cookie === "session=admin" });
  const server = createServer((req, res) => {
    if (!b.handle(req, res)) res.writeHead(404).end("not the board");
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}${DASHBOARD_PATH}`;
}

let withToken = "";
let withoutToken = "";
beforeAll(async () => {
  withToken = await board("s3cret");
  withoutToken = await board(undefined);
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  await Promise.all(queues.map((q) => q.close()));
  await deletePrefix(redis, prefix);
  await redis.quit();
});

describe("queue dashboard and admin sessions", () => {
  it("without a token, is closed to everyone but admins", async () => {
    const anon = await fetch(withoutToken);
    expect(anon.status).toBe(401);
    expect(await anon.text()).toMatch(/Sign in to Lattice as an admin/);
    expect((await fetch(withoutToken, { headers: { cookie: "session=viewer" } })).status).toBe(401);
    expect((await fetch(withoutToken, { headers: { cookie: "session=admin" } })).status).toBe(200);
  });

  it("with a token, accepts the token or an admin session", async () => {
    expect((await fetch(withToken)).status).toBe(401);
    expect((await fetch(withToken, { headers: { authorization: `Basic ${Buffer.from("x:s3cret").toString("base64")}` } })).status).toBe(200);
    expect((await fetch(withToken, { headers: { cookie: "session=admin" } })).status).toBe(200);
  });
});
