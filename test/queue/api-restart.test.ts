/**
 * The API server killed (SIGKILL) in the middle of a run, then started again, with real processes: an API
 * process (test/queue/api-server.ts: createAppServices + the tRPC router), a worker process (stub nodes), the
 * real Redis and the real PostgreSQL (a throwaway schema, since both API processes must see one database).
 * - Queue mode: the restarted API resumes the run from its stored events; it completes with a clean run's
 *   results, no node runs twice, and a browser reconnecting with its last event id (or from the start) sees
 *   every event once, numbered without gaps.
 * - In process: the run is closed as failed with the "interrupted by a server restart" message, and its event
 *   stream ends instead of spinning forever.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { InProcessExecutor } from "../../server/engine/in-process-executor";
import { INTERRUPTED_MESSAGE } from "../../server/engine/run-service";
import { createNodeRuntime } from "../../server/engine/runtime/node-runtime";
import type { RunEvent } from "../../server/engine/types";
import { compileGraph } from "../../server/graph/compile-graph";
import type { Workflow } from "../../server/graph/format";
import { redisConnection } from "../../server/queue/connection";
import { latticeKeys } from "../../server/queue/keys";
import { decodeMessage } from "../../server/queue/messages";
import { FileArtifactStore } from "../../server/store/artifact-store";
import type { RunRecord } from "../../server/store/types";
import { registry } from "../helpers/stub-nodes";
import { dropSchema, pgAvailable, throwawaySchema, urlWithSchema } from "../store/backends";
import {
  deletePrefix,
  killProcess,
  REDIS_URL,
  runEvents,
  spawnApi,
  spawnWorker,
  stopWorker,
  stubRegistryModule,
  trpc,
  uniquePrefix,
  type ApiProcess,
  type WorkerProcess,
} from "./helpers";

const prefix = uniquePrefix("api-restart");
const dir = mkdtempSync(join(tmpdir(), "lattice-api-restart-"));
const redis = redisConnection(REDIS_URL, "lattice-test");
const schemas: string[] = [];
const processes: Array<ApiProcess | WorkerProcess> = [];

afterAll(async () => {
  for (const p of processes) if ("url" in p) await killProcess(p, "SIGTERM");
  await Promise.all(processes.filter((p): p is WorkerProcess => !("url" in p)).map(stopWorker));
  await deletePrefix(redis, prefix);
  await redis.quit();
  for (const s of schemas) await dropSchema(s);
  rmSync(dir, { recursive: true, force: true });
});

const pos = { x: 0, y: 0 };
/**
 * c → sum ← slow, and slow2 → total ← sum: at the kill, c is done, slow and slow2 are in flight (slow ends
 * while no API is up, slow2 after the restart), sum and total have not started.
 */
const graph: Workflow = {
  formatVersion: 1,
  name: "api restart",
  nodes: [
    { id: "c", kind: "test/const", version: 1, params: { value: 4 }, position: pos },
    { id: "slow", kind: "test/slow", version: 1, params: { ms: 1500 }, position: pos },
    { id: "slow2", kind: "test/slow", version: 1, params: { ms: 6000 }, position: pos },
    { id: "sum", kind: "test/add", version: 2, params: { offset: 1 }, position: pos },
    { id: "total", kind: "test/add", version: 2, params: { offset: 2 }, position: pos },
  ],
  edges: [
    { source: "c", sourcePort: "value", target: "sum", targetPort: "a" },
    { source: "slow", sourcePort: "out", target: "sum", targetPort: "b" },
    { source: "sum", sourcePort: "sum", target: "total", targetPort: "a" },
    { source: "slow2", sourcePort: "out", target: "total", targetPort: "b" },
  ],
};

function apiEnv(schema: string, queued: boolean): Record<string, string> {
  return {
    DATABASE_URL: urlWithSchema(schema),
    REDIS_URL: queued ? REDIS_URL : "",
    LATTICE_QUEUE_PREFIX: prefix,
    LATTICE_DATA_DIR: join(dir, schema),
    // Per test, so the second test's run is not served from the first one's cache.
    LATTICE_ARTIFACTS: join(dir, schema, "artifacts"),
    LATTICE_REGISTRY_MODULE: stubRegistryModule,
    LATTICE_RUN_LEASE_MS: "1500",
  };
}

