/**
 * Worker-thread side of the thread pool: runs CPU-heavy nodes off the API's event loop. One task at a time
 * per thread; DuckDB and TensorFlow.js are loaded once per thread and reused. A node's child tasks are sent
 * to the pool's side (which runs them on other threads, or as queue jobs) and their outcomes come back here.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { SubtaskOutcome } from "../../nodes/core/context";
import type { NodeRegistry } from "../../nodes/core/registry";
import { describeError } from "../../nodes/core/errors";
import { FileArtifactStore } from "../store/artifact-store";
import { executeNode, type NodeTask } from "./execute-node";
import { createNodeRuntime } from "./runtime/node-runtime";
import { childError, type SubtaskHost } from "./subtasks";
import type { SubtaskState, ToWorker, FromWorker } from "./thread-protocol";

const { storeRoot, registryModule } = workerData as { storeRoot: string; registryModule: string };
const port = parentPort!;
const store = new FileArtifactStore(storeRoot);
const runtime = createNodeRuntime();
const registryP: Promise<NodeRegistry> = import(registryModule).then((m: { registry: NodeRegistry }) => m.registry);
let current: { id: number; ac: AbortController; batches: Map<number, BatchInbox> } | undefined;

const send = (m: FromWorker) => port.postMessage(m);

port.on("message", (msg: ToWorker) => {
  switch (msg.t) {
    case "abort":
      if (current?.id === msg.id) current.ac.abort(new DOMException("Cancelled", "AbortError"));
      return;
    case "child":
      if (current?.id === msg.id) current.batches.get(msg.batch)?.push(msg.outcome);
      return;
    case "batch-end":
      if (current?.id === msg.id) current.batches.get(msg.batch)?.end(msg.error ? childError(msg.error) : undefined);
      return;
    case "run":
      void run(msg.id, msg.task, msg.subtasks);
  }
});

/** Outcomes of one batch as they arrive from the pool, read by the node as an async iterable. */
class BatchInbox {
  private readonly items: SubtaskOutcome[] = [];
  private done = false;
  private error: Error | undefined;
  private wake: (() => void) | undefined;

  push(o: SubtaskOutcome) {
    this.items.push(o);
    this.wake?.();
  }

  end(error?: Error) {
    this.done = true;
    this.error = error;
    this.wake?.();
  }

  async *drain(signal: AbortSignal): AsyncIterable<SubtaskOutcome> {
    const onAbort = () => this.wake?.();
    signal.addEventListener("abort", onAbort);
    try {
      for (;;) {
        if (this.items.length) {
          yield this.items.shift()!;
          continue;
        }
        if (this.error) throw this.error;
        if (this.done) return;
        signal.throwIfAborted();
        await new Promise<void>((r) => (this.wake = r));
        this.wake = undefined;
      }
    } finally {
      signal.removeEventListener("abort", onAbort);
    }
  }
}

async function run(id: number, task: NodeTask, state: SubtaskState) {
  const ac = new AbortController();
  const batches = new Map<number, BatchInbox>();
  current = { id, ac, batches };
  let nextBatch = 0;
  const host: SubtaskHost = {
    startedAt: state.startedAt,
    launched: new Set(state.launched),
    runBatch(children, signal) {
      const batch = nextBatch++;
      const inbox = new BatchInbox();
      batches.set(batch, inbox);
      send({ t: "batch", id, batch, children });
      return inbox.drain(signal);
    },
  };
  try {
    const result = await executeNode(task, {
      registry: await registryP,
      store,
      runtime,
      signal: ac.signal,
      subtasks: host,
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
