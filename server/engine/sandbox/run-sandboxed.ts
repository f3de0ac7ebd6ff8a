/**
 * Runs a code node's TypeScript in the sandbox: compiled here (esbuild, so syntax errors are reported before
 * any thread work), executed by QuickJS in a worker thread (guest.ts, sandbox-worker.ts) under a CPU time
 * limit, a memory limit and a stack limit, with a hard wall-clock deadline past which the worker is terminated.
 *
 * This side keeps the tables: the guest gets each input's schema, fetches the columns it reads as Arrow IPC
 * bytes, and returns tables as column references (resolved here against the original vectors, so a
 * pass-through copies nothing) or as new Arrow buffers. `sql()` runs here, in a per-job locked-down DuckDB.
 */
import { MessageChannel, Worker, type MessagePort } from "node:worker_threads";
import type { Table } from "apache-arrow";
import type { LogLevel } from "../../../nodes/core/context";
import { NodeUserError } from "../../../nodes/core/errors";
import { decodeTable, encodeTable, tableSchema, type ExportedTable } from "./arrow-bridge";
import type { GuestResult, GuestTableRef } from "./guest";
import { createGuestSql } from "./guest-sql";
import { CTL_ABORT, CTL_LOAD_READY, type FromSandbox, type LoadReply, type SandboxErrorInfo, type SandboxWorkerData, type ToSandbox } from "./sandbox-protocol";
import { compileUserCode } from "./transpile";

export interface SandboxLimits {
  /** Time the guest may spend executing (host work such as SQL is not counted). Default 30 s. */
  timeoutMs?: number;
  /** Guest heap limit, loaded input columns included. Default 256 MB. */
  memoryMB?: number;
  /** Guest stack limit; kept well under the thread's own stack. Default 256 KB. */
  stackKB?: number;
}

/** What the guest may ask of the host. */
export interface SandboxHost {
  runId: string;
  nodeId: string;
  signal: AbortSignal;
  log(message: string, level: LogLevel): void;
  progress(fraction: number, message?: string): void;
  metric(name: string, value: number, step?: number): void;
  /**
   * Backs the guest's `sql()`. Leave it out to get a per-job DuckDB with file and network access off
   * (guest-sql.ts); the runtime's shared TableEngine must not be passed here: its SQL can read and write files.
   */
  sql?(query: string, tables: Record<string, Table>): Promise<Table>;
}

export interface SandboxJob {
  code: string;
  inputs: Record<string, Table | undefined>;
  /** Inputs that are not tables (a metrics object, a value): copied into the guest as JSON. */
  values?: Record<string, unknown>;
  params: Record<string, unknown>;
  host: SandboxHost;
  limits?: SandboxLimits;
}

export interface SandboxOutput {
  tables: Record<string, Table>;
  /** Non-table outputs as JSON values. */
  values: Record<string, unknown>;
}

export const DEFAULT_LIMITS = { timeoutMs: 30_000, memoryMB: 256, stackKB: 256 } as const;
/** After a cancel, how long the guest has to stop by itself before its thread is terminated. */
const ABORT_GRACE_MS = 500;
/** Hard deadline: the CPU limit plus this slack (QuickJS only checks the limit between bytecodes). */
const hardDeadlineMs = (timeoutMs: number) => timeoutMs + Math.max(1000, timeoutMs / 2);
const MAX_IDLE_WORKERS = 2;

interface SandboxWorker {
  worker: Worker;
  ctl: Int32Array;
  syncPort: MessagePort;
  onMessage?: (m: FromSandbox) => void;
  onExit?: (err: Error) => void;
}

const idle: SandboxWorker[] = [];
let spawned = 0;
let nextId = 1;

/** How many sandbox threads this process has started (a terminated one is replaced by a new one). */
export function sandboxThreadsStarted(): number {
  return spawned;
}

