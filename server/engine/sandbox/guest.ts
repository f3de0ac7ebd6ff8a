/**
 * The guest side of the sandbox, run inside the sandbox's worker thread (sandbox-worker.ts): a fresh QuickJS
 * runtime per job (see quickjs-module.ts for why QuickJS) with a CPU time limit, a memory limit and a stack
 * limit. The guest gets the Table API, `sql()`, `console` and `ctx` (log, progress, metric) and nothing else:
 * no process, require/import, filesystem, network, environment, timers or host objects. Everything it asks of
 * the host goes through a {@link GuestBridge}; every failure of the user's code becomes a NodeUserError with a
 * message naming the user's own line.
 */
import type { QuickJSContext, QuickJSDeferredPromise, QuickJSHandle, QuickJSRuntime, QuickJSWASMModule, VmCallResult } from "quickjs-emscripten-core";
import type { LogLevel } from "../../../nodes/core/context";
import { NodeUserError } from "../../../nodes/core/errors";
import type { ColumnLayout } from "./arrow-bridge";
import { PRELUDE } from "./prelude";
import { discardQuickjsModule, quickjsModule } from "./quickjs-module";
import { mapStack, userLine, USER_FILE, type CompiledCode } from "./transpile";

export interface GuestLimits {
  /** Time the guest may spend executing (host work such as SQL is not counted). */
  timeoutMs: number;
  /** Guest heap limit, loaded input columns included. */
  memoryMB: number;
  /** Guest stack limit; kept well under the thread's own stack. */
  stackKB: number;
}

/** A host table as the guest first sees it: its index in the host's list and its schema (no data yet). */
export interface GuestTableRef {
  index: number;
  schemaJson: string;
}

export interface GuestRequest {
  compiled: CompiledCode;
  params: Record<string, unknown>;
  runId: string;
  nodeId: string;
  limits: GuestLimits;
  inputs: Record<string, GuestTableRef>;
  /** Inputs that are not tables (metrics, values), as JSON. */
  values?: Record<string, unknown>;
}

/** What run() returned: outputs as JSON (tables as column descriptions) plus the binary buffers they name. */
export interface GuestResult {
  outputsJson: string;
  bins: Uint8Array[];
}

/** The host's services, as seen from the guest's thread. */
export interface GuestBridge {
  aborted(): boolean;
  /** One column of a host table as Arrow IPC stream bytes and its buffer layout (synchronous). */
  load(table: number, column: string): { layout: ColumnLayout; bytes: Uint8Array };
  log(message: string, level: LogLevel): void;
  progress(fraction: number, message?: string): void;
  metric(name: string, value: number, step?: number): void;
  sql(query: string, namedJson: string, bins: Uint8Array[]): Promise<GuestTableRef>;
}

const MAX_LOGS = 1000;
const MAX_LOG_CHARS = 10_000;

/** Guest time accounting: only time spent inside the interpreter counts. */
class Budget {
  used = 0;
  private since = 0;
  private depth = 0;
  reason: "timeout" | "aborted" | "memory" | undefined;
  constructor(
    readonly limitMs: number,
    private readonly aborted: () => boolean,
    private readonly overMemory: () => boolean,
  ) {}
  run<T>(fn: () => T): T {
    if (this.depth++ === 0) this.since = performance.now();
    try {
      return fn();
    } finally {
      if (--this.depth === 0) this.used += performance.now() - this.since;
    }
  }
  /** Interrupt handler: true stops the guest with an uncatchable error. */
  expired(): boolean {
    if (this.aborted()) this.reason = "aborted";
    else if (this.used + (this.depth ? performance.now() - this.since : 0) > this.limitMs) this.reason = "timeout";
    else if (this.overMemory()) this.reason = "memory";
    return this.reason !== undefined;
  }
}

