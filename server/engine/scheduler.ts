/**
 * The run scheduler shared by every executor: walks the plan in dependency order, starts a node as soon as
 * all its inputs are done (so independent branches run concurrently), serves nodes from the persistent
 * cache, skips the descendants of a failed node and turns Cancel into an aborted signal everywhere.
 * How a node is actually executed (inline, worker thread, BullMQ job) is the `dispatch` collaborator.
 */
import { describeError, type NodeErrorInfo } from "../../nodes/core/errors";
import type { PlanNode } from "../graph/compile-graph";
import { cacheKey } from "../graph/cache-key";
import type { NodeTask, NodeTaskHooks, NodeTaskResult } from "./execute-node";
import { resolveReadablePath } from "./runtime/file-roots";
import type { ArtifactRef, ArtifactStore, NodeOutcome, RunEventBody, RunRequest, RunResult, RunStatus } from "./types";

export type Dispatch = (node: PlanNode, task: NodeTask, hooks: NodeTaskHooks, signal: AbortSignal) => Promise<NodeTaskResult>;

export interface SchedulerDeps {
  store: ArtifactStore;
  dispatch: Dispatch;
  emit: (body: RunEventBody) => void;
  clock?: () => number;
  /** Minimum milliseconds between two progress events of one node (first and last always go out). */
  progressIntervalMs?: number;
}

const isAbort = (e: unknown) => e instanceof Error && e.name === "AbortError";

/** kind@version + params + input hashes, plus the node's fingerprint of outside data when it has one. */
async function nodeCacheKey(node: PlanNode, inputs: Record<string, ArtifactRef>, store: ArtifactStore, baseDir?: string): Promise<string> {
  const hashes: Record<string, string> = Object.fromEntries(Object.entries(inputs).map(([p, r]) => [p, r.hash]));
  if (node.def.fingerprint) {
    const resolvePath = (p: string) => resolveReadablePath(p, { baseDir, alsoAllowed: [store.root] });
    hashes["@fingerprint"] = await node.def.fingerprint({ params: node.params, resolvePath });
  }
  return cacheKey(node.kind, node.version, node.params, hashes);
}

