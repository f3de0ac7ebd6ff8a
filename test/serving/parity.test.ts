/**
 * Parity: a published endpoint predicts what the workflow's own Batch score node predicts for the same rows
 * (max abs diff ≤ 1e-6), on the Adult examples, including rows with missing values and unseen categories,
 * sent as JSON and as CSV.
 */
import { readFileSync } from "node:fs";
import type { Table } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { numericColumn, stringColumn } from "../../nodes/core/arrow";
import { loadValue } from "../../server/engine/codecs";
import type { Workflow } from "../../server/graph/format";
import { ADMIN, example, post, runWorkflow, scoringCsv, startHarness, withBatchScore, type Harness } from "./helpers";

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(async () => h?.close());

async function output(runId: string, nodeId: string, port: string): Promise<Table> {
  const run = await h.svc.db.runs.get(runId);
  const ref = run!.nodes.find((n) => n.nodeId === nodeId)!.outputs[port]!;
  return (await loadValue(h.svc.artifacts, ref)) as Table;
}

/** The scored table's input columns as JSON rows (nulls for missing cells). */
function jsonRows(t: Table, columns: string[]): Array<Record<string, unknown>> {
  return Array.from({ length: t.numRows }, (_, i) => Object.fromEntries(columns.map((c) => {
    const v = t.getChild(c)!.get(i);
    return [c, typeof v === "bigint" ? Number(v) : (v ?? null)];
  })));
}

/** The gradient-boosting example with a random forest (30 trees, to keep the test quick) as its model. */
function randomForestExample() {
  const wf = example("adult-gbdt");
  const model = wf.nodes.find((n) => n.id === "model")!;
  model.kind = "training/random-forest";
  model.params = { nEstimators: 30 };
  return wf;
}

async function checkParity(name: "adult-income" | "adult-gbdt" | "adult-forest" | "code", slug: string) {
  const csv = scoringCsv(h.dir);
  const wf = name === "code" ? codeAndImpute(csv) : withBatchScore(name === "adult-forest" ? randomForestExample() : example(name), csv);
  const { workflowId, runId } = await runWorkflow(h.svc, wf);
  const pub = await h.svc.endpoints.publish({ workflowId, runId, slug }, ADMIN);
  expect(pub.version).toBe(1);
  const { key } = await h.svc.endpoints.createKey(slug, "parity", ADMIN, 100_000);
  const expected = await output(runId, "score", "scored");
  // The rows as read from the file (Batch score's output holds them after its fitted transforms).
  const raw = await output(runId, "toScore", "table");
  const fields = (await h.svc.endpoints.get(slug)).input;
  // The code node adds long_hours itself: requests send the raw columns only.
  expect(fields.map((f) => f.name)).not.toContain("long_hours");
  // The model's inputs: every Adult column but the label and the sensitive ones the trainer leaves out.
  expect(fields.map((f) => f.name)).not.toContain("class");
  expect(fields.map((f) => f.name)).toEqual(expect.arrayContaining(["age", "workclass", "occupation", "native-country", "hours-per-week"]));
  expect(fields.find((f) => f.name === "workclass")?.categories).toContain("Private");
  expect(fields.filter((f) => !f.nullable).map((f) => f.name)).toEqual([]);

  const rows = jsonRows(raw, fields.map((f) => f.name));
  const wantScore = numericColumn(expected, "score");
  const wantClass = stringColumn(expected, "prediction");
  expect(rows.some((r) => r.age === null)).toBe(true);
  expect(rows.some((r) => r.workclass === "Martian-Corp")).toBe(true);

  const compare = (predictions: Array<{ prediction: string; probabilities: Record<string, number> }>) => {
    expect(predictions).toHaveLength(expected.numRows);
    let maxDiff = 0;
    predictions.forEach((p, i) => {
      maxDiff = Math.max(maxDiff, Math.abs(p.probabilities[">50K"]! - wantScore[i]!));
      expect(p.prediction).toBe(wantClass[i]);
    });
    expect(maxDiff).toBeLessThanOrEqual(1e-6);
  };

  const asJson = await post(`${h.url}/api/v1/endpoints/${slug}/predict`, JSON.stringify({ rows }), { authorization: `Bearer ${key}` });
  expect(asJson.status).toBe(200);
  expect(asJson.headers.get("x-lattice-version")).toBe("1");
  compare(asJson.json.predictions);

  // One row at a time gives the same numbers as the whole batch.
  for (const i of [0, 7, 11, 13]) {
    const one = await post(`${h.url}/api/v1/endpoints/${slug}/predict`, JSON.stringify(rows[i]), { "x-api-key": key });
    expect(one.status).toBe(200);
    expect(Math.abs(one.json.predictions[0].probabilities[">50K"] - wantScore[i]!)).toBeLessThanOrEqual(1e-6);
  }

  // CSV: the same file the workflow scored, with its `?` cells sent as empty cells.
  const text = readFileSync(csv, "utf8").replace(/(^|,)\?(?=,|$)/gm, "$1");
  const asCsv = await post(`${h.url}/api/v1/endpoints/${slug}/predict`, text, { authorization: `Bearer ${key}`, "content-type": "text/csv" });
  expect(asCsv.status).toBe(200);
  compare(asCsv.json.predictions);
  return { key, slug };
}

