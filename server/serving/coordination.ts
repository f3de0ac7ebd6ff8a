/**
 * What API processes must agree on when several serve the same endpoints (queue mode, REDIS_URL set): cache
 * invalidation and rate limits. One process alone keeps both in memory (server/serving/rate-limit.ts and the
 * caches in endpoint-service.ts); with several, a key revoked through one process must stop working on all of
 * them at once, not when their caches expire, and a key's limit must hold across all of them, not per process.
 * - Invalidation: a Redis pub/sub channel; every process (the sender too) drops the named key or route.
 * - Rate limits: the same token bucket as RateLimiter, kept in a Redis hash per key and updated by one Lua
 *   script (atomic; Redis's clock, so API hosts with skewed clocks agree), one round trip per request.
 */
import { Redis } from "ioredis";
import { redisConnection } from "../queue/connection";

export type Invalidation = { key: string } | { slug: string };

/**
 * Counters every API process adds to, kept in Redis hashes: each process buffers its increments and writes
 * them every `flushMs` (one pipeline), so a request costs no round trip; readers see all processes' counts
 * (at most one flush interval late) and they survive restarts.
 */
export interface SharedCounters {
  /** Add to fields of a hash (buffered). `ttlS`: the hash expires that long after its last write. */
  add(hash: string, fields: Record<string, number>, ttlS?: number): void;
  /** The hashes' fields as numbers (empty objects for missing hashes). */
  read(hashes: string[]): Promise<Array<Record<string, number>>>;
  /** Write what is buffered now. */
  flush(): Promise<void>;
}

export interface ServingCoordination {
  /** Tell every API process, this one included, to forget a cached key (by hash) or an endpoint's routing. */
  invalidate(what: Invalidation): Promise<void>;
  /** Called for every invalidation, from any process. */
  onInvalidate(handler: (what: Invalidation) => void): void;
  /** Take a token from the key's bucket shared by all API processes. */
  take(keyId: string, perMinute: number): Promise<{ ok: true } | { ok: false; retryAfterS: number }>;
  /** Serving statistics and drift counts of all API processes. */
  counters: SharedCounters;
  /** Resolves once the invalidation channel is subscribed. */
  ready: Promise<void>;
  close(): Promise<void>;
}

/** Token bucket (see RateLimiter): KEYS[1] the bucket, ARGV[1] requests per minute. Returns {ok, retryAfterS}. */
const TAKE = `local cap = tonumber(ARGV[1])
local rate = cap / 60000
local now = redis.call("TIME")
local t = tonumber(now[1]) * 1000 + math.floor(tonumber(now[2]) / 1000)
local b = redis.call("HMGET", KEYS[1], "tokens", "at")
local tokens = tonumber(b[1]) or cap
local at = tonumber(b[2]) or t
tokens = math.min(cap, tokens + math.max(0, t - at) * rate)
local ok = 0
if tokens >= 1 then
  tokens = tokens - 1
  ok = 1
end
redis.call("HSET", KEYS[1], "tokens", tostring(tokens), "at", tostring(t))
redis.call("PEXPIRE", KEYS[1], math.ceil(cap / rate) + 1000)
if ok == 1 then return {1, 0} end
return {0, math.max(1, math.ceil((1 - tokens) / rate / 1000))}`;

type WithTake = Redis & { latticeTakeToken(key: string, perMinute: number): Promise<[number, number]> };

export function redisCoordination(url: string, prefix: string): ServingCoordination {
  const channel = `${prefix}:lattice:serving:invalidate`;
  // Fail fast rather than wait through a Redis outage: a request must not hang on its rate limit (the caller
  // falls back to this process's own limiter) and a revocation is applied here at once regardless.
  const commands = new Redis(url, { connectionName: "lattice-serving", maxRetriesPerRequest: 1, commandTimeout: 500, enableOfflineQueue: false }) as WithTake;
  commands.on("error", () => {});
  commands.defineCommand("latticeTakeToken", { numberOfKeys: 1, lua: TAKE });
  const subscriber = redisConnection(url, "lattice-serving-invalidate");
  const handlers: Array<(what: Invalidation) => void> = [];
  subscriber.on("message", (_c: string, raw: string) => {
    let what: Invalidation;
    try {
      what = JSON.parse(raw) as Invalidation;
    } catch {
      return;
    }
    for (const h of handlers) h(what);
  });
  const ready = subscriber.subscribe(channel).then(() => undefined);
  ready.catch(() => {});
  const counters = redisCounters(redisConnection(url, "lattice-serving-counters"), `${prefix}:lattice:serving:`);
  return {
    ready,
    counters,
    async invalidate(what) {
      // Locally at once (the publish may fail while Redis is away; this process must not serve a revoked key).
      for (const h of handlers) h(what);
      await commands.publish(channel, JSON.stringify(what));
    },
    onInvalidate(handler) {
      handlers.push(handler);
    },
    async take(keyId, perMinute) {
      const [ok, retryAfterS] = await commands.latticeTakeToken(`${prefix}:lattice:ratelimit:${keyId}`, perMinute);
      return ok === 1 ? { ok: true } : { ok: false, retryAfterS: Number(retryAfterS) };
    },
    async close() {
      await counters.close();
      await Promise.all([commands.quit().catch(() => {}), subscriber.quit().catch(() => {})]);
    },
  };
}

/** SharedCounters on Redis hashes under `keyPrefix` (see the interface). */
export function redisCounters(redis: Redis, keyPrefix: string, flushMs = 1000): SharedCounters & { close(): Promise<void> } {
  let pending = new Map<string, { fields: Map<string, number>; ttlS?: number }>();
  let flushing: Promise<void> = Promise.resolve();
  const flush = () => {
    const batch = pending;
    pending = new Map();
    if (!batch.size) return flushing;
    const pipe = redis.pipeline();
    for (const [hash, { fields, ttlS }] of batch) {
      const key = keyPrefix + hash;
      for (const [f, v] of fields) if (v !== 0) Number.isInteger(v) ? pipe.hincrby(key, f, v) : pipe.hincrbyfloat(key, f, v);
      if (ttlS) pipe.expire(key, ttlS);
    }
    flushing = flushing.then(() => pipe.exec()).then(
      () => undefined,
      (e: unknown) => console.warn("[serving] could not write serving statistics to Redis:", e),
    );
    return flushing;
  };
  const timer = setInterval(() => void flush(), flushMs);
  timer.unref();
  return {
    add(hash, fields, ttlS) {
      let h = pending.get(hash);
      if (!h) pending.set(hash, (h = { fields: new Map(), ttlS }));
      for (const f in fields) h.fields.set(f, (h.fields.get(f) ?? 0) + fields[f]!);
    },
    async read(hashes) {
      const pipe = redis.pipeline();
      for (const h of hashes) pipe.hgetall(keyPrefix + h);
      const replies = (await pipe.exec()) ?? [];
      return replies.map(([err, v]) => {
        const out: Record<string, number> = {};
        if (!err && v) for (const [k, x] of Object.entries(v as Record<string, string>)) out[k] = Number(x);
        return out;
      });
    },
    flush,
    async close() {
      clearInterval(timer);
      await flush();
      await redis.quit().catch(() => {});
    },
  };
}
