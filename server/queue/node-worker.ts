/**
 * A queue worker: one BullMQ Worker per pool it serves, each running `executeNode` for node jobs exactly as
 * the in-process executor does (light nodes inline, heavy ones in worker threads so lock renewal and cancel
 * keep working while a node computes). Node events go to the run's Redis stream; cancel arrives on a pub/sub
 * channel and aborts the node's signal; user errors, cancel and timeouts fail the job with BullMQ's
 * UnrecoverableError so they are not retried. Capabilities and a heartbeat are kept in Redis.
 *
 * Child tasks (ctx.subtasks) are jobs too, linked to their node's job (child-jobs.ts): a node waiting for
 * them gives its slot back (WaitingChildrenError) and is run again when they are done. A child's own events
 * stay off the run's stream except its warnings, which appear in its node's log.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { Queue, UnrecoverableError, WaitingChildrenError, Worker, type Job } from "bullmq";
import { describeError, type NodeErrorInfo } from "../../nodes/core/errors";
import type { NodeRegistry } from "../../nodes/core/registry";
import type { PortValue } from "../../nodes/core/values";
import { executeNode, type NodeTaskHooks, type NodeTaskResult } from "../engine/execute-node";
import type { ManagedRuntime } from "../engine/runtime/node-runtime";
import type { ThreadPool } from "../engine/thread-pool";
import type { ArtifactStore } from "../engine/types";
import { bullConnection, redisConnection } from "./connection";
import { QueueChildHost, type JobData, type ParentState } from "./child-jobs";
import { DEFAULT_PREFIX, latticeKeys, queueName, type Pool } from "./keys";
import { encodeMessage, MESSAGE_FIELD, type WorkerMessage } from "./messages";
import type { WorkerInfo } from "./monitor";

export interface NodeWorkerOptions {
  redisUrl: string;
  prefix?: string;
  pools: Pool[];
  /** Jobs run at once by this process, per pool. */
  concurrency: number;
  registry: NodeRegistry;
  store: ArtifactStore;
  runtime: ManagedRuntime;
  /** Worker threads for heavy nodes; without one they run inline. */
  threads?: ThreadPool;
  /** BullMQ lock: a job whose worker stops renewing it for this long is taken over by another worker. */
  lockDurationMs?: number;
  stalledIntervalMs?: number;
  /** Stalls (worker died) a job survives before BullMQ fails it. */
  maxStalledCount?: number;
  heartbeatMs?: number;
  gpu?: WorkerInfo["gpu"];
  id?: string;
}

export interface NodeWorkerHandle {
  id: string;
  /** Resolves once every pool's worker is connected and waiting for jobs. */
  ready: Promise<void>;
  /** Stop taking jobs, abort running ones (they are retried elsewhere), deregister. */
  close(): Promise<void>;
}

interface Running {
  runId: string;
  ac: AbortController;
  why?: "cancel" | "timeout" | "shutdown" | "waiting";
}

/** Minimum gap between two progress messages of one node (first and last always go out). */
const PROGRESS_INTERVAL_MS = 50;

