/**
 * Redis restarted (without persistence, so every queue and stream is gone) in the middle of a node: the run
 * still completes with the results of a clean run. Uses a private redis-server on a free port, never the
 * shared one.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InProcessExecutor } from "../../server/engine/in-process-executor";
import { createNodeRuntime } from "../../server/engine/runtime/node-runtime";
import type { RunEvent } from "../../server/engine/types";
import { compileGraph } from "../../server/graph/compile-graph";
import type { Workflow } from "../../server/graph/format";
import { startNodeWorker, type NodeWorkerHandle } from "../../server/queue/node-worker";
import { QueueExecutor } from "../../server/queue/queue-executor";
import { FileArtifactStore } from "../../server/store/artifact-store";
import { registry } from "../helpers/stub-nodes";
import { uniquePrefix, summary } from "./helpers";

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

let port = 0;
let redis: ChildProcess | undefined;
/** Start redis-server on `port` and wait until it accepts connections. */
async function startRedis() {
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: ["ignore", "pipe", "pipe"] });
  await new Promise<void>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (b: Buffer) => {
      out += b.toString();
      if (out.includes("Ready to accept connections")) resolve();
    });
    child.once("exit", (code) => reject(new Error(`redis-server exited (${code}): ${out}`)));
  });
  redis = child;
}
async function stopRedis() {
  const r = redis;
  redis = undefined;
  if (!r || r.exitCode !== null) return;
  const exited = new Promise((res) => r.once("exit", res));
  r.kill("SIGKILL");
  await exited;
}

const prefix = uniquePrefix("restart");
const dir = mkdtempSync(join(tmpdir(), "lattice-queue-restart-"));
const store = new FileArtifactStore(join(dir, "artifacts"));
const runtime = createNodeRuntime();
let executor: QueueExecutor;
let worker: NodeWorkerHandle;

beforeAll(async () => {
  port = await freePort();
  await startRedis();
  const url = `redis://127.0.0.1:${port}`;
  executor = new QueueExecutor({ redisUrl: url, prefix, store, watchdogMs: 300 });
  worker = startNodeWorker({ redisUrl: url, prefix, pools: ["cpu"], concurrency: 2, registry, store, runtime, lockDurationMs: 1000, stalledIntervalMs: 500 });
  await worker.ready;
});

afterAll(async () => {
  await executor?.close();
  await worker?.close();
  await runtime.close();
  await stopRedis();
  rmSync(dir, { recursive: true, force: true });
});

const pos = { x: 0, y: 0 };
const graph: Workflow = {
  formatVersion: 1,
  name: "restart",
  nodes: [
    { id: "c", kind: "test/const", version: 1, params: { value: 4 }, position: pos },
    { id: "slow", kind: "test/slow", version: 1, params: { ms: 1500 }, position: pos },
    { id: "sum", kind: "test/add", version: 2, params: { offset: 1 }, position: pos },
    { id: "after", kind: "test/add", version: 2, params: { offset: 2 }, position: pos },
  ],
  edges: [
    { source: "c", sourcePort: "value", target: "sum", targetPort: "a" },
    { source: "slow", sourcePort: "out", target: "sum", targetPort: "b" },
    { source: "sum", sourcePort: "sum", target: "after", targetPort: "a" },
  ],
};

describe("Redis restart mid-run", () => {
  it("completes the run with a clean run's results", async () => {
    const plan = compileGraph(graph, registry);
    const clean = await new InProcessExecutor({ registry, store, runtime }).start({ runId: "clean", plan, noCache: true, sink: { emit: () => {} } }).done;
    let restarted!: () => void;
    const restartedP = new Promise<void>((r) => (restarted = r));
    let restarting = false;
    const events: RunEvent[] = [];
    const handle = executor.start({
      runId: `restart-${prefix}`,
      plan,
      noCache: true,
      sink: {
        emit: (e) => {
          events.push(e);
          if (e.type === "progress" && e.nodeId === "slow" && !restarting) {
            restarting = true;
            void stopRedis()
              .then(() => new Promise((r) => setTimeout(r, 300)))
              .then(startRedis)
              .then(restarted);
          }
        },
      },
    });
    await restartedP;
    const result = await handle.done;
    expect(result.status).toBe("succeeded");
    expect(summary(result)).toEqual(summary(clean));
  }, 60_000);
});
