import { TRPCError } from "@trpc/server";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeEach, describe, expect, it } from "vitest";
import type { Workflow } from "../../server/graph/format";
import { createCaller } from "../../server/trpc/root";
import { editor } from "./actors";
import { createFakeServices, type FakeServices } from "./fake-services";

const graph = (name = "Income"): Workflow => ({
  formatVersion: 1,
  name,
  nodes: [{ id: "src", kind: "sources/file", version: 1, params: { path: "a.csv" }, position: { x: 0, y: 0 } }],
  edges: [],
});

async function trpcError(p: Promise<unknown>): Promise<TRPCError> {
  try {
    await p;
  } catch (e) {
    if (e instanceof TRPCError) return e;
    throw e;
  }
  throw new Error("expected the call to fail");
}

let services: FakeServices;
let caller: ReturnType<typeof createCaller>;
beforeEach(() => {
  services = createFakeServices();
  caller = createCaller({ services, user: editor });
});

describe("workflow router", () => {
  it("creates, lists, gets, saves new versions and deletes", async () => {
    const created = await caller.workflow.create({ name: "First" });
    expect(created.version).toBe(1);
    expect(created.graph.nodes).toEqual([]);
    expect((await caller.workflow.list()).map((w) => w.name)).toEqual(["First"]);

    const saved = await caller.workflow.save({ id: created.id, graph: graph("Renamed") });
    expect(saved.version).toBe(2);
    expect((await caller.workflow.get({ id: created.id })).name).toBe("Renamed");
    expect((await caller.workflow.get({ id: created.id, version: 1 })).name).toBe("First");
    expect((await caller.workflow.versions({ id: created.id })).map((v) => v.version)).toEqual([1, 2]);

    await caller.workflow.delete({ id: created.id });
    expect(await caller.workflow.list()).toEqual([]);
  });

  it("answers NOT_FOUND for a missing workflow or version", async () => {
    expect((await trpcError(caller.workflow.get({ id: "nope" }))).code).toBe("NOT_FOUND");
    const { id } = await caller.workflow.create({ name: "x" });
    const e = await trpcError(caller.workflow.get({ id, version: 9 }));
    expect(e.code).toBe("NOT_FOUND");
    expect(e.message).toContain("Version 9");
    expect((await trpcError(caller.workflow.delete({ id: "nope" }))).code).toBe("NOT_FOUND");
    expect((await trpcError(caller.workflow.save({ id: "nope", graph: graph() }))).code).toBe("NOT_FOUND");
  });

  it("refuses to save a malformed graph with the problems in words", async () => {
    const { id } = await caller.workflow.create({ name: "x" });
    const e = await trpcError(caller.workflow.save({ id, graph: { formatVersion: 1, nodes: [{ id: "a", version: 0 }] } }));
    expect(e.code).toBe("BAD_REQUEST");
    expect(e.message).toContain('node "a"');
    expect((await caller.workflow.versions({ id })).length).toBe(1);
  });

  it("imports Workflow JSON and reports parse problems", async () => {
    const rec = await caller.workflow.import({ text: JSON.stringify(graph("Imported one")) });
    expect(rec.name).toBe("Imported one");
    expect(rec.graph.nodes[0]!.kind).toBe("sources/file");

    const notJson = await trpcError(caller.workflow.import({ text: "{oops" }));
    expect(notJson.code).toBe("BAD_REQUEST");
    expect(notJson.message).toMatch(/not valid JSON/);

    const future = await trpcError(caller.workflow.import({ text: JSON.stringify({ ...graph(), formatVersion: 7 }) }));
    expect(future.code).toBe("BAD_REQUEST");
    expect(future.message).toContain("format version 7");
    expect((future.cause as { problems?: string[] }).problems?.[0]).toContain("Upgrade Lattice");
  });

  it("lists examples from the examples folder and creates a workflow from one", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "lattice-examples-"));
    await writeFile(path.join(dir, "penguins.workflow.json"), JSON.stringify({ ...graph("Penguins"), description: "Species" }));
    await writeFile(path.join(dir, "broken.workflow.json"), "{");
    await writeFile(path.join(dir, "notes.txt"), "x");
    const c = createCaller({ services, user: editor, examplesDir: dir });
    expect(await c.workflow.examples()).toEqual([{ file: "penguins.workflow.json", name: "Penguins", description: "Species", nodes: 1 }]);
    const rec = await c.workflow.createFromExample({ file: "penguins.workflow.json" });
    expect(rec.name).toBe("Penguins");
    expect((await trpcError(c.workflow.createFromExample({ file: "../secret.workflow.json" }))).code).toBe("BAD_REQUEST");
    expect((await trpcError(c.workflow.createFromExample({ file: "gone.workflow.json" }))).code).toBe("NOT_FOUND");
    expect(await caller.workflow.examples()).toEqual([]);
  });
});

