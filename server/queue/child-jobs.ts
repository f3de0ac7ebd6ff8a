/**
 * Child tasks in queue mode: each child of a node is its own BullMQ job on its kind's pool queue, linked to the
 * node's job with BullMQ's parent/child mechanism. A node that waits for a batch does not hold a worker slot
 * while it waits: the batch's jobs are added with `parent` = the node's job, the node's job moves to
 * waiting-children (`job.moveToWaitingChildren` + `WaitingChildrenError`) and its execution is abandoned.
 * When the last child finishes BullMQ moves the node's job back to the queue; a worker runs the node again
 * from the start, and every batch whose children are done returns their stored results at once
 * (`job.getDependencies()`), so the node continues where it stopped. Nodes ask for children
 * deterministically (ctx.subtasks), hence the re-run asks for the same children with the same job ids.
 * See docs/architecture.md, "Child tasks".
 */
import { Job, type Queue } from "bullmq";
import type { SubtaskOutcome } from "../../nodes/core/context";
import type { NodeErrorInfo } from "../../nodes/core/errors";
import type { NodeRegistry } from "../../nodes/core/registry";
import type { NodeTaskResult } from "../engine/execute-node";
import type { ChildTask, SubtaskHost } from "../engine/subtasks";
import { childJobId, type Pool } from "./keys";
import { defaultPolicy } from "./policy";
import type { NodeJobData } from "./queue-executor";

/** A node job's data; children carry the error they failed with, parents what their earlier executions did. */
export interface JobData extends NodeJobData {
  /** Child jobs: the structured error of their final failure (BullMQ keeps only a message). */
  error?: NodeErrorInfo;
  /** Parent jobs: state kept while waiting for children (see {@link ParentState}). */
  parent?: ParentState;
}

/** What a node that gave its slot back to wait for children remembers when it is run again. */
export interface ParentState {
  /** When the node first started (its time budget counts from here). */
  startedAt: number;
  /** Children with a lower index have been started. */
  launched: number;
  /** Logs and metrics the node had reported: the re-run reports them again, and those repeats are dropped. */
  sent: { log: number; metric: number };
  /** Highest progress reported, so the bar does not jump back while the re-run catches up. */
  progress: number;
}

export interface ChildHostOptions {
  job: Job<JobData, NodeTaskResult>;
  token: string | undefined;
  prefix: string;
  registry: NodeRegistry;
  queue(pool: Pool): Queue<JobData, NodeTaskResult>;
  /** Writes the parent's state into its job data before it waits (given: children started so far). */
  saveState(launched: number): Promise<void>;
  keepCompletedS?: number;
}

const abortError = () => new DOMException("Cancelled", "AbortError");

/** The pool a child kind runs on: gpu only for kinds that need one (a gpu kind that may fall back runs on cpu). */
export function childPool(registry: NodeRegistry, kind: string): Pool {
  const r = registry.get(kind)?.resources;
  return r?.pool === "gpu" && !r.cpuFallback ? "gpu" : "cpu";
}

export class QueueChildHost implements SubtaskHost {
  readonly startedAt: number;
  readonly launched: ReadonlySet<number>;
  /** Resolves when the node's job has moved to waiting-children: the processor then ends this execution. */
  readonly suspended: Promise<void>;
  private markSuspended!: () => void;
  private maxIndex: number;

  constructor(private readonly o: ChildHostOptions) {
    const state = o.job.data.parent;
    this.startedAt = state?.startedAt ?? Date.now();
    this.maxIndex = state?.launched ?? 0;
    this.launched = new Set(Array.from({ length: this.maxIndex }, (_, i) => i));
    this.suspended = new Promise((r) => (this.markSuspended = r));
  }

  async *runBatch(children: ChildTask[], signal: AbortSignal): AsyncIterable<SubtaskOutcome> {
    signal.throwIfAborted();
    let known = await this.outcomes();
    if (children.some((c) => !known.has(c.index))) {
      await this.add(children.filter((c) => !known.has(c.index)));
      this.maxIndex = Math.max(this.maxIndex, ...children.map((c) => c.index + 1));
      await this.o.saveState(this.maxIndex);
      signal.throwIfAborted();
      if (await this.o.job.moveToWaitingChildren(this.o.token ?? "")) {
        this.markSuspended();
        // This execution is over; the processor aborts `signal` right away.
        await new Promise<void>((_, reject) => (signal.aborted ? reject(abortError()) : signal.addEventListener("abort", () => reject(abortError()), { once: true })));
      }
      // Every child finished before the node could wait: go on in this execution.
      known = await this.outcomes();
    }
    for (const c of children) {
      const o = known.get(c.index);
      if (!o) throw new Error(`Child task ${c.index + 1} of node ${c.task.nodeId} has no result although its batch finished.`);
      yield o;
    }
  }

  /** Outcomes of this node's finished children, by index. */
  private async outcomes(): Promise<Map<number, SubtaskOutcome>> {
    const deps = await this.o.job.getDependencies();
    const out = new Map<number, SubtaskOutcome>();
    for (const [key, value] of Object.entries(deps.processed ?? {})) {
      const r = (typeof value === "string" ? JSON.parse(value) : value) as NodeTaskResult;
      const index = indexOf(key);
      out.set(index, { ok: true, index, outputs: r.outputs, metrics: r.metrics });
    }
    for (const [key, reason] of Object.entries((deps.ignored ?? {}) as Record<string, string>)) {
      const index = indexOf(key);
      out.set(index, { ok: false, index, error: (await this.errorOf(key)) ?? { code: "child_failed", message: String(reason), user: false } });
    }
    return out;
  }

  private async errorOf(key: string): Promise<NodeErrorInfo | undefined> {
    const rest = key.slice(this.o.prefix.length + 1);
    const queueName = rest.slice(0, rest.indexOf(":"));
    if (queueName !== "cpu" && queueName !== "gpu") return undefined;
    const job = await Job.fromId<JobData, NodeTaskResult>(this.o.queue(queueName), rest.slice(queueName.length + 1)).catch(() => undefined);
    return job?.data.error;
  }

  private async add(children: ChildTask[]) {
    const { job } = this.o;
    const policy = defaultPolicy();
    const keep = this.o.keepCompletedS ?? 3600;
    const byPool = new Map<Pool, ChildTask[]>();
    for (const c of children) {
      const pool = childPool(this.o.registry, c.task.kind);
      byPool.set(pool, [...(byPool.get(pool) ?? []), c]);
    }
    for (const [pool, list] of byPool)
      await this.o.queue(pool).addBulk(
        list.map((c) => {
          const hints = this.o.registry.get(c.task.kind)?.resources ?? {};
          return {
            name: c.task.kind,
            data: { task: c.task, timeoutMs: hints.timeoutMs ?? policy.timeoutMs, stream: job.data.stream },
            opts: {
              jobId: childJobId(c.task.runId, c.task.nodeId, c.index),
              parent: { id: job.id!, queue: job.queueQualifiedName },
              // A failed child is an outcome the node handles, not a reason to leave it waiting forever.
              ignoreDependencyOnFailure: true,
              attempts: Math.max(1, hints.attempts ?? policy.attempts),
              backoff: { type: "exponential", delay: hints.backoffMs ?? policy.backoffMs },
              removeOnComplete: { age: keep, count: 100_000 },
              removeOnFail: { age: 7 * 24 * 3600 },
            },
          };
        }),
      );
  }
}

function indexOf(key: string): number {
  return Number(key.slice(key.lastIndexOf("/") + 1));
}
