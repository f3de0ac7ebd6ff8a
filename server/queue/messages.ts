/**
 * What a worker writes to a run's event stream while it runs one of the run's nodes. The API process reads
 * the stream and turns these into the scheduler's hooks and results, so the browser sees progress, logs and
 * metrics from a worker on another machine exactly as it does in process.
 */
import type { NodeErrorInfo } from "../../nodes/core/errors";
import type { NodeTaskResult } from "../engine/execute-node";

export type WorkerMessage =
  | { t: "started"; nodeId: string; attempt: number; worker: string }
  | { t: "progress"; nodeId: string; fraction: number; message?: string }
  | { t: "log"; nodeId: string; level: "info" | "warn" | "error"; message: string }
  | { t: "metric"; nodeId: string; name: string; value: number; step?: number }
  | { t: "done"; nodeId: string; attempt: number; result: NodeTaskResult }
  /** `final`: no further attempt will follow (user error, cancel, timeout or the last attempt). */
  | { t: "error"; nodeId: string; attempt: number; error: NodeErrorInfo; final: boolean };

/** Stream entries carry one field, `m`, holding the JSON message. */
export const MESSAGE_FIELD = "m";

export function encodeMessage(m: WorkerMessage): string {
  return JSON.stringify(m);
}

export function decodeMessage(raw: string): WorkerMessage | undefined {
  try {
    const m = JSON.parse(raw) as WorkerMessage;
    return typeof m === "object" && m && typeof m.t === "string" && typeof m.nodeId === "string" ? m : undefined;
  } catch {
    return undefined;
  }
}
