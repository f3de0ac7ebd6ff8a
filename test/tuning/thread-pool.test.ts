/**
 * Child tasks in process on the worker-thread pool: with one thread, the Tuning node holds it while it waits,
 * so its trials only run because a waiting parent lends its place (the pool grows by a thread while it
 * waits). Results equal the run without threads; Cancel stops the trials.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { registry } from "../../nodes/catalog";
import { InProcessExecutor } from "../../server/engine/in-process-executor";
import { createNodeRuntime } from "../../server/engine/runtime/node-runtime";
import { ThreadPool } from "../../server/engine/thread-pool";
import type { RunEvent } from "../../server/engine/types";
import { compileGraph } from "../../server/graph/compile-graph";
import type { Workflow } from "../../server/graph/format";
import { FileArtifactStore } from "../../server/store/artifact-store";
import { summary } from "../queue/helpers";

const dir = mkdtempSync(join(tmpdir(), "lattice-tuning-threads-"));
const store = new FileArtifactStore(join(dir, "artifacts"));
const runtime = createNodeRuntime();
const pool = new ThreadPool({ size: 1, storeRoot: store.root });
const threaded = new InProcessExecutor({ registry, store, runtime, pool });
const inline = new InProcessExecutor({ registry, store, runtime });
afterAll(async () => {
  await threaded.close();
  await runtime.close();
  rmSync(dir, { recursive: true, force: true });
});

const workflow = (maxTrials: number, settings: Record<string, unknown> = { earlyStopping: "off" }): Workflow => ({
  formatVersion: 1,
  name: "t",
  nodes: [
    { id: "src", kind: "sources/synthetic", version: 1, params: { rows: 300, seed: 4 }, position: { x: 0, y: 0 } },
    {
      id: "tune",
      kind: "tuning/tune",
      version: 1,
      position: { x: 0, y: 0 },
      params: { trainer: "gradient-boosting", method: "tpe", maxTrials, parallel: 2, startupTrials: 2, k: 3, settings, space: [{ type: "range", param: "learningRate", low: 0.02, high: 0.5, scale: "log" }, { type: "values", param: "maxLeafNodes", values: ["4", "16"] }] },
    },
  ],
  edges: [{ source: "src", sourcePort: "table", target: "tune", targetPort: "train" }],
});

let n = 0;
describe("tuning on the thread pool", () => {
  it("runs the trials on threads lent while the parent waits, with the same results as inline", async () => {
    const plan = compileGraph(workflow(4), registry);
    expect(plan.issues).toEqual([]);
    const a = await threaded.start({ runId: `tp-${++n}`, plan, noCache: true, sink: { emit: () => {} } }).done;
    expect(a.status, JSON.stringify(a.nodes.tune?.error)).toBe("succeeded");
    const b = await inline.start({ runId: `tp-${++n}`, plan, noCache: true, sink: { emit: () => {} } }).done;
    expect(summary(a)).toEqual(summary(b));
  });

  it("Cancel stops the trials", async () => {
    const plan = compileGraph(workflow(200, { earlyStopping: "off", maxIter: 300 }), registry);
    const events: RunEvent[] = [];
    let cancel = () => {};
    let t0 = 0;
    const handle = threaded.start({
      runId: `tp-${++n}`,
      plan,
      noCache: true,
      sink: {
        emit: (e) => {
          events.push(e);
          if (e.type === "metric" && e.name === "score" && !t0) {
            t0 = Date.now();
            cancel();
          }
        },
      },
    });
    cancel = handle.cancel;
    const r = await handle.done;
    expect(r.status).toBe("cancelled");
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(events.filter((e) => e.type === "metric" && e.name === "score").length).toBeLessThanOrEqual(2);
  });
});
