/**
 * Queue mode, in a real browser: the API server is killed (SIGKILL) while a model trains on a worker, and
 * started again on the same port with the same database and data dir. The open editor page, without a reload,
 * shows "Reconnecting…" while the server is away (one reconnect attempt is answered 502, as by a proxy),
 * reconnects by itself, and ends in the state the server has: every node succeeded, the run finished, the
 * final ROC-AUC on the metrics node, the learning curve and the log with each entry once. A reload then shows
 * the same. Needs Redis (REDIS_URL, default 127.0.0.1:6379) and PostgreSQL
 * (TEST_DATABASE_URL); skipped, loudly, only when one of them does not answer.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { RunEvent } from "../../server/engine/types";
import type { RunRecord } from "../../server/store/types";
import { deletePrefix, REDIS_URL, spawnWorker, stopWorker, uniquePrefix, type WorkerProcess } from "../queue/helpers";
import { dropSchema, pgAvailable, throwawaySchema, urlWithSchema } from "../store/backends";
import { launchBrowser, openExample, openPage, OUT, sessionCookie } from "./browser";
import { startServer, type RunningServer } from "./server";

/** Adam epochs for the logistic regression: long enough (several seconds) to kill the API in the middle. */
const EPOCHS = 40;
const LEASE_MS = 2000;

async function redisUp(): Promise<Redis | undefined> {
  const r = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 3000, maxRetriesPerRequest: 0, retryStrategy: () => null });
  try {
    await r.connect();
    await r.ping();
    return r;
  } catch {
    r.disconnect();
    return undefined;
  }
}

const redis = await redisUp();
if (!redis) console.warn(`\n[queue-restart e2e] Redis at ${REDIS_URL} is not reachable: SKIPPING.\n`);
if (!pgAvailable) console.warn(`\n[queue-restart e2e] PostgreSQL is not reachable: SKIPPING.\n`);

const node = (page: Page, id: string) => page.locator(`[data-testid="node"][data-node-id="${id}"]`);
const nodeStatus = (page: Page, id: string) => node(page, id).getByTestId("node-status").getAttribute("data-status");
/** Points of the first line on a node's face (the loss curve, live or from its chart output). */
const curvePoints = async (page: Page, id: string) =>
  ((await node(page, id).locator('[data-testid="node-minichart"] polyline').first().getAttribute("points", { timeout: 1000 }).catch(() => "")) ?? "")
    .trim()
    .split(/\s+/)
    .filter(Boolean).length;

