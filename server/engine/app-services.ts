/**
 * Builds everything the API server needs, once per process: database (PGlite by default, PostgreSQL when
 * DATABASE_URL is set), artifact store, node runtime, worker-thread pool, executor and run service.
 */
import { hostname } from "node:os";
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { registry as defaultRegistry } from "../../nodes/catalog";
import type { NodeRegistry } from "../../nodes/core/registry";
import type { PortType } from "../../nodes/core/ports";
import { sha256 } from "../graph/cache-key";
import { openDatabase } from "../store/database";
import { FileArtifactStore } from "../store/artifact-store";
import { createQueueDashboard, type QueueDashboard } from "../queue/dashboard";
import { POOLS } from "../queue/keys";
import { queueExecutorFromEnv } from "../queue/queue-mode";
import type { QueueExecutor } from "../queue/queue-executor";
import { createAnalyzer } from "./analyze";
import { InProcessExecutor } from "./in-process-executor";
import { previewArtifact } from "./preview";
import { RunEventHub } from "./run-events";
import { InProcessRunService } from "./run-service";
import { createNodeRuntime } from "./runtime/node-runtime";
import type { AppServices } from "./services";
import { defaultThreadCount, ThreadPool } from "./thread-pool";

export interface AppServicesOptions {
  /** Root for PGlite data, artifacts and uploads. Default ./data (or LATTICE_DATA_DIR). */
  dataDir?: string;
  /** PostgreSQL URL; unset → embedded PGlite. Default process.env.DATABASE_URL. */
  databaseUrl?: string;
  /** Artifact store root. Default <dataDir>/artifacts (or LATTICE_ARTIFACTS). */
  artifactRoot?: string;
  /** Worker threads for heavy nodes. Default: cores - 1, at least 1. */
  threads?: number;
  /** Base directory for relative file paths in workflows. Default: the current directory. */
  baseDir?: string;
  registry?: NodeRegistry;
  registryModule?: string;
  /** Redis for queue mode; unset → in process. Default process.env.REDIS_URL; "" forces in process. */
  redisUrl?: string;
  /** In-memory PGlite (tests). */
  memoryDb?: boolean;
}

export type LatticeServices = AppServices & {
  runService: InProcessRunService;
  /** Queue mode only: the executor (Workers page: `overview()`) and the operators' dashboard. */
  queue?: { executor: QueueExecutor; dashboard: QueueDashboard };
  close(): Promise<void>;
};

export async function createAppServices(opts: AppServicesOptions = {}): Promise<LatticeServices> {
  const dataDir = resolve(opts.dataDir ?? process.env.LATTICE_DATA_DIR ?? "./data");
  const databaseUrl = opts.databaseUrl ?? process.env.DATABASE_URL ?? undefined;
  const registry = opts.registry ?? defaultRegistry;
  const artifacts = new FileArtifactStore(opts.artifactRoot ?? process.env.LATTICE_ARTIFACTS ?? join(dataDir, "artifacts"));
  const db = await openDatabase({ databaseUrl: databaseUrl || undefined, dataDir, memory: opts.memoryDb });
  const interrupted = await db.runs.markInterrupted();
  if (interrupted) console.warn(`[lattice] marked ${interrupted} run(s) interrupted by the last shutdown as failed`);

  const runtime = createNodeRuntime();
  const threads = opts.threads ?? defaultThreadCount();
  // REDIS_URL set: node jobs go to BullMQ and `npm run worker` processes run them (docs/deploy.md).
  const queued = queueExecutorFromEnv(artifacts, opts.redisUrl ?? process.env.REDIS_URL);
  const pool = queued
    ? undefined
    : new ThreadPool({
        size: threads,
        storeRoot: artifacts.root,
        registryModule: opts.registryModule,
      });
  const inProcess = queued ? undefined : new InProcessExecutor({ registry, store: artifacts, runtime, pool });
  const executor = queued?.executor ?? inProcess!;
  const analyzer = createAnalyzer(registry, runtime);
  const hub = new RunEventHub();
  const baseDir = resolve(opts.baseDir ?? process.cwd());
  const info = () => ({
    executor: queued ? queued.describe : "in-process (worker threads)",
    database: db.describe(),
    artifacts: artifacts.root,
    tfBackend: inProcess ? (inProcess.tfBackend() ?? "not loaded yet") : "on the workers (see Workers)",
  });
  const runService = new InProcessRunService({ db, executor, analyzer, hub, info, baseDir });
  const startedAt = Date.now();

  return {
    registry,
    db,
    artifacts,
    runs: runService,
    runService,
    queue: queued && { executor: queued.executor, dashboard: createQueueDashboard(POOLS.map((p) => queued.executor.queue(p))) },
    async analyze(workflow) {
      const plan = await analyzer.analyze(workflow, baseDir);
      return { issues: plan.issues, infos: plan.infos };
    },
    preview: (hash, portType, limit) => previewArtifact(artifacts, runtime, hash, portType as PortType, limit),
    async upload(name, bytes) {
      const safe = name.replace(/[^\w.\-]+/g, "_").slice(-120) || "upload";
      const dir = join(dataDir, "uploads", sha256(bytes).slice(0, 16));
      await mkdir(dir, { recursive: true });
      const path = join(dir, safe);
      await writeFile(path, bytes);
      return { path };
    },
    info,
    async workers() {
      if (queued) return { mode: "queue", ...(await queued.executor.overview()) };
      // Embedded mode: this process is the only worker (light nodes inline, heavy ones on its threads).
      return {
        mode: "in-process",
        pools: [],
        workers: [
          {
            id: `api-${process.pid}`,
            hostname: hostname(),
            pid: process.pid,
            pools: ["cpu"],
            concurrency: threads,
            tfBackend: inProcess?.tfBackend() ?? "not loaded yet",
            active: runService.activeRuns().length,
            startedAt,
            heartbeatAt: Date.now(),
          },
        ],
      };
    },
    async close() {
      await executor.close();
      await runtime.close();
      await db.close();
    },
  };
}
