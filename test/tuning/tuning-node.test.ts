/**
 * The Tuning node through executeNode (child tasks inline): finds the known best settings, grid runs exactly
 * its combinations, random and TPE are reproducible, budgets stop the search, Cancel stops the trials, a bad
 * search space fails with the setting named, and the refitted model scores like any trainer's.
 */
import type { Table } from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import { compileGraph } from "../../server/graph/compile-graph";
import { registry } from "../../nodes/catalog";
import { NodeUserError } from "../../nodes/core/errors";
import type { ModelValue, ReportValue } from "../../nodes/core/values";
import { scoreClassifier } from "../../nodes/training/predict";
import { closeTestRuntime, testRuntime } from "../helpers/node-context";
import { binaryTable } from "../nodes/synthetic-classification";
import { rows, runNode } from "./helpers";

afterAll(closeTestRuntime);

const data = binaryTable(300, 5);
const gbdt = (extra: Record<string, unknown>) => ({
  trainer: "gradient-boosting",
  label: "label",
  k: 3,
  settings: { earlyStopping: "off" },
  space: [
    { type: "range", param: "maxIter", low: 2, high: 40, scale: "log" },
    { type: "range", param: "learningRate", low: 0.01, high: 0.5, scale: "log" },
  ],
  ...extra,
});