describe("run router", () => {
  it("starts a saved workflow and returns the run id", async () => {
    const { id } = await caller.workflow.create({ name: "x", graph: graph() });
    const { runId } = await caller.run.start({ workflowId: id });
    expect(services.state.started).toEqual([{ workflowId: id, version: 1 }]);
    expect((await caller.run.get({ runId })).status).toBe("running");
    expect((await caller.run.listForWorkflow({ workflowId: id })).map((r) => r.id)).toEqual([runId]);
    await caller.run.cancel({ runId });
    expect(services.state.cancelled).toEqual([runId]);
  });

  it("refuses a workflow that does not compile, with the issues in the error", async () => {
    const { id } = await caller.workflow.create({ name: "x", graph: graph() });
    services.state.analyzeIssues = [
      { severity: "warning", code: "w", message: "just a warning" },
      { severity: "error", code: "missing_input", nodeId: "m", field: "train", message: '"Metrics" needs its "train" input connected.' },
    ];
    const e = await trpcError(caller.run.start({ workflowId: id }));
    expect(e.code).toBe("BAD_REQUEST");
    expect(e.message).toContain('"Metrics" needs its "train" input');
    expect((e.cause as { issues?: unknown[] }).issues).toHaveLength(1);
    expect(services.state.started).toEqual([]);
  });

  it("refuses an empty workflow and an unknown one", async () => {
    const { id } = await caller.workflow.create({ name: "x" });
    expect((await trpcError(caller.run.start({ workflowId: id }))).message).toMatch(/empty/);
    expect((await trpcError(caller.run.start({ workflowId: "nope" }))).code).toBe("NOT_FOUND");
  });

  it("maps engine errors that carry issues to BAD_REQUEST", async () => {
    const { id } = await caller.workflow.create({ name: "x", graph: graph() });
    services.state.startError = Object.assign(new Error("does not compile"), { issues: [{ severity: "error", code: "c", message: "m" }] });
    const e = await trpcError(caller.run.start({ workflowId: id }));
    expect(e.code).toBe("BAD_REQUEST");
    services.state.startError = new Error("disk full");
    expect((await trpcError(caller.run.start({ workflowId: id }))).code).toBe("INTERNAL_SERVER_ERROR");
  });

  it("answers NOT_FOUND for unknown runs", async () => {
    expect((await trpcError(caller.run.get({ runId: "r" }))).code).toBe("NOT_FOUND");
    expect((await trpcError(caller.run.cancel({ runId: "r" }))).code).toBe("NOT_FOUND");
    expect(services.state.cancelled).toEqual([]);
  });

  it("subscription replays events after the given seq, then streams live ones until the run finishes", async () => {
    const { id } = await caller.workflow.create({ name: "x", graph: graph() });
    const { runId } = await caller.run.start({ workflowId: id });
    services.emit(runId, { type: "run-started", nodeIds: ["a"] });
    services.emit(runId, { type: "running", nodeId: "a" });
    services.emit(runId, { type: "progress", nodeId: "a", fraction: 0.5 });

    const iterable = await caller.run.onEvents({ runId, lastEventId: "1" });
    const got: Array<{ id: string; type: string; seq: number }> = [];
    const reading = (async () => {
      for await (const item of iterable as AsyncIterable<unknown>) {
        const [trackedId, ev] = item as [string, { type: string; seq: number }];
        got.push({ id: trackedId, type: ev.type, seq: ev.seq });
        if (got.length === 2) {
          // live events arrive after the replayed ones
          services.emit(runId, { type: "succeeded", nodeId: "a", durationMs: 5, outputs: {}, metrics: {}, cacheKey: "k" });
          services.emit(runId, { type: "run-finished", status: "succeeded", durationMs: 6 });
        }
      }
    })();
    await reading;
    expect(got).toEqual([
      { id: "2", type: "running", seq: 2 },
      { id: "3", type: "progress", seq: 3 },
      { id: "4", type: "succeeded", seq: 4 },
      { id: "5", type: "run-finished", seq: 5 },
    ]);
  });

  it("subscription rejects an unknown run and a bad event id", async () => {
    await expect(caller.run.onEvents({ runId: "nope" }).then(async (it) => { for await (const _ of it as AsyncIterable<unknown>) void _; })).rejects.toMatchObject({ code: "NOT_FOUND" });
    const { id } = await caller.workflow.create({ name: "x", graph: graph() });
    const { runId } = await caller.run.start({ workflowId: id });
    await expect(caller.run.onEvents({ runId, lastEventId: "abc" }).then(async (it) => { for await (const _ of it as AsyncIterable<unknown>) void _; })).rejects.toMatchObject({ code: "BAD_REQUEST" });
  });
});

describe("graph, artifact and system routers", () => {
  it("analyze returns issues and infos, and refuses malformed graphs", async () => {
    services.state.analyzeIssues = [{ severity: "error", code: "x", nodeId: "src", message: "File not found" }];
    const r = await caller.graph.analyze({ workflow: graph() });
    expect(r.issues[0]!.message).toBe("File not found");
    const e = await trpcError(caller.graph.analyze({ workflow: { formatVersion: 1, nodes: "no" } }));
    expect(e.code).toBe("BAD_REQUEST");
  });

  it("preview returns a table preview or JSON and maps a missing artifact to an error", async () => {
    const t = await caller.artifact.preview({ hash: "abcdef0123456789", portType: "table" });
    expect(t.type === "table" && t.table.columns[0]!.mean).toBe(1.5);
    const m = await caller.artifact.preview({ hash: "abcdef0123456789", portType: "metrics" });
    expect(m.type).toBe("json");
    expect((await trpcError(caller.artifact.preview({ hash: "missing-hash", portType: "table" }))).code).toBe("INTERNAL_SERVER_ERROR");
    expect((await trpcError(caller.artifact.preview({ hash: "../../etc/passwd", portType: "table" }))).code).toBe("BAD_REQUEST");
  });

  it("info reports where things run", async () => {
    expect(await caller.system.info()).toMatchObject({ executor: "fake", tfjsBackend: "cpu" });
    const w = await caller.system.workers();
    expect(w.workers[0]).toMatchObject({ hostname: "gpu-box", gpu: { name: "H100" } });
    expect(w.pools).toEqual([{ pool: "gpu", waiting: 3, active: 1, delayed: 0, failed: 0, completed: 9 }]);
  });
});