/** Runs the user's `export default async function run({ inputs, params, ctx })` and returns its outputs. */
export async function runGuest(req: GuestRequest, bridge: GuestBridge): Promise<GuestResult> {
  const limits = req.limits;
  const mod = await quickjsModule();
  let poisoned = false;
  const rt = mod.newRuntime();
  try {
    rt.setMemoryLimit(limits.memoryMB * 1024 * 1024);
    rt.setMaxStackSize(limits.stackKB * 1024);
    // QuickJS's own limit does not count ArrayBuffer storage (measured: 2 GB of Float64Arrays under a 64 MB
    // limit), so the interrupt handler also watches how far this job has grown the module's linear memory.
    const heap = heapSize(mod);
    const start = heap();
    // Slack: linear memory grows in steps (up to ~20% of its size), not byte by byte.
    const maxGrowth = limits.memoryMB * 1024 * 1024 + 32 * 1024 * 1024 + start * 0.2;
    const budget = new Budget(limits.timeoutMs, () => bridge.aborted(), () => heap() - start > maxGrowth);
    rt.setInterruptHandler(() => budget.expired());
    rt.setModuleLoader(() => ({ error: new Error("imports are not available in code nodes: use the Table API, sql() and the inputs") }));
    const vm = rt.newContext();
    const guest = new Guest(vm, rt, budget, req, bridge);
    try {
      return await guest.run();
    } catch (e) {
      if (e instanceof NodeUserError) {
        // After a memory or stack failure, start the next job on a fresh module (fresh linear memory).
        if (e.code === "code_memory_limit" || e.code === "code_stack_overflow") poisoned = true;
        throw e;
      }
      if (e instanceof Error && e.name === "AbortError") throw e;
      poisoned = true;
      if (e instanceof RangeError && /call stack/i.test(e.message)) throw new NodeUserError("code_stack_overflow", stackMessage(limits.stackKB), { field: "code", cause: e });
      throw e;
    } finally {
      guest.close();
      // A poisoned runtime is not freed (QuickJS may have leaked objects at its memory limit, and freeing would
      // trip its leak assertion): the whole module goes instead, and its memory with it.
      if (!poisoned) {
        try {
          vm.dispose();
        } catch {
          poisoned = true;
        }
      }
    }
  } finally {
    if (!poisoned) {
      try {
        rt.dispose();
      } catch {
        poisoned = true;
      }
    }
    if (poisoned) discardQuickjsModule(mod as QuickJSWASMModule);
  }
}

/** Bytes of the module's WebAssembly memory (0 if the module's layout is not as expected). */
function heapSize(mod: QuickJSWASMModule): () => number {
  const m = (mod as unknown as { module?: { HEAPU8?: Uint8Array } }).module;
  return () => m?.HEAPU8?.buffer.byteLength ?? 0;
}

const stackMessage = (kb: number) => `Your code recursed too deeply (stack limit ${kb} KB). Use a loop instead of deep recursion.`;

/** One job's guest: handles it owns, host functions, the promise-driving loop. */
class Guest {
  private readonly owned: QuickJSHandle[] = [];
  private readonly pending = new Set<Promise<void>>();
  private readonly deferreds = new Set<QuickJSDeferredPromise>();
  private alive = true;
  private logs = 0;
  private loadedBytes = 0;

  private readonly compiled: CompiledCode;
  private readonly memoryMB: number;

  constructor(
    private readonly vm: QuickJSContext,
    private readonly rt: QuickJSRuntime,
    private readonly budget: Budget,
    private readonly req: GuestRequest,
    private readonly bridge: GuestBridge,
  ) {
    this.compiled = req.compiled;
    this.memoryMB = req.limits.memoryMB;
  }

  private own<T extends QuickJSHandle>(h: T): T {
    this.owned.push(h);
    return h;
  }

  close(): void {
    this.alive = false;
    for (const d of this.deferreds) d.dispose();
    for (const h of this.owned.reverse()) if (h.alive) h.dispose();
  }

