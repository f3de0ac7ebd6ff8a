/**
 * Run service over the real embedded database (PGlite in memory): runs persist as Run/NodeRun rows, events
 * replay without gaps from any point (a browser reloading mid-run), invalid workflows are refused with
 * issues, cancel is recorded.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAppServices, type LatticeServices } from "../../server/engine/app-services";
import { ServiceError } from "../../server/engine/service-error";
import type { RunEvent } from "../../server/engine/types";
import type { Workflow } from "../../server/graph/format";
import { registry } from "../helpers/stub-nodes";

const dir = mkdtempSync(join(tmpdir(), "lattice-runsvc-"));
let svc: LatticeServices;
beforeAll(async () => {
  svc = await createAppServices({ dataDir: dir, memoryDb: true, registry, registryModule: new URL("../helpers/stub-nodes.ts", import.meta.url).href, threads: 1 });
});
afterAll(async () => {
  await svc.close();
  rmSync(dir, { recursive: true, force: true });
});

const pos = { x: 0, y: 0 };
const graph = (slowMs: number): Workflow => ({
  formatVersion: 1,
  name: "svc",
  nodes: [
    { id: "a", kind: "test/const", version: 1, params: { value: 2 }, position: pos },
    { id: "slow", kind: "test/slow", version: 1, params: { ms: slowMs }, position: pos },
    { id: "h", kind: "test/heavy", version: 1, params: { n: 100 }, position: pos },
  ],
  edges: [
    { source: "a", sourcePort: "value", target: "slow", targetPort: "in" },
    { source: "slow", sourcePort: "out", target: "h", targetPort: "in" },
  ],
});

async function collect(runId: string, after = 0) {
  const out: RunEvent[] = [];
  for await (const e of svc.runs.events(runId, after, new AbortController().signal)) out.push(e);
  return out;
}

describe("InProcessRunService", () => {
  it("runs a saved workflow, persists node runs and replays a gap-free stream from any point", async () => {
    const wf = await svc.db.workflows.create(graph(400));
    const { runId } = await svc.runs.startSaved(wf.id);
    // a second subscriber joins mid-run from the snapshot's last seq, as a reloaded page does
    await new Promise((r) => setTimeout(r, 150));
    const snapshot = await svc.db.runs.get(runId);
    const [all, late] = await Promise.all([collect(runId), collect(runId, snapshot!.lastSeq)]);
    expect(all.map((e) => e.seq)).toEqual(all.map((_, i) => i + 1));
    expect(late.map((e) => e.seq)).toEqual(all.filter((e) => e.seq > snapshot!.lastSeq).map((e) => e.seq));
    expect(all.at(-1)).toMatchObject({ type: "run-finished", status: "succeeded" });

    const run = await svc.db.runs.get(runId);
    expect(run).toMatchObject({ status: "succeeded", workflowId: wf.id, workflowVersionId: wf.versionId });
    expect(run!.lastSeq).toBe(all.length);
    const byId = Object.fromEntries(run!.nodes.map((n) => [n.nodeId, n]));
    expect(byId.h).toMatchObject({ status: "succeeded", cacheHit: false, metrics: { total: 4951 } });
    expect(byId.slow!.durationMs).toBeGreaterThan(0);
    expect(run!.info.executor).toMatch(/in-process/);

    // rerun: served from cache, recorded as cache hits
    const again = await svc.runs.startSaved(wf.id);
    await collect(again.runId);
    const run2 = await svc.db.runs.get(again.runId);
    expect(run2!.nodes.every((n) => n.status === "cached" && n.cacheHit)).toBe(true);
    expect((await svc.db.runs.listForWorkflow(wf.id)).map((r) => r.id)).toEqual(expect.arrayContaining([runId, again.runId]));
  });

  it("refuses a workflow that does not compile, with the issues", async () => {
    const bad = graph(10);
    bad.edges = [];
    bad.nodes.push({ id: "s", kind: "test/add", version: 2, params: {}, position: pos });
    const wf = await svc.db.workflows.create(bad);
    const err = await svc.runs.startSaved(wf.id).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceError);
    expect((err as ServiceError).code).toBe("invalid_workflow");
    expect((err as ServiceError).issues[0]).toMatchObject({ code: "missing_input", nodeId: "s" });
    await expect(svc.runs.startSaved("no-such-workflow")).rejects.toMatchObject({ code: "not_found" });
    const empty = await svc.db.workflows.create({ formatVersion: 1, name: "empty", nodes: [], edges: [] });
    await expect(svc.runs.startSaved(empty.id)).rejects.toMatchObject({ code: "invalid_workflow", message: expect.stringMatching(/empty/) });
  });

  it("records a cancelled run", async () => {
    const wf = await svc.db.workflows.create(graph(60_000));
    const { runId } = await svc.runs.startSaved(wf.id);
    const events: RunEvent[] = [];
    for await (const e of svc.runs.events(runId, 0, new AbortController().signal)) {
      events.push(e);
      if (e.type === "progress") await svc.runs.cancel(runId);
    }
    expect(events.at(-1)).toMatchObject({ type: "run-finished", status: "cancelled" });
    const run = await svc.db.runs.get(runId);
    expect(run!.status).toBe("cancelled");
    expect(run!.nodes.find((n) => n.nodeId === "slow")!.status).toBe("cancelled");
  });

  it("reports this process as the one worker in embedded mode", async () => {
    const w = await svc.workers();
    expect(w.mode).toBe("in-process");
    expect(w.pools).toEqual([]);
    expect(w.workers).toHaveLength(1);
    expect(w.workers[0]).toMatchObject({ pid: process.pid, pools: ["cpu"], concurrency: 1 });
  });

  it("previews a stored table with column statistics", async () => {
    const wf = await svc.db.workflows.create({ formatVersion: 1, name: "t", nodes: [{ id: "t", kind: "test/table", version: 1, params: { rows: 6 }, position: pos }], edges: [] });
    const { runId } = await svc.runs.startSaved(wf.id);
    await collect(runId);
    const ref = (await svc.db.runs.get(runId))!.nodes[0]!.outputs.table!;
    const p = await svc.preview(ref.hash, "table");
    expect(p.type).toBe("table");
    if (p.type !== "table") return;
    expect(p.table.rows).toBe(6);
    const x = p.table.columns.find((c) => c.name === "x")!;
    expect(x).toMatchObject({ dtype: "float", min: 0, max: 5, mean: 2.5, nulls: 0 });
    expect(p.table.columns.find((c) => c.name === "label")!.top).toEqual([{ value: "b", count: 3 }, { value: "a", count: 3 }]);
    expect(p.table.head.data[0]).toEqual([0, 1, 2, 3, 4, 5]);
  });
});
