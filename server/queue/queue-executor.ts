/**
 * The queued executor: the same scheduler as in process (runPlan: dependency order, cache, skip on failure,
 * cancel), with a dispatch that turns each node into one BullMQ job on its pool's queue and waits for the
 * worker's result on the run's event stream. The job id is run id + node id, so enqueueing a node twice is
 * harmless. A watchdog compares outstanding nodes with BullMQ's own job state, which covers what no worker
 * reports: a job failed by BullMQ after stalling too often, a result written while this process was away,
 * a job lost with a Redis restart (it is enqueued again).
 *
 * Every run this process schedules is leased in Redis (`<prefix>:lattice:lease:<runId>`, renewed while the run
 * is driven here), so after an API-server restart exactly one API process takes each unfinished run over
 * (`claim` + `resume`, called by the run service) and a dead process's runs move on once its leases expire.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { Queue } from "bullmq";
import type { Redis } from "ioredis";
import { NodeUserError, type NodeErrorInfo } from "../../nodes/core/errors";
import type { NodeTask, NodeTaskHooks, NodeTaskResult } from "../engine/execute-node";
import { runPlan } from "../engine/scheduler";
import type { ArtifactStore, Executor, RunEventBody, RunHandle, RunRequest } from "../engine/types";
import type { PlanNode } from "../graph/compile-graph";
import { bullConnection, redisConnection } from "./connection";
import { DEFAULT_PREFIX, jobId, latticeKeys, POOLS, queueName, type LatticeKeys, type Pool } from "./keys";
import type { WorkerMessage } from "./messages";
import { depthOf, DEPTH_STATES, listWorkers, type PoolDepth, type WorkerInfo } from "./monitor";
import { defaultPolicy, policyFor, poolFor, type NodePolicy } from "./policy";
import { RunStreamReader } from "./run-stream-reader";

/** Data of one node job. */
export interface NodeJobData {
  task: NodeTask;
  /** Per-attempt limit, enforced by the worker (0 = none). */
  timeoutMs: number;
  /** Stream the worker writes this node's events and result to. */
  stream: string;
}

export interface QueueExecutorOptions {
  redisUrl: string;
  /** Key prefix for BullMQ and Lattice keys (tests use a unique one). Default LATTICE_QUEUE_PREFIX or "lattice". */
  prefix?: string;
  store: ArtifactStore;
  clock?: () => number;
  /** Retry/timeout policy per node, over the environment defaults and the node's resource hints. */
  policy?: (node: PlanNode) => Partial<NodePolicy> | undefined;
  /** How often nodes outstanding for longer than this are checked against BullMQ's job state. Default 2 s. */
  watchdogMs?: number;
  /** How long finished jobs stay in Redis (for the dashboard and the watchdog). Default 1 h. */
  keepCompletedS?: number;
  /** Run lease: a run whose API process stops renewing it for this long is resumed elsewhere. Default LATTICE_RUN_LEASE_MS or 15 s. */
  leaseMs?: number;
}

/** Per node of a resumed run: how many of its log and metric events were already stored before the restart. */
export type ReportedCounts = Record<string, { logs: number; metrics: number }>;

interface Pending {
  node: PlanNode;
  jobId: string;
  pool: Pool;
  data: NodeJobData;
  policy: NodePolicy;
  hooks: NodeTaskHooks;
  since: number;
  /** When the watchdog looks at this node's job next (backs off as the node stays outstanding). */
  nextCheck: number;
  failedSeen: boolean;
  resolve(r: NodeTaskResult): void;
  reject(e: unknown): void;
}

interface ActiveRun {
  ac: AbortController;
  pending: Map<string, Pending>;
  /** Lease lost or process closing with `detach`: nothing more is reported, jobs are left to the workers. */
  detached: boolean;
  /**
   * Resumed runs: messages for nodes that were in flight at the restart, held until the scheduler dispatches
   * the node again (the stream is replayed from its start, which races with the scheduler's cache lookups).
   */
  early: Map<string, WorkerMessage[]>;
  /** Resumed runs: stream messages per node that were already turned into stored events (skipped on replay). */
  reported: ReportedCounts;
}

/** Jobs per `addBulk` call (see flushAdds). */
const ADD_CHUNK = 50;