  async run(): Promise<GuestResult> {
    const { vm, budget } = this;
    this.installHost();
    const glue = this.own(this.unwrap(budget.run(() => vm.evalCode(PRELUDE, "lattice-prelude.js"))));
    const inputFn = this.own(vm.getProp(glue, "input"));
    const invoke = this.own(vm.getProp(glue, "invoke"));

    const inputs = this.own(vm.newObject());
    for (const [name, ref] of Object.entries(this.req.inputs)) {
      const h = this.own(this.tableIntoGuest(inputFn, ref));
      vm.setProp(inputs, name, h);
    }
    const evaluated = this.own(this.unwrap(budget.run(() => vm.evalCode(this.compiled.js, USER_FILE, { type: "module" }))));
    // With top-level await the module evaluates to a promise of its namespace. The namespace is read on the
    // host side: awaiting a namespace object inside QuickJS leaks it when a GC runs later (seen in 0.32.0).
    const state = vm.getPromiseState(evaluated);
    const ns = state.type === "fulfilled" && state.notAPromise ? evaluated : this.own(await this.settle(evaluated));
    const fn = this.own(vm.getProp(ns, "default"));
    const params = this.own(vm.newString(JSON.stringify(this.req.params)));
    const info = this.own(vm.newString(JSON.stringify({ runId: this.req.runId, nodeId: this.req.nodeId })));
    const values = this.own(vm.newString(JSON.stringify(this.req.values ?? {})));
    const promise = this.own(this.unwrap(budget.run(() => vm.callFunction(invoke, vm.undefined, fn, inputs, params, info, values))));
    const result = this.own(await this.settle(promise));
    return this.readResult(result);
  }

  /** Wraps a host table as a guest Table (its index lets outputs refer back to it); columns load lazily. */
  private tableIntoGuest(inputFn: QuickJSHandle, ref: GuestTableRef): QuickJSHandle {
    const { vm } = this;
    const idx = vm.newNumber(ref.index);
    const schema = vm.newString(ref.schemaJson);
    try {
      return this.unwrap(this.budget.run(() => vm.callFunction(inputFn, vm.undefined, idx, schema)));
    } finally {
      idx.dispose();
      schema.dispose();
    }
  }

  /** `host.load(table, column)`: one column of a host table as Arrow IPC bytes plus its buffer layout. */
  private loadColumn(tableH: QuickJSHandle | undefined, nameH: QuickJSHandle | undefined): QuickJSHandle | VmCallResult<QuickJSHandle> {
    const { vm } = this;
    const table = tableH && vm.typeof(tableH) === "number" ? vm.getNumber(tableH) : -1;
    const name = nameH && vm.typeof(nameH) === "string" ? vm.getString(nameH) : "";
    let col;
    try {
      col = this.bridge.load(table, name);
    } catch (e) {
      return { error: vm.newError({ name: "TypeError", message: (e as Error).message }) };
    }
    this.loadedBytes += col.bytes.byteLength;
    if (this.loadedBytes > this.memoryMB * 1024 * 1024 * 0.9)
      return { error: vm.newError({ name: "InternalError", message: `out of memory: column "${name}" (${Math.round(col.bytes.byteLength / 2 ** 20)} MB) does not fit in the memory limit` }) };
    const arr = vm.newArray();
    const parts = [vm.newString(JSON.stringify(col.layout)), vm.newArrayBuffer(ownBuffer(col.bytes))];
    parts.forEach((h, i) => {
      vm.setProp(arr, i, h);
      h.dispose();
    });
    return arr;
  }