function spawn(): SandboxWorker {
  const control = new SharedArrayBuffer(8);
  const { port1, port2 } = new MessageChannel();
  const data: SandboxWorkerData = { entry: new URL("./sandbox-worker.ts", import.meta.url).href, control, syncPort: port2 };
  const worker = new Worker(new URL("../thread-boot.mjs", import.meta.url), { workerData: data, transferList: [port2] });
  spawned++;
  const w: SandboxWorker = { worker, ctl: new Int32Array(control), syncPort: port1 };
  worker.on("message", (m: FromSandbox) => w.onMessage?.(m));
  worker.on("error", (e) => w.onExit?.(e));
  worker.on("exit", (code) => {
    const i = idle.indexOf(w);
    if (i >= 0) idle.splice(i, 1);
    w.onExit?.(new Error(`the sandbox thread exited (code ${code})`));
  });
  worker.unref();
  port1.unref();
  return w;
}

function release(w: SandboxWorker) {
  w.onMessage = undefined;
  w.onExit = undefined;
  if (idle.length < MAX_IDLE_WORKERS) idle.push(w);
  else void w.worker.terminate();
}

/** Runs the user's `export default async function run({ inputs, params, ctx })` and returns its outputs. */
export async function runSandboxed(job: SandboxJob): Promise<SandboxOutput> {
  const limits = { ...DEFAULT_LIMITS, ...job.limits };
  const compiled = compileUserCode(job.code);
  if (job.host.signal.aborted) throw abortError();
  const tables: Table[] = [];
  const register = (t: Table): GuestTableRef => ({ index: tables.push(t) - 1, schemaJson: JSON.stringify(tableSchema(t)) });
  const inputs: Record<string, GuestTableRef> = {};
  for (const [name, t] of Object.entries(job.inputs)) if (t) inputs[name] = register(t);
  const guestSql = job.host.sql ? undefined : createGuestSql({ memoryMB: limits.memoryMB, timeoutMs: limits.timeoutMs, signal: job.host.signal });
  const sql = job.host.sql?.bind(job.host) ?? guestSql!.sql;
  const w = idle.pop() ?? spawn();
  const id = nextId++;
  Atomics.store(w.ctl, CTL_ABORT, 0);

  try {
    const result = await new Promise<GuestResult>((resolve, reject) => {
      let settled = false;
      let sqlInFlight = 0;
      let deadline = performance.now() + hardDeadlineMs(limits.timeoutMs);
      let timer: NodeJS.Timeout | undefined;
      const finish = (fn: () => void) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        job.host.signal.removeEventListener("abort", onAbort);
        fn();
      };
      const kill = (err: Error) =>
        finish(() => {
          w.onMessage = undefined;
          w.onExit = undefined;
          void w.worker.terminate();
          reject(err);
        });
      const arm = (ms: number) => {
        clearTimeout(timer);
        timer = setTimeout(check, Math.max(1, ms));
      };
      function check() {
        // Time spent waiting for the host's SQL does not count against the guest.
        if (sqlInFlight > 0 || performance.now() < deadline) return arm(sqlInFlight > 0 ? 100 : deadline - performance.now());
        kill(timeoutError(limits.timeoutMs));
      }
      function onAbort() {
        Atomics.store(w.ctl, CTL_ABORT, 1);
        clearTimeout(timer);
        timer = setTimeout(() => kill(abortError()), ABORT_GRACE_MS);
      }
      job.host.signal.addEventListener("abort", onAbort, { once: true });
      arm(deadline - performance.now());

      w.onExit = (err) => finish(() => reject(new NodeUserError("code_crashed", `The sandbox stopped unexpectedly (${err.message}). Run again; if it repeats, lower the memory your code uses.`, { field: "code", cause: err })));
      w.onMessage = (m) => {
        if (m.id !== id) return;
        switch (m.t) {
          case "log":
            return job.host.log(m.message, m.level);
          case "progress":
            return job.host.progress(m.fraction, m.message);
          case "metric":
            return job.host.metric(m.name, m.value, m.step);
          case "load":
            return answerLoad(w, tables, m.table, m.column);
          case "sql": {
            sqlInFlight++;
            const started = performance.now();
            let query: Promise<Table>;
            try {
              const named = JSON.parse(m.namedJson) as Record<string, ExportedTable>;
              query = sql(m.query, Object.fromEntries(Object.entries(named).map(([k, d]) => [k, decodeTable(d, tables, m.bins)])));
            } catch (e) {
              query = Promise.reject(e instanceof Error ? e : new Error(String(e)));
            }
            void query
              .then(
                (t): ToSandbox => ({ t: "sql", id, reqId: m.reqId, ok: true, ref: register(t) }),
                (e: unknown): ToSandbox => ({ t: "sql", id, reqId: m.reqId, ok: false, message: e instanceof Error ? e.message : String(e) }),
              )
              .then((reply) => {
                sqlInFlight--;
                deadline += performance.now() - started;
                if (!settled) w.worker.postMessage(reply);
              });
            return;
          }
          case "done":
            return finish(() => resolve(m.result));
          case "error":
            return finish(() => reject(fromInfo(m.error)));
        }
      };
      w.worker.postMessage({ t: "run", id, req: { compiled, params: job.params, runId: job.host.runId, nodeId: job.host.nodeId, limits, inputs, values: job.values } } satisfies ToSandbox);
    });
    release(w);
    return readOutputs(result, tables);
  } catch (e) {
    // A terminated worker is gone; any other failure leaves the thread reusable (the guest runtime is per job).
    if (w.onMessage) release(w);
    throw e;
  } finally {
    guestSql?.close();
  }
}

