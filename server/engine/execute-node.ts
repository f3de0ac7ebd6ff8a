/**
 * Runs one node: load its input artifacts, call the definition's run() with a RunContext, store its outputs.
 * The same function runs inline, in a worker thread and (queued mode) in a BullMQ worker process.
 */
import type { NodeRuntime, RunContext } from "../../nodes/core/context";
import { portsOf } from "../../nodes/core/define-node";
import { NodeUserError } from "../../nodes/core/errors";
import type { NodeRegistry } from "../../nodes/core/registry";
import type { MetricsValue, PortValue } from "../../nodes/core/values";
import { loadValue, storeValue } from "./codecs";
import { resolveReadablePath } from "./runtime/file-roots";
import { createSubtasks, localHost, type SubtaskHost } from "./subtasks";
import type { ArtifactRef, ArtifactStore } from "./types";

/** Everything needed to run a node, serializable (crosses thread and process boundaries). */
export interface NodeTask {
  runId: string;
  nodeId: string;
  kind: string;
  version: number;
  params: Record<string, unknown>;
  inputs: Record<string, ArtifactRef>;
  baseDir?: string;
  /** Set for a child task (ctx.subtasks): its number among the children of node `nodeId`. */
  child?: { index: number };
}

export interface NodeTaskHooks {
  progress(fraction: number, message?: string): void;
  log(level: "info" | "warn" | "error", message: string): void;
  metric(name: string, value: number, step?: number): void;
}

export interface NodeTaskResult {
  outputs: Record<string, ArtifactRef>;
  /** Last value of every metric the node reported, plus the values of its metrics outputs. */
  metrics: Record<string, number>;
}

export interface ExecuteDeps {
  registry: NodeRegistry;
  store: ArtifactStore;
  runtime: NodeRuntime;
  signal: AbortSignal;
  hooks: NodeTaskHooks;
  /** Decoded values by artifact hash, shared within a process to skip re-reading fresh outputs. */
  memo?: Map<string, PortValue>;
  /** Where the node's child tasks run; default: inline in this process, one after another as they await. */
  subtasks?: SubtaskHost;
}

export async function executeNode(task: NodeTask, deps: ExecuteDeps): Promise<NodeTaskResult> {
  const def = deps.registry.get(task.kind);
  if (!def) throw new NodeUserError("unknown_kind", `Unknown node type "${task.kind}" on this worker. Is it running the same Lattice version?`);
  if (def.version !== task.version)
    throw new NodeUserError("version_mismatch", `This worker has ${task.kind} version ${def.version}, the run needs version ${task.version}. Run the same Lattice version everywhere.`);

  let params = task.params;
  if (task.child) {
    // A child's params come from its parent node, not from the compiler: check them here.
    const parsed = def.params.safeParse(params);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      throw new NodeUserError("invalid_child_params", `Child task ${task.kind} got a bad setting "${issue.path.join(".")}": ${issue.message}`, { field: String(issue.path[0] ?? "") });
    }
    params = parsed.data;
  }

  const inputs: Record<string, PortValue> = {};
  for (const [port, ref] of Object.entries(task.inputs)) {
    let v = deps.memo?.get(ref.hash);
    if (v === undefined) {
      v = await loadValue(deps.store, ref);
      deps.memo?.set(ref.hash, v);
    }
    inputs[port] = v;
  }

  const metrics: Record<string, number> = {};
  // Method shorthand rather than arrow properties throughout this per-node object: under tsx (esbuild
  // keepNames) every named arrow function is wrapped in a defineProperty call, ~0.4 µs each, per node run.
  let subtasks: RunContext["subtasks"] | undefined;
  const ctx: RunContext = {
    runId: task.runId,
    nodeId: task.nodeId,
    signal: deps.signal,
    progress(f, m) {
      deps.hooks.progress(Math.max(0, Math.min(1, f)), m);
    },
    log(message, level = "info") {
      deps.hooks.log(level, message);
    },
    metric(name, value, step) {
      if (Number.isFinite(value)) metrics[name] = value;
      deps.hooks.metric(name, value, step);
    },
    runtime: deps.runtime,
    artifacts: {
      resolvePath(p) {
        return resolveReadablePath(p, { baseDir: task.baseDir, alsoAllowed: [deps.store.root] });
      },
      put(b) {
        return deps.store.put(b);
      },
      get(h) {
        return deps.store.get(h);
      },
    },
    // Made on first use: most nodes never start child tasks.
    get subtasks() {
      return (subtasks ??= createSubtasks(task, deps.subtasks ?? inlineHost(deps), deps));
    },
  };

  deps.signal.throwIfAborted();
  const result = (await def.run({ inputs, params, ctx })) as Record<string, PortValue | undefined>;
  deps.signal.throwIfAborted();

  const outputs: Record<string, ArtifactRef> = {};
  // A code node's outputs are the ones its params declare (portsOf).
  for (const [port, spec] of Object.entries(portsOf(def, task.params).outputs)) {
    const value = result[port];
    if (value === undefined) {
      if (spec.optional) continue;
      throw new Error(`Node type ${task.kind} finished without producing its "${port}" output (a bug in the node).`);
    }
    const ref = await storeValue(deps.store, spec.type, value);
    deps.memo?.set(ref.hash, value);
    outputs[port] = ref;
    if (spec.type === "metrics") {
      for (const [k, v] of Object.entries((value as MetricsValue).values)) if (typeof v === "number" && Number.isFinite(v)) metrics[k] = v;
    }
  }
  return { outputs, metrics };
}

/** Children run in this process with the parent's runtime (tests, the CLI without threads, inline parents). */
function inlineHost(deps: ExecuteDeps): SubtaskHost {
  return localHost((task, hooks, signal) => executeNode(task, { ...deps, hooks, signal, subtasks: undefined }), deps.hooks);
}
