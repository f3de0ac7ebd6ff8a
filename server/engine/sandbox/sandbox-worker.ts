/**
 * Entry of the sandbox's worker thread. The guest runs here, not on the thread that runs nodes, so that the
 * host can always stop it: QuickJS checks its interrupt handler every few thousand bytecodes, and one bytecode
 * may be a long native operation (`"x".repeat(1e7)` in a loop overshot a 300 ms limit by minutes when measured),
 * so past a hard deadline the host terminates this thread and starts a fresh one.
 *
 * Column loads are synchronous for the guest: the request goes out as a message and this thread waits on the
 * shared control buffer until the host has put the answer on the sync port.
 */
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import { isUserError } from "../../../nodes/core/errors";
import { runGuest, type GuestBridge, type GuestTableRef } from "./guest";
import { CTL_ABORT, CTL_LOAD_READY, type FromSandbox, type LoadReply, type SandboxWorkerData, type ToSandbox } from "./sandbox-protocol";

const { control, syncPort } = workerData as SandboxWorkerData;
const ctl = new Int32Array(control);
const port = parentPort!;
const LOAD_WAIT_MS = 60_000;
const sqlWaiters = new Map<number, { resolve(r: GuestTableRef): void; reject(e: Error): void }>();
let nextReq = 1;

const post = (m: FromSandbox, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

function bridge(id: number): GuestBridge {
  return {
    aborted: () => Atomics.load(ctl, CTL_ABORT) === 1,
    load(table, column) {
      Atomics.store(ctl, CTL_LOAD_READY, 0);
      post({ t: "load", id, table, column });
      if (Atomics.wait(ctl, CTL_LOAD_READY, 0, LOAD_WAIT_MS) === "timed-out") throw new Error(`Loading column "${column}" timed out.`);
      const reply = receiveMessageOnPort(syncPort)?.message as LoadReply | undefined;
      if (!reply) throw new Error(`Column "${column}" could not be loaded.`);
      if (!reply.ok) throw new Error(reply.message);
      return { layout: reply.layout, bytes: reply.bytes };
    },
    log: (message, level) => post({ t: "log", id, level, message }),
    progress: (fraction, message) => post({ t: "progress", id, fraction, message }),
    metric: (name, value, step) => post({ t: "metric", id, name, value, step }),
    sql(query, namedJson, bins) {
      const reqId = nextReq++;
      return new Promise<GuestTableRef>((resolve, reject) => {
        sqlWaiters.set(reqId, { resolve, reject });
        post({ t: "sql", id, reqId, query, namedJson, bins }, bins.map((b) => b.buffer as ArrayBuffer));
      });
    },
  };
}

port.on("message", (m: ToSandbox) => {
  if (m.t === "sql") {
    const w = sqlWaiters.get(m.reqId);
    sqlWaiters.delete(m.reqId);
    if (m.ok) w?.resolve(m.ref);
    else w?.reject(new Error(m.message));
    return;
  }
  void runGuest(m.req, bridge(m.id)).then(
    (result) => post({ t: "done", id: m.id, result }, result.bins.map((b) => b.buffer as ArrayBuffer)),
    (e: unknown) => {
      const err = e instanceof Error ? e : new Error(String(e));
      const user = isUserError(err);
      post({
        t: "error",
        id: m.id,
        error: {
          user,
          aborted: err.name === "AbortError",
          code: user ? (err as { code: string }).code : "internal",
          message: err.message,
          field: user ? (err as { field?: string }).field : undefined,
          stack: err.stack,
        },
      });
    },
  );
});
