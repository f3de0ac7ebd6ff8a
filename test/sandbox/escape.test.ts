/**
 * Issue #6 escape suite: known ways out of a JavaScript sandbox, each run against the real sandbox. Every
 * attempt must be blocked (the guest sees nothing of the host, or the job fails with a clear user error), the
 * host's globals and prototypes must be unchanged afterwards, and the next job must still run correctly.
 */
import { existsSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableFromArrays, type Table } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { NodeUserError } from "../../nodes/core/errors";
import { sandboxThreadsStarted, runSandboxed, type SandboxLimits, type SandboxOutput } from "../../server/engine/sandbox";

const MARKER = join(tmpdir(), `lattice-escape-${process.pid}`);
const input = tableFromArrays({ x: new Float64Array([1, 2, 3]), s: ["a", "b", "c"] });

interface Outcome {
  out?: SandboxOutput;
  error?: NodeUserError;
  logs: string[];
}

async function attempt(code: string, limits: SandboxLimits = { timeoutMs: 2000, memoryMB: 64 }, inputs: Record<string, Table> = { a: input }): Promise<Outcome> {
  const logs: string[] = [];
  const host = { runId: "escape", nodeId: "n", signal: new AbortController().signal, log: (m: string) => logs.push(m), progress() {}, metric() {} };
  try {
    return { out: await runSandboxed({ code, inputs, params: { k: 1 }, host, limits }), logs };
  } catch (e) {
    if (!(e instanceof NodeUserError)) throw e; // anything but a user error is a failure of the boundary
    return { error: e, logs };
  }
}

/** What the guest saw, returned as the `seen` output. */
async function seen(body: string, limits?: SandboxLimits): Promise<unknown> {
  const r = await attempt(`export default async function run({ inputs, params, ctx }) { ${body} }`, limits);
  expect(r.error, r.error?.message).toBeUndefined();
  return r.out!.values.seen;
}

async function fails(body: string, code: string, limits?: SandboxLimits): Promise<NodeUserError> {
  const r = await attempt(`export default async function run({ inputs, params, ctx }) { ${body} }`, limits);
  expect(r.error, `expected ${code}, got output ${JSON.stringify(r.out?.values)}`).toBeDefined();
  expect(r.error!.code).toBe(code);
  return r.error!;
}

const hostGlobal = globalThis as Record<string, unknown>;
function snapshot() {
  const names = (o: object) => Reflect.ownKeys(o).map(String).sort().join(",");
  return {
    globals: names(globalThis),
    objectProto: names(Object.prototype),
    arrayProto: names(Array.prototype),
    functionProto: names(Function.prototype),
    promiseProto: names(Promise.prototype),
    errorKeys: names(Error),
    prepareStackTrace: Error.prepareStackTrace,
    dateNow: Date.now,
    mathRandom: Math.random,
    jsonStringify: JSON.stringify,
    arrayPush: Array.prototype.push,
    iterator: Array.prototype[Symbol.iterator],
    env: JSON.stringify(process.env),
    cwd: process.cwd(),
  };
}

let before: ReturnType<typeof snapshot>;
let threadsBefore: number;
beforeAll(async () => {
  await attempt("export default async function run() { return {}; }"); // warm: thread and module started once
  before = snapshot();
  threadsBefore = sandboxThreadsStarted();
});
afterAll(() => rmSync(MARKER, { force: true }));

/** After each attempt: host unchanged, and an ordinary job still gives the right answer. */
async function hostIsHealthy() {
  expect(snapshot()).toEqual(before);
  expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  expect(([] as unknown as Record<string, unknown>).polluted).toBeUndefined();
  expect(hostGlobal.escaped).toBeUndefined();
  expect(existsSync(MARKER)).toBe(false);
  expect(Date.now()).toBeGreaterThan(1_600_000_000_000);
  const r = await attempt(`export default async function run({ inputs }) { const t = inputs.a.filter((r) => r.x > 1); return { table: t, metrics: { n: t.numRows } }; }`);
  expect(r.error).toBeUndefined();
  expect(r.out!.values.metrics).toEqual({ n: 2 });
  expect(r.out!.tables.table!.getChild("s")!.toArray()).toEqual(["b", "c"]);
}

const NO_HOST = ["process", "require", "module", "Buffer", "global", "fetch", "XMLHttpRequest", "setTimeout", "setInterval", "setImmediate", "queueMicrotask", "WebAssembly", "Atomics", "__host", "os", "std"];

