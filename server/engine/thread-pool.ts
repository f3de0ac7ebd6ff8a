/**
 * A small pool of worker threads for CPU-heavy nodes, so training or a large DuckDB query never blocks the
 * API server's event loop. Cancel first asks the node to stop (AbortSignal); a node that has not stopped
 * after `killAfterMs` has its thread terminated, so Cancel always takes effect within a second.
 *
 * Child tasks: a node in a thread asks for a batch of children; they run here (or wherever the job's
 * SubtaskHost sends them). While a node waits on its children it does not count against `size`, so its
 * children get threads even when every thread holds such a parent: the pool grows by one thread per waiting
 * parent and shrinks back once they are done.
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { describeError, NodeUserError } from "../../nodes/core/errors";
import type { NodeTask, NodeTaskHooks, NodeTaskResult } from "./execute-node";
import { localHost, type ChildTask, type SubtaskHost } from "./subtasks";
import type { FromWorker, ToWorker } from "./thread-protocol";

/** Threads for heavy nodes by default: one core stays free for the event loop (API, scheduling). */
export function defaultThreadCount(): number {
  return Math.max(1, availableParallelism() - 1);
}

export interface ThreadPoolOptions {
  size: number;
  storeRoot: string;
  /** Module (file URL) exporting `registry`; the node catalogue by default, stub nodes in tests. */
  registryModule?: string;
  killAfterMs?: number;
}

interface Job {
  id: number;
  task: NodeTask;
  hooks: NodeTaskHooks;
  signal: AbortSignal;
  host: SubtaskHost;
  /** Batches of children in progress: while above 0 the job waits and does not count against `size`. */
  parked: number;
  resolve: (r: NodeTaskResult) => void;
  reject: (e: unknown) => void;
}

interface Slot {
  worker: Worker;
  job?: Job;
  killTimer?: NodeJS.Timeout;
}

const abortError = () => new DOMException("Cancelled", "AbortError");

export class ThreadPool {
  private readonly slots: Slot[] = [];
  private readonly waiting: Job[] = [];
  private nextId = 1;
  private closed = false;
  /** TensorFlow.js backend reported by the threads (they choose it when they first load tfjs). */
  tfBackend: string | undefined;

  constructor(private readonly opts: ThreadPoolOptions) {}

  /**
   * Run `task` on a thread. Its child tasks go to `host`; by default they run on this pool too (each child of a
   * batch as its own job, in parallel up to the pool's size).
   */
  run(task: NodeTask, hooks: NodeTaskHooks, signal: AbortSignal, host?: SubtaskHost): Promise<NodeTaskResult> {
    if (this.closed) return Promise.reject(new Error("Thread pool is closed"));
    if (signal.aborted) return Promise.reject(abortError());
    return new Promise((resolve, reject) => {
      const job: Job = {
        id: this.nextId++,
        task,
        hooks,
        signal,
        host: host ?? localHost((t, h, s) => this.run(t, h, s), hooks),
        parked: 0,
        resolve,
        reject,
      };
      signal.addEventListener("abort", () => this.abort(job), { once: true });
      this.waiting.push(job);
      this.pump();
    });
  }

  /**
   * Start the first thread now rather than on the first heavy node, so that loading its modules (the node
   * catalogue, Arrow, DuckDB: about a second on a small machine) overlaps whatever happens before that node
   * runs (analysis, reading the sources, light nodes). For processes about to run workflows (CLI, app server).
   */
  prewarm() {
    if (!this.closed && this.slots.length === 0) this.spawn();
  }

  async close() {
    this.closed = true;
    for (const j of this.waiting.splice(0)) j.reject(new Error("Thread pool closed"));
    await Promise.all(this.slots.splice(0).map((s) => s.worker.terminate()));
  }

  private pump() {
    while (this.waiting.length) {
      // Threads whose node waits on its children are not busy: their children must get a thread.
      const busy = this.slots.filter((s) => s.job && !s.job.parked).length;
      if (busy >= this.opts.size) break;
      const slot = this.slots.find((s) => !s.job) ?? this.spawn();
      const job = this.waiting.shift()!;
      slot.job = job;
      const subtasks = { startedAt: job.host.startedAt, launched: [...job.host.launched] };
      slot.worker.postMessage({ t: "run", id: job.id, task: job.task, subtasks } satisfies ToWorker);
    }
    this.trim();
  }