const abortError = () => new DOMException("Cancelled", "AbortError");

/** Extend the lease when this process holds it, take it again when it lapsed unclaimed; 0 when another holds it. */
const RENEW_LEASE = `local v = redis.call("GET", KEYS[1])
if v == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end
if not v then redis.call("SET", KEYS[1], ARGV[1], "PX", ARGV[2]) return 1 end
return 0`;
const RELEASE_LEASE = `if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`;

/** The error a final worker failure becomes in the scheduler (user errors stay typed, cancel stays an abort). */
export function errorFromInfo(info: NodeErrorInfo): Error {
  if (info.code === "cancelled") return abortError();
  if (info.user) return new NodeUserError(info.code, info.message, { field: info.field });
  return new Error(info.message);
}

export class QueueExecutor implements Executor {
  readonly prefix: string;
  private readonly keys: LatticeKeys;
  private readonly queues: Record<Pool, Queue<NodeJobData, NodeTaskResult>>;
  private readonly commands: Redis;
  private readonly subscriber: Redis;
  private readonly reader: RunStreamReader;
  private readonly runs = new Map<string, ActiveRun>();
  private readonly basePolicy = defaultPolicy();
  private readonly watchdog: NodeJS.Timeout;
  /** This process's id as a lease owner. */
  readonly owner = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  readonly leaseMs: number;
  private readonly leases = new Set<string>();
  private readonly leaseTimer: NodeJS.Timeout;
  /** Jobs waiting for this turn's `addBulk`, per pool. */
  private readonly toAdd = new Map<Pool, Array<{ p: Pending; resolve(): void; reject(e: unknown): void }>>();
  private gpuAlive: { value: boolean; at: number } = { value: false, at: 0 };
  private closed = false;
  private checking = false;

  constructor(private readonly opts: QueueExecutorOptions) {
    this.prefix = opts.prefix ?? process.env.LATTICE_QUEUE_PREFIX ?? DEFAULT_PREFIX;
    this.keys = latticeKeys(this.prefix);
    const connection = bullConnection(opts.redisUrl);
    this.queues = Object.fromEntries(POOLS.map((p) => [p, new Queue(queueName(p), { connection, prefix: this.prefix })])) as QueueExecutor["queues"];
    this.commands = redisConnection(opts.redisUrl, "lattice-api");
    // A cancel published by another API process (the browser may be connected to any of them) stops the
    // scheduling here too when this process owns the run.
    this.subscriber = redisConnection(opts.redisUrl, "lattice-api-cancel");
    this.subscriber.on("message", (_channel: string, runId: string) => this.cancel(runId));
    void this.subscriber.subscribe(this.keys.cancelChannel).catch(() => {});
    this.reader = new RunStreamReader(redisConnection(opts.redisUrl, "lattice-api-reader"), this.commands, this.prefix);
    const every = opts.watchdogMs ?? 2000;
    this.watchdog = setInterval(() => void this.checkOutstanding(every), every);
    this.watchdog.unref();
    this.leaseMs = opts.leaseMs ?? (Number(process.env.LATTICE_RUN_LEASE_MS) || 15_000);
    this.leaseTimer = setInterval(() => void this.renewLeases(), Math.max(100, Math.floor(this.leaseMs / 3)));
    this.leaseTimer.unref();
  }

  start(req: RunRequest): RunHandle {
    return this.begin(req, 0, {});
  }

  /**
   * Take over a run that another API process (or this one before a restart) was scheduling; claim its lease
   * first. Its events continue after `afterSeq`; `req.resumed` holds the nodes that finished before (not run
   * again). Nodes that were in flight are dispatched again with the same job id, so a job still in BullMQ is
   * adopted rather than duplicated, and its result is read back from the run's stream (or BullMQ's record).
   * `reported`: per in-flight node, the log/metric events already stored, which the stream replay skips.
   */
  resume(req: RunRequest, afterSeq: number, reported: ReportedCounts = {}): RunHandle {
    return this.begin(req, afterSeq, reported);
  }

  /**
   * Take the run's lease for this process: false while another live API process holds it. Held and renewed
   * until the run finishes here (or `release`); lapses `leaseMs` after this process dies.
   */
  async claim(runId: string): Promise<boolean> {
    const ok = await this.commands.set(this.keys.runLease(runId), this.owner, "PX", this.leaseMs, "NX");
    if (ok !== "OK") return false;
    this.leases.add(runId);
    return true;
  }

