/**
 * Names shared by the API process and the workers: one BullMQ queue per resource pool, job ids, and the
 * few Redis keys Lattice adds next to BullMQ's (per-run event streams, cancel channel, worker heartbeats).
 * Everything lives under one prefix, so tests and several installations can share a Redis server.
 */

/** Resource pools, one BullMQ queue each. */
export const POOLS = ["cpu", "gpu"] as const;
export type Pool = (typeof POOLS)[number];

/** BullMQ's key prefix unless configured (LATTICE_QUEUE_PREFIX). */
export const DEFAULT_PREFIX = "lattice";

export const queueName = (pool: Pool) => pool;

/**
 * Job id of one node of one run: running the same node twice in a run is the same job, so a double enqueue
 * (retry of `add`, resumed scheduler) is harmless. BullMQ rejects custom ids containing ":" (it uses ":" in
 * its own keys), hence "/" between run and node id.
 */
export const jobId = (runId: string, nodeId: string) => `${runId}/${nodeId}`;

/** Job id of child task `index` of a node (ctx.subtasks): stable across re-runs of the node, so adding it twice is harmless. */
export const childJobId = (runId: string, nodeId: string, index: number) => `${runId}/${nodeId}/${index}`;

export interface LatticeKeys {
  /** Stream a run's node events and results go through, worker → API. */
  runStream(runId: string): string;
  /** Pub/sub channel for cancel messages (payload: run id), API → workers. */
  cancelChannel: string;
  /** JSON of a live worker's capabilities (WorkerInfo); expires unless its heartbeat refreshes it. */
  worker(id: string): string;
  /** Set of worker ids ever registered (entries whose hash expired are dead workers, pruned on read). */
  workers: string;
  /** Which API process drives a run (its owner id); expires unless renewed, so a dead process's runs are resumed. */
  runLease(runId: string): string;
}

export function latticeKeys(prefix: string): LatticeKeys {
  const base = `${prefix}:lattice`;
  return {
    runStream: (runId) => `${base}:run:${runId}`,
    cancelChannel: `${base}:cancel`,
    worker: (id) => `${base}:worker:${id}`,
    workers: `${base}:workers`,
    runLease: (runId) => `${base}:lease:${runId}`,
  };
}
