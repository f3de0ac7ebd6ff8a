/** Messages between runSandboxed (the host thread) and the sandbox's worker thread. */
import type { MessagePort } from "node:worker_threads";
import type { LogLevel } from "../../../nodes/core/context";
import type { ColumnLayout } from "./arrow-bridge";
import type { GuestRequest, GuestResult, GuestTableRef } from "./guest";

/** Int32 slots of the shared control buffer. */
export const CTL_ABORT = 0;
export const CTL_LOAD_READY = 1;

export interface SandboxWorkerData {
  entry: string;
  control: SharedArrayBuffer;
  /** Answers to `load` requests arrive here and are read synchronously (receiveMessageOnPort). */
  syncPort: MessagePort;
}

export type ToSandbox =
  | { t: "run"; id: number; req: GuestRequest }
  | { t: "sql"; id: number; reqId: number; ok: true; ref: GuestTableRef }
  | { t: "sql"; id: number; reqId: number; ok: false; message: string };

export type LoadReply = { ok: true; layout: ColumnLayout; bytes: Uint8Array } | { ok: false; message: string };

export interface SandboxErrorInfo {
  user: boolean;
  aborted: boolean;
  code: string;
  message: string;
  field?: string;
  stack?: string;
}

export type FromSandbox =
  | { t: "log"; id: number; level: LogLevel; message: string }
  | { t: "progress"; id: number; fraction: number; message?: string }
  | { t: "metric"; id: number; name: string; value: number; step?: number }
  | { t: "load"; id: number; table: number; column: string }
  | { t: "sql"; id: number; reqId: number; query: string; namedJson: string; bins: Uint8Array[] }
  | { t: "done"; id: number; result: GuestResult }
  | { t: "error"; id: number; error: SandboxErrorInfo };