export function startNodeWorker(opts: NodeWorkerOptions): NodeWorkerHandle {
  const prefix = opts.prefix ?? process.env.LATTICE_QUEUE_PREFIX ?? DEFAULT_PREFIX;
  const keys = latticeKeys(prefix);
  const id = opts.id ?? `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const commands = redisConnection(opts.redisUrl, `lattice-worker-${id}`);
  const subscriber = redisConnection(opts.redisUrl, `lattice-worker-${id}-cancel`);
  const running = new Map<string, Running>();
  const memos = new RunMemos();
  const cancelledRuns = new Set<string>();
  const stats = { processed: 0, failed: 0 };
  const startedAt = Date.now();

  // One command per message, not awaited on the hot path: the API gave the stream its expiry when the run began.
  const send = (stream: string, m: WorkerMessage) =>
    commands.xadd(stream, "MAXLEN", "~", "10000", "*", MESSAGE_FIELD, encodeMessage(m)).catch(() => {});

  const onCancel = (_channel: string, runId: string) => {
    cancelledRuns.add(runId);
    setTimeout(() => cancelledRuns.delete(runId), 10 * 60 * 1000).unref();
    for (const r of running.values()) if (r.runId === runId) abort(r, "cancel");
    memos.drop(runId);
  };
  subscriber.on("message", onCancel);
  const subscribed = subscriber.subscribe(keys.cancelChannel);

  // Child tasks are added to whichever pool's queue their kind needs, not only the pools this worker serves.
  const childQueues = new Map<Pool, Queue<JobData, NodeTaskResult>>();
  const childQueue = (pool: Pool) => {
    let q = childQueues.get(pool);
    if (!q) childQueues.set(pool, (q = new Queue(queueName(pool), { connection: bullConnection(opts.redisUrl), prefix })));
    return q;
  };

  const process_ = async (job: Job<JobData, NodeTaskResult>, token?: string): Promise<NodeTaskResult> => {
    const { task, timeoutMs, stream } = job.data;
    const attempt = job.attemptsMade + 1;
    const nodeId = task.nodeId;
    const child = task.child;
    // A child's result goes to its parent's job, never to the run's stream (the API would take it for the node's).
    const report = child ? dropMessage : send.bind(null, stream);
    if (cancelledRuns.has(task.runId)) {
      void report({ t: "error", nodeId, attempt, error: CANCELLED, final: true });
      if (child) await job.updateData({ ...job.data, error: CANCELLED }).catch(() => {});
      throw new UnrecoverableError(CANCELLED.message);
    }
    const r: Running = { runId: task.runId, ac: new AbortController() };
    running.set(job.id!, r);
    const timer = timeoutMs > 0 ? setTimeout(() => abort(r, "timeout"), timeoutMs) : undefined;
    const resumed = job.data.parent;
    // A retry, or a take-over after the previous worker died (stalled job): say where it runs now. A node run
    // again after waiting for its children is neither.
    const started = Math.max(attempt, job.attemptsStarted);
    if (started > 1 && !resumed) void report({ t: "started", nodeId, attempt: started, worker: id });
    let lastProgress = 0;
    // What this execution reported; a node run again after waiting repeats what it reported before (dropped).
    const counts = { log: 0, metric: 0, progress: resumed?.progress ?? 0 };
    // Methods, not arrow properties: see the note in execute-node.ts (this object is made per job).
    const hooks: NodeTaskHooks = child
      ? {
          progress() {},
          metric() {},
          log(level, message) {
            if (level !== "info") void send(stream, { t: "log", nodeId, level, message: `[child ${child.index + 1}] ${message}` });
          },
        }
      : {
          progress(fraction, message) {
            const t = Date.now();
            if (fraction < counts.progress) return;
            counts.progress = fraction;
            if (fraction > 0 && fraction < 1 && t - lastProgress < PROGRESS_INTERVAL_MS) return;
            lastProgress = t;
            void send(stream, { t: "progress", nodeId, fraction, message });
          },
          log(level, message) {
            if (++counts.log > (resumed?.sent.log ?? 0)) void send(stream, { t: "log", nodeId, level, message });
          },
          metric(name, value, step) {
            if (++counts.metric > (resumed?.sent.metric ?? 0)) void send(stream, { t: "metric", nodeId, name, value, step });
          },
        };
    const host = new QueueChildHost({
      job,
      token,
      prefix,
      registry: opts.registry,
      queue: childQueue,
      async saveState(launched) {
        const parent: ParentState = {
          startedAt: host.startedAt,
          launched,
          sent: { log: Math.max(counts.log, resumed?.sent.log ?? 0), metric: Math.max(counts.metric, resumed?.sent.metric ?? 0) },
          progress: counts.progress,
        };
        await job.updateData({ ...job.data, parent });
      },
    });
    try {
      const heavy = opts.threads && opts.registry.get(task.kind)?.resources?.heavy;
      const execution = heavy
        ? opts.threads!.run(task, hooks, r.ac.signal, host)
        : executeNode(task, { registry: opts.registry, store: opts.store, runtime: opts.runtime, signal: r.ac.signal, hooks, memo: memos.of(task.runId), subtasks: host });
      const first = await Promise.race([execution.then((result) => ({ result })), host.suspended.then(() => undefined)]);
      if (!first) {
        // The node's job now waits for its children: end this execution and free the slot (BullMQ runs it again).
        execution.catch(() => {});
        abort(r, "waiting");
        throw new WaitingChildrenError();
      }
      const result = first.result;
      void report({ t: "done", nodeId, attempt, result });
      stats.processed++;
      beatSoon();
      return result;
    } catch (e) {
      if (e instanceof WaitingChildrenError) throw e;
      stats.failed++;
      beatSoon();
      const error: NodeErrorInfo =
        r.why === "timeout"
          ? { code: "timeout", message: `Stopped after ${Math.round(timeoutMs / 1000)} s, the node's time limit.`, user: true }
          : r.why === "cancel"
            ? CANCELLED
            : r.why === "shutdown"
              ? { code: "worker_stopped", message: `Worker ${id} shut down while running this node.`, user: false }
              : describeError(e);
      const final = error.user || attempt >= (job.opts.attempts ?? 1);
      if (child && final) await job.updateData({ ...job.data, error }).catch(() => {});
      await report({ t: "error", nodeId, attempt, error, final });
      if (error.user) throw new UnrecoverableError(error.message);
      throw e instanceof Error ? e : new Error(String(e));
    } finally {
      clearTimeout(timer);
      running.delete(job.id!);
    }
  };

  const workers = opts.pools.map(
    (pool) =>
      new Worker<JobData, NodeTaskResult>(queueName(pool), process_, {
        connection: bullConnection(opts.redisUrl),
        prefix,
        // Recorded on each job it takes (job.processedBy): the dashboard and tests see who runs what.
        name: id,
        concurrency: opts.concurrency,
        lockDuration: opts.lockDurationMs ?? 30_000,
        stalledInterval: opts.stalledIntervalMs ?? 30_000,
        maxStalledCount: opts.maxStalledCount ?? 2,
      }),
  );
  for (const w of workers) w.on("error", (e) => console.error(`[lattice worker] ${e.message}`));

  const info = (): WorkerInfo => ({
    id,
    hostname: hostname(),
    pid: process.pid,
    pools: opts.pools,
    concurrency: opts.concurrency,
    tfBackend: opts.threads?.tfBackend ?? opts.runtime.tfBackend() ?? "not loaded yet",
    ...(opts.gpu ? { gpu: opts.gpu } : {}),
    active: running.size,
    processed: stats.processed,
    failed: stats.failed,
    startedAt,
    heartbeatAt: Date.now(),
  });
  const heartbeatMs = opts.heartbeatMs ?? 5000;
  const beat = () =>
    commands
      .multi()
      .set(keys.worker(id), JSON.stringify(info()), "PX", heartbeatMs * 3)
      .sadd(keys.workers, id)
      .exec()
      .catch(() => {});
  const heartbeat = setInterval(beat, heartbeatMs);
  heartbeat.unref();
  // The Workers page shows jobs done/failed from the heartbeat: publish a change within a second rather than
  // at the next beat (at most one extra write a second, however many jobs finish).
  let soon: NodeJS.Timeout | undefined;
  const beatSoon = () => {
    soon ??= setTimeout(() => {
      soon = undefined;
      void beat();
    }, 1000);
    soon.unref();
  };

  const ready = Promise.all([subscribed, beat(), ...workers.map((w) => w.waitUntilReady())]).then(() => {});

  return {
    id,
    ready,
    async close() {
      clearInterval(heartbeat);
      clearTimeout(soon);
      memos.close();
      // Stop fetching first, then abort what runs so its lock is released and another worker retries it.
      const closing = workers.map((w) => w.close());
      for (const r of running.values()) abort(r, "shutdown");
      await Promise.all(closing);
      await Promise.all([...childQueues.values()].map((q) => q.close()));
      await commands.multi().del(keys.worker(id)).srem(keys.workers, id).exec().catch(() => {});
      await Promise.all([commands.quit().catch(() => {}), subscriber.quit().catch(() => {})]);
    },
  };
}

