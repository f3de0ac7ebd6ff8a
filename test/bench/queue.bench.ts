/**
 * Issue #4 benchmarks, against the Redis at REDIS_URL (default 127.0.0.1:6379) under a throwaway prefix:
 * - per-node overhead in queue mode on a 200-node chain of no-op nodes (each node waits for the previous
 *   one: enqueue, worker pickup, executeNode, result back through the run stream, scheduler);
 * - throughput of independent no-op node jobs, as a ratio to raw BullMQ add + process throughput (a Worker
 *   whose processor returns at once) measured in the same run with the same concurrency.
 * The worker runs in this process, so both sides share the same two cores the same way.
 */
import { fork, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Queue, Worker } from "bullmq";
import { createNodeRuntime } from "../../server/engine/runtime/node-runtime";
import { compileGraph } from "../../server/graph/compile-graph";
import type { Workflow, WorkflowNode } from "../../server/graph/format";
import { bullConnection, redisConnection } from "../../server/queue/connection";
import { startNodeWorker } from "../../server/queue/node-worker";
import { QueueExecutor } from "../../server/queue/queue-executor";
import { FileArtifactStore } from "../../server/store/artifact-store";
import { registry } from "../helpers/stub-nodes";
import { deletePrefix } from "../queue/helpers";
import { chain } from "./foundation.bench";
import { median, type BenchResult } from "./stats";

const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
const CONCURRENCY = 16;

/** Add round `round`'s N raw no-op jobs (the raw BullMQ side: one `add` each, as a plain producer does). */
function addRawRound(queue: Queue, round: number, n: number) {
  return Promise.all(Array.from({ length: n }, (_, k) => queue.add("noop", { k }, { jobId: `raw-${round}-${k}`, removeOnComplete: { age: 3600, count: 100_000 } })));
}

/**
 * Our side and raw BullMQ's in alternating rounds (so load from anything else on the machine hits both alike),
 * after two warm-up rounds; each function returns its round's throughput.
 */
async function alternate(rounds: number, ours: () => Promise<number>, raw: () => Promise<number>): Promise<{ ours: number[]; raw: number[] }> {
  const out = { ours: [] as number[], raw: [] as number[] };
  for (let i = -2; i < rounds; i++) {
    const a = await ours();
    const b = await raw();
    if (i < 0) continue;
    out.ours.push(a);
    out.raw.push(b);
  }
  return out;
}

