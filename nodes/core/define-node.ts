/**
 * The node contract. One node kind, one definition: it declares what it is (kind, version, ports, params),
 * how its output schemas follow from its inputs (`infer`, design time, pure) and does one thing (`run`).
 */
import type { z } from "zod";
import type { PortSpec } from "./ports";
import type { PortInfo } from "./schema";
import type { PortValueMap } from "./values";
import type { ProbeContext, RunContext } from "./context";

export const CATEGORIES = [
  "Sources",
  "Validation",
  "Features",
  "Training",
  "Tuning",
  "Evaluation",
  "Fairness",
  "Explain",
  "Deployment",
  "Code",
] as const;
export type Category = (typeof CATEGORIES)[number];

export type PortMap = Record<string, PortSpec>;

/** Resource hints for the scheduler. `heavy` work runs off the event loop (worker thread or queued worker). */
export interface ResourceHints {
  pool?: "cpu" | "gpu";
  /** CPU-bound for more than a few milliseconds: run in a worker thread, never on the API's event loop. */
  heavy?: boolean;
  memoryMB?: number;
  /** For pool gpu: may the node fall back to a CPU worker (e.g. a param allows it)? */
  cpuFallback?: boolean;
  /** Queue mode: tries in all for infrastructure errors (user errors are never retried). */
  attempts?: number;
  /** Queue mode: first retry delay, doubled on each further retry. */
  backoffMs?: number;
  /** Per attempt; the worker aborts the node's signal and reports a `timeout` error. */
  timeoutMs?: number;
}

type InputValues<I extends PortMap> = {
  [K in keyof I]: I[K]["optional"] extends true ? PortValueMap[I[K]["type"]] | undefined : PortValueMap[I[K]["type"]];
};
type OutputValues<O extends PortMap> = {
  [K in keyof O as O[K]["optional"] extends true ? never : K]: PortValueMap[O[K]["type"]];
} & {
  [K in keyof O as O[K]["optional"] extends true ? K : never]?: PortValueMap[O[K]["type"]];
};
type InputInfos<I extends PortMap> = { [K in keyof I]: PortInfo | undefined };
type OutputInfos<O extends PortMap> = { [K in keyof O]?: PortInfo | undefined };

export interface NodeDefinition<
  I extends PortMap = PortMap,
  O extends PortMap = PortMap,
  P extends z.ZodType<Record<string, unknown>> = z.ZodType<Record<string, unknown>>,
> {
  /** Stable, namespaced id, e.g. `features/standard-scale`. Never renamed. */
  kind: string;
  /** Bump when params change shape; supply `migrate` for every older version. */
  version: number;
  title: string;
  category: Category;
  description: string;
  inputs: I;
  outputs: O;
  params: P;
  /**
   * Ports that follow from params (a code node's user-declared ports). When present, the compiler, the
   * connect-time check, the executor and the canvas use what it returns for valid params; `inputs`/`outputs`
   * stay the ports of the default params (palette, invalid params). Pure and cheap: it runs on every compile.
   * Use {@link portsOf} rather than calling it directly.
   */
  ports?: (params: z.output<P>) => { inputs: PortMap; outputs: PortMap };
  /**
   * Param migrations: `migrate[v]` turns params saved by version v into version v+1's shape. Keys that a
   * migration does not know are kept, and the compiler reports them, so nothing is dropped silently.
   */
  migrate?: Record<number, (params: Record<string, unknown>) => Record<string, unknown>>;
  /** Output schemas from input schemas and params (pure; throw NodeUserError for an actionable problem). */
  infer?: (args: { inputs: InputInfos<I>; params: z.output<P> }) => OutputInfos<O>;
  /** Server-side design-time look at external data (e.g. a file's columns) so pickers work before a run. */
  probe?: (args: { params: z.output<P>; ctx: ProbeContext }) => Promise<OutputInfos<O>>;
  run: (args: { inputs: InputValues<I>; params: z.output<P>; ctx: RunContext }) => Promise<OutputValues<O>>;
  /**
   * Server-side design-time checks that need more than `infer` (e.g. type-checking a code node's TypeScript
   * against the schemas arriving at its inputs). Runs after schema propagation, in analysis and at run start;
   * the problems it returns are errors on this node and keep the workflow from running.
   */
  check?: (args: { inputs: InputInfos<I>; params: z.output<P> }) => Promise<Array<{ code: string; message: string; field?: string }>>;
  resources?: ResourceHints;
  /**
   * A child-task kind (run by other nodes through `ctx.subtasks`, e.g. one tuning trial): listed in the
   * registry so every worker can run it, but not offered in the palette and refused in a workflow.
   */
  internal?: boolean;
  /** Name of the metric shown on the node's face (e.g. `roc_auc`). */
  keyMetric?: string;
  /**
   * Input ports whose rows this node learns from (fits on), e.g. `["train"]` for a fitted transform or a model.
   * The compiler's leakage guard (server/graph/leakage.ts) rejects a graph where such an input descends from a
   * split's held-out rows. Left out: `["train"]` for Training nodes and for nodes with a `train` input that
   * output a model or a fitted transform; none otherwise.
   */
  learns?: Array<keyof I & string>;
  /** Output ports that carry held-out rows (a split's test side), e.g. `["test"]`; see {@link learns}. */
  heldOut?: Array<keyof O & string>;
  /**
   * False disables caching (e.g. a URL source whose content cannot be fingerprinted); a function decides per
   * params (e.g. cache a database query only when the user gave it a cache key).
   */
  cacheable?: boolean | ((params: z.output<P>) => boolean);
  /**
   * For nodes that read outside data: a cheap identity of that data (e.g. a file's path, size and mtime),
   * made part of the cache key, so an unchanged file is served from cache and an edited one is re-read.
   */
  fingerprint?: (args: { params: z.output<P>; resolvePath: (path: string) => string }) => Promise<string>;
}

/** Type-checks a definition and keeps its precise port/param types. */
export function defineNode<I extends PortMap, O extends PortMap, P extends z.ZodType<Record<string, unknown>>>(
  def: NodeDefinition<I, O, P>,
): NodeDefinition<I, O, P> {
  return def;
}

/**
 * A node's ports for the given params: the definition's `ports(params)` when it has one and the params are
 * given (parsed, valid), else its static `inputs`/`outputs`.
 */
export function portsOf(def: AnyNodeDefinition, params?: Record<string, unknown>): { inputs: PortMap; outputs: PortMap } {
  if (def.ports && params) return def.ports(params);
  return { inputs: def.inputs, outputs: def.outputs };
}

/** The erased form the registry, compiler and engine work with. */
export type AnyNodeDefinition = NodeDefinition<PortMap, PortMap, z.ZodType<Record<string, unknown>>>;
