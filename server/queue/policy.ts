/**
 * Per-node retry and timeout policy for queued runs. Defaults come from the environment; a node kind can
 * override them through its resource hints (`attempts`, `backoffMs`, `timeoutMs`), and the executor's
 * caller through `QueueExecutorOptions.policy`.
 */
import type { PlanNode } from "../graph/compile-graph";
import type { Pool } from "./keys";

export interface NodePolicy {
  /** Tries in all, first one included; user errors, cancel and timeouts are never retried. */
  attempts: number;
  /** First retry delay; doubles on each further retry (BullMQ exponential backoff). */
  backoffMs: number;
  /** Per attempt; 0 = no limit. */
  timeoutMs: number;
}

const envInt = (name: string, fallback: number) => {
  const v = Number(process.env[name]);
  return Number.isFinite(v) && v >= 0 ? Math.floor(v) : fallback;
};

export function defaultPolicy(): NodePolicy {
  return {
    attempts: Math.max(1, envInt("LATTICE_NODE_ATTEMPTS", 3)),
    backoffMs: envInt("LATTICE_NODE_BACKOFF_MS", 1000),
    timeoutMs: envInt("LATTICE_NODE_TIMEOUT_MS", 6 * 60 * 60 * 1000),
  };
}

/** Hints a node definition may carry beyond the scheduler's `pool`/`heavy`. */
interface PolicyHints {
  attempts?: number;
  backoffMs?: number;
  timeoutMs?: number;
}

export function policyFor(node: PlanNode, base: NodePolicy, override?: (node: PlanNode) => Partial<NodePolicy> | undefined): NodePolicy {
  const hints = (node.def.resources ?? {}) as PolicyHints;
  const pick = (k: keyof NodePolicy) => override?.(node)?.[k] ?? hints[k] ?? base[k];
  return { attempts: Math.max(1, pick("attempts")), backoffMs: pick("backoffMs"), timeoutMs: pick("timeoutMs") };
}

/**
 * The queue a node goes to: `gpu` when its definition asks for a GPU, except that a node allowed to fall
 * back (`cpuFallback`) goes to `cpu` while no live worker serves the gpu pool.
 */
export function poolFor(node: PlanNode, gpuWorkersAlive: boolean): Pool {
  const r = node.def.resources;
  if (r?.pool !== "gpu") return "cpu";
  return !gpuWorkersAlive && r.cpuFallback ? "cpu" : "gpu";
}
