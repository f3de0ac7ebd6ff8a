/**
 * Child tasks (`ctx.subtasks`): the engine side. A node asks for batches of children; a {@link SubtaskHost}
 * decides where they run: on the worker-thread pool or inline (in process, {@link localHost}), through the
 * parent thread (thread-worker.ts), or as BullMQ jobs (server/queue/child-jobs.ts). Children are numbered per
 * node in the order asked for, which makes their ids (and queue job ids) stable across re-runs of the node.
 */
import type { SubtaskOutcome, Subtasks, TaskArtifact } from "../../nodes/core/context";
import { describeError, NodeUserError, type NodeErrorInfo } from "../../nodes/core/errors";
import type { NodeRegistry } from "../../nodes/core/registry";
import type { PortValue } from "../../nodes/core/values";
import { loadValue, storeValue } from "./codecs";
import type { NodeTask, NodeTaskHooks, NodeTaskResult } from "./execute-node";
import type { ArtifactStore } from "./types";

/** One child of a node: its number and the task that runs it. */
export interface ChildTask {
  index: number;
  task: NodeTask;
}

/** Where a node's children run. */
export interface SubtaskHost {
  /** When the node first started (epoch ms); a node resumed in queue mode keeps its first start. */
  readonly startedAt: number;
  /** Children an earlier execution of this node already started (queue mode); their batches always run. */
  readonly launched: ReadonlySet<number>;
  /** Runs the children and yields each outcome as it finishes; `signal` aborting cancels them. */
  runBatch(children: ChildTask[], signal: AbortSignal): AsyncIterable<SubtaskOutcome>;
}

export type ChildRunner = (task: NodeTask, hooks: NodeTaskHooks, signal: AbortSignal) => Promise<NodeTaskResult>;

const abortError = () => new DOMException("Cancelled", "AbortError");

/** The error a failed child becomes when a node rethrows it (user errors stay typed, cancel stays an abort). */
export function childError(info: NodeErrorInfo): Error {
  if (info.code === "cancelled") return abortError();
  if (info.user) return new NodeUserError(info.code, info.message, { field: info.field });
  return new Error(info.message);
}

/**
 * A child's events as the parent shows them: warnings and errors in the parent's log, prefixed with the child's
 * number; its progress and metrics stay private (the parent reports what the children mean, e.g. a leaderboard).
 */
export function childHooks(parent: Pick<NodeTaskHooks, "log">, index: number): NodeTaskHooks {
  return {
    progress: () => {},
    metric: () => {},
    log: (level, message) => {
      if (level !== "info") parent.log(level, `[child ${index + 1}] ${message}`);
    },
  };
}

/** Yields each promise's value in the order they settle. */
export async function* asCompleted<T>(promises: Array<Promise<T>>): AsyncIterable<T> {
  const pending = new Map(promises.map((p, i) => [i, p.then((v) => [i, v] as const)]));
  while (pending.size) {
    const [i, v] = await Promise.race(pending.values());
    pending.delete(i);
    yield v;
  }
}

/**
 * Runs every child of a batch at once with `runChild` (the pool queues what it cannot start yet). Each child
 * gets its own signal, aborted with the parent's, so listeners do not pile up on the parent's signal.
 */
export function localHost(runChild: ChildRunner, parentHooks: Pick<NodeTaskHooks, "log">, startedAt = Date.now()): SubtaskHost {
  return {
    startedAt,
    launched: new Set(),
    async *runBatch(children, signal) {
      const controllers = children.map(() => new AbortController());
      const onAbort = () => controllers.forEach((c) => c.abort(signal.reason));
      signal.addEventListener("abort", onAbort, { once: true });
      try {
        yield* asCompleted(
          children.map(({ index, task }, i) => {
            const childSignal = controllers[i]!.signal;
            return signal.aborted
              ? Promise.resolve<SubtaskOutcome>({ ok: false, index, error: describeError(abortError()) })
              : runChild(task, childHooks(parentHooks, index), childSignal).then(
                  (r): SubtaskOutcome => ({ ok: true, index, outputs: r.outputs, metrics: r.metrics }),
                  (e: unknown): SubtaskOutcome => ({ ok: false, index, error: describeError(signal.aborted ? abortError() : e) }),
                );
          }),
        );
      } finally {
        signal.removeEventListener("abort", onAbort);
        // A node that stops reading a batch early (it failed) leaves no child running.
        controllers.forEach((c) => c.abort(abortError()));
      }
    },
  };
}

export interface SubtasksDeps {
  registry: NodeRegistry;
  store: ArtifactStore;
  signal: AbortSignal;
  memo?: Map<string, PortValue>;
}

/** The `ctx.subtasks` of one execution of `parent`. */
export function createSubtasks(parent: NodeTask, host: SubtaskHost, deps: SubtasksDeps): Subtasks {
  let next = 0;
  const subtasks: Subtasks = {
    async put(type, value) {
      const ref = await storeValue(deps.store, type, value as PortValue);
      deps.memo?.set(ref.hash, value as PortValue);
      return ref;
    },
    async load(ref: TaskArtifact) {
      const hit = deps.memo?.get(ref.hash);
      if (hit !== undefined) return hit;
      const v = await loadValue(deps.store, ref);
      deps.memo?.set(ref.hash, v);
      return v;
    },
    runBatch(specs) {
      deps.signal.throwIfAborted();
      const children = specs.map((spec): ChildTask => {
        const def = deps.registry.get(spec.kind);
        if (!def) throw new Error(`Node type ${parent.kind} asked for a child task of unknown type "${spec.kind}" (a bug in the node).`);
        const index = next++;
        return {
          index,
          task: { runId: parent.runId, nodeId: parent.nodeId, kind: spec.kind, version: def.version, params: spec.params, inputs: spec.inputs, baseDir: parent.baseDir, child: { index } },
        };
      });
      return host.runBatch(children, deps.signal);
    },
    async run(spec) {
      for await (const o of subtasks.runBatch([spec])) {
        if (o.ok) return o;
        throw childError(o.error);
      }
      throw new Error(`Child task ${spec.kind} ended without an outcome.`);
    },
    withinTime(limitMs) {
      return host.launched.has(next) || Date.now() - host.startedAt < limitMs;
    },
  };
  return subtasks;
}