  private installHost(): void {
    const { vm } = this;
    const host = vm.newObject();
    const str = (h: QuickJSHandle | undefined, max = MAX_LOG_CHARS) => (h && vm.typeof(h) === "string" ? vm.getString(h).slice(0, max) : "");
    const num = (h: QuickJSHandle | undefined) => (h && vm.typeof(h) === "number" ? vm.getNumber(h) : NaN);
    const fns: Record<string, (...args: QuickJSHandle[]) => QuickJSHandle | VmCallResult<QuickJSHandle> | void> = {
      log: (m, level) => {
        if (this.logs++ >= MAX_LOGS) return;
        const lv = str(level, 10);
        this.bridge.log(this.logs === MAX_LOGS ? "(further log lines dropped)" : str(m), lv === "warn" || lv === "error" ? lv : "info");
      },
      progress: (f, m) => {
        const x = num(f);
        if (Number.isFinite(x)) this.bridge.progress(Math.max(0, Math.min(1, x)), str(m, 200) || undefined);
      },
      metric: (name, value, step) => {
        const s = num(step);
        const n = str(name, 200);
        if (n) this.bridge.metric(n, num(value), s >= 0 ? s : undefined);
      },
      sql: (query, named, bins) => this.hostSql(str(query, 1_000_000), str(named, 10_000_000), bins),
      load: (table, name) => this.loadColumn(table, name),
    };
    for (const [name, fn] of Object.entries(fns)) {
      const h = vm.newFunction(name, fn);
      vm.setProp(host, name, h);
      h.dispose();
    }
    vm.setProp(vm.global, "__host", host);
    host.dispose();
  }

  /** `sql()` from the guest: runs on the host's DuckDB; the guest gets a promise of the result table. */
  private hostSql(query: string, namedJson: string, binsH: QuickJSHandle | undefined): QuickJSHandle {
    const { vm } = this;
    const deferred = vm.newPromise();
    // The function's return value is consumed by quickjs-emscripten, so hand out a duplicate.
    const ret = deferred.handle.dup();
    let bins: Uint8Array[];
    try {
      bins = binsH ? this.readBins(binsH) : [];
    } catch (e) {
      const err = vm.newError({ name: "TypeError", message: `sql(): ${(e as Error).message}` });
      deferred.reject(err);
      err.dispose();
      deferred.dispose();
      return ret;
    }
    this.deferreds.add(deferred);
    const op = this.bridge
      .sql(query, namedJson, bins)
      .then((ref) => {
        if (!this.alive) return;
        const arr = vm.newArray();
        const parts = [vm.newNumber(ref.index), vm.newString(ref.schemaJson)];
        parts.forEach((h, i) => {
          vm.setProp(arr, i, h);
          h.dispose();
        });
        deferred.resolve(arr);
        arr.dispose();
      })
      .catch((e: unknown) => {
        if (!this.alive) return;
        const err = vm.newError({ name: "SqlError", message: e instanceof Error ? e.message : String(e) });
        deferred.reject(err);
        err.dispose();
      })
      .finally(() => {
        this.pending.delete(op);
        if (this.alive) {
          this.deferreds.delete(deferred);
          deferred.dispose();
        }
      });
    this.pending.add(op);
    return ret;
  }

  private readBins(binsH: QuickJSHandle): Uint8Array[] {
    const { vm } = this;
    const lenH = vm.getProp(binsH, "length");
    const n = vm.typeof(lenH) === "number" ? vm.getNumber(lenH) : 0;
    lenH.dispose();
    const out: Uint8Array[] = [];
    for (let i = 0; i < n; i++) {
      const h = vm.getProp(binsH, i);
      try {
        const lt = vm.getArrayBuffer(h);
        out.push(lt.value.slice());
        lt.dispose();
      } catch {
        throw new Error("a table buffer is not an ArrayBuffer");
      } finally {
        h.dispose();
      }
    }
    return out;
  }

