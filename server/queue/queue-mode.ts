/**
 * The mode switch for the API process: with REDIS_URL set, node jobs go to BullMQ and `npm run worker`
 * processes run them; without it everything stays in process. createAppServices calls this once.
 */
import type { ArtifactStore } from "../engine/types";
import { DEFAULT_PREFIX } from "./keys";
import { QueueExecutor } from "./queue-executor";

export interface QueueModeInfo {
  executor: QueueExecutor;
  redisUrl: string;
  /** For the status bar / run info, e.g. `queue (redis://host:6379, prefix lattice)`. */
  describe: string;
}

/** A QueueExecutor when REDIS_URL (or `redisUrl`) is set, else undefined (in-process mode). */
export function queueExecutorFromEnv(store: ArtifactStore, redisUrl = process.env.REDIS_URL): QueueModeInfo | undefined {
  if (!redisUrl) return undefined;
  const prefix = process.env.LATTICE_QUEUE_PREFIX || DEFAULT_PREFIX;
  const executor = new QueueExecutor({ redisUrl, prefix, store });
  return { executor, redisUrl, describe: `queue (${redactUrl(redisUrl)}, prefix ${prefix})` };
}

/** The URL without its password, for display. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.toString().replace(/\/$/, "");
  } catch {
    return "redis";
  }
}
