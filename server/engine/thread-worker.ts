/**
 * Worker-thread side of the thread pool: runs CPU-heavy nodes off the API's event loop. One task at a time
 * per thread; DuckDB and TensorFlow.js are loaded once per thread and reused.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { NodeRegistry } from "../../nodes/core/registry";
import { describeError } from "../../nodes/core/errors";
import { FileArtifactStore } from "../store/artifact-store";
import { executeNode, type NodeTask } from "./execute-node";
import { createNodeRuntime } from "./runtime/node-runtime";
import type { ToWorker, FromWorker } from "./thread-protocol";

const { storeRoot, registryModule } = workerData as { storeRoot: string; registryModule: string };
const port = parentPort!;
const store = new FileArtifactStore(storeRoot);
const runtime = createNodeRuntime();
const registryP: Promise<NodeRegistry> = import(registryModule).then((m: { registry: NodeRegistry }) => m.registry);
let current: { id: number; ac: AbortController } | undefined;

const send = (m: FromWorker) => port.postMessage(m);

port.on("message", (msg: ToWorker) => {
  if (msg.t === "abort") {
    if (current?.id === msg.id) current.ac.abort(new DOMException("Cancelled", "AbortError"));
    return;
  }
  void run(msg.id, msg.task);
});

async function run(id: number, task: NodeTask) {
  const ac = new AbortController();
  current = { id, ac };
  try {
    const result = await executeNode(task, {
      registry: await registryP,
      store,
      runtime,
      signal: ac.signal,
      hooks: {
        progress: (fraction, message) => send({ t: "progress", id, fraction, message }),
        log: (level, message) => send({ t: "log", id, level, message }),
        metric: (name, value, step) => send({ t: "metric", id, name, value, step }),
      },
    });
    send({ t: "done", id, result, tfBackend: runtime.tfBackend() });
  } catch (e) {
    send({ t: "error", id, error: describeError(e), aborted: ac.signal.aborted });
  } finally {
    current = undefined;
  }
}

send({ t: "ready" });