/** Fork a TypeScript entry like `npm run worker` does (node --import tsx), with the bench's environment. */
function forkTs(entry: string, env: Record<string, string>): ChildProcess {
  return fork(entry, [], { execArgv: ["--import", "tsx"], env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe", "ipc"] });
}

async function separateProcesses(prefix: string, dir: string, wide: Workflow, N: number): Promise<BenchResult[]> {
  const sepPrefix = `${prefix}-sep`;
  const env = {
    REDIS_URL,
    LATTICE_QUEUE_PREFIX: sepPrefix,
    LATTICE_ARTIFACTS: join(dir, "artifacts"),
    LATTICE_REGISTRY_MODULE: "test/helpers/stub-nodes.ts",
    LATTICE_WORKER_CONCURRENCY: String(CONCURRENCY),
    LATTICE_WORKER_THREADS: "0",
  };
  const store = new FileArtifactStore(join(dir, "artifacts"));
  const executor = new QueueExecutor({ redisUrl: REDIS_URL, prefix: sepPrefix, store });
  const ours = forkTs("server/worker.ts", env);
  const raw = forkTs("test/bench/raw-bullmq-worker.ts", env);
  let log = "";
  ours.stdout!.on("data", (b: Buffer) => (log += b.toString()));
  ours.stderr!.on("data", (b: Buffer) => (log += b.toString()));
  raw.stderr!.on("data", (b: Buffer) => (log += b.toString()));
  const rawQueue = new Queue("raw", { connection: bullConnection(REDIS_URL), prefix: sepPrefix });
  try {
    await Promise.all([
      new Promise<void>((ok, fail) => {
        const check = () => (/worker .* ready/.test(log) ? ok() : ours.exitCode !== null ? fail(new Error(`worker process exited:\n${log}`)) : setTimeout(check, 50));
        check();
      }),
      new Promise<void>((ok) => raw.once("message", () => ok())),
    ]);
    let runs = 0;
    const oursOnce = async () => {
      const plan = compileGraph(wide, registry);
      const t = performance.now();
      const r = await executor.start({ runId: `sep-${++runs}`, plan, noCache: true, sink: { emit: () => {} } }).done;
      if (r.status !== "succeeded") throw new Error("bench run failed (separate worker process)");
      return N / ((performance.now() - t) / 1000);
    };
    let rounds = 0;
    const rawOnce = async () => {
      const round = ++rounds;
      const finished = new Promise<void>((ok) => raw.once("message", () => ok()));
      raw.send({ t: "expect", n: N });
      const t = performance.now();
      await addRawRound(rawQueue, round, N);
      await finished;
      return N / ((performance.now() - t) / 1000);
    };
    const { ours: a, raw: b } = await alternate(9, oursOnce, rawOnce);
    const ratio = median(a) / median(b);
    return [
      { name: "as deployed (worker in its own process): independent no-op node jobs", value: median(a), unit: "nodes/s", baseline: `raw BullMQ, Worker in its own process: ${median(b).toFixed(0)} jobs/s` },
      { name: "as deployed: queue-mode throughput / raw BullMQ throughput", value: ratio, unit: "×", target: "≥ 0.5", ok: ratio >= 0.5 },
    ];
  } finally {
    raw.send({ t: "stop" });
    ours.kill("SIGTERM");
    await Promise.all([new Promise((r) => raw.once("exit", r)), new Promise((r) => ours.once("exit", r))]);
    await rawQueue.close();
    await executor.close();
  }
}

function independent(n: number): Workflow {
  const nodes: WorkflowNode[] = Array.from({ length: n }, (_, i) => ({ id: `n${i}`, kind: "test/noop", version: 1, params: {}, position: { x: 0, y: 0 } }));
  return { formatVersion: 1, name: "wide", nodes, edges: [] };
}

export async function benchQueue(): Promise<BenchResult[]> {
  const out: BenchResult[] = [];
  const prefix = `lattice-bench-${randomUUID().slice(0, 8)}`;
  const dir = mkdtempSync(join(tmpdir(), "lattice-qbench-"));
  const store = new FileArtifactStore(join(dir, "artifacts"));
  const runtime = createNodeRuntime();
  const redis = redisConnection(REDIS_URL, "lattice-bench");
  const executor = new QueueExecutor({ redisUrl: REDIS_URL, prefix, store });
  const worker = startNodeWorker({ redisUrl: REDIS_URL, prefix, pools: ["cpu"], concurrency: CONCURRENCY, registry, store, runtime });
  await worker.ready;
  let runs = 0;
  const runOnce = async (w: Workflow) => {
    const plan = compileGraph(w, registry);
    const t = performance.now();
    const r = await executor.start({ runId: `bench-${++runs}`, plan, noCache: true, sink: { emit: () => {} } }).done;
    if (r.status !== "succeeded") throw new Error(`bench run failed: ${JSON.stringify(Object.values(r.nodes).find((n) => n.error)?.error)}`);
    return performance.now() - t;
  };

  try {
    // Per-node overhead, 200-node chain.
    const c = chain(200);
    for (let i = 0; i < 2; i++) await runOnce(c);
    const perNode: number[] = [];
    for (let i = 0; i < 9; i++) perNode.push((await runOnce(c)) / 200);
    const p50 = median(perNode);
    out.push({
      name: "queue-mode overhead per node (200-node chain, executed)",
      value: p50,
      unit: "ms/node",
      target: "p50 ≤ 2 ms/node",
      ok: p50 <= 2,
      baseline: `min ${Math.min(...perNode).toFixed(3)}, max ${Math.max(...perNode).toFixed(3)} ms/node over ${perNode.length} runs; Temporal ~40 ms, Airflow ~1.3 s per step`,
    });

    // Throughput of independent no-op node jobs vs raw BullMQ.
    const N = 1000;
    const wide = independent(N);
    const rawQueue = new Queue("raw", { connection: bullConnection(REDIS_URL), prefix });
    let completed = 0;
    let onDone = () => {};
    const rawWorker = new Worker("raw", async () => ({}), { connection: bullConnection(REDIS_URL), prefix, concurrency: CONCURRENCY });
    rawWorker.on("completed", () => {
      if (++completed === N) onDone();
    });
    await rawWorker.waitUntilReady();
    let rawRounds = 0;
    const rawOnce = async () => {
      completed = 0;
      const finished = new Promise<void>((r) => (onDone = r));
      const round = ++rawRounds;
      const t = performance.now();
      await addRawRound(rawQueue, round, N);
      await finished;
      return N / ((performance.now() - t) / 1000);
    };
    const { ours, raw } = await alternate(11, async () => N / ((await runOnce(wide)) / 1000), rawOnce);
    await rawWorker.close();
    await rawQueue.close();
    const ratio = median(ours) / median(raw);
    out.push({
      name: `throughput of independent no-op node jobs (${N} per run, worker concurrency ${CONCURRENCY})`,
      value: median(ours),
      unit: "nodes/s",
      baseline: `raw BullMQ add + process ${median(raw).toFixed(0)} jobs/s`,
    });
    out.push({ name: "queue-mode throughput / raw BullMQ throughput", value: ratio, unit: "×", target: "≥ 0.5", ok: ratio >= 0.5 });

    // The same as deployed: the worker in its own process (`npm run worker`), this process as the API; raw
    // BullMQ likewise with its Worker in its own process. The figure above, with everything in one process,
    // is the stricter one (the API's scheduling competes with the worker for one core there).
    out.push(...(await separateProcesses(prefix, dir, wide, N)));
  } finally {
    await worker.close();
    await executor.close();
    await runtime.close();
    // This prefix's keys and the separate-process part's (`<prefix>-sep`).
    for (const p of [prefix, `${prefix}-sep`]) await deletePrefix(redis, p);
    await redis.quit();
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}
