/**
 * The embedded default executor: runs a plan in this process. Light nodes run inline on the event loop
 * (no thread hop for a column selection); nodes marked `resources.heavy` run in the worker-thread pool.
 */
import type { NodeRegistry } from "../../nodes/core/registry";
import type { PortValue } from "../../nodes/core/values";
import { executeNode } from "./execute-node";
import type { ManagedRuntime } from "./runtime/node-runtime";
import { runPlan } from "./scheduler";
import { localHost } from "./subtasks";
import type { ThreadPool } from "./thread-pool";
import type { ArtifactStore, Executor, RunEventBody, RunHandle, RunRequest } from "./types";

export interface InProcessExecutorDeps {
  registry: NodeRegistry;
  store: ArtifactStore;
  /** Runtime for inline nodes (DuckDB, tfjs on the main thread). */
  runtime: ManagedRuntime;
  /** Worker threads for heavy nodes; without one, heavy nodes run inline too (tests, tiny tools). */
  pool?: ThreadPool;
  clock?: () => number;
}

export class InProcessExecutor implements Executor {
  private readonly active = new Map<string, AbortController>();

  constructor(private readonly deps: InProcessExecutorDeps) {}

  start(req: RunRequest): RunHandle {
    const ac = new AbortController();
    this.active.set(req.runId, ac);
    let seq = 0;
    const clock = this.deps.clock ?? Date.now;
    const emit = (body: RunEventBody) => req.sink.emit({ ...body, runId: req.runId, seq: ++seq, ts: clock() });
    // Values decoded or produced during this run, so inline consumers skip re-reading them from disk.
    const memo = new Map<string, PortValue>();
    const { registry, store, runtime, pool } = this.deps;
    const done = runPlan(
      req,
      {
        store,
        emit,
        clock,
        dispatch: (node, task, hooks, signal) =>
          pool && node.def.resources?.heavy
            ? pool.run(task, hooks, signal)
            : // An inline node's child tasks still go to the threads when there are threads.
              executeNode(task, { registry, store, runtime, signal, hooks, memo, subtasks: pool ? localHost((t, h, s) => pool.run(t, h, s), hooks) : undefined }),
      },
      ac.signal,
    ).finally(() => {
      this.active.delete(req.runId);
      memo.clear();
    });
    return { runId: req.runId, done, cancel: () => ac.abort(new DOMException("Cancelled", "AbortError")) };
  }

  /** TensorFlow.js backend in use (threads first, since training runs there). */
  tfBackend(): string | undefined {
    return this.deps.pool?.tfBackend ?? this.deps.runtime.tfBackend();
  }

  async close() {
    for (const ac of this.active.values()) ac.abort(new DOMException("Cancelled", "AbortError"));
    await this.deps.pool?.close();
  }
}
