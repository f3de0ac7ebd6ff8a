/**
 * Queue-test plumbing: a unique key prefix per test file (so files can run in parallel against the one real
 * Redis), cleanup of every key under it, and worker processes spawned the way `npm run worker` starts them.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomUUID } from "node:crypto";
import { fileURLToPath } from "node:url";
import type { Redis } from "ioredis";
import type { RunEvent, RunResult } from "../../server/engine/types";

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

export interface ApiProcess {
  child: ChildProcess;
  url: string;
  output: () => string;
  exited: Promise<number | null>;
}

/** `node --import tsx test/queue/api-server.ts` (a real API process without Next) on a free port; resolves once it listens. */
export async function spawnApi(env: Record<string, string>): Promise<ApiProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "test/queue/api-server.ts"], {
    cwd: repoRoot,
    env: { ...process.env, REDIS_URL, PORT: "0", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const onData = (b: Buffer) => {
      out += b.toString();
      const m = /api ready on (http:\S+)/.exec(out);
      if (m) resolve(m[1]!);
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    void exited.then((code) => reject(new Error(`API process exited (${code}) before it was ready:\n${out}`)));
  });
  return { child, url, output: () => out, exited };
}

/** SIGKILL (or `signal`) and wait for the exit. */
export async function killProcess(p: { child: ChildProcess; exited: Promise<number | null> }, signal: NodeJS.Signals = "SIGKILL") {
  if (p.child.exitCode !== null || p.child.signalCode !== null) return;
  p.child.kill(signal);
  await p.exited;
}

/** A tRPC call over HTTP (superjson wire format: `{ json }`). */
export async function trpc<T>(url: string, path: string, input: unknown, kind: "query" | "mutation" = "mutation"): Promise<T> {
  const body = JSON.stringify({ json: input });
  const res =
    kind === "mutation"
      ? await fetch(`${url}/api/trpc/${path}`, { method: "POST", headers: { "content-type": "application/json" }, body })
      : await fetch(`${url}/api/trpc/${path}?input=${encodeURIComponent(body)}`);
  const reply = (await res.json()) as { result?: { data: { json: T } }; error?: unknown };
  if (!res.ok || !reply.result) throw new Error(`${path} failed (${res.status}): ${JSON.stringify(reply.error)}`);
  return reply.result.data.json;
}

/**
 * The run's events through the tRPC subscription (SSE), as a browser's EventSource gets them, from after
 * `lastEventId`. Ends with the stream (after run-finished), or throws when the connection breaks.
 */
export async function* runEvents(url: string, runId: string, lastEventId?: number, signal?: AbortSignal): AsyncGenerator<RunEvent> {
  const input = encodeURIComponent(JSON.stringify({ json: { runId } }));
  const res = await fetch(`${url}/api/trpc/run.onEvents?input=${input}`, {
    headers: { accept: "text/event-stream", ...(lastEventId !== undefined ? { "last-event-id": String(lastEventId) } : {}) },
    signal,
  });
  if (!res.ok || !res.body) throw new Error(`run.onEvents failed (${res.status})`);
  const decoder = new TextDecoder();
  let buf = "";
  const reader = res.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      buf += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const id = /^id: ?(\S+)$/m.exec(block)?.[1];
        const data = /^data: ?(.*)$/m.exec(block)?.[1];
        if (!id || !data) continue; // pings, connection and return frames
        const parsed = JSON.parse(data) as { json?: RunEvent } & RunEvent;
        yield parsed.json ?? parsed;
      }
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