  /** Give the run's lease up (the run finished here, or could not be resumed). */
  async release(runId: string): Promise<void> {
    if (!this.leases.delete(runId)) return;
    await this.commands.eval(RELEASE_LEASE, 1, this.keys.runLease(runId), this.owner).catch(() => {});
  }

  /** Runs this process holds the lease of. */
  leased(): string[] {
    return [...this.leases];
  }

  /**
   * Stop scheduling. By default the runs still in progress are cancelled; with `detach` their jobs are left
   * to the workers and nothing more is reported for them, so another process can `resume` them.
   */
  async close(opts: { detach?: boolean } = {}) {
    clearInterval(this.watchdog);
    clearInterval(this.leaseTimer);
    this.closed = true;
    if (!opts.detach) for (const id of [...this.runs.keys()]) this.cancel(id);
    // Detached runs are for another process to resume: let it have them now rather than when the lease lapses.
    await Promise.all([...this.leases].map((id) => this.release(id)));
    await this.reader.close();
    await Promise.all(Object.values(this.queues).map((q) => q.close()));
    await Promise.all([this.commands.quit().catch(() => {}), this.subscriber.quit().catch(() => {})]);
  }

  /**
   * Cancel a run wherever it is scheduled: in this process directly, and through Redis in any other API
   * process that owns it and on every worker running its nodes.
   */
  async cancelRun(runId: string): Promise<void> {
    this.cancel(runId);
    await this.commands.publish(this.keys.cancelChannel, runId);
  }

  private begin(req: RunRequest, afterSeq: number, reported: ReportedCounts): RunHandle {
    const ac = new AbortController();
    const early = new Map((req.resumed?.started ?? []).map((id) => [id, [] as WorkerMessage[]]));
    const run: ActiveRun = { ac, pending: new Map(), detached: false, early, reported: structuredClone(reported) };
    this.runs.set(req.runId, run);
    let seq = afterSeq;
    const clock = this.opts.clock ?? Date.now;
    const emit = (body: RunEventBody) => {
      if (!this.closed && !run.detached) req.sink.emit({ ...body, runId: req.runId, seq: ++seq, ts: clock() });
    };
    const stream = this.keys.runStream(req.runId);
    // Create the stream with an expiry, so nothing a worker writes to it can outlive a day.
    void this.commands.multi().xadd(stream, "*", "open", "1").pexpire(stream, 24 * 3600 * 1000).exec().catch(() => {});
    this.reader.add(req.runId, stream, (m) => this.onMessage(run, m));

    const done = runPlan(
      req,
      { store: this.opts.store, emit, clock, dispatch: (node, task, hooks, signal) => this.dispatch(run, stream, node, task, hooks, signal) },
      ac.signal,
    ).finally(() => {
      this.reader.remove(req.runId);
      this.runs.delete(req.runId);
      if (this.closed || run.detached) return;
      // Late messages (a cancelled job's last words) may still arrive; let the stream expire rather than linger.
      void this.commands.pexpire(stream, 10 * 60 * 1000).catch(() => {});
      void this.release(req.runId);
    });
    return { runId: req.runId, done, cancel: () => this.cancel(req.runId) };
  }

  /** Live workers and the depth of each pool's queue, for the Workers page. */
  async overview(): Promise<{ workers: WorkerInfo[]; pools: PoolDepth[] }> {
    const [workers, pools] = await Promise.all([
      listWorkers(this.commands, this.prefix),
      Promise.all(POOLS.map(async (pool) => depthOf(pool, await this.queues[pool].getJobCounts(...DEPTH_STATES)))),
    ]);
    return { workers, pools };
  }

  /** The BullMQ queue of a pool (tests, dashboard). */
  queue(pool: Pool): Queue<NodeJobData, NodeTaskResult> {
    return this.queues[pool];
  }