/**
 * Values this worker decoded or produced, per run, so a node whose input was made by the previous node on the
 * same worker (a chain) skips reading it back from the artifact store. Same lifetime as the in-process
 * executor's per-run memo: dropped once the run has been idle here for a minute, or is cancelled.
 */
class RunMemos {
  private readonly byRun = new Map<string, { memo: Map<string, PortValue>; usedAt: number }>();
  private readonly sweep = setInterval(() => {
    const old = Date.now() - 60_000;
    for (const [runId, m] of this.byRun) if (m.usedAt < old) this.byRun.delete(runId);
  }, 15_000).unref();

  of(runId: string): Map<string, PortValue> {
    let m = this.byRun.get(runId);
    if (!m) this.byRun.set(runId, (m = { memo: new Map(), usedAt: 0 }));
    m.usedAt = Date.now();
    return m.memo;
  }

  drop(runId: string) {
    this.byRun.delete(runId);
  }

  close() {
    clearInterval(this.sweep);
    this.byRun.clear();
  }
}

const dropMessage = (_m: WorkerMessage): undefined => undefined;

const CANCELLED: NodeErrorInfo = { code: "cancelled", message: "Cancelled", user: true };

function abort(r: Running, why: NonNullable<Running["why"]>) {
  if (r.ac.signal.aborted) return;
  r.why = why;
  r.ac.abort(new DOMException(why === "timeout" ? "Timed out" : "Cancelled", "AbortError"));
}
