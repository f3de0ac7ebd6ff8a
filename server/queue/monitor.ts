/**
 * What the Workers page and operators see: live workers (capabilities + heartbeat, from Redis) and the depth
 * of each pool's queue. Read-only; works from the API process or a CLI.
 */
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { bullConnection } from "./connection";
import { latticeKeys, POOLS, queueName, type Pool } from "./keys";

/** A worker's self-description, refreshed every heartbeat. */
export interface WorkerInfo {
  id: string;
  hostname: string;
  pid: number;
  pools: Pool[];
  concurrency: number;
  /** TensorFlow.js backend once loaded (`tensorflow`, `webgpu`, `wasm`, `cpu`), else "not loaded yet". */
  tfBackend: string;
  gpu?: { name: string; memoryMB?: number };
  active: number;
  processed: number;
  failed: number;
  startedAt: number;
  heartbeatAt: number;
}

export async function listWorkers(redis: Redis, prefix: string): Promise<WorkerInfo[]> {
  const keys = latticeKeys(prefix);
  const ids = await redis.smembers(keys.workers);
  if (!ids.length) return [];
  const raws = await Promise.all(ids.map((id) => redis.get(keys.worker(id))));
  const live: WorkerInfo[] = [];
  const dead: string[] = [];
  raws.forEach((raw, i) => {
    if (raw) live.push(JSON.parse(raw) as WorkerInfo);
    else dead.push(ids[i]!);
  });
  if (dead.length) await redis.srem(keys.workers, ...dead);
  return live.sort((a, b) => a.id.localeCompare(b.id));
}

export interface PoolDepth {
  pool: Pool;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
}

/** The job states a pool's depth is made of. */
export const DEPTH_STATES = ["waiting", "prioritized", "active", "delayed", "failed", "completed"] as const;

export function depthOf(pool: Pool, c: Record<string, number>): PoolDepth {
  return {
    pool,
    waiting: (c.waiting ?? 0) + (c.prioritized ?? 0),
    active: c.active ?? 0,
    delayed: c.delayed ?? 0,
    failed: c.failed ?? 0,
    completed: c.completed ?? 0,
  };
}

/** Depth of every pool's queue, from any process (CLI, monitoring); the API uses QueueExecutor.overview(). */
export async function queueDepths(redisUrl: string, prefix: string): Promise<PoolDepth[]> {
  return Promise.all(
    POOLS.map(async (pool) => {
      const q = new Queue(queueName(pool), { connection: bullConnection(redisUrl), prefix });
      try {
        return depthOf(pool, await q.getJobCounts(...DEPTH_STATES));
      } finally {
        await q.close();
      }
    }),
  );
}