  private dispatch(run: ActiveRun, stream: string, node: PlanNode, task: NodeTask, hooks: NodeTaskHooks, signal: AbortSignal): Promise<NodeTaskResult> {
    if (signal.aborted) return Promise.reject(abortError());
    const policy = policyFor(node, this.basePolicy, this.opts.policy);
    const r = node.def.resources;
    // Only a GPU node that may fall back to CPU needs to know whether GPU workers are alive.
    const pool = r?.pool === "gpu" && r.cpuFallback ? this.choosePool(node) : poolFor(node, true);
    return Promise.resolve(pool).then(
      (pool) =>
        new Promise<NodeTaskResult>((resolve, reject) => {
          // Settles once: the worker's result, its final error, the watchdog, or cancel (see cancel()).
          // Methods, not arrow properties: see the note in execute-node.ts (this object is made per node).
          const p: Pending = {
            node,
            jobId: jobId(task.runId, node.id),
            pool,
            data: { task, timeoutMs: policy.timeoutMs, stream },
            policy,
            hooks,
            since: Date.now(),
            nextCheck: Date.now() + (this.opts.watchdogMs ?? 2000),
            failedSeen: false,
            resolve(r) {
              if (run.pending.get(node.id) !== p) return;
              run.pending.delete(node.id);
              resolve(r);
            },
            reject(e) {
              if (run.pending.get(node.id) !== p) return;
              run.pending.delete(node.id);
              reject(e);
            },
          };
          if (signal.aborted) return reject(abortError());
          run.pending.set(node.id, p);
          // A resumed node: what its job reported while no process was listening, then its result if it has one.
          const held = run.early.get(node.id);
          run.early.delete(node.id);
          for (const m of held ?? []) this.onMessage(run, m);
          if (run.pending.get(node.id) === p) this.enqueue(p).catch((e: unknown) => p.reject(e));
        }),
    );
  }

  /**
   * Add the node's job. Jobs enqueued in the same turn of the event loop (a wide graph's ready nodes, many
   * runs at once) go to Redis together with one `addBulk` per pool: one round trip and one write instead of
   * one per job.
   */
  private enqueue(p: Pending): Promise<void> {
    return new Promise((resolve, reject) => {
      let batch = this.toAdd.get(p.pool);
      if (!batch) {
        this.toAdd.set(p.pool, (batch = []));
        setImmediate(() => this.flushAdds(p.pool));
      }
      batch.push({ p, resolve, reject });
    });
  }

  private flushAdds(pool: Pool) {
    const batch = this.toAdd.get(pool) ?? [];
    this.toAdd.delete(pool);
    const keep = this.opts.keepCompletedS ?? 3600;
    const jobs = batch.map(({ p }) => ({
      name: p.node.kind,
      data: p.data,
      opts: {
        jobId: p.jobId,
        attempts: p.policy.attempts,
        backoff: { type: "exponential", delay: p.policy.backoffMs },
        removeOnComplete: { age: keep, count: 100_000 },
        removeOnFail: { age: 7 * 24 * 3600 },
      },
    }));
    // addBulk is one MULTI: Redis runs it as a block, and workers wait meanwhile. Chunks keep the round trip
    // savings while letting workers start on the first jobs before the last ones are added.
    for (let i = 0; i < jobs.length; i += ADD_CHUNK) {
      const part = batch.slice(i, i + ADD_CHUNK);
      this.queues[pool].addBulk(jobs.slice(i, i + ADD_CHUNK)).then(
        () => part.forEach((b) => b.resolve()),
        (e: unknown) => part.forEach((b) => b.reject(e)),
      );
    }
  }

  private onMessage(run: ActiveRun, m: WorkerMessage) {
    const p = run.pending.get(m.nodeId);
    if (!p) {
      run.early.get(m.nodeId)?.push(m);
      return; // settled already (cancelled, or a duplicate result of a re-run attempt)
    }
    if (this.reportedBefore(run, m)) return;
    switch (m.t) {
      case "progress":
        return p.hooks.progress(m.fraction, m.message);
      case "log":
        return p.hooks.log(m.level, m.message);
      case "metric":
        return p.hooks.metric(m.name, m.value, m.step);
      case "started":
        if (m.attempt > 1) p.hooks.log("info", `Attempt ${m.attempt} started on worker ${m.worker}.`);
        return;
      case "done":
        return p.resolve(m.result);
      case "error":
        if (m.final) return p.reject(errorFromInfo(m.error));
        p.hooks.log("warn", `Attempt ${m.attempt} failed (${m.error.message}); retrying.`);
        return;
    }
  }

