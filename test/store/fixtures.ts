/** Small builders shared by the store tests. */
import type { Workflow } from "../../server/graph/format";
import type { RunEvent, RunEventBody } from "../../server/engine/types";

export function graph(name: string, nodeIds: string[] = ["src"]): Workflow {
  return {
    formatVersion: 1,
    name,
    nodes: nodeIds.map((id, i) => ({ id, kind: "sources/csv", version: 1, params: { path: `${id}.csv` }, position: { x: i * 100, y: 0 } })),
    edges: [],
  };
}

/** Numbers events from 1 like the engine, 1 ms apart from `t0`. */
export function eventFactory(runId: string, t0 = Date.UTC(2026, 10, 24, 12, 0, 0)) {
  let seq = 0;
  return (body: RunEventBody): RunEvent => {
    seq += 1;
    return { ...body, runId, seq, ts: t0 + seq } as RunEvent;
  };
}