async function startApi(env: Record<string, string>) {
  const api = await spawnApi(env);
  processes.push(api);
  return api;
}

/** Follows the run's events until `stop` says so; returns what it saw. */
async function eventsUntil(url: string, runId: string, stop: (e: RunEvent) => boolean): Promise<RunEvent[]> {
  const seen: RunEvent[] = [];
  for await (const e of runEvents(url, runId)) {
    seen.push(e);
    if (stop(e)) return seen; // leaving the loop closes the connection
  }
  throw new Error(`the run's events ended before the expected one: ${JSON.stringify(seen.at(-1))}`);
}

/** Events as stored (a live event's unset optional field arrives as null, a stored one's not at all). */
const plain = (events: RunEvent[]) => JSON.parse(JSON.stringify(events, (_k, v: unknown) => (v === null ? undefined : v))) as RunEvent[];

/** Every event once, numbered 1, 2, 3... without a gap. */
function expectContiguous(events: RunEvent[], from = 1) {
  expect(events.map((e) => e.seq)).toEqual(events.map((_, i) => from + i));
}

const terminal = (events: RunEvent[]) =>
  events.filter((e) => e.type === "succeeded" || e.type === "cached" || e.type === "failed").map((e) => (e as { nodeId: string }).nodeId).sort();

describe.skipIf(!pgAvailable)("API server restart mid-run", () => {
  it("queue mode: the restarted API resumes the run; results equal a clean run's, events have no gaps or repeats", async () => {
    const runtime = createNodeRuntime();
    const plan = compileGraph(graph, registry);
    const store = new FileArtifactStore(join(dir, "clean"));
    const clean = await new InProcessExecutor({ registry, store, runtime }).start({ runId: "clean", plan, noCache: true, sink: { emit: () => {} } }).done;
    await runtime.close();
    expect(clean.status).toBe("succeeded");

    const schema = throwawaySchema();
    schemas.push(schema);
    const env = apiEnv(schema, true);
    const worker = spawnWorker({ ...env, LATTICE_WORKER_CONCURRENCY: "3", LATTICE_LOCK_MS: "5000" });
    processes.push(worker);
    const first = await startApi(env);
    await worker.ready;
    const wf = await trpc<{ id: string }>(first.url, "workflow.create", { name: graph.name, graph });
    const { runId } = await trpc<{ runId: string }>(first.url, "run.start", { workflowId: wf.id });

    // What a browser saw before the API died: up to slow2 making progress, with c already done.
    // (c is independent of slow2: on a loaded machine it may finish after slow2 starts, so wait for both.)
    let cDone = false;
    let slow2Going = false;
    const before = await eventsUntil(first.url, runId, (e) => {
      if (e.type === "succeeded" && e.nodeId === "c") cDone = true;
      if (e.type === "progress" && e.nodeId === "slow2" && e.fraction > 0.1) slow2Going = true;
      return cDone && slow2Going;
    });
    expect(terminal(before)).toContain("c");
    await killProcess(first);
    const lastSeen = before.at(-1)!.seq;

    const second = await startApi(env);
    // The browser reconnects with its last event id (EventSource's Last-Event-ID) and follows the run to its end.
    const after: RunEvent[] = [];
    for await (const e of runEvents(second.url, runId, lastSeen)) after.push(e);
    expect(second.output()).toMatch(new RegExp(`resuming run ${runId}`));
    expect(after.at(-1)).toMatchObject({ type: "run-finished", status: "succeeded" });
    expectContiguous(after, lastSeen + 1);

    const run = await trpc<RunRecord>(second.url, "run.get", { runId }, "query");
    expect(run.status).toBe("succeeded");
    const results = Object.fromEntries(run.nodes.map((n) => [n.nodeId, { status: n.status, outputs: n.outputs, metrics: n.metrics }]));
    const reference = Object.fromEntries(Object.entries(clean.nodes).map(([id, n]) => [id, { status: n.status, outputs: n.outputs, metrics: n.metrics }]));
    expect(results).toEqual(reference);
    // Durations count from the run's (and an in-flight node's) first start, across the restart.
    const span = after.at(-1)!.ts - before[0]!.ts;
    expect(run.durationMs).toBeGreaterThanOrEqual(span - 5);
    const slow2Running = before.find((e) => e.type === "running" && e.nodeId === "slow2")!;
    const slow2Done = after.find((e) => e.type === "succeeded" && e.nodeId === "slow2")!;
    expect(run.nodes.find((n) => n.nodeId === "slow2")!.durationMs).toBeGreaterThanOrEqual(slow2Done.ts - slow2Running.ts - 5);

    // A fresh page: the whole run from the start, every seq once, each node finishing once.
    const all: RunEvent[] = [];
    for await (const e of runEvents(second.url, runId)) all.push(e);
    expectContiguous(all);
    expect(plain(all.slice(0, before.length))).toEqual(plain(before));
    expect(plain(all.slice(lastSeen))).toEqual(plain(after));
    expect(all.filter((e) => e.type === "run-started")).toHaveLength(1);
    expect(terminal(all)).toEqual(["c", "slow", "slow2", "sum", "total"]);
    // slow's one metric point was reported once, though the stream was replayed from its start.
    expect(all.filter((e) => e.type === "metric" && e.nodeId === "slow")).toHaveLength(1);

    // No node ran twice: one result per node on the run's stream, one attempt per job.
    const stream = await redis.xrange(latticeKeys(prefix).runStream(runId), "-", "+");
    const done = stream.map(([, f]) => decodeMessage(f[1] ?? "")).filter((m) => m?.t === "done").map((m) => m!.nodeId).sort();
    expect(done).toEqual(["c", "slow", "slow2", "sum", "total"]);
    // The lease is given back once the run is over.
    expect(await redis.exists(latticeKeys(prefix).runLease(runId))).toBe(0);
  }, 120_000);

  it("in process: an interrupted run is closed as failed with a message, and its event stream ends", async () => {
    const schema = throwawaySchema();
    schemas.push(schema);
    const env = apiEnv(schema, false);
    const first = await startApi(env);
    const wf = await trpc<{ id: string }>(first.url, "workflow.create", { name: graph.name, graph });
    const { runId } = await trpc<{ runId: string }>(first.url, "run.start", { workflowId: wf.id });
    // Kill once slow2 is running and c (independent of it, so in no fixed order with it) has finished.
    const seen = new Set<string>();
    const before = await eventsUntil(first.url, runId, (e) => {
      if ((e.type === "progress" && e.nodeId === "slow2") || (e.type === "succeeded" && e.nodeId === "c")) seen.add(`${e.type}:${e.nodeId}`);
      return seen.size === 2;
    });
    await killProcess(first);

    const second = await startApi(env);
    const run = await trpc<RunRecord>(second.url, "run.get", { runId }, "query");
    expect(run).toMatchObject({ status: "failed", error: INTERRUPTED_MESSAGE });
    const byId = Object.fromEntries(run.nodes.map((n) => [n.nodeId, n]));
    expect(byId.c!.status).toBe("succeeded");
    expect(byId.slow2).toMatchObject({ status: "failed", error: { code: "interrupted", message: INTERRUPTED_MESSAGE } });
    expect(byId.total!.status).toBe("skipped");

    const all: RunEvent[] = [];
    for await (const e of runEvents(second.url, runId)) all.push(e); // ends: the run is finished
    expectContiguous(all);
    expect(plain(all.slice(0, before.length))).toEqual(plain(before));
    expect(all.at(-1)).toMatchObject({ type: "run-finished", status: "failed", error: INTERRUPTED_MESSAGE });
  }, 60_000);
});