describe("sandbox escape attempts", () => {
  it("1. constructor chain from a plain object to Function → process", async () => {
    expect(await seen(`const F = ({}).constructor.constructor; return { seen: F("return typeof process")() };`)).toBe("undefined");
    await hostIsHealthy();
  });

  it("2. constructor chain from a passed-in table and from ctx functions", async () => {
    expect(await seen(`return { seen: [inputs.a.column.constructor("return typeof process")(), ctx.log.constructor("return typeof require")(), inputs.constructor.constructor("return typeof Buffer")()] };`)).toEqual(["undefined", "undefined", "undefined"]);
    await hostIsHealthy();
  });

  it("3. this / arguments.callee.caller chains", async () => {
    expect(await seen(`let c; try { c = (function () { return arguments.callee.caller; })(); } catch (e) { c = "blocked"; } return { seen: [typeof this, typeof c === "function" ? typeof c.constructor("return process")() : String(c)] };`)).toEqual(["undefined", "blocked"]);
    await hostIsHealthy();
  });

  it("4. process.binding / process.mainModule", async () => {
    await fails(`process.binding("fs"); return {};`, "code_error");
    await fails(`process.mainModule.require("child_process").execSync("touch ${MARKER}"); return {};`, "code_error");
    await hostIsHealthy();
  });

  it("5. require", async () => {
    const e = await fails(`require("fs").writeFileSync("${MARKER}", "x"); return {};`, "code_error");
    expect(e.message).toMatch(/require/);
    await hostIsHealthy();
  });

  it("6. static import of a Node module", async () => {
    const r = await attempt(`import { writeFileSync } from "fs";\nexport default async function run() { writeFileSync("${MARKER}", "x"); return {}; }`);
    expect(r.error?.message).toMatch(/imports are not available/);
    await hostIsHealthy();
  });

  it("7. dynamic import()", async () => {
    const e = await fails(`const fs = await import("node:fs"); fs.writeFileSync("${MARKER}", "x"); return {};`, "code_error");
    expect(e.message).toMatch(/imports are not available/);
    await hostIsHealthy();
  });

  it("8. prototype pollution of Object.prototype and Array.prototype", async () => {
    expect(await seen(`Object.prototype.polluted = "yes"; Array.prototype.polluted = "yes"; Object.prototype.toString = () => "owned"; Array.prototype.push = () => 0; return { seen: ({}).polluted };`)).toBe("yes");
    await hostIsHealthy();
  });

  it("9. __proto__ keys in returned outputs", async () => {
    const r = await attempt(`export default async function run() { return JSON.parse('{"__proto__": {"polluted": 1}, "metrics": {"__proto__": 5, "a": 1}}'); }`);
    expect(r.error).toBeUndefined();
    expect(Object.getPrototypeOf(r.out!.values)).toBe(Object.prototype);
    await hostIsHealthy();
  });

  it("10. Error.prepareStackTrace to reach host stack frames", async () => {
    const r = await attempt(`export default async function run() { Error.prepareStackTrace = (e, frames) => frames.map((f) => f.getThis()); throw new Error("boom"); }`);
    expect(r.error?.code).toBe("code_error");
    expect(r.error?.message).toBe("Error: boom (line 1)");
    await hostIsHealthy();
  });

  it("11. an error whose getters loop forever when the host reads it", async () => {
    const e = await fails(`const o = {}; Object.defineProperty(o, "message", { get() { for (;;) {} } }); Object.defineProperty(o, "name", { get() { for (;;) {} } }); throw o;`, "code_timeout", { timeoutMs: 300, memoryMB: 64 });
    expect(e.message).toMatch(/time limit/);
    await hostIsHealthy();
  });

  it("12. WebAssembly is not there", async () => {
    expect(await seen(`return { seen: typeof WebAssembly };`)).toBe("undefined");
    await hostIsHealthy();
  });

  it("13. SharedArrayBuffer + Atomics.wait cannot hang the host", async () => {
    const e = await fails(`const sab = new SharedArrayBuffer(16); Atomics.wait(new Int32Array(sab), 0, 0); return {};`, "code_error");
    expect(e.message).toMatch(/Atomics/);
    await hostIsHealthy();
  });

  it("14. setTimeout / setInterval / queueMicrotask are absent; a promise that never settles fails fast", async () => {
    expect(await seen(`return { seen: [typeof setTimeout, typeof setInterval, typeof setImmediate, typeof queueMicrotask] };`)).toEqual(["undefined", "undefined", "undefined", "undefined"]);
    await fails(`await new Promise(() => {}); return {};`, "code_never_settles");
    await hostIsHealthy();
  });

  it("15. deep recursion", async () => {
    const e = await fails(`function f(n) { return f(n + 1) + 1; } return { seen: f(0) };`, "code_stack_overflow");
    expect(e.message).toMatch(/recursed too deeply/);
    await hostIsHealthy();
  });

  it("16. deep recursion through host-implemented built-ins (JSON, Array.map)", async () => {
    await fails(`function f() { return JSON.stringify({ toJSON() { return f(); } }); } f(); return {};`, "code_stack_overflow");
    await fails(`function g(a) { return [a].map(g); } g(1); return {};`, "code_stack_overflow");
    await hostIsHealthy();
  });

  it("17. huge strings", async () => {
    const r = await attempt(`export default async function run() { let s = "x"; for (let i = 0; i < 40; i++) s += s; return { seen: s.length }; }`, { timeoutMs: 5000, memoryMB: 64 });
    expect(r.error?.code).toMatch(/code_memory_limit|code_error/);
    await hostIsHealthy();
  });

  it("18. allocation bomb", async () => {
    const e = await fails(`const a = []; for (;;) a.push(new Float64Array(1e6));`, "code_memory_limit", { timeoutMs: 10_000, memoryMB: 64 });
    expect(e.message).toMatch(/memory limit of 64 MB/);
    await hostIsHealthy();
  });

  it("19. allocation bomb that catches out-of-memory and keeps going", async () => {
    const r = await attempt(`export default async function run() { const keep = []; for (;;) { try { keep.push("y".repeat(1e6) + keep.length); } catch (e) { keep.length = 0; } } }`, { timeoutMs: 1000, memoryMB: 32 });
    expect(r.error?.code).toMatch(/code_timeout|code_memory_limit/);
    await hostIsHealthy();
  });

  it("20. infinite loop, also inside try/catch and finally", async () => {
    const e = await fails(`for (;;) { try { for (;;) {} } catch (e) {} finally { continue; } }`, "code_timeout", { timeoutMs: 300, memoryMB: 64 });
    expect(e.message).toMatch(/time limit of 300 ms/);
    await hostIsHealthy();
  });

  it("21. async infinite microtask loop", async () => {
    await fails(`for (;;) await null;`, "code_timeout", { timeoutMs: 300, memoryMB: 64 });
    await fails(`const spin = () => Promise.resolve().then(spin); spin(); await new Promise(() => {});`, "code_timeout", { timeoutMs: 300, memoryMB: 64 });
    await hostIsHealthy();
  });

  it("22. Proxy as the returned outputs (traps loop or throw while outputs are read)", async () => {
    await fails(`return new Proxy({}, { ownKeys() { for (;;) {} } });`, "code_timeout", { timeoutMs: 300, memoryMB: 64 });
    const e = await fails(`return new Proxy({ table: inputs.a }, { get() { throw new Error("trap"); } });`, "code_error");
    expect(e.message).toMatch(/trap/);
    await hostIsHealthy();
  });

  it("23. Proxy wrapped around passed-in objects and globals", async () => {
    expect(await seen(`const p = new Proxy(inputs.a, {}); try { globalThis.Table = null; } catch (e) {} let r; try { r = p.numRows; } catch (e) { r = "blocked"; } return { seen: r };`)).toBe("blocked");
    await hostIsHealthy();
  });

  it("24. reading globalThis for host objects", async () => {
    const names = (await seen(`return { seen: Object.getOwnPropertyNames(globalThis) };`)) as string[];
    for (const n of NO_HOST) expect(names).not.toContain(n);
    expect(await seen(`return { seen: [typeof global, typeof globalThis.process, typeof globalThis.__host, typeof os, typeof std] };`)).toEqual(["undefined", "undefined", "undefined", "undefined", "undefined"]);
    await hostIsHealthy();
  });

  it("25. eval and new Function stay inside the sandbox", async () => {
    expect(await seen(`globalThis.escaped = true; return { seen: [eval("typeof process"), new Function("return typeof require")(), (0, eval)("this") === globalThis, typeof Function("return this")().process] };`)).toEqual(["undefined", "undefined", true, "undefined"]);
    await hostIsHealthy();
  });

  it("26. Symbol tricks: forged table columns via Map iterator and Symbol.hasInstance", async () => {
    const r = await attempt(`export default async function run({ inputs }) {
      Map.prototype[Symbol.iterator] = function* () { yield ["stolen", { ref: { table: 7, name: "x", take: [99] } }]; };
      Object.defineProperty(Object, Symbol.hasInstance, { value: () => true });
      return { table: inputs.a.select("x") };
    }`);
    // The guest can confuse its own helpers, never the host: the output is a valid table or a user error.
    if (r.error) expect(r.error.code).toMatch(/code_bad_output|code_error/);
    else expect(r.out!.tables.table!.numRows).toBe(3);
    await hostIsHealthy();
  });

  it("27. forged row indices on a filtered column are checked by the host", async () => {
    const r = await attempt(`export default async function run({ inputs }) {
      Int32Array.from = () => new Int32Array([0, 1e9, -5]);
      return { table: inputs.a.filter(() => true) };
    }`);
    if (r.error) expect(r.error.code).toMatch(/code_bad_output|code_error/);
    else expect(r.out!.tables.table!.getChild("x")!.toArray()).toEqual(new Float64Array([1, 2, 3]));
    await hostIsHealthy();
  });

  it("28. fetch / XMLHttpRequest / WebSocket", async () => {
    expect(await seen(`return { seen: [typeof fetch, typeof XMLHttpRequest, typeof WebSocket, typeof navigator] };`)).toEqual(["undefined", "undefined", "undefined", "undefined"]);
    await hostIsHealthy();
  });

  it("29. Date / Math / JSON tampering is not seen by the host", async () => {
    expect(await seen(`Date.now = () => 0; Math.random = () => 0.5; JSON.stringify = () => "x"; Date.prototype.getTime = () => 0; return { seen: Date.now() };`)).toBe(0);
    await hostIsHealthy();
  });

  it("30. SQL cannot read or write files or unlock its configuration", async () => {
    const out = await seen(`const r = [];
      for (const q of ["select * from read_text('/etc/passwd')", "copy (select 1) to '${MARKER}'", "set enable_external_access = true", "install httpfs", "attach '${MARKER}.db' as x"]) {
        try { await sql(q); r.push("ran"); } catch (e) { r.push("blocked"); }
      }
      return { seen: r };`);
    expect(out).toEqual(["blocked", "blocked", "blocked", "blocked", "blocked"]);
    expect(existsSync(`${MARKER}.db`)).toBe(false);
    await hostIsHealthy();
  });

  it("31. SQL state does not leak from one job to the next", async () => {
    expect(await seen(`await sql("create table stash as select 42 as v"); return { seen: (await sql("select v from stash")).column("v")[0] };`)).toBe(42);
    const e = await fails(`return { seen: (await sql("select v from stash")).column("v")[0] };`, "code_error");
    expect(e.message).toMatch(/stash/);
    await hostIsHealthy();
  });

  it("32. globals left by one job are gone in the next", async () => {
    expect(await seen(`globalThis.stash = 1; Array.prototype.stash = 2; return { seen: 1 };`)).toBe(1);
    expect(await seen(`return { seen: [typeof globalThis.stash, typeof [].stash] };`)).toEqual(["undefined", "undefined"]);
    await hostIsHealthy();
  });

  it("33. cancelling the run stops a busy guest", async () => {
    const ac = new AbortController();
    const job = runSandboxed({ code: `export default async function run() { for (;;) {} }`, inputs: {}, params: {}, limits: { timeoutMs: 60_000 }, host: { runId: "r", nodeId: "n", signal: ac.signal, log() {}, progress() {}, metric() {} } });
    ac.abort();
    await expect(job).rejects.toMatchObject({ name: "AbortError" });
    await hostIsHealthy();
  });

  it("ordinary jobs and soft time-outs reuse the sandbox thread; the host keeps its own globals", async () => {
    await hostIsHealthy();
    const count = sandboxThreadsStarted();
    await hostIsHealthy();
    await fails(`for (;;) {}`, "code_timeout", { timeoutMs: 100, memoryMB: 64 });
    await hostIsHealthy();
    expect(sandboxThreadsStarted()).toBe(count);
    expect(sandboxThreadsStarted()).toBeGreaterThanOrEqual(threadsBefore);
    expect(typeof (process as unknown as Record<string, unknown>).binding).toBe("function");
  });
});
