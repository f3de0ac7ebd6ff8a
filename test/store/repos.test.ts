/**
 * The repositories, run against PGlite in memory and against real PostgreSQL in a throwaway schema.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { openDatabase } from "../../server/store/database";
import { StoreError } from "../../server/store/store-errors";
import type { Database } from "../../server/store/types";
import type { RunEvent } from "../../server/engine/types";
import { dropSchema, pgAvailable, throwawaySchema, urlWithSchema } from "./backends";
import { eventFactory, graph } from "./fixtures";

interface Backend {
  name: string;
  skip: boolean;
  open(): Promise<{ db: Database; dispose(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: "pglite (memory)",
    skip: false,
    async open() {
      const db = await openDatabase({ memory: true });
      return { db, dispose: () => db.close() };
    },
  },
  {
    name: "postgresql (throwaway schema)",
    skip: !pgAvailable,
    async open() {
      const schema = throwawaySchema();
      const db = await openDatabase({ databaseUrl: urlWithSchema(schema) });
      return {
        db,
        async dispose() {
          await db.close();
          await dropSchema(schema);
        },
      };
    },
  },
];

let uid = 0;
const runId = (p: string) => `${p}-${++uid}-${Math.random().toString(36).slice(2, 8)}`;

describe.each(backends)("store on $name", (backend) => {
  let db: Database;
  let dispose: () => Promise<void>;

  beforeAll(async () => {
    if (backend.skip) return;
    ({ db, dispose } = await backend.open());
  });
  afterAll(async () => {
    if (!backend.skip) await dispose();
  });

  it.skipIf(backend.skip)("describes where it lives", () => {
    expect(db.describe()).toMatch(backend.skip ? /./ : backend.name.startsWith("pglite") ? /^pglite:memory$/ : /^postgres:[^@]+:\d+\/\w+\?schema=lattice_test_/);
  });

  describe.skipIf(backend.skip)("workflows", () => {
    it("creates version 1 and reads it back", async () => {
      const g = graph("Churn model", ["a", "b"]);
      const wf = await db.workflows.create(g, "first draft");
      expect(wf).toMatchObject({ name: "Churn model", version: 1, graph: g });
      expect(wf.updatedAt).toBeInstanceOf(Date);
      expect(await db.workflows.get(wf.id)).toEqual(wf);
      const versions = await db.workflows.versions(wf.id);
      expect(versions).toHaveLength(1);
      expect(versions[0]).toMatchObject({ id: wf.versionId, version: 1, message: "first draft" });
      expect(versions[0]!.createdAt).toBeInstanceOf(Date);
    });

    it("appends an immutable version per save and reads any version", async () => {
      const v1 = await db.workflows.create(graph("Draft", ["a"]));
      const before = await db.workflows.versions(v1.id);
      const v2 = await db.workflows.save(v1.id, graph("Renamed", ["a", "b"]), "add b");
      const v3 = await db.workflows.save(v1.id, graph("Renamed again", ["a", "b", "c"]));
      expect([v2.version, v3.version]).toEqual([2, 3]);
      expect(new Set([v1.versionId, v2.versionId, v3.versionId]).size).toBe(3);

      const old = await db.workflows.get(v1.id, 1);
      expect(old?.graph).toEqual(graph("Draft", ["a"]));
      expect(old?.versionId).toBe(v1.versionId);
      expect((await db.workflows.get(v1.id, 2))?.graph.nodes.map((n) => n.id)).toEqual(["a", "b"]);
      const latest = await db.workflows.get(v1.id);
      expect(latest).toMatchObject({ version: 3, name: "Renamed again", versionId: v3.versionId });

      const after = await db.workflows.versions(v1.id);
      expect(after.map((v) => v.version)).toEqual([3, 2, 1]);
      expect(after[1]?.message).toBe("add b");
      // version 1 is the same row, untouched by the saves
      expect(after[2]).toEqual(before[0]);

      const summary = (await db.workflows.list()).find((w) => w.id === v1.id);
      expect(summary).toMatchObject({ name: "Renamed again", latestVersion: 3, lastRun: null });
    });

    it("gives concurrent saves distinct version numbers", async () => {
      const wf = await db.workflows.create(graph("Busy"));
      const saved = await Promise.all([1, 2, 3].map((i) => db.workflows.save(wf.id, graph(`Busy ${i}`))));
      expect(saved.map((s) => s.version).sort()).toEqual([2, 3, 4]);
      expect((await db.workflows.get(wf.id))?.version).toBe(4);
    });

    it("returns null for unknown workflows and versions", async () => {
      const wf = await db.workflows.create(graph("Lonely"));
      expect(await db.workflows.get("no-such-workflow")).toBeNull();
      expect(await db.workflows.get(wf.id, 2)).toBeNull();
      expect(await db.workflows.versions("no-such-workflow")).toEqual([]);
    });

    it("refuses to save a workflow that does not exist", async () => {
      const err = await db.workflows.save("no-such-workflow", graph("Ghost")).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect(err).toMatchObject({ code: "not_found" });
      expect((err as Error).message).toContain("no-such-workflow");
    });

    it("lists workflows with their last run", async () => {
      const wf = await db.workflows.create(graph("With runs"));
      await db.runs.create({ id: runId("old"), workflowId: wf.id, workflowVersionId: wf.versionId, nodes: [] });
      const latest = runId("new");
      await db.runs.create({ id: latest, workflowId: wf.id, workflowVersionId: wf.versionId, nodes: [] });
      const ev = eventFactory(latest, Date.now());
      await db.runs.applyEvent(ev({ type: "run-started", nodeIds: [] }));
      const summary = (await db.workflows.list()).find((w) => w.id === wf.id);
      expect(summary?.lastRun).toMatchObject({ id: latest, status: "running" });
      expect(summary?.lastRun?.startedAt).toBeInstanceOf(Date);
    });

    it("deletes a workflow with its versions, runs and events, and tolerates a repeated delete", async () => {
      const wf = await db.workflows.create(graph("Doomed"));
      await db.workflows.save(wf.id, graph("Doomed 2"));
      const id = runId("doomed");
      await db.runs.create({ id, workflowId: wf.id, workflowVersionId: wf.versionId, nodes: [{ nodeId: "src", kind: "sources/csv" }] });
      const ev = eventFactory(id);
      await db.runs.applyEvent(ev({ type: "run-started", nodeIds: ["src"] }));
      await db.workflows.delete(wf.id);
      expect(await db.workflows.get(wf.id)).toBeNull();
      expect(await db.workflows.versions(wf.id)).toEqual([]);
      expect(await db.runs.get(id)).toBeNull();
      expect(await db.runs.eventsAfter(id, 0)).toEqual([]);
      await expect(db.workflows.delete(wf.id)).resolves.toBeUndefined();
    });
  });

  describe.skipIf(backend.skip)("runs", () => {
    it("creates a run with one pending NodeRun per node, in plan order", async () => {
      const wf = await db.workflows.create(graph("Plan", ["b", "a"]));
      const id = runId("create");
      await db.runs.create({
        id,
        workflowId: wf.id,
        workflowVersionId: wf.versionId,
        nodes: [{ nodeId: "z", kind: "k/one" }, { nodeId: "a", kind: "k/two" }, { nodeId: "m", kind: "k/three" }],
        info: { executor: "in-process", backend: "wasm" },
      });
      const run = await db.runs.get(id);
      expect(run).toMatchObject({ id, workflowId: wf.id, workflowVersionId: wf.versionId, status: "queued", lastSeq: 0, info: { executor: "in-process", backend: "wasm" } });
      expect(run?.createdAt).toBeInstanceOf(Date);
      expect(run?.nodes.map((n) => [n.nodeId, n.kind, n.status, n.cacheHit])).toEqual([
        ["z", "k/one", "pending", false],
        ["a", "k/two", "pending", false],
        ["m", "k/three", "pending", false],
      ]);
      expect(run?.nodes[0]).toMatchObject({ metrics: {}, outputs: {}, error: null, startedAt: null });
      expect(await db.runs.get("no-such-run")).toBeNull();
    });

    it("refuses a duplicate run id", async () => {
      const id = runId("dup");
      await db.runs.create({ id, nodes: [] });
      const err = await db.runs.create({ id, nodes: [] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect(err).toMatchObject({ code: "conflict" });
    });

    it("refuses a run of a workflow that does not exist", async () => {
      const err = await db.runs.create({ id: runId("orphan"), workflowId: "no-such-workflow", nodes: [] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect(err).toMatchObject({ code: "not_found" });
      expect((err as Error).message).toContain("no-such-workflow");
    });

    it("folds a realistic event sequence, ignoring a replayed seq", async () => {
      const id = runId("fold");
      const kinds = { load: "sources/csv", train: "training/mlp", cachedScale: "features/standard-scale", evalFail: "evaluation/metrics", explain: "explain/shap" };
      await db.runs.create({ id, nodes: Object.entries(kinds).map(([nodeId, kind]) => ({ nodeId, kind })) });
      const ev = eventFactory(id);
      const table = { hash: "a".repeat(64), type: "table" as const, size: 2048, table: { columns: [{ name: "age", dtype: "float" as const }], rows: 10 } };
      const model = { hash: "b".repeat(64), type: "model" as const, size: 99 };
      const events: RunEvent[] = [
        ev({ type: "run-started", nodeIds: Object.keys(kinds) }),
        ev({ type: "cached", nodeId: "load", outputs: { out: table }, metrics: { rows: 10 }, cacheKey: "key-load", durationMs: 1.5 }),
        ev({ type: "queued", nodeId: "train" }),
        ev({ type: "running", nodeId: "train", worker: "thread-1" }),
        ev({ type: "progress", nodeId: "train", fraction: 0.25, message: "epoch 1/4" }),
        ev({ type: "metric", nodeId: "train", name: "loss", value: 0.9, step: 1 }),
        ev({ type: "log", nodeId: "train", level: "info", message: "backend wasm" }),
        ev({ type: "progress", nodeId: "train", fraction: 0.5 }),
        ev({ type: "metric", nodeId: "train", name: "loss", value: 0.5, step: 2 }),
        ev({ type: "metric", nodeId: "train", name: "val_loss", value: 0.6, step: 2 }),
        ev({ type: "succeeded", nodeId: "train", durationMs: 812.25, outputs: { model }, metrics: { accuracy: 0.84 }, cacheKey: "key-train" }),
        ev({ type: "queued", nodeId: "evalFail" }),
        ev({ type: "running", nodeId: "evalFail" }),
        ev({ type: "failed", nodeId: "evalFail", error: { code: "missing_column", message: "Column label not found", field: "label", user: true }, durationMs: 3 }),
        ev({ type: "skipped", nodeId: "explain", reason: "Upstream node evalFail failed" }),
        ev({ type: "run-finished", status: "failed", durationMs: 900, error: "1 node failed" }),
      ];
      for (const e of events) await db.runs.applyEvent(e);
      // The browser's reconnect or a retried write delivers seq 4 ("running" for train) again: it must not
      // send the finished node back to running.
      const running = events[3]!;
      await db.runs.applyEvent(running);
      await db.runs.applyEvent({ ...running, ts: running.ts + 5000 });

      const run = await db.runs.get(id);
      expect(run).toMatchObject({ status: "failed", durationMs: 900, error: "1 node failed", lastSeq: events.length });
      expect(run?.startedAt).toEqual(new Date(events[0]!.ts));
      expect(run?.finishedAt).toEqual(new Date(events.at(-1)!.ts));
      const node = (nodeId: string) => run!.nodes.find((n) => n.nodeId === nodeId)!;

      expect(node("load")).toMatchObject({ status: "cached", cacheHit: true, cacheKey: "key-load", durationMs: 1.5, progress: 1, outputs: { out: table }, metrics: { rows: 10 } });
      expect(node("train")).toMatchObject({
        status: "succeeded",
        cacheHit: false,
        cacheKey: "key-train",
        durationMs: 812.25,
        progress: 1,
        error: null,
        outputs: { model },
        // latest value per name; the final metrics merged in
        metrics: { loss: 0.5, val_loss: 0.6, accuracy: 0.84 },
      });
      expect(node("train").startedAt).toEqual(new Date(events[3]!.ts));
      expect(node("train").finishedAt).toEqual(new Date(events[10]!.ts));
      expect(node("evalFail")).toMatchObject({
        status: "failed",
        durationMs: 3,
        error: { code: "missing_column", message: "Column label not found", field: "label", user: true },
      });
      expect(node("explain")).toMatchObject({ status: "skipped", progressMessage: "Upstream node evalFail failed" });
      for (const n of run!.nodes) {
        expect(n.finishedAt).toBeInstanceOf(Date);
      }

      // Every event is stored once, in order, exactly as emitted (progress and logs included).
      const stored = await db.runs.eventsAfter(id, 0);
      expect(stored).toEqual(events);
      expect((await db.runs.eventsAfter(id, 10)).map((e) => e.seq)).toEqual([11, 12, 13, 14, 15, 16]);
      expect(await db.runs.eventsAfter(id, events.length)).toEqual([]);
      // the learning curve is the metric series in the event log
      const curve = stored.flatMap((e) => (e.type === "metric" && e.name === "loss" ? [[e.step, e.value]] : []));
      expect(curve).toEqual([[1, 0.9], [2, 0.5]]);
    });

    it("keeps progress at 1 when a late progress tick arrives after success", async () => {
      const id = runId("late");
      await db.runs.create({ id, nodes: [{ nodeId: "n", kind: "k" }] });
      const ev = eventFactory(id);
      await db.runs.applyEvent(ev({ type: "running", nodeId: "n" }));
      await db.runs.applyEvent(ev({ type: "succeeded", nodeId: "n", durationMs: 1, outputs: {}, metrics: {}, cacheKey: "k" }));
      await db.runs.applyEvent(ev({ type: "progress", nodeId: "n", fraction: 0.9, message: "late" }));
      const n = (await db.runs.get(id))!.nodes[0]!;
      expect(n).toMatchObject({ status: "succeeded", progress: 1, progressMessage: null });
      expect((await db.runs.get(id))!.lastSeq).toBe(3);
    });

    it("reads a non-finite metric back as NaN", async () => {
      const id = runId("nan");
      await db.runs.create({ id, nodes: [{ nodeId: "n", kind: "k" }] });
      const ev = eventFactory(id);
      await db.runs.applyEvent(ev({ type: "metric", nodeId: "n", name: "loss", value: Number.NaN, step: 7 }));
      expect((await db.runs.get(id))!.nodes[0]!.metrics.loss).toBeNaN();
    });

    it("cancels the open nodes of a cancelled run and leaves finished ones alone", async () => {
      const id = runId("cancel");
      await db.runs.create({ id, nodes: ["done", "busy", "waiting", "single"].map((nodeId) => ({ nodeId, kind: "k" })) });
      const ev = eventFactory(id);
      await db.runs.applyEvent(ev({ type: "run-started", nodeIds: [] }));
      await db.runs.applyEvent(ev({ type: "succeeded", nodeId: "done", durationMs: 1, outputs: {}, metrics: {}, cacheKey: "k" }));
      await db.runs.applyEvent(ev({ type: "running", nodeId: "busy" }));
      await db.runs.applyEvent(ev({ type: "cancelled", nodeId: "single" }));
      expect((await db.runs.get(id))!.nodes.map((n) => n.status)).toEqual(["succeeded", "running", "pending", "cancelled"]);
      await db.runs.applyEvent(ev({ type: "cancelled" }));
      const run = (await db.runs.get(id))!;
      expect(run.status).toBe("cancelled");
      expect(run.nodes.map((n) => n.status)).toEqual(["succeeded", "cancelled", "cancelled", "cancelled"]);
    });

    it("closes nodes still open when the run finishes", async () => {
      const id = runId("leftover");
      await db.runs.create({ id, nodes: [{ nodeId: "a", kind: "k" }, { nodeId: "b", kind: "k" }] });
      const ev = eventFactory(id);
      await db.runs.applyEvent(ev({ type: "running", nodeId: "a" }));
      await db.runs.applyEvent(ev({ type: "run-finished", status: "failed", durationMs: 5 }));
      expect((await db.runs.get(id))!.nodes.map((n) => n.status)).toEqual(["skipped", "skipped"]);
    });

    it("stores an event for a node the run does not have without touching other nodes", async () => {
      const id = runId("stray");
      await db.runs.create({ id, nodes: [{ nodeId: "a", kind: "k" }] });
      const ev = eventFactory(id);
      await db.runs.applyEvent(ev({ type: "running", nodeId: "not-in-plan" }));
      const run = (await db.runs.get(id))!;
      expect(run.lastSeq).toBe(1);
      expect(run.nodes[0]!.status).toBe("pending");
    });

    it("refuses an event for a run that does not exist", async () => {
      const err = await db.runs.applyEvent({ type: "log", runId: "no-such-run", seq: 1, ts: Date.now(), nodeId: "a", level: "info", message: "hi" }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(StoreError);
      expect(err).toMatchObject({ code: "not_found" });
      expect(await db.runs.eventsAfter("no-such-run", 0)).toEqual([]);
    });

    it("lists a workflow's runs newest first, up to a limit", async () => {
      const wf = await db.workflows.create(graph("Many runs"));
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) {
        const id = runId(`list${i}`);
        ids.push(id);
        await db.runs.create({ id, workflowId: wf.id, workflowVersionId: wf.versionId, nodes: [{ nodeId: "src", kind: "sources/csv" }] });
      }
      const all = await db.runs.listForWorkflow(wf.id);
      expect(all.map((r) => r.id)).toEqual([...ids].reverse());
      expect(all[0]!.nodes).toHaveLength(1);
      expect((await db.runs.listForWorkflow(wf.id, 2)).map((r) => r.id)).toEqual([ids[2], ids[1]]);
    });
  });

  describe.skipIf(backend.skip)("artifacts", () => {
    it("upserts by hash and reads the ref back", async () => {
      const hash = "c".repeat(64);
      expect(await db.artifacts.get(hash)).toBeNull();
      const id = runId("art");
      await db.runs.create({ id, nodes: [] });
      await db.artifacts.record({ hash, type: "table", size: 5_000_000_000 }, { runId: id, nodeId: "load", port: "out" });
      const first = await db.artifacts.get(hash);
      expect(first).toMatchObject({ hash, type: "table", size: 5_000_000_000 });
      expect(first?.table).toBeUndefined();
      expect(first?.createdAt).toBeInstanceOf(Date);

      const table = { columns: [{ name: "x", dtype: "int" as const }], rows: 3 };
      await db.artifacts.record({ hash, type: "table", size: 5_000_000_000, table });
      await db.artifacts.record({ hash, type: "table", size: 5_000_000_000 });
      const again = await db.artifacts.get(hash);
      expect(again).toEqual({ ...first, table });
    });
  });
});

describe.each(backends)("close on $name", (backend) => {
  it.skipIf(backend.skip)("refuses every call after close instead of reconnecting", async () => {
    const { db, dispose } = await backend.open();
    await dispose();
    await expect(db.workflows.list()).rejects.toThrow(/is closed/);
    await expect(db.runs.applyEvent({ type: "log", runId: "r", seq: 1, ts: 0, nodeId: "n", level: "info", message: "late" })).rejects.toThrow(/is closed/);
    await expect(db.artifacts.get("h")).rejects.toThrow(/is closed/);
    await expect(db.close()).resolves.toBeUndefined();
  });
});

describe.each(backends)("listUnfinished on $name", (backend) => {
  it.skipIf(backend.skip)("lists the queued and running runs with their nodes", async () => {
    const { db, dispose } = await backend.open();
    try {
      const running = runId("running");
      const queued = runId("queued");
      const done = runId("done");
      await db.runs.create({ id: running, nodes: ["ok", "busy", "later"].map((nodeId) => ({ nodeId, kind: "k" })) });
      await db.runs.create({ id: queued, nodes: [{ nodeId: "a", kind: "k" }] });
      await db.runs.create({ id: done, nodes: [{ nodeId: "a", kind: "k" }] });
      const ev = eventFactory(running, Date.now() - 1000);
      await db.runs.applyEvent(ev({ type: "run-started", nodeIds: [] }));
      await db.runs.applyEvent(ev({ type: "succeeded", nodeId: "ok", durationMs: 1, outputs: {}, metrics: {}, cacheKey: "k" }));
      await db.runs.applyEvent(ev({ type: "running", nodeId: "busy" }));
      const evDone = eventFactory(done);
      await db.runs.applyEvent(evDone({ type: "run-started", nodeIds: [] }));
      await db.runs.applyEvent(evDone({ type: "succeeded", nodeId: "a", durationMs: 1, outputs: {}, metrics: {}, cacheKey: "k" }));
      await db.runs.applyEvent(evDone({ type: "run-finished", status: "succeeded", durationMs: 2 }));

      const open = (await db.runs.listUnfinished()).filter((r) => [running, queued, done].includes(r.id));
      expect(Object.fromEntries(open.map((r) => [r.id, r.status]))).toEqual({ [running]: "running", [queued]: "queued" });
      const r = open.find((o) => o.id === running)!;
      expect(r.lastSeq).toBe(3);
      expect(r.nodes.map((n) => n.status)).toEqual(["succeeded", "running", "pending"]);
    } finally {
      await dispose();
    }
  });
});