describe("Tuning node", () => {
  it("finds the known best of a small grid: many rounds at a real learning rate minimise log loss", async () => {
    const r = await runNode(
      "tuning/tune",
      {
        trainer: "gradient-boosting",
        label: "label",
        method: "grid",
        metric: "log_loss",
        k: 3,
        settings: { earlyStopping: "off" },
        space: [
          { type: "values", param: "maxIter", values: ["1", "60", "5"] },
          { type: "values", param: "learningRate", values: ["0.001", "0.3"] },
        ],
      },
      data,
    );
    const best = r.outputs.best as ReportValue;
    expect(best).toMatchObject({ metric: "log_loss", higherIsBetter: false, params: { maxIter: 60, learningRate: 0.3 }, trials: 6, method: "grid", stoppedBy: "grid done" });
    const board = rows(r.outputs.leaderboard as Table);
    expect(board).toHaveLength(6);
    expect(board[0]).toMatchObject({ rank: 1, maxIter: 60, learningRate: 0.3 });
    // every combination exactly once, in proposal order by trial number, ranked by log loss (lower first)
    const byTrial = [...board].sort((a, b) => (a.trial as number) - (b.trial as number)).map((b) => [b.maxIter, b.learningRate]);
    expect(byTrial).toEqual([[1, 0.001], [1, 0.3], [60, 0.001], [60, 0.3], [5, 0.001], [5, 0.3]]);
    const losses = board.map((b) => b.log_loss as number);
    expect([...losses].sort((a, b) => a - b)).toEqual(losses);
    expect(new Set(losses).size).toBe(6);
    // live leaderboard: one score per trial, best so far never gets worse
    const scores = r.recorded.metrics.filter((m) => m.name === "score");
    expect(scores.map((m) => m.step)).toEqual([1, 2, 3, 4, 5, 6]);
    const bests = r.recorded.metrics.filter((m) => m.name === "best_score").map((m) => m.value);
    for (let i = 1; i < bests.length; i++) expect(bests[i]).toBeLessThanOrEqual(bests[i - 1]!);
    expect(r.metrics.best_score).toBeCloseTo(losses[0]!, 12);
    // the refitted model is the trainer's model type, which the scoring code (metrics, batch scoring) accepts
    const model = r.outputs.model as ModelValue;
    expect(model.info.label).toBe("label");
    const { proba } = await scoreClassifier(model, data, () => testRuntime().tf());
    expect(proba.length).toBe(data.numRows * 2);
    expect(rows(r.outputs.leaderboard as Table).length).toBe(6);
  });

  it("random and TPE search are reproducible with a seed", async () => {
    for (const method of ["random", "tpe"]) {
      const params = gbdt({ method, maxTrials: 6, parallel: 3, startupTrials: 3, seed: 11 });
      const a = await runNode("tuning/tune", params, data);
      const b = await runNode("tuning/tune", params, data);
      expect(a.hashes, method).toEqual(b.hashes);
      const c = await runNode("tuning/tune", { ...params, seed: 12 }, data);
      expect(c.hashes.leaderboard, method).not.toEqual(a.hashes.leaderboard);
      expect(rows(a.outputs.leaderboard as Table)).toHaveLength(6);
    }
  });

  it("stops at max trials, and at max time after the first batch", async () => {
    const trials = await runNode("tuning/tune", gbdt({ method: "random", maxTrials: 3, parallel: 2 }), data);
    expect((trials.outputs.best as ReportValue).trials).toBe(3);
    const timed = await runNode("tuning/tune", gbdt({ method: "random", maxTrials: 50, parallel: 2, maxTimeS: 0.001 }), data);
    expect(timed.outputs.best).toMatchObject({ trials: 2, stoppedBy: "max time" });
    expect(rows(timed.outputs.leaderboard as Table)).toHaveLength(2);
  });

  it("Cancel stops the trials", async () => {
    const ac = new AbortController();
    let seen = 0;
    const started = Date.now();
    const run = runNode(
      "tuning/tune",
      { trainer: "mlp", label: "label", method: "random", maxTrials: 100, parallel: 1, k: 3, settings: { epochs: 30, batchSize: 16, hiddenLayers: "8" }, space: [{ type: "range", param: "learningRate", low: 0.001, high: 0.1, scale: "log" }] },
      data,
      { signal: ac.signal, onMetric: (name) => name === "score" && ++seen === 1 && ac.abort(new DOMException("Cancelled", "AbortError")) },
    );
    await expect(run).rejects.toMatchObject({ name: "AbortError" });
    expect(seen).toBe(1);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it("a bad search space fails with the setting named, at design time and at run time", async () => {
    const params = { trainer: "gradient-boosting", label: "label", space: [{ type: "range", param: "learningRate", low: 0.01, high: 0.3 }, { type: "values", param: "l2", values: ["0"] }] };
    const e = await runNode("tuning/tune", params, data).then(
      () => undefined,
      (err: unknown) => err,
    );
    expect(e).toBeInstanceOf(NodeUserError);
    expect((e as NodeUserError).message).toMatch(/"l2" is not a setting of Gradient boosting\. Its settings: .*l2Regularization/);
    expect((e as NodeUserError).field).toBe("space");
    const plan = compileGraph(
      {
        formatVersion: 1,
        name: "t",
        nodes: [
          { id: "src", kind: "sources/synthetic", version: 1, params: { rows: 100 }, position: { x: 0, y: 0 } },
          { id: "tune", kind: "tuning/tune", version: 1, params: { ...params, label: "" }, position: { x: 0, y: 0 } },
        ],
        edges: [{ source: "src", sourcePort: "table", target: "tune", targetPort: "train" }],
      },
      registry,
    );
    expect(plan.issues.find((i) => i.nodeId === "tune")?.message).toMatch(/"l2" is not a setting of Gradient boosting/);
    const empty = await runNode("tuning/tune", { ...params, space: [] }, data).catch((err: unknown) => err as NodeUserError);
    expect(empty).toMatchObject({ code: "empty_space" });
  });

  it("child-task kinds cannot be placed in a workflow", () => {
    const plan = compileGraph({ formatVersion: 1, name: "t", nodes: [{ id: "x", kind: "tuning/fit-evaluate", version: 1, params: {}, position: { x: 0, y: 0 } }], edges: [] }, registry);
    expect(plan.issues[0]).toMatchObject({ code: "internal_kind", nodeId: "x" });
  });
});