describe.skipIf(!redis || !pgAvailable)("queue mode: API server killed mid-run, seen from a browser", () => {
  const prefix = uniquePrefix("e2e-restart");
  const schema = throwawaySchema();
  const dataDir = mkdtempSync(path.join(tmpdir(), "lattice-e2e-restart-"));
  const env = {
    REDIS_URL,
    LATTICE_QUEUE_PREFIX: prefix,
    DATABASE_URL: urlWithSchema(schema),
    LATTICE_RUN_LEASE_MS: String(LEASE_MS),
  };
  let server: RunningServer | undefined;
  let worker: WorkerProcess | undefined;
  let browser: Browser | undefined;

  beforeAll(async () => {
    server = await startServer({ env, dataDir });
    // The full node catalogue, and the artifact root the API uses (<data dir>/artifacts).
    worker = spawnWorker({ ...env, LATTICE_DATA_DIR: dataDir, LATTICE_ARTIFACTS: path.join(dataDir, "artifacts") });
    await worker.ready;
    browser = await launchBrowser();
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (worker) await stopWorker(worker);
    if (redis) {
      await deletePrefix(redis, prefix);
      await redis.quit();
    }
    await dropSchema(schema).catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
  });

  /** A tRPC query as the signed-in admin (superjson wire format). */
  async function query<T>(proc: string, input: unknown): Promise<T> {
    const url = server!.url;
    const { name, value } = await sessionCookie(url);
    const res = await fetch(`${url}/api/trpc/${proc}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`, { headers: { cookie: `${name}=${value}` } });
    const reply = (await res.json()) as { result?: { data: { json: T } }; error?: unknown };
    if (!res.ok || !reply.result) throw new Error(`${proc} failed (${res.status}): ${JSON.stringify(reply.error)}`);
    return reply.result.data.json;
  }

  /** Every stored event of a finished run, from the server's subscription (it ends after run-finished). */
  async function allEvents(runId: string): Promise<RunEvent[]> {
    const url = server!.url;
    const { name, value } = await sessionCookie(url);
    const res = await fetch(`${url}/api/trpc/run.onEvents?input=${encodeURIComponent(JSON.stringify({ json: { runId } }))}`, {
      headers: { accept: "text/event-stream", cookie: `${name}=${value}` },
      signal: AbortSignal.timeout(30_000),
    });
    if (!res.ok) throw new Error(`run.onEvents failed (${res.status})`);
    const events: RunEvent[] = [];
    for (const block of (await res.text()).split("\n\n")) {
      const id = /^id: ?(\S+)$/m.exec(block)?.[1];
      const data = /^data: ?(.*)$/m.exec(block)?.[1];
      if (!id || !data) continue; // pings, connection and return frames
      const parsed = JSON.parse(data) as { json?: RunEvent } & RunEvent;
      events.push(parsed.json ?? parsed);
    }
    return events;
  }

  it("the open page reconnects by itself and shows the finished run; a reload shows the same", async () => {
    const page = await openPage(browser!, server!.url);
    const pageErrors: string[] = [];
    page.on("pageerror", (e) => pageErrors.push(String(e)));
    const shot = (name: string) => page.screenshot({ path: path.join(OUT, `queue-restart-${name}.png`) });
    try {
      const workflowId = new URL(await openExample(page, server!.url, "adult-income.workflow.json", 60_000)).pathname.split("/").pop()!;
      await expect.poll(() => page.locator('[data-testid="node"]').count(), { timeout: 30_000 }).toBe(5);
      await expect.poll(() => page.locator('[data-testid="node-issues"]').count(), { timeout: 60_000 }).toBe(0);

      // Adam for EPOCHS epochs instead of the exact solver (well under a second): a node in flight for seconds,
      // with a learning curve streamed point by point.
      await node(page, "model").click();
      await page.getByTestId("tab-settings").click();
      await page.getByTestId("field-solver").selectOption("adam");
      await page.getByTestId("field-epochs").fill(String(EPOCHS));
      await page.getByTestId("run").click();

      await expect.poll(() => nodeStatus(page, "model"), { timeout: 60_000 }).toBe("running");
      await expect.poll(() => curvePoints(page, "model"), { timeout: 60_000 }).toBeGreaterThan(1);
      const runId = (await query<RunRecord[]>("run.listForWorkflow", { workflowId, limit: 1 }))[0]?.id ?? "";
      expect(runId).not.toBe("");
      await shot("1-running");

      const t0 = Date.now();
      await server!.kill();
      const pointsAtKill = await curvePoints(page, "model");
      expect(pointsAtKill).toBeLessThan(EPOCHS);
      // The browser's first try to reconnect gets a 502, as from a reverse proxy whose upstream is down: that
      // closes its EventSource for good, so the page must subscribe again by itself. Later tries reach the
      // port directly (refused until the server is back; EventSource retries those by itself).
      let answered502 = 0;
      await page.route(
        /\/api\/trpc\/run\.onEvents/,
        (route) => {
          answered502++;
          return route.fulfill({ status: 502, contentType: "text/plain", body: "Bad gateway" });
        },
        { times: 1 },
      );
      // While the server is away the page says it is reconnecting (no error toast), and still shows the run going.
      const connection = page.getByTestId("run-connection");
      await expect.poll(() => connection.getAttribute("data-state", { timeout: 1000 }).catch(() => null), { timeout: 10_000 }).toBe("reconnecting");
      expect(await page.getByTestId("run-status").getAttribute("data-status")).toBe("running");
      await shot("2-reconnecting");
      await expect.poll(() => answered502, { timeout: 15_000 }).toBe(1);
      // Still reconnecting after the 502, not given up.
      await expect.poll(() => connection.count(), { timeout: 5000 }).toBe(1);
      expect(await page.getByTestId("toast-error").count()).toBe(0);

      server = await startServer({ env, dataDir, port: server!.port });
      const downMs = Date.now() - t0;

      // No reload: the page picks the run up again and follows it to its end.
      await expect.poll(() => page.getByTestId("run-status").getAttribute("data-status"), { timeout: 90_000, interval: 250 }).toBe("succeeded");
      await expect.poll(() => connection.count()).toBe(0);
      const run = await query<RunRecord>("run.get", { runId });
      expect(run.status).toBe("succeeded");
      expect(server.log()).toMatch(new RegExp(`resuming run ${runId}`));
      // Durations count from the first start, across the restart (the server was away for downMs of the run).
      expect(run.durationMs).toBeGreaterThan(downMs);

      const events = await allEvents(runId);
      expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => i + 1));
      expect(events.at(-1)).toMatchObject({ type: "run-finished", status: "succeeded" });
      const lossPoints = events.filter((e) => e.type === "metric" && e.nodeId === "model" && e.name === "loss").length;
      expect(lossPoints).toBe(EPOCHS);

      const expectFinalState = async (what: string) => {
        for (const n of run.nodes) await expect.poll(() => nodeStatus(page, n.nodeId), { timeout: 30_000, message: `${what}: node ${n.nodeId}` }).toBe(n.status);
        expect(run.nodes.map((n) => n.status)).toEqual(run.nodes.map(() => "succeeded"));
        const auc = run.nodes.find((n) => n.nodeId === "metrics")!.metrics?.roc_auc;
        expect(auc).toBeGreaterThan(0.85);
        const shown = node(page, "metrics").getByTestId("node-key-metric");
        await expect.poll(() => shown.getAttribute("data-value"), { timeout: 30_000 }).toBe(String(auc));
        // The learning curve: every epoch once, none lost while the server was away, none repeated on reconnect.
        await expect.poll(() => curvePoints(page, "model"), { timeout: 30_000 }).toBe(lossPoints);
      };
      await expectFinalState("live");
      await page.mouse.move(5, 5);
      await shot("3-recovered");

      // The one log line of training, once, and no toast about a lost connection.
      await node(page, "model").click();
      await page.getByTestId("tab-output").click();
      await expect.poll(() => page.locator(".logs .log").filter({ hasText: /Trained on/ }).count(), { timeout: 10_000 }).toBe(1);
      expect(await page.getByTestId("toast-error").count()).toBe(0);

      await page.reload({ waitUntil: "domcontentloaded" });
      await page.getByTestId("canvas").waitFor({ timeout: 60_000 });
      await expect.poll(() => page.getByTestId("run-status").getAttribute("data-status"), { timeout: 30_000 }).toBe("succeeded");
      await expectFinalState("after reload");
      await page.mouse.move(5, 5);
      await shot("4-reloaded");

      // The Workers page in queue mode: the worker process with its pools, backend and heartbeat, and the depth
      // of each pool's queue (the run's five node jobs completed on cpu, none waiting, active or failed).
      await page.goto(`${server.url}/workers`, { waitUntil: "domcontentloaded" });
      await expect.poll(() => page.getByTestId("workers-mode").textContent(), { timeout: 30_000 }).toMatch(/Queue mode/);
      const row = page.getByTestId("worker-row");
      await expect.poll(() => row.count(), { timeout: 30_000 }).toBe(1);
      const cells = await row.locator("td").allTextContents();
      expect(cells[0]).toContain(`pid ${worker!.child.pid}`);
      expect(cells[1]).toBe("cpu");
      expect(cells[3]).toMatch(/wasm|tensorflow|webgpu|cpu/);
      // Each node ran once on this worker, none again after the restart (published within a second of each job).
      expect(cells[6]).toBe(`${run.nodes.length} / 0`);
      const cpu = page.getByTestId("pool-depths").locator("tr", { hasText: /^cpu/ });
      // Pool, waiting, active, delayed, failed, completed.
      const depth = (await cpu.locator("td").allTextContents()).map((t) => t.trim());
      expect(depth.slice(0, 5)).toEqual(["cpu", "0", "0", "0", "0"]);
      expect(Number(depth[5])).toBeGreaterThanOrEqual(run.nodes.length);
      await page.mouse.move(5, 5);
      await shot("5-workers");
      expect(pageErrors).toEqual([]);
      console.log(
        `[queue-restart e2e] API away ${downMs} ms; ${events.length} events; curve had ${pointsAtKill}/${EPOCHS} points at the kill; ` +
          `run ${run.durationMs} ms, training ${run.nodes.find((n) => n.nodeId === "model")?.durationMs} ms as the server reports them`,
      );
    } catch (e) {
      await shot("failure").catch(() => undefined);
      console.error(server?.log().slice(-4000), "\n--- worker ---\n", worker?.output().slice(-3000));
      throw e;
    } finally {
      await page.close();
    }
  }, 120_000);
});