function answerLoad(w: SandboxWorker, tables: readonly Table[], index: number, column: string) {
  let reply: LoadReply;
  let transfer: ArrayBuffer[] = [];
  const table = tables[index];
  if (!table || !table.getChild(column)) reply = { ok: false, message: `No column "${column}" to load.` };
  else {
    const enc = encodeTable(table.select([column]));
    const bytes = enc.bytes.byteOffset === 0 && enc.bytes.byteLength === enc.bytes.buffer.byteLength ? enc.bytes : enc.bytes.slice();
    reply = { ok: true, layout: enc.layout.columns[0]!, bytes };
    transfer = [bytes.buffer as ArrayBuffer];
  }
  w.syncPort.postMessage(reply, transfer);
  Atomics.store(w.ctl, CTL_LOAD_READY, 1);
  Atomics.notify(w.ctl, CTL_LOAD_READY);
}

function readOutputs(result: GuestResult, tables: readonly Table[]): SandboxOutput {
  const outputs = JSON.parse(result.outputsJson) as Record<string, { table?: ExportedTable; json?: unknown }>;
  const out: SandboxOutput = { tables: {}, values: {} };
  for (const [name, o] of Object.entries(outputs)) {
    if (name === "__proto__" || !o || typeof o !== "object") continue;
    if (o.table) {
      try {
        out.tables[name] = decodeTable(o.table, tables, result.bins);
      } catch (e) {
        throw new NodeUserError("code_bad_output", `The table returned as "${name}" is not valid: ${(e as Error).message}.`, { field: "code" });
      }
    } else out.values[name] = o.json;
  }
  return out;
}

function fromInfo(info: SandboxErrorInfo): Error {
  if (info.aborted) return abortError();
  const e = info.user ? new NodeUserError(info.code, info.message, { field: info.field }) : new Error(info.message);
  if (info.stack) e.stack = info.stack;
  return e;
}

function timeoutError(ms: number): NodeUserError {
  const t = ms >= 1000 ? `${+(ms / 1000).toFixed(1)} s` : `${ms} ms`;
  return new NodeUserError("code_timeout", `Your code ran longer than its time limit of ${t} and was stopped. Look for an endless loop, or raise "Time limit".`, { field: "timeoutMs" });
}

function abortError(): Error {
  return new DOMException("Cancelled", "AbortError");
}
