/**
 * Picks the fastest TensorFlow.js backend that loads in this process or worker thread:
 * `@tensorflow/tfjs-node-gpu` → `@tensorflow/tfjs-node` → WebGPU through Dawn (the `webgpu` package, only when it
 * finds a hardware GPU adapter over Vulkan) → WebAssembly (`@tensorflow/tfjs-backend-wasm`) → pure-JS `cpu`. The
 * native packages are optional (their install script downloads libtensorflow, which fails offline), so they are
 * never in package.json and are only loaded when present; `webgpu` ships Dawn prebuilt and is an optional
 * dependency.
 *
 * `LATTICE_TF_BACKEND` forces one choice (`tensorflow-gpu`, `tensorflow`, `webgpu`, `wasm` or `cpu`) for tests and
 * benchmarks; a forced backend that cannot load is an error rather than a silent fallback.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { TF } from "../../../nodes/core/context";

export interface LoadedTf {
  tf: TF;
  /** tfjs backend name in use: `tensorflow` (native, CPU or GPU), `webgpu`, `wasm` or `cpu`. */
  backend: string;
  /** The one-line account logged at load: what was chosen and why the others were skipped. */
  detail: string;
}

type Choice = "tensorflow-gpu" | "tensorflow" | "webgpu" | "wasm" | "cpu";
const CHAIN: Choice[] = ["tensorflow-gpu", "tensorflow", "webgpu", "wasm", "cpu"];

let loaded: Promise<LoadedTf> | undefined;

/**
 * TensorFlow.js with the best backend available, loaded once per thread (module state is per worker thread,
 * which is what we want: each thread owns its own backend and WebAssembly memory).
 */
export function loadTf(): Promise<LoadedTf> {
  loaded ??= pick(process.env.LATTICE_TF_BACKEND).catch((e: unknown) => {
    loaded = undefined; // let a later call retry (e.g. after the env var is fixed)
    throw e;
  });
  return loaded;
}

async function pick(forced: string | undefined): Promise<LoadedTf> {
  const want = forced?.trim().toLowerCase();
  if (want && !CHAIN.includes(want as Choice))
    throw new Error(`LATTICE_TF_BACKEND="${forced}" is not one of ${CHAIN.join(", ")}`);
  const order = want ? [want as Choice] : CHAIN;
  const skipped: string[] = [];
  for (const choice of order) {
    try {
      const r = await TRY[choice]();
      const why = want ? "forced by LATTICE_TF_BACKEND" : skipped.length ? `skipped ${skipped.join("; ")}` : "first choice";
      const detail = `TensorFlow.js backend: ${r.backend}${r.note ? ` (${r.note})` : ""}; ${why}`;
      // stderr, not stdout: CLI commands print their results on stdout.
      console.error(`[lattice] ${detail}`);
      return { tf: r.tf, backend: r.backend, detail };
    } catch (e) {
      if (want) throw new Error(`LATTICE_TF_BACKEND=${want} could not load: ${message(e)}`, { cause: e });
      skipped.push(`${choice}: ${message(e)}`);
    }
  }
  throw new Error(`No TensorFlow.js backend could load (${skipped.join("; ")})`);
}

interface Attempt {
  tf: TF;
  backend: string;
  note?: string;
}

const TRY: Record<Choice, () => Promise<Attempt>> = {
  "tensorflow-gpu": () => native("@tensorflow/tfjs-node-gpu"),
  tensorflow: () => native("@tensorflow/tfjs-node"),
  webgpu: loadWebGpu,
  wasm: loadWasm,
  cpu: loadCpu,
};

/** Native bindings re-export the whole tfjs API; importing them throws when the binding is missing. */
async function native(pkg: string): Promise<Attempt> {
  // A variable specifier keeps bundlers and tsc from trying to resolve a package that is usually absent.
  const mod = (await import(/* webpackIgnore: true */ pkg)) as { default?: TF } & TF;
  const tf = unwrap(mod);
  await tf.setBackend("tensorflow");
  await tf.ready();
  return { tf, backend: tf.getBackend(), note: pkg };
}

/** The parts of Dawn's Node binding (`webgpu` package) used here, typed loosely: @webgpu/types is not a dependency. */
interface GpuAdapterLike {
  isFallbackAdapter?: boolean;
  info?: { vendor?: string; architecture?: string; device?: string; description?: string };
  limits: Record<string, number>;
  requestDevice(desc?: unknown): Promise<unknown>;
}
interface DawnModule {
  create(flags: string[]): { requestAdapter(opts?: unknown): Promise<GpuAdapterLike | null> };
  globals: Record<string, unknown>;
}

