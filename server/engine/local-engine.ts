/**
 * The in-process engine without a database, as the CLI (and benchmarks of the CLI path) use it: node runtime,
 * worker-thread pool, executor and design-time analyzer over one artifact store.
 */
import type { NodeRegistry } from "../../nodes/core/registry";
import { createAnalyzer, type Analyzer } from "./analyze";
import { InProcessExecutor } from "./in-process-executor";
import { createNodeRuntime, type ManagedRuntime } from "./runtime/node-runtime";
import { defaultThreadCount, ThreadPool } from "./thread-pool";
import type { ArtifactStore } from "./types";

export interface LocalEngine {
  runtime: ManagedRuntime;
  executor: InProcessExecutor;
  analyzer: Analyzer;
  close(): Promise<void>;
}

export function createLocalEngine(registry: NodeRegistry, store: ArtifactStore): LocalEngine {
  const runtime = createNodeRuntime();
  const pool = new ThreadPool({ size: defaultThreadCount(), storeRoot: store.root });
  // The CLI runs a workflow right away: start loading the first thread while the graph is analysed.
  pool.prewarm();
  const executor = new InProcessExecutor({ registry, store, runtime, pool });
  return {
    runtime,
    executor,
    analyzer: createAnalyzer(registry, runtime),
    async close() {
      await executor.close();
      await runtime.close();
    },
  };
}
