/**
 * `npm run worker`: a queue worker process. Serves node jobs from Redis (REDIS_URL) for the pools in
 * LATTICE_WORKER_POOLS, reading and writing artifacts under the shared root (LATTICE_ARTIFACTS, default
 * ./data/artifacts). Start any number, on any machine that shares REDIS_URL and the artifact root.
 *
 * Environment:
 *   REDIS_URL                    redis://127.0.0.1:6379
 *   LATTICE_QUEUE_PREFIX         key prefix, must match the API server's (default "lattice")
 *   LATTICE_ARTIFACTS            artifact store root (default ./data/artifacts, or $LATTICE_DATA_DIR/artifacts)
 *   LATTICE_WORKER_POOLS         comma list of pools: cpu, gpu (default cpu)
 *   LATTICE_WORKER_CONCURRENCY   jobs at once per pool (default: number of cores)
 *   LATTICE_WORKER_THREADS       worker threads for heavy nodes (default: concurrency; 0 = run inline)
 *   LATTICE_LOCK_MS              job lock; a dead worker's job is taken over after about this long (30000)
 *   LATTICE_STALLED_INTERVAL_MS  how often this worker looks for stalled jobs (default: the lock duration)
 *   LATTICE_HEARTBEAT_MS         capabilities/heartbeat refresh; a worker silent for 3× this is dead (5000)
 *   LATTICE_REGISTRY_MODULE      module exporting `registry` (default: the node catalogue; tests: stub nodes)
 *   LATTICE_TF_BACKEND           force a TensorFlow.js backend (see server/engine/runtime/tf-backend.ts)
 */
import { execFile } from "node:child_process";
import { availableParallelism } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { NodeRegistry } from "../nodes/core/registry";
import { createNodeRuntime } from "./engine/runtime/node-runtime";
import { ThreadPool } from "./engine/thread-pool";
import { DEFAULT_REDIS_URL } from "./queue/connection";
import { POOLS, type Pool } from "./queue/keys";
import type { WorkerInfo } from "./queue/monitor";
import { startNodeWorker } from "./queue/node-worker";
import { FileArtifactStore } from "./store/artifact-store";

const env = process.env;
const int = (name: string, fallback: number) => {
  const v = Number(env[name]);
  return env[name] !== undefined && Number.isInteger(v) && v >= 0 ? v : fallback;
};

function parsePools(raw = "cpu"): Pool[] {
  const pools = raw.split(",").map((s) => s.trim()).filter(Boolean);
  const bad = pools.filter((p) => !(POOLS as readonly string[]).includes(p));
  if (bad.length || !pools.length) {
    console.error(`LATTICE_WORKER_POOLS must be a comma list of ${POOLS.join(", ")} (got "${raw}").`);
    process.exit(2);
  }
  return pools as Pool[];
}

/** Module specifier for LATTICE_REGISTRY_MODULE: a path (relative to the current directory) or a URL. */
function registryModule(): string {
  const m = env.LATTICE_REGISTRY_MODULE;
  if (!m) return new URL("../nodes/catalog.ts", import.meta.url).href;
  return /^[a-z]+:/.test(m) ? m : pathToFileURL(resolve(m)).href;
}

/** GPU name and memory from nvidia-smi when there is one (never required). */
function detectGpu(): Promise<WorkerInfo["gpu"]> {
  return new Promise((done) => {
    execFile("nvidia-smi", ["--query-gpu=name,memory.total", "--format=csv,noheader,nounits"], { timeout: 3000 }, (err, out) => {
      const [name, mem] = (err ? "" : out.split("\n")[0] ?? "").split(",").map((s) => s.trim());
      done(name ? { name, memoryMB: Number(mem) || undefined } : undefined);
    });
  });
}

async function main() {
  const redisUrl = env.REDIS_URL || DEFAULT_REDIS_URL;
  const pools = parsePools(env.LATTICE_WORKER_POOLS);
  const concurrency = Math.max(1, int("LATTICE_WORKER_CONCURRENCY", availableParallelism()));
  const threadCount = int("LATTICE_WORKER_THREADS", concurrency);
  const store = new FileArtifactStore(env.LATTICE_ARTIFACTS ?? join(env.LATTICE_DATA_DIR ?? "./data", "artifacts"));
  const moduleUrl = registryModule();
  const { registry } = (await import(moduleUrl)) as { registry: NodeRegistry };
  const runtime = createNodeRuntime();
  const threads = threadCount > 0 ? new ThreadPool({ size: threadCount, storeRoot: store.root, registryModule: moduleUrl }) : undefined;
  const gpu = await detectGpu();
  // A GPU worker loads TensorFlow.js up front so its heartbeat shows the backend it got.
  if (pools.includes("gpu")) await runtime.tf().catch((e: unknown) => console.error(`[lattice worker] TensorFlow.js did not load: ${e instanceof Error ? e.message : e}`));
  const lockMs = int("LATTICE_LOCK_MS", 30_000);

  const worker = startNodeWorker({
    redisUrl,
    pools,
    concurrency,
    registry,
    store,
    runtime,
    threads,
    lockDurationMs: lockMs,
    stalledIntervalMs: int("LATTICE_STALLED_INTERVAL_MS", lockMs),
    heartbeatMs: Math.max(100, int("LATTICE_HEARTBEAT_MS", 5000)),
    gpu,
  });
  await worker.ready;
  console.log(`Lattice worker ${worker.id} ready: pools ${pools.join(", ")}, concurrency ${concurrency}, ${threadCount} thread(s), artifacts ${store.root}${gpu ? `, GPU ${gpu.name}` : ""}`);

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`${signal}: worker shutting down…`);
    const force = setTimeout(() => process.exit(1), 15_000);
    force.unref();
    await worker.close();
    await threads?.close();
    await runtime.close();
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

main().catch((e: unknown) => {
  console.error("[lattice worker]", e);
  process.exit(1);
});