  /** Resumed runs: whether this replayed message's event was already stored before the restart. */
  private reportedBefore(run: ActiveRun, m: WorkerMessage): boolean {
    const counts = run.reported[m.nodeId];
    if (!counts) return false;
    if (m.t === "metric" && counts.metrics > 0) return counts.metrics-- > 0;
    const becomesLog = m.t === "log" || (m.t === "started" && m.attempt > 1) || (m.t === "error" && !m.final);
    if (becomesLog && counts.logs > 0) return counts.logs-- > 0;
    return false;
  }

  /** Stop driving a run here without cancelling it: its jobs stay with the workers, another process resumes it. */
  private detach(runId: string) {
    const run = this.runs.get(runId);
    if (!run) return;
    run.detached = true;
    const outstanding = [...run.pending.values()];
    run.ac.abort(abortError());
    for (const p of outstanding) p.reject(abortError());
  }

  private async renewLeases() {
    const ids = [...this.leases];
    if (!ids.length || this.closed) return;
    const pipe = this.commands.pipeline();
    for (const id of ids) pipe.eval(RENEW_LEASE, 1, this.keys.runLease(id), this.owner, String(this.leaseMs));
    const replies = await pipe.exec().catch(() => null);
    replies?.forEach(([err, held], i) => {
      const id = ids[i]!;
      if (err || held !== 0 || !this.leases.has(id)) return;
      // Another API process took the run over (this one was cut off from Redis for longer than the lease).
      this.leases.delete(id);
      console.warn(`[lattice] run ${id} is now driven by another API process; stopped scheduling it here.`);
      this.detach(id);
    });
  }

  private cancel(runId: string) {
    const run = this.runs.get(runId);
    if (!run || run.ac.signal.aborted) return;
    const outstanding = [...run.pending.values()];
    run.ac.abort(abortError());
    for (const p of outstanding) p.reject(abortError());
    // Running jobs: every worker hears this and aborts the run's jobs. Waiting jobs: removed outright.
    void this.commands.publish(this.keys.cancelChannel, runId).catch(() => {});
    for (const p of outstanding) void this.queues[p.pool].remove(p.jobId).catch(() => {});
  }

  private async choosePool(node: PlanNode): Promise<Pool> {
    if (Date.now() - this.gpuAlive.at > 5000) {
      const workers = await listWorkers(this.commands, this.prefix).catch(() => []);
      this.gpuAlive = { value: workers.some((w) => w.pools.includes("gpu")), at: Date.now() };
    }
    return poolFor(node, this.gpuAlive.value);
  }

  /** Compare nodes outstanding for a while with BullMQ's record of their jobs. */
  private async checkOutstanding(minIntervalMs: number) {
    if (this.checking) return; // a slow Redis must not pile up overlapping sweeps
    this.checking = true;
    try {
      for (const run of this.runs.values())
        for (const p of run.pending.values()) {
          const now = Date.now();
          if (now < p.nextCheck) continue;
          // Every tick at first, then less often for a node that has been queued or running for long.
          p.nextCheck = now + Math.max(minIntervalMs, Math.min(30_000, (now - p.since) / 4));
          try {
            await this.checkOne(p);
          } catch {
            // Redis unreachable: a later sweep tries again.
          }
        }
    } finally {
      this.checking = false;
    }
  }

  private async checkOne(p: Pending) {
    const q = this.queues[p.pool];
    const state = await q.getJobState(p.jobId);
    if (state === "completed") {
      const job = await q.getJob(p.jobId);
      if (job?.returnvalue) p.resolve(job.returnvalue);
    } else if (state === "failed") {
      // The worker's own final message normally arrives first; give it one more tick before using BullMQ's.
      if (!p.failedSeen) {
        p.failedSeen = true;
        p.nextCheck = Date.now() + (this.opts.watchdogMs ?? 2000);
        return;
      }
      const job = await q.getJob(p.jobId);
      p.reject(new Error(job?.failedReason || "The job failed on the queue without a reason."));
    } else if (state === "unknown") {
      // Gone from Redis (restarted without persistence, or removed by hand): enqueue it again.
      p.hooks.log("warn", "The queued job was lost (Redis restarted?); enqueued it again.");
      await this.enqueue(p);
    }
  }
}
