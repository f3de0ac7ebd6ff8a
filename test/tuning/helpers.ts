/**
 * Running the tuning and cross-validation nodes through the engine's executeNode (inputs and outputs in a
 * real artifact store, child tasks inline), with recorded metrics and logs.
 */
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Table } from "apache-arrow";
import { registry } from "../../nodes/catalog";
import type { PortValue } from "../../nodes/core/values";
import { loadValue, storeValue } from "../../server/engine/codecs";
import { executeNode, type NodeTaskHooks } from "../../server/engine/execute-node";
import type { ArtifactStore } from "../../server/engine/types";
import { FileArtifactStore } from "../../server/store/artifact-store";
import { testRuntime } from "../helpers/node-context";

export const store: ArtifactStore = new FileArtifactStore(join(mkdtempSync(join(tmpdir(), "lattice-tuning-")), "artifacts"));

export interface Recorded {
  metrics: Array<{ name: string; value: number; step?: number }>;
  logs: Array<{ level: string; message: string }>;
}

let runs = 0;
/** Runs node `kind` on `train` and returns its decoded outputs; `signal` cancels, `onMetric` watches. */
export async function runNode(
  kind: string,
  params: Record<string, unknown>,
  train: Table,
  opts: { signal?: AbortSignal; onMetric?: (name: string, value: number, step?: number) => void } = {},
): Promise<{ outputs: Record<string, PortValue>; hashes: Record<string, string>; recorded: Recorded; metrics: Record<string, number> }> {
  const def = registry.get(kind)!;
  const recorded: Recorded = { metrics: [], logs: [] };
  const hooks: NodeTaskHooks = {
    progress: () => {},
    log: (level, message) => recorded.logs.push({ level, message }),
    metric: (name, value, step) => {
      recorded.metrics.push({ name, value, step });
      opts.onMetric?.(name, value, step);
    },
  };
  const input = await storeValue(store, "table", train);
  const r = await executeNode(
    { runId: `tuning-test-${++runs}`, nodeId: "n", kind, version: def.version, params: def.params.parse(params), inputs: { train: input } },
    { registry, store, runtime: testRuntime(), signal: opts.signal ?? new AbortController().signal, hooks },
  );
  const outputs: Record<string, PortValue> = {};
  for (const [port, ref] of Object.entries(r.outputs)) outputs[port] = await loadValue(store, ref);
  return { outputs, hashes: Object.fromEntries(Object.entries(r.outputs).map(([p, ref]) => [p, ref.hash])), recorded, metrics: r.metrics };
}

/** Rows of an Arrow table as plain objects (small test tables only). */
export function rows(t: Table): Array<Record<string, unknown>> {
  return t.toArray().map((r) => ({ ...(r as object) }) as Record<string, unknown>);
}
