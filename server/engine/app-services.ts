/**
 * Builds everything the API server needs, once per process: database (PGlite by default, PostgreSQL when
 * DATABASE_URL is set), artifact store, node runtime, worker-thread pool, executor and run service.
 */
import { hostname } from "node:os";
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { IncomingMessage } from "node:http";
import { registry as defaultRegistry } from "../../nodes/catalog";
import type { NodeRegistry } from "../../nodes/core/registry";
import type { PortType } from "../../nodes/core/ports";
import { createAuthService } from "../auth/auth-service";
import { hasRole } from "../auth/roles";
import { loadAuthSecret } from "../auth/secret";
import { sha256 } from "../graph/cache-key";
import { openDatabase } from "../store/database";
import { FileArtifactStore } from "../store/artifact-store";
import { redisCoordination } from "../serving/coordination";
import { createEndpointService, type ServingService } from "../serving/endpoint-service";
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
  /** Start the first worker thread at once, so the first run does not wait for it to load (the app server). */
  prewarmThreads?: boolean;
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
  /** The endpoint service with what the public API's hot path needs (server/serving/http.ts). */
  endpoints: ServingService;
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
  if (opts.prewarmThreads) pool?.prewarm();
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
  const runService = new InProcessRunService({ db, executor, resumable: queued?.executor, analyzer, hub, info, baseDir });
  const auth = createAuthService({ database: db.authDatabase, secret: await loadAuthSecret(dataDir), baseURL: process.env.BETTER_AUTH_URL || undefined });
  const isAdmin = async (req: IncomingMessage) => hasRole(await auth.actorFor(req.headers), "admin");
  const startedAt = Date.now();
  const coordination = queued ? redisCoordination(queued.redisUrl, queued.executor.prefix) : undefined;
  // Subscribed before serving, so no invalidation sent after this process answers a request is missed.
  // (Bounded: with Redis away at start the subscription completes whenever it comes back.)
  if (coordination)
    await Promise.race([coordination.ready, new Promise((r) => setTimeout(r, 5000).unref())]).catch((e: unknown) =>
      console.warn("[serving] could not subscribe to cache invalidations (Redis unreachable?):", e),
    );
  const endpoints = createEndpointService({
    db,
    artifacts,
    runtime,
    registry,
    analyze: async (wf) => {
      const plan = await analyzer.analyze(wf, baseDir);
      return { issues: plan.issues, infos: plan.infos };
    },
    startRun: (workflowId) => runService.startSaved(workflowId),
    // Batch scoring (POST /api/v1/endpoints/{slug}/batch) runs generated plans on the same executor.
    executor,
    leases: queued?.executor,
    // Queue mode may run several API processes: keys, routes and rate limits are kept consistent through Redis.
    coordination,
  });
  // Batch scoring jobs are runs without a saved workflow: the serving layer knows how to rebuild their plans.
  runService.addPlanner((run) => endpoints.batch.resumePlan(run));
  // Runs a previous process left unfinished: resumed in queue mode, closed as interrupted in process.
  await runService.recover();

  return {
    registry,
    db,
    artifacts,
    runs: runService,
    runService,
    endpoints,
    auth,
    queue: queued && { executor: queued.executor, dashboard: createQueueDashboard(POOLS.map((p) => queued.executor.queue(p)), { isAdmin }) },
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
      runService.close();
      await endpoints.close();
      await coordination?.close();
      // Queue mode: leave running runs to the workers and release their leases, for the next API process to resume.
      await (queued ? queued.executor.close({ detach: true }) : executor.close());
      await runtime.close();
      await db.close();
    },
  };
}
