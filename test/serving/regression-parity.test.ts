/**
 * Regression endpoints: the cars MPG example's linear regression and gradient-boosted regressor, published
 * from one run (the workflow trains both: publish picks the model node), predict what the workflow's Batch
 * score nodes predicted for the same held-out rows (max abs diff ≤ 1e-6), including rows whose Horsepower is
 * missing (imputed by the fitted Impute on the serving path). The serving path starts at the raw rows (the SQL
 * expression `year("Year")` is replayed per request), so the endpoint takes the date column Year, sent as an
 * ISO "YYYY-MM-DD" string as a client would.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { DataType, type Table } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { numericColumn } from "../../nodes/core/arrow";
import { loadValue } from "../../server/engine/codecs";
import type { Workflow } from "../../server/graph/format";
import { ADMIN, post, runWorkflow, startHarness, type Harness } from "./helpers";

let h: Harness;
let workflowId = "";
let runId = "";
beforeAll(async () => {
  h = await startHarness();
  const wf = JSON.parse(readFileSync(resolve(import.meta.dirname, "../../examples/cars-mpg.workflow.json"), "utf8")) as Workflow;
  ({ workflowId, runId } = await runWorkflow(h.svc, wf));
}, 120_000);
afterAll(async () => h?.close());

async function output(nodeId: string, port: string): Promise<Table> {
  const run = await h.svc.db.runs.get(runId);
  const ref = run!.nodes.find((n) => n.nodeId === nodeId)!.outputs[port]!;
  return (await loadValue(h.svc.artifacts, ref)) as Table;
}

describe("regression endpoints (cars MPG)", () => {
  it.each([
    ["linear", "linearScore"],
    ["gbdt", "gbdtScore"],
  ])("the %s model's endpoint predicts what its Batch score node did", async (modelNodeId, scoreNode) => {
    const slug = `cars-${modelNodeId}`;
    await h.svc.endpoints.publish({ workflowId, runId, slug, modelNodeId }, ADMIN);
    const { key } = await h.svc.endpoints.createKey(slug, "parity", ADMIN, 100_000);
    const detail = await h.svc.endpoints.get(slug);
    expect(detail.output.task).toBe("regression");
    const fields = detail.input.map((f) => f.name);
    expect(fields).not.toContain("Miles_per_Gallon");
    expect(fields).toEqual(expect.arrayContaining(["Horsepower", "Weight_in_lbs", "Year"]));
    expect(fields).not.toContain("Model_Year"); // computed on the serving path from Year
    expect(detail.input.find((f) => f.name === "Year")?.dtype).toBe("date");

    // The held-out rows as the raw rows they came from (the split's test output has Model_Year, not Year):
    // each test row is matched to a source row with the same values and year("Year") = Model_Year.
    const test = await output("split", "test");
    const source = await output("source", "table");
    const want = numericColumn(await output(scoreNode, "scored"), "prediction");
    const shared = ["Miles_per_Gallon", "Cylinders", "Displacement", "Horsepower", "Weight_in_lbs", "Acceleration", "Origin"];
    const cell = (t: Table, c: string, i: number) => {
      const v: unknown = t.getChild(c)!.get(i);
      return typeof v === "bigint" ? Number(v) : (v ?? null);
    };
    const keyOf = (t: Table, i: number, year: number) => JSON.stringify([...shared.map((c) => cell(t, c, i)), year]);
    const bySource = new Map<string, number[]>();
    for (let i = 0; i < source.numRows; i++) {
      const k = keyOf(source, i, new Date(cell(source, "Year", i) as number).getUTCFullYear());
      bySource.set(k, [...(bySource.get(k) ?? []), i]);
    }
    const isDate = (c: string) => DataType.isDate(source.getChild(c)!.type);
    const rows = Array.from({ length: test.numRows }, (_, i) => {
      const s = bySource.get(keyOf(test, i, cell(test, "Model_Year", i) as number))?.shift();
      expect(s, `test row ${i} has no source row`).toBeDefined();
      return Object.fromEntries(fields.map((c) => {
        const v = cell(source, c, s!);
        // Date cells read as milliseconds since the epoch; an endpoint takes them as "YYYY-MM-DD".
        return [c, v !== null && isDate(c) ? new Date(v as number).toISOString().slice(0, 10) : v];
      }));
    });
    expect(rows.every((r) => typeof r.Year === "string" && /^\d{4}-\d{2}-\d{2}$/.test(r.Year))).toBe(true);
    expect(rows.some((r) => r.Horsepower === null)).toBe(true);
    const res = await post(`${h.url}/api/v1/endpoints/${slug}/predict`, JSON.stringify({ rows }), { authorization: `Bearer ${key}` });
    expect(res.status).toBe(200);
    const got = (res.json.predictions as Array<{ prediction: number }>).map((p) => p.prediction);
    expect(got).toHaveLength(want.length);
    const maxDiff = Math.max(...got.map((p, i) => Math.abs(p - want[i]!)));
    expect(maxDiff).toBeLessThanOrEqual(1e-6);
  });
});