export async function runPlan(req: RunRequest, deps: SchedulerDeps, signal: AbortSignal): Promise<RunResult> {
  const now = deps.clock ?? Date.now;
  // A resumed run's durations count from its first start, not from the restart.
  const t0 = req.resumed?.runStartedAt ?? now();
  const nodes = new Map(req.plan.nodes.map((n) => [n.id, n]));
  const waitingOn = new Map(req.plan.nodes.map((n) => [n.id, new Set(Object.values(n.inputs).map((s) => s.node))]));
  const outcomes: Record<string, NodeOutcome> = {};
  // Nodes in flight, and a wake-up for the wait below when the last one ends (a counter rather than
  // Promise.race over the set: racing N promises on every completion is O(N²) on a wide graph).
  let inFlight = 0;
  let idle: () => void = () => {};
  // A node's handling throwing past its own try/catch is a scheduler bug: the run rejects with it once idle.
  let broken: { error: unknown } | undefined;
  // Cache entries are written behind the run's critical path; the run finishes only after they are stored.
  const cacheWrites: Array<Promise<void>> = [];

  const resumed = req.resumed;
  if (!resumed) deps.emit({ type: "run-started", nodeIds: req.plan.nodes.map((n) => n.id) });

  const settle = (id: string, o: NodeOutcome) => {
    outcomes[id] = o;
  };

  const skipDescendants = (id: string, reason: string) => {
    for (const d of nodes.get(id)!.dependents) {
      if (outcomes[d]) continue;
      settle(d, { status: "skipped", cached: false, durationMs: 0, outputs: {}, metrics: {} });
      deps.emit({ type: "skipped", nodeId: d, reason });
      skipDescendants(d, reason);
    }
  };

  const release = (id: string) => {
    for (const d of nodes.get(id)!.dependents) {
      const w = waitingOn.get(d)!;
      w.delete(id);
      if (w.size === 0 && !outcomes[d]) start(d);
    }
  };

  const start = (id: string) => {
    inFlight++;
    runNode(nodes.get(id)!)
      .catch((error: unknown) => void (broken ??= { error }))
      .finally(() => {
        if (--inFlight === 0) idle();
      });
  };

  const runNode = async (node: PlanNode): Promise<void> => {
    const inputs: Record<string, ArtifactRef> = {};
    for (const [port, src] of Object.entries(node.inputs)) inputs[port] = outcomes[src.node]!.outputs[src.port]!;
    const started = req.resumed?.nodeStartedAt?.[node.id] ?? now();
    const cacheable = typeof node.def.cacheable === "function" ? node.def.cacheable(node.params) : node.def.cacheable !== false;
    let key: string;
    try {
      key = await nodeCacheKey(node, inputs, deps.store, req.baseDir);
    } catch (e) {
      const error = describeError(e);
      settle(node.id, { status: "failed", cached: false, durationMs: now() - started, outputs: {}, metrics: {}, error });
      deps.emit({ type: "failed", nodeId: node.id, error, durationMs: now() - started });
      skipDescendants(node.id, `An upstream node ("${node.label}") failed.`);
      return;
    }

    if (!req.noCache && cacheable) {
      const hit = await deps.store.getCache(key);
      if (hit && !signal.aborted) {
        settle(node.id, { status: "cached", cached: true, durationMs: hit.durationMs, outputs: hit.outputs, metrics: hit.metrics });
        deps.emit({ type: "cached", nodeId: node.id, outputs: hit.outputs, metrics: hit.metrics, cacheKey: key, durationMs: hit.durationMs });
        release(node.id);
        return;
      }
    }
    if (signal.aborted) return;

    if (!resumed?.started.includes(node.id)) {
      deps.emit({ type: "queued", nodeId: node.id });
      deps.emit({ type: "running", nodeId: node.id });
    }
    let lastProgress = 0;
    const interval = deps.progressIntervalMs ?? 100;
    // Methods, not arrow properties: see the note in execute-node.ts (this object is made per node run).
    const hooks: NodeTaskHooks = {
      progress(fraction, message) {
        const t = now();
        if (fraction < 1 && fraction > 0 && t - lastProgress < interval) return;
        lastProgress = t;
        deps.emit({ type: "progress", nodeId: node.id, fraction, message });
      },
      log(level, message) {
        deps.emit({ type: "log", nodeId: node.id, level, message });
      },
      metric(name, value, step) {
        deps.emit({ type: "metric", nodeId: node.id, name, value, step });
      },
    };
    const task: NodeTask = { runId: req.runId, nodeId: node.id, kind: node.kind, version: node.version, params: node.params, inputs, baseDir: req.baseDir };
    try {
      const r = await deps.dispatch(node, task, hooks, signal);
      const durationMs = now() - started;
      if (cacheable)
        cacheWrites.push(
          deps.store.putCache(key, { outputs: r.outputs, metrics: r.metrics, durationMs, createdAt: new Date().toISOString() }).catch((e) => {
            deps.emit({ type: "log", nodeId: node.id, level: "warn", message: `Result not cached: ${e instanceof Error ? e.message : e}` });
          }),
        );
      settle(node.id, { status: "succeeded", cached: false, durationMs, outputs: r.outputs, metrics: r.metrics });
      deps.emit({ type: "succeeded", nodeId: node.id, durationMs, outputs: r.outputs, metrics: r.metrics, cacheKey: key });
      release(node.id);
    } catch (e) {
      const durationMs = now() - started;
      if (isAbort(e) || signal.aborted) {
        settle(node.id, { status: "cancelled", cached: false, durationMs, outputs: {}, metrics: {} });
        deps.emit({ type: "cancelled", nodeId: node.id });
        return;
      }
      const error: NodeErrorInfo = describeError(e);
      settle(node.id, { status: "failed", cached: false, durationMs, outputs: {}, metrics: {}, error });
      deps.emit({ type: "failed", nodeId: node.id, error, durationMs });
      skipDescendants(node.id, `An upstream node ("${node.label}") failed.`);
    }
  };

  if (resumed) {
    // Seed what finished before the restart; nodes waiting only on finished ones start below.
    for (const [id, o] of Object.entries(resumed.outcomes)) if (nodes.has(id)) settle(id, o);
    const done = (id: string) => outcomes[id]?.status === "succeeded" || outcomes[id]?.status === "cached";
    for (const w of waitingOn.values()) for (const d of [...w]) if (done(d)) w.delete(d);
    for (const [id, o] of Object.entries(outcomes)) if (o.status === "failed") skipDescendants(id, `An upstream node ("${nodes.get(id)!.label}") failed.`);
  }
  for (const n of req.plan.nodes) if (waitingOn.get(n.id)!.size === 0 && !outcomes[n.id]) start(n.id);
  if (inFlight > 0) await new Promise<void>((r) => (idle = r));
  if (broken) throw broken.error;
  await Promise.all(cacheWrites);

  // Anything never started (cancel arrived first) is reported as cancelled.
  if (signal.aborted)
    for (const n of req.plan.nodes)
      if (!outcomes[n.id]) {
        settle(n.id, { status: "cancelled", cached: false, durationMs: 0, outputs: {}, metrics: {} });
        deps.emit({ type: "cancelled", nodeId: n.id });
      }

  const list = Object.values(outcomes);
  const status: RunStatus = signal.aborted ? "cancelled" : list.some((o) => o.status === "failed") ? "failed" : "succeeded";
  const durationMs = now() - t0;
  const failed = req.plan.nodes.find((n) => outcomes[n.id]?.status === "failed");
  deps.emit({
    type: "run-finished",
    status,
    durationMs,
    ...(failed ? { error: `${failed.label} (${failed.id}): ${outcomes[failed.id]!.error!.message}` } : {}),
  });
  return { runId: req.runId, status, durationMs, nodes: outcomes };
}
