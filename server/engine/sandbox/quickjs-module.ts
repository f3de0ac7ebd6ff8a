/**
 * The QuickJS WebAssembly module the sandbox runs in.
 *
 * Why QuickJS (quickjs-emscripten) and not isolated-vm — issue #6 allows either; Node's `vm` is no boundary:
 * - No native build. isolated-vm 6/7 need Node ≥ 22/24; on our Node 20 only 5.x installs, it has to be compiled
 *   by node-gyp on every machine (2 min 45 s here on 2 cores: its prebuilt download cannot be reached), needs
 *   an `allowScripts` entry, and its docs require `--no-node-snapshot` on Node ≥ 20 for every process that
 *   loads it (server, worker threads, queue workers, vitest forks). QuickJS is a .wasm file inside the package.
 * - A smaller surface: the guest is an interpreter in linear memory; it has no JIT, no `process`, no timers,
 *   no WebAssembly, no Atomics and no host objects unless we hand it a function. Memory is counted by its own
 *   allocator (`setMemoryLimit`), CPU time by an interrupt handler the interpreter calls as it runs, and an
 *   interrupt cannot be caught by user code.
 * - Speed of data movement, the number that matters for the ≤ 50 ms target: a table enters as one copy of its
 *   Arrow IPC bytes into the WASM heap (16 MB for 100k × 20 doubles: a few ms) and numeric columns are
 *   zero-copy typed-array views; columns the code does not change leave as references to the host's vectors.
 *   The price is interpreter speed for per-row user loops (much slower than V8's JIT); heavy lifting belongs
 *   in `sql()`, which runs in DuckDB on the host.
 *
 * Measured here (test/bench/code-node.bench.ts, 100k × 20 table): pass-through ≈ 8 ms over a built-in node.
 *
 * One module instance is shared by the jobs of a sandbox thread (sandbox-worker.ts); each job gets its own
 * QuickJS runtime (own heap, own limits) that is disposed after it. After a memory or stack failure, a WASM
 * trap or a failed dispose, the module is thrown away and the next job instantiates a fresh one (fresh linear
 * memory). Interrupts are polled between bytecodes only, so the host also keeps a hard wall-clock deadline
 * and terminates the thread past it (run-sandboxed.ts).
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { newQuickJSWASMModuleFromVariant, newVariant, type QuickJSWASMModule } from "quickjs-emscripten-core";
import releaseSync from "@jitl/quickjs-wasmfile-release-sync";

let compiled: Promise<WebAssembly.Module> | undefined;
let loading: Promise<QuickJSWASMModule> | undefined;
let ready: QuickJSWASMModule | undefined;
let instantiated = 0;

/** How many module instances this process has made (tests check that ordinary jobs reuse one). */
export function quickjsModuleCount(): number {
  return instantiated;
}

function compileWasm(): Promise<WebAssembly.Module> {
  return (compiled ??= (async () => {
    const path = createRequire(import.meta.url).resolve("@jitl/quickjs-wasmfile-release-sync/wasm");
    return WebAssembly.compile(await readFile(path));
  })());
}

/** The shared module, instantiated on first use (compiled WebAssembly is cached per process). */
export function quickjsModule(): Promise<QuickJSWASMModule> {
  return (loading ??= (async () => {
    const mod = await newQuickJSWASMModuleFromVariant(newVariant(releaseSync, { wasmModule: await compileWasm() }));
    ready = mod;
    instantiated++;
    return mod;
  })());
}

/** Drops the shared module so the next job gets a fresh instance (fresh linear memory). */
export function discardQuickjsModule(mod: QuickJSWASMModule): void {
  if (ready === mod) {
    ready = undefined;
    loading = undefined;
  }
}
