/**
 * A RunContext for node tests: real DuckDB/TensorFlow.js runtime, recorded progress/logs/metrics.
 */
import { isAbsolute, resolve } from "node:path";
import { expect } from "vitest";
import type { RunContext } from "../../nodes/core/context";
import { NodeUserError } from "../../nodes/core/errors";
import { createNodeRuntime, type ManagedRuntime } from "../../server/engine/runtime/node-runtime";

export interface RecordingContext extends RunContext {
  progressCalls: number[];
  logs: string[];
  metrics: Array<{ name: string; value: number; step?: number }>;
  abort(): void;
}

let shared: ManagedRuntime | undefined;
/** One runtime per test file (DuckDB instance, tfjs backend); close it in afterAll via closeTestRuntime(). */
export function testRuntime(): ManagedRuntime {
  return (shared ??= createNodeRuntime());
}
export async function closeTestRuntime() {
  await shared?.close();
  shared = undefined;
}

export function makeContext(opts: { nodeId?: string; baseDir?: string } = {}): RecordingContext {
  const ac = new AbortController();
  const blobs = new Map<string, Uint8Array>();
  const ctx: RecordingContext = {
    runId: "test-run",
    nodeId: opts.nodeId ?? "node",
    signal: ac.signal,
    progressCalls: [],
    logs: [],
    metrics: [],
    abort: () => ac.abort(),
    progress(f) {
      ctx.progressCalls.push(f);
    },
    log(m) {
      ctx.logs.push(m);
    },
    metric(name, value, step) {
      ctx.metrics.push({ name, value, step });
    },
    runtime: testRuntime(),
    artifacts: {
      resolvePath: (p) => (isAbsolute(p) ? p : resolve(opts.baseDir ?? process.cwd(), p)),
      put: async (b) => {
        const h = `h${blobs.size}`;
        blobs.set(h, b);
        return h;
      },
      get: async (h) => blobs.get(h) ?? new Uint8Array(),
    },
  };

  return ctx;
}

/** Awaits a promise that must reject with a NodeUserError (a message for the user), and returns that error. */
export async function userError(p: Promise<unknown>): Promise<NodeUserError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(NodeUserError);
  return e as NodeUserError;
}
