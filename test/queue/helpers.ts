/**
 * Queue-test plumbing: a unique key prefix per test file (so files can run in parallel against the one real
 * Redis), cleanup of every key under it, and worker processes spawned the way `npm run worker` starts them.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import type { Redis } from "ioredis";
import type { RunResult } from "../../server/engine/types";

export const REDIS_URL = process.env.REDIS_URL ?? "redis://127.0.0.1:6379";
export const repoRoot = fileURLToPath(new URL("../..", import.meta.url));
export const stubRegistryModule = fileURLToPath(new URL("../helpers/stub-nodes.ts", import.meta.url));

export const uniquePrefix = (what: string) => `lattice-test-${what}-${randomUUID().slice(0, 8)}`;

/** Delete every key under the prefix (BullMQ's and Lattice's). */
export async function deletePrefix(redis: Redis, prefix: string) {
  let cursor = "0";
  do {
    const [next, keys] = await redis.scan(cursor, "MATCH", `${prefix}:*`, "COUNT", 1000);
    cursor = next;
    if (keys.length) await redis.del(...keys);
  } while (cursor !== "0");
}

/** Resolves when `check` returns a value other than undefined; polls, gives up after `limitMs`. */
export async function eventually<T>(check: () => Promise<T | undefined> | T | undefined, limitMs = 20_000, what = "condition"): Promise<T> {
  const end = Date.now() + limitMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  ready: Promise<void>;
  exited: Promise<number | null>;
}

/** `node --import tsx server/worker.ts` with the given environment; `ready` resolves on its ready line. */
export function spawnWorker(env: Record<string, string>): WorkerProcess {
  const child = spawn(process.execPath, ["--import", "tsx", "server/worker.ts"], {
    cwd: repoRoot,
    env: { ...process.env, REDIS_URL, LATTICE_WORKER_THREADS: "0", LATTICE_WORKER_CONCURRENCY: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const ready = new Promise<void>((resolve, reject) => {
    const onData = (b: Buffer) => {
      out += b.toString();
      if (/worker .* ready/.test(out)) resolve();
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then((code) => reject(new Error(`worker exited (${code}) before it was ready:\n${out}`)));
  });
  ready.catch(() => {});
  return { child, output: () => out, ready, exited };
}

/** SIGTERM and wait (SIGKILL after 10 s). */
export async function stopWorker(w: WorkerProcess) {
  if (w.child.exitCode !== null || w.child.signalCode !== null) return;
  w.child.kill("SIGTERM");
  const t = setTimeout(() => w.child.kill("SIGKILL"), 10_000);
  await w.exited;
  clearTimeout(t);
}

/** What must be equal between two runs of the same graph: per node, status, outputs and metrics. */
export const summary = (r: RunResult) => Object.fromEntries(Object.entries(r.nodes).map(([id, n]) => [id, { status: n.status, outputs: n.outputs, metrics: n.metrics }]));