  /** Drives the guest's promise: runs its jobs, waits for host work (SQL), until it settles. */
  private async settle(promise: QuickJSHandle): Promise<QuickJSHandle> {
    const { vm, rt, budget } = this;
    for (;;) {
      const state = vm.getPromiseState(promise);
      if (state.type === "fulfilled") return state.value;
      if (state.type === "rejected") throw this.userError(state.error);
      const r = budget.run(() => rt.executePendingJobs(10_000));
      if (r.error) throw this.userError(r.error);
      if (r.value > 0) continue;
      if (this.pending.size === 0) {
        if (budget.expired()) throw this.limitError();
        throw new NodeUserError("code_never_settles", "run() returned a promise that never settles (nothing is left to wait for). Make sure every promise you await resolves.", { field: "code" });
      }
      await Promise.race(this.pending);
      if (budget.expired()) throw this.limitError();
    }
  }

  private limitError(): Error {
    if (this.budget.reason === "aborted") return abortError();
    if (this.budget.reason === "memory") return this.memoryError();
    return new NodeUserError("code_timeout", `Your code ran longer than its time limit of ${fmtMs(this.budget.limitMs)} and was stopped. Look for an endless loop, or raise "Time limit".`, { field: "timeoutMs" });
  }

  /** Turns a guest exception into a NodeUserError with the user's line number. Disposes the handle. */
  private userError(h: QuickJSHandle): Error {
    let name = "Error";
    let message = "";
    let stack = "";
    try {
      const d = this.budget.run(() => this.vm.dump(h)) as unknown;
      if (d && typeof d === "object") {
        const o = d as { name?: unknown; message?: unknown; stack?: unknown };
        name = typeof o.name === "string" ? o.name : name;
        message = typeof o.message === "string" ? o.message : JSON.stringify(d).slice(0, 500);
        stack = typeof o.stack === "string" ? o.stack : "";
      } else message = String(d).slice(0, 500);
    } catch {
      message = "(the error could not be read)";
    } finally {
      h.dispose();
    }
    if (this.budget.reason || (name === "InternalError" && message === "interrupted")) return this.limitError();
    if (/out of memory/i.test(message) || (name === "InternalError" && /memory/i.test(message))) return this.memoryError();
    if (name === "RangeError" && /array buffer|allocation/i.test(message)) return this.memoryError();
    if (name === "InternalError" && /stack overflow/i.test(message)) return new NodeUserError("code_stack_overflow", stackMessage(this.req.limits.stackKB), { field: "code" });
    const line = userLine(this.compiled, stack);
    const where = line ? ` (line ${line})` : "";
    const err = new NodeUserError("code_error", `${name}: ${message}${where}`, { field: "code" });
    const mapped = mapStack(this.compiled, stack).trim();
    if (mapped) err.stack = `${err.name}: ${err.message}\n${mapped}`;
    return err;
  }

  private memoryError(): NodeUserError {
    return new NodeUserError("code_memory_limit", `Your code used more than its memory limit of ${this.memoryMB} MB (input tables included) and was stopped. Work on fewer columns at a time, use sql(), or raise "Memory limit".`, { field: "memoryMB" });
  }

  private readResult(result: QuickJSHandle): GuestResult {
    const { vm } = this;
    const jsonH = this.own(vm.getProp(result, 0));
    const binsH = this.own(vm.getProp(result, 1));
    if (vm.typeof(jsonH) !== "string") throw new NodeUserError("code_bad_output", "run() returned outputs that could not be read.", { field: "code" });
    return { outputsJson: vm.getString(jsonH), bins: this.readBins(binsH) };
  }

  private unwrap(r: { error?: QuickJSHandle; value?: QuickJSHandle }): QuickJSHandle {
    if (r.error) throw this.userError(r.error);
    return r.value!;
  }
}


function ownBuffer(b: Uint8Array): ArrayBuffer {
  return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? (b.buffer as ArrayBuffer) : (b.slice().buffer as ArrayBuffer);
}

function fmtMs(ms: number): string {
  return ms >= 1000 ? `${+(ms / 1000).toFixed(1)} s` : `${ms} ms`;
}

function abortError(): Error {
  const e = new Error("Cancelled");
  e.name = "AbortError";
  return e;
}
