/** Messages between the thread pool and its worker threads. */
import type { SubtaskOutcome } from "../../nodes/core/context";
import type { NodeErrorInfo } from "../../nodes/core/errors";
import type { NodeTask, NodeTaskResult } from "./execute-node";
import type { ChildTask } from "./subtasks";

/** What the thread needs to know about its node's children before run() starts (see SubtaskHost). */
export interface SubtaskState {
  startedAt: number;
  launched: number[];
}

export type ToWorker =
  | { t: "run"; id: number; task: NodeTask; subtasks: SubtaskState }
  | { t: "abort"; id: number }
  /** One finished child of batch `batch` of job `id`. */
  | { t: "child"; id: number; batch: number; outcome: SubtaskOutcome }
  /** Batch `batch` has no more outcomes (`error`: it could not run, e.g. the queue was unreachable). */
  | { t: "batch-end"; id: number; batch: number; error?: NodeErrorInfo };

export type FromWorker =
  | { t: "ready" }
  | { t: "progress"; id: number; fraction: number; message?: string }
  | { t: "log"; id: number; level: "info" | "warn" | "error"; message: string }
  | { t: "metric"; id: number; name: string; value: number; step?: number }
  /** The node asks for a batch of child tasks; the pool's side runs them and answers with child/batch-end. */
  | { t: "batch"; id: number; batch: number; children: ChildTask[] }
  | { t: "done"; id: number; result: NodeTaskResult; tfBackend?: string }
  | { t: "error"; id: number; error: NodeErrorInfo; aborted: boolean };