/** A Code node (QuickJS sandbox) and a fitted Impute on the serving path, before gradient-boosted trees. */
function codeAndImpute(csv: string): Workflow {
  const wf = example("adult-gbdt");
  const pos = { x: 0, y: 0 };
  const code = `export default async function run({ inputs }: any) {
  const t = inputs.a;
  return { table: t.withColumn("long_hours", (r: any) => (r["hours-per-week"] !== null && r["hours-per-week"] > 45 ? 1 : 0)), metrics: { rows: t.numRows } };
}`;
  wf.nodes.push(
    { id: "code", kind: "code/typescript", version: 2, label: "Long hours", params: { code }, position: pos },
    { id: "impute", kind: "features/impute", version: 1, params: { strategy: "most_frequent" }, position: pos },
    { id: "toScore", kind: "sources/file", version: 1, params: { path: csv, format: "csv", nullStrings: ["?"] }, position: pos },
    { id: "code2", kind: "code/typescript", version: 2, params: { code }, position: pos },
    { id: "score", kind: "deploy/batch-score", version: 1, params: { threshold: 0.5 }, position: pos },
  );
  wf.edges = wf.edges.filter((e) => !(e.source === "split" && e.target === "model"));
  wf.edges.push(
    { id: "x1", source: "split", sourcePort: "train", target: "code", targetPort: "a" },
    { id: "x2", source: "code", sourcePort: "table", target: "impute", targetPort: "train" },
    { id: "x3", source: "impute", sourcePort: "train", target: "model", targetPort: "train" },
    { id: "x4", source: "toScore", sourcePort: "table", target: "code2", targetPort: "a" },
    { id: "x5", source: "code2", sourcePort: "table", target: "score", targetPort: "table" },
    { id: "x6", source: "model", sourcePort: "model", target: "score", targetPort: "model" },
    { id: "x7", source: "impute", sourcePort: "fitted", target: "score", targetPort: "fitted1" },
  );
  // The metrics node scores the raw test rows, which lack the code's column: score the replayed ones instead.
  wf.nodes = wf.nodes.filter((n) => n.id !== "metrics");
  wf.edges = wf.edges.filter((e) => e.target !== "metrics");
  return wf;
}

describe("endpoint ↔ batch scoring parity on Adult", () => {
  it("logistic regression: JSON, single rows and CSV equal Batch score (missing values, unseen categories)", async () => {
    const { key, slug } = await checkParity("adult-income", "adult-lr");
    // Explanations of a linear model add up to its log-odds.
    const r = await post(`${h.url}/api/v1/endpoints/${slug}/predict?explain=true`, JSON.stringify({ age: 45, workclass: "Private", "hours-per-week": 60 }), { authorization: `Bearer ${key}` });
    expect(r.status).toBe(200);
    const p = r.json.predictions[0];
    expect(p.explanation).toMatchObject({ method: "linear", output: "log-odds", class: ">50K" });
    const logit = p.explanation.intercept + Object.values(p.explanation.contributions as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(1 / (1 + Math.exp(-logit))).toBeCloseTo(p.probabilities[">50K"], 5);
  });

  it("gradient-boosted trees: JSON, single rows and CSV equal Batch score", async () => {
    const { key, slug } = await checkParity("adult-gbdt", "adult-gbdt");
    // Trees are explained by Kernel SHAP of the pipeline (explain.ts; test/serving/explain.test.ts), in probability.
    const r = await post(`${h.url}/api/v1/endpoints/${slug}/predict?explain=true`, JSON.stringify({ age: 45 }), { authorization: `Bearer ${key}` });
    expect(r.status).toBe(200);
    const p = r.json.predictions[0];
    expect(p.explanation).toMatchObject({ method: "kernel-shap", output: "probability", class: ">50K" });
    expect(p.explanation.intercept + Object.values(p.explanation.contributions as Record<string, number>).reduce((a, b) => a + b, 0)).toBeCloseTo(p.probabilities[">50K"], 6);
  });

  it("random forest: JSON, single rows and CSV equal Batch score", async () => {
    const { slug } = await checkParity("adult-forest", "adult-forest");
    expect((await h.svc.endpoints.get(slug)).input.map((f) => f.name)).toContain("native-country");
  });

  it("a Code node (sandbox, run per request) and a fitted Impute on the serving path equal Batch score after the same code", async () => {
    const { slug } = await checkParity("code", "adult-code");
    const d = await h.svc.db.endpoints.get(slug);
    const spec = (await h.svc.db.endpoints.version(d!.id, 1))!.spec as { steps: Array<{ type: string; nodeId: string }> };
    expect(spec.steps.map((s) => [s.type, s.nodeId])).toEqual([["node", "code"], ["fitted", "impute"]]);
  });
});