/** Software adapters (Dawn's SwiftShader, Mesa's llvmpipe/lavapipe) are slower than WASM: not worth choosing. */
export function isSoftwareAdapter(a: Pick<GpuAdapterLike, "isFallbackAdapter" | "info">): boolean {
  const i = a.info ?? {};
  return !!a.isFallbackAdapter || /swiftshader|llvmpipe|lavapipe|software/i.test(`${i.vendor ?? ""} ${i.architecture ?? ""} ${i.device ?? ""} ${i.description ?? ""}`);
}

/**
 * Linux: whether a Vulkan loader is installed, which Dawn needs to see any GPU. Checked before loading Dawn so
 * that machines without one neither load its large binding in every thread nor get its warning on stderr.
 */
export function hasVulkanLoader(env: Record<string, string | undefined> = process.env, exists: (p: string) => boolean = existsSync): boolean {
  if (process.platform !== "linux") return true; // Dawn uses Metal / D3D12 there
  const dirs = [...(env.LD_LIBRARY_PATH ?? "").split(":").filter(Boolean), "/usr/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/usr/lib", "/usr/local/lib", "/lib/x86_64-linux-gnu"];
  return dirs.some((d) => exists(join(d, "libvulkan.so.1")));
}

async function loadWebGpu(): Promise<Attempt> {
  if (!hasVulkanLoader()) throw new Error("no Vulkan loader (libvulkan.so.1) on this machine");
  const pkg = "webgpu";
  const dawn = unwrapDawn((await import(/* webpackIgnore: true */ pkg)) as DawnModule & { default?: DawnModule });
  const adapter = await dawn.create([]).requestAdapter({ powerPreference: "high-performance" });
  if (!adapter) throw new Error("no WebGPU adapter (no Vulkan GPU driver found)");
  const info = adapter.info ?? {};
  const name = [info.vendor, info.device || info.description || info.architecture].filter(Boolean).join(" ") || "unknown GPU";
  if (isSoftwareAdapter(adapter)) throw new Error(`only a software WebGPU adapter (${name}), slower than WASM`);
  // tfjs-backend-webgpu reads GPUBufferUsage, GPUMapMode... as globals, as in a browser.
  for (const [k, v] of Object.entries(dawn.globals)) if (!(k in globalThis)) Object.assign(globalThis, { [k]: v });
  const tf = await importTf();
  // The package registers itself only in a browser (it checks `window`); register it with our adapter instead.
  const { WebGPUBackend } = (await import("@tensorflow/tfjs-backend-webgpu")) as unknown as { WebGPUBackend: new (device: unknown, info?: unknown) => object };
  const limits = adapter.limits;
  const device = await adapter.requestDevice({
    requiredLimits: {
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    },
  });
  tf.registerBackend("webgpu", () => new WebGPUBackend(device, info) as never, 3);
  if (!(await tf.setBackend("webgpu"))) throw new Error("setBackend('webgpu') returned false");
  await tf.ready();
  return { tf, backend: "webgpu", note: `Dawn on ${name}` };
}

function unwrapDawn(mod: DawnModule & { default?: DawnModule }): DawnModule {
  return typeof mod.create === "function" ? mod : mod.default!;
}

async function loadWasm(): Promise<Attempt> {
  const tf = await importTf();
  const wasm = unwrap(await import("@tensorflow/tfjs-backend-wasm"));
  // The .wasm binaries sit next to the package's main file; hand Emscripten absolute paths on disk so nothing
  // is fetched (tfjs would otherwise resolve them relative to a script URL).
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve("@tensorflow/tfjs-backend-wasm"));
  wasm.setWasmPaths(join(dist, "/"));
  if (!(await tf.setBackend("wasm"))) throw new Error("setBackend('wasm') returned false");
  await tf.ready();
  const simd = await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT");
  // tfjs disables wasm threads under Node (tensorflow/tfjs#3830: its pthread worker is a Blob URL, which
  // Node's worker_threads cannot load), so the engine gets parallelism from worker threads instead.
  return { tf, backend: "wasm", note: `simd ${simd ? "on" : "off"}, threads off (tfjs#3830)` };
}

async function loadCpu(): Promise<Attempt> {
  const tf = await importTf();
  if (!(await tf.setBackend("cpu"))) throw new Error("setBackend('cpu') returned false");
  await tf.ready();
  return { tf, backend: "cpu" };
}

async function importTf(): Promise<TF> {
  return unwrap((await import("@tensorflow/tfjs")) as TF & { default?: TF });
}

/** CommonJS packages imported from ESM may arrive as `{ default: module }`, depending on the loader. */
function unwrap<T extends object>(mod: T & { default?: T }): T {
  return mod.default && typeof mod.default === "object" && !("setBackend" in mod) && !("setWasmPaths" in mod)
    ? mod.default
    : mod;
}

function message(e: unknown): string {
  const m = e instanceof Error ? e.message : String(e);
  // "Cannot find package 'x' imported from /long/path" → "Cannot find package 'x'": one readable log line.
  return m.split("\n")[0]!.replace(/ imported from .*$/, "").slice(0, 160);
}
