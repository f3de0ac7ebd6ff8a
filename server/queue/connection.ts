/**
 * Redis connections. BullMQ opens its own from `{ url }`; Lattice's extra connections (stream reader, cancel
 * subscriber, heartbeats) are plain ioredis clients. `maxRetriesPerRequest: null` makes commands wait through
 * a Redis restart instead of failing, which is what both the API and the workers want.
 */
import { Redis } from "ioredis";

export const DEFAULT_REDIS_URL = "redis://127.0.0.1:6379";

export function redisConnection(url: string, name: string): Redis {
  const r = new Redis(url, { maxRetriesPerRequest: null, connectionName: name });
  // Connection errors are retried by ioredis; without a listener they would be unhandled 'error' events.
  r.on("error", () => {});
  return r;
}

/** BullMQ connection options for a URL. */
export const bullConnection = (url: string) => ({ url, maxRetriesPerRequest: null });