  /** Stop idle threads beyond `size` plus the threads lent to waiting parents. */
  private trim() {
    const parked = this.slots.filter((s) => s.job?.parked).length;
    for (const slot of this.slots.filter((s) => !s.job)) {
      if (this.slots.length <= this.opts.size + parked) return;
      this.remove(slot);
      void slot.worker.terminate();
    }
  }

  /** Runs a batch of children for `job` and relays their outcomes to its thread. */
  private async runBatch(slot: Slot, job: Job, batch: number, children: ChildTask[]) {
    job.parked++;
    this.pump();
    const post = (m: ToWorker) => {
      if (slot.job === job) slot.worker.postMessage(m);
    };
    try {
      for await (const outcome of job.host.runBatch(children, job.signal)) post({ t: "child", id: job.id, batch, outcome });
      post({ t: "batch-end", id: job.id, batch });
    } catch (e) {
      post({ t: "batch-end", id: job.id, batch, error: describeError(e) });
    } finally {
      job.parked--;
    }
  }

  private spawn(): Slot {
    const worker = new Worker(new URL("./thread-boot.mjs", import.meta.url), {
      workerData: {
        entry: new URL("./thread-worker.ts", import.meta.url).href,
        storeRoot: this.opts.storeRoot,
        registryModule: this.opts.registryModule ?? new URL("../../nodes/catalog.ts", import.meta.url).href,
      },
    });
    const slot: Slot = { worker };
    worker.on("message", (m: FromWorker) => this.onMessage(slot, m));
    worker.on("error", (e) => this.retire(slot, e));
    worker.on("exit", (code) => this.retire(slot, new Error(`Worker thread exited (code ${code})`)));
    this.slots.push(slot);
    return slot;
  }

  private onMessage(slot: Slot, m: FromWorker) {
    const job = slot.job;
    if (m.t === "ready" || !job || m.id !== job.id) return;
    switch (m.t) {
      case "progress":
        return job.hooks.progress(m.fraction, m.message);
      case "log":
        return job.hooks.log(m.level, m.message);
      case "metric":
        return job.hooks.metric(m.name, m.value, m.step);
      case "batch":
        return void this.runBatch(slot, job, m.batch, m.children);
      case "done":
        if (m.tfBackend) this.tfBackend = m.tfBackend;
        this.finish(slot);
        return job.resolve(m.result);
      case "error": {
        this.finish(slot);
        if (m.aborted || m.error.code === "cancelled") return job.reject(abortError());
        if (m.error.user) return job.reject(new NodeUserError(m.error.code, m.error.message, { field: m.error.field }));
        return job.reject(new Error(m.error.message));
      }
    }
  }

  private finish(slot: Slot) {
    clearTimeout(slot.killTimer);
    slot.job = undefined;
    queueMicrotask(() => this.pump());
  }

  private abort(job: Job) {
    const qi = this.waiting.indexOf(job);
    if (qi >= 0) {
      this.waiting.splice(qi, 1);
      return job.reject(abortError());
    }
    const slot = this.slots.find((s) => s.job === job);
    if (!slot) return;
    slot.worker.postMessage({ t: "abort", id: job.id } satisfies ToWorker);
    slot.killTimer = setTimeout(() => {
      if (slot.job !== job) return;
      // The node ignored its AbortSignal (e.g. a long synchronous loop): stop the thread itself.
      slot.job = undefined;
      this.remove(slot);
      void slot.worker.terminate();
      job.reject(abortError());
      this.pump();
    }, this.opts.killAfterMs ?? 700);
  }

  private retire(slot: Slot, err: Error) {
    if (!this.slots.includes(slot)) return;
    this.remove(slot);
    const job = slot.job;
    slot.job = undefined;
    clearTimeout(slot.killTimer);
    if (job) job.reject(job.signal.aborted ? abortError() : err);
    if (!this.closed) this.pump();
  }

  private remove(slot: Slot) {
    const i = this.slots.indexOf(slot);
    if (i >= 0) this.slots.splice(i, 1);
  }
}
