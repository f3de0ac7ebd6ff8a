/**
 * The model registry repository and the run-event hook that fills it, on PGlite in memory and on real
 * PostgreSQL in a throwaway schema.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AnyNodeDefinition } from "../../nodes/core/define-node";
import fileSource from "../../nodes/sources/file-source";
import classificationMetrics from "../../nodes/evaluation/classification-metrics";
import gradientBoosting from "../../nodes/training/gradient-boosting";
import tuning from "../../nodes/tuning/tuning";
import { registerModelsFromEvent } from "../../server/engine/model-registry-hook";
import type { RunEventBody } from "../../server/engine/types";
import type { Plan, PlanNode } from "../../server/graph/compile-graph";
import { openDatabase } from "../../server/store/database";
import { StoreError } from "../../server/store/store-errors";
import type { Database, RegisterModelInput } from "../../server/store/types";
import { dropSchema, pgAvailable, throwawaySchema, urlWithSchema } from "./backends";
import { eventFactory, graph } from "./fixtures";

const backends = [
  { name: "pglite (memory)", skip: false, open: async () => ({ db: await openDatabase({ memory: true }), schema: undefined as string | undefined }) },
  {
    name: "postgresql (throwaway schema)",
    skip: !pgAvailable,
    open: async () => {
      const schema = throwawaySchema();
      return { db: await openDatabase({ databaseUrl: urlWithSchema(schema) }), schema };
    },
  },
];

let uid = 0;
const unique = (p: string) => `${p}-${++uid}-${Math.random().toString(36).slice(2, 8)}`;

function input(name: string, over: Partial<RegisterModelInput["lineage"]> = {}): RegisterModelInput {
  return {
    name,
    algorithm: "gradient-boosting",
    task: "binary",
    metrics: { loss: 0.25, val_loss: Number.NaN },
    params: { label: "class", maxIter: 10 },
    lineage: { runId: unique("run"), nodeId: "gbdt", workflowId: null, workflowVersionId: null, dataHash: "d".repeat(64), ...over },
    modelHash: "m".repeat(64),
  };
}

function planNode(id: string, node: object, label: string, inputs: PlanNode["inputs"] = {}): PlanNode {
  const def = node as AnyNodeDefinition; // a concrete definition, erased as the compiler erases it
  return { id, label, kind: def.kind, version: def.version, def, params: { label: "class" }, inputs, dependents: [] };
}

describe.each(backends)("model registry on $name", (backend) => {
  let db: Database;
  let schema: string | undefined;
  beforeAll(async () => {
    if (backend.skip) return;
    ({ db, schema } = await backend.open());
  });
  afterAll(async () => {
    if (backend.skip) return;
    await db.close();
    if (schema) await dropSchema(schema);
  });

  it.skipIf(backend.skip)("numbers versions per name, keeps lineage and finite metrics, lists newest first", async () => {
    const name = unique("Churn");
    const a = await db.models.register(input(name));
    const b = await db.models.register(input(name));
    const other = await db.models.register(input(unique("Other")));
    expect([a.version, b.version, other.version]).toEqual([1, 2, 1]);
    expect(a).toMatchObject({ name, algorithm: "gradient-boosting", task: "binary", metrics: { loss: 0.25 }, params: { label: "class", maxIter: 10 }, modelHash: "m".repeat(64) });
    expect(a.metrics).not.toHaveProperty("val_loss");
    expect(a.lineage).toMatchObject({ nodeId: "gbdt", dataHash: "d".repeat(64), workflowId: null, workflowVersion: null });
    expect((await db.models.list({ name })).map((m) => m.version)).toEqual([2, 1]);
    expect((await db.models.list()).map((m) => m.id).slice(0, 3)).toEqual([other.id, b.id, a.id]);
    expect((await db.models.list({ limit: 1 })).length).toBe(1);
    expect(await db.models.get(b.id)).toEqual(b);
  });

  it.skipIf(backend.skip)("registering the same run node twice returns the first entry", async () => {
    const i = input(unique("Same"));
    const first = await db.models.register(i);
    const again = await db.models.register({ ...i, metrics: { loss: 9 } });
    expect(again).toEqual(first);
    expect(await db.models.list({ name: i.name })).toHaveLength(1);
  });

  it.skipIf(backend.skip)("gives concurrent registrations of one name distinct versions", async () => {
    const name = unique("Race");
    const all = await Promise.all([1, 2, 3, 4].map(() => db.models.register(input(name))));
    expect(all.map((m) => m.version).sort()).toEqual([1, 2, 3, 4]);
  });

  it.skipIf(backend.skip)("resolves the workflow version number; unknown ids read back as null", async () => {
    const wf = await db.workflows.create(graph(unique("wf")));
    const m = await db.models.register(input(unique("Wf"), { workflowId: wf.id, workflowVersionId: wf.versionId }));
    expect(m.lineage).toMatchObject({ workflowId: wf.id, workflowVersionId: wf.versionId, workflowVersion: 1 });
    expect(await db.models.get("no-such-model")).toBeNull();
    expect(await db.models.list({ name: "no-such-name" })).toEqual([]);
  });

  it.skipIf(backend.skip)("refuses an empty name", async () => {
    await expect(db.models.register(input("  "))).rejects.toBeInstanceOf(StoreError);
  });

  describe("registerModelsFromEvent", () => {
    async function storedRun() {
      const wf = await db.workflows.create(graph(unique("wf"), ["src", "gbdt", "eval"]));
      const runId = unique("run");
      await db.runs.create({ id: runId, workflowId: wf.id, workflowVersionId: wf.versionId, nodes: ["src", "gbdt", "eval"].map((nodeId) => ({ nodeId, kind: "x" })) });
      const ev = eventFactory(runId);
      const label = unique("Income GBDT");
      const plan: Plan = {
        ok: true,
        issues: [],
        nodes: [
          planNode("src", fileSource, "Adult"),
          planNode("gbdt", gradientBoosting, label, { train: { node: "src", port: "table" } }),
          planNode("eval", classificationMetrics, "", { model: { node: "gbdt", port: "model" }, data: { node: "src", port: "table" } }),
        ],
        infos: { gbdt: { model: { model: { algorithm: "gradient-boosting", task: "binary" } } } },
      };
      const apply = async (body: RunEventBody) => {
        const e = ev(body);
        await db.runs.applyEvent(e);
        return registerModelsFromEvent(db, plan, e);
      };
      return { wf, runId, label, plan, apply, ev };
    }
    const table = { hash: "t".repeat(64), type: "table" as const, size: 100 };
    const modelRef = { hash: "a".repeat(64), type: "model" as const, size: 50 };

    it.skipIf(backend.skip)("registers a Training node's model with the training table's hash, the node's metrics and params", async () => {
      const { wf, runId, label, apply } = await storedRun();
      expect(await apply({ type: "run-started", nodeIds: ["src", "gbdt", "eval"] })).toBeUndefined();
      expect(await apply({ type: "succeeded", nodeId: "src", durationMs: 1, outputs: { table }, metrics: {}, cacheKey: "k1" })).toBeUndefined();
      const m = await apply({ type: "succeeded", nodeId: "gbdt", durationMs: 5, outputs: { model: modelRef }, metrics: { loss: 0.3 }, cacheKey: "k2" });
      expect(m).toMatchObject({ name: label, version: 1, algorithm: "gradient-boosting", task: "binary", metrics: { loss: 0.3 }, params: { label: "class" }, modelHash: modelRef.hash });
      expect(m!.lineage).toEqual({ runId, nodeId: "gbdt", workflowId: wf.id, workflowVersionId: wf.versionId, workflowVersion: 1, dataHash: table.hash });
      // An evaluation node's success registers nothing.
      expect(await apply({ type: "succeeded", nodeId: "eval", durationMs: 1, outputs: {}, metrics: { roc_auc: 0.9 }, cacheKey: "k3" })).toBeUndefined();
      // The next run of the same node is version 2.
      const second = await storedRun();
      const again = await registerModelsFromEvent(db, { ...second.plan, nodes: second.plan.nodes.map((n) => (n.id === "gbdt" ? { ...n, label } : n)) }, second.ev({ type: "succeeded", nodeId: "gbdt", durationMs: 5, outputs: { model: modelRef }, metrics: {}, cacheKey: "k2" }));
      expect(again).toMatchObject({ name: label, version: 2 });
      expect(again!.lineage.dataHash).toBeNull(); // that run's source output was never stored
    });

    it.skipIf(backend.skip)("registers a Tuning node's refitted model too", async () => {
      const { runId, apply, plan } = await storedRun();
      const label = unique("Tuned GBDT");
      plan.nodes.push(planNode("tune", tuning, label, { train: { node: "src", port: "table" } }));
      await apply({ type: "succeeded", nodeId: "src", durationMs: 1, outputs: { table }, metrics: {}, cacheKey: "k1" });
      const m = await apply({ type: "succeeded", nodeId: "tune", durationMs: 9, outputs: { model: modelRef }, metrics: { best_score: 0.92 }, cacheKey: "k4" });
      expect(m).toMatchObject({ name: label, version: 1, algorithm: "tuning/tune", metrics: { best_score: 0.92 }, params: { label: "class" }, modelHash: modelRef.hash });
      expect(m!.lineage).toMatchObject({ runId, nodeId: "tune", dataHash: table.hash });
    });

    it.skipIf(backend.skip)("ignores cached, failed and model-less events, and nodes not in the plan", async () => {
      const { apply } = await storedRun();
      expect(await apply({ type: "cached", nodeId: "gbdt", outputs: { model: modelRef }, metrics: {}, cacheKey: "k", durationMs: 0 })).toBeUndefined();
      expect(await apply({ type: "failed", nodeId: "gbdt", error: { code: "x", message: "x", user: true }, durationMs: 0 })).toBeUndefined();
      expect(await apply({ type: "succeeded", nodeId: "gbdt", durationMs: 1, outputs: { curve: { hash: "c".repeat(64), type: "chart", size: 1 } }, metrics: {}, cacheKey: "k" })).toBeUndefined();
    });

    it.skipIf(backend.skip)("names the node when its run is not stored", async () => {
      const { plan, label } = await storedRun();
      const e = { type: "succeeded" as const, nodeId: "gbdt", durationMs: 1, outputs: { model: modelRef }, metrics: {}, cacheKey: "k", runId: "no-such-run", seq: 1, ts: 0 };
      await expect(registerModelsFromEvent(db, plan, e)).rejects.toThrow(new RegExp(`"${label}" \\(node gbdt, run no-such-run\\): run no-such-run is not stored`));
    });
  });
});
