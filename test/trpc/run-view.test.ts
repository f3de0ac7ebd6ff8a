import { describe, expect, it } from "vitest";
import { reduceRun, type RunView } from "../../app/(editor)/_editor/store";
import type { RunEvent, RunEventBody } from "../../server/engine/types";

let seq = 0;
const ev = (body: RunEventBody): RunEvent => ({ ...body, runId: "r", seq: ++seq, ts: 1000 + seq }) as RunEvent;
const empty = (): RunView => ({ runId: "r", status: "queued", lastSeq: 0, live: true, info: {}, nodes: {} });

describe("the editor's run view (what the node faces show)", () => {
  it("folds events into node states, metric series and the run status", () => {
    seq = 0;
    const events = [
      ev({ type: "run-started", nodeIds: ["a", "b"] }),
      ev({ type: "cached", nodeId: "a", outputs: {}, metrics: {}, cacheKey: "k", durationMs: 3 }),
      ev({ type: "running", nodeId: "b" }),
      ev({ type: "progress", nodeId: "b", fraction: 0.4, message: "epoch 2/5" }),
      ev({ type: "metric", nodeId: "b", name: "loss", value: 0.7, step: 1 }),
      ev({ type: "metric", nodeId: "b", name: "loss", value: 0.5, step: 2 }),
      ev({ type: "succeeded", nodeId: "b", durationMs: 40, outputs: { m: { hash: "h", type: "metrics", size: 1 } }, metrics: { roc_auc: 0.9 }, cacheKey: "k2" }),
      ev({ type: "run-finished", status: "succeeded", durationMs: 50 }),
    ];
    const run = events.reduce(reduceRun, empty());
    expect(run.status).toBe("succeeded");
    expect(run.live).toBe(false);
    expect(run.lastSeq).toBe(8);
    expect(run.nodes.a).toMatchObject({ status: "cached", cached: true });
    expect(run.nodes.b).toMatchObject({ status: "succeeded", progress: 1, durationMs: 40, metrics: { roc_auc: 0.9 }, progressMessage: "epoch 2/5" });
    expect(run.nodes.b!.series.loss).toEqual({ x: [1, 2], y: [0.7, 0.5] });
  });

  it("marks unfinished nodes cancelled when the run is cancelled", () => {
    seq = 0;
    const run = [ev({ type: "run-started", nodeIds: ["a", "b"] }), ev({ type: "running", nodeId: "a" }), ev({ type: "run-finished", status: "cancelled", durationMs: 5 })].reduce(reduceRun, empty());
    expect(run.nodes.a!.status).toBe("cancelled");
    expect(run.nodes.b!.status).toBe("cancelled");
  });

  it("keeps a failed node's error", () => {
    seq = 0;
    const run = [ev({ type: "running", nodeId: "a" }), ev({ type: "failed", nodeId: "a", durationMs: 2, error: { code: "no_rows", message: "No rows", user: true } })].reduce(reduceRun, empty());
    expect(run.nodes.a).toMatchObject({ status: "failed", error: { message: "No rows" } });
  });
});
