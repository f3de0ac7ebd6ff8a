/** Messages between the thread pool and its worker threads. */
import type { NodeErrorInfo } from "../../nodes/core/errors";
import type { NodeTask, NodeTaskResult } from "./execute-node";

export type ToWorker = { t: "run"; id: number; task: NodeTask } | { t: "abort"; id: number };

export type FromWorker =
  | { t: "ready" }
  | { t: "progress"; id: number; fraction: number; message?: string }
  | { t: "log"; id: number; level: "info" | "warn" | "error"; message: string }
  | { t: "metric"; id: number; name: string; value: number; step?: number }
  | { t: "done"; id: number; result: NodeTaskResult; tfBackend?: string }
  | { t: "error"; id: number; error: NodeErrorInfo; aborted: boolean };
