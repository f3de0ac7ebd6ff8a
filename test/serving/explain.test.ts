/**
 * `?explain=true` for models without linear explanations: Kernel SHAP of the whole serving pipeline over the
 * endpoint's input fields (server/serving/explain.ts), on Adult with gradient-boosted trees and MLPs.
 */
import Ajv2020 from "ajv/dist/2020.js";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Workflow } from "../../server/graph/format";
import { EXPLAIN_BACKGROUND_ROWS, EXPLAIN_MAX_ROWS } from "../../server/serving/explain";
import { AdmissionGate, createServingHandler } from "../../server/serving/http";
import { openApiDocument } from "../../server/serving/openapi";
import { ADMIN, ADULT_CSV, example, post, runWorkflow, startHarness, type Harness } from "./helpers";

let h: Harness;
const keys: Record<string, string> = {};

/** Adult with an MLP instead of the trees: a classifier of `class`, or a regressor of `hours-per-week`. */
function mlpWorkflow(task: "classification" | "regression"): Workflow {
  const wf = example("adult-gbdt");
  const model = wf.nodes.find((n) => n.id === "model")!;
  model.kind = "training/mlp";
  model.params = { task, hiddenLayers: [8], epochs: 2, batchSize: 512, validationFraction: 0, seed: 1 };
  if (task === "regression") {
    wf.nodes.find((n) => n.id === "select")!.params = { columns: [], label: "hours-per-week", sensitive: ["sex", "race"] };
    wf.nodes.find((n) => n.id === "split")!.params = { testFraction: 0.2, seed: 0, shuffle: true };
    wf.nodes = wf.nodes.filter((n) => n.id !== "metrics");
    wf.edges = wf.edges.filter((e) => e.target !== "metrics");
  }
  return wf;
}

/** The first `n` Adult rows as a CSV body (`?` = missing), label included (the endpoint ignores it). */
function adultCsv(n: number, from = 1): string {
  const lines = readFileSync(ADULT_CSV, "utf8").split("\n");
  return [lines[0], ...lines.slice(from, from + n)].join("\n") + "\n";
}

const url = (slug: string, q = "") => `${h.url}/api/v1/endpoints/${slug}/predict${q}`;
const call = (slug: string, body: string, q = "?explain=true", type = "text/csv") => post(url(slug, q), body, { authorization: `Bearer ${keys[slug]}`, "content-type": type });
const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);

async function loaded(slug: string) {
  const endpoint = (await h.svc.endpoints.route(slug))!;
  return (await h.svc.endpoints.loaded(endpoint, 1))!;
}

beforeAll(async () => {
  h = await startHarness();
  const gbdt = await runWorkflow(h.svc, example("adult-gbdt"));
  for (const slug of ["gbdt", "gbdt-idle"]) await h.svc.endpoints.publish({ workflowId: gbdt.workflowId, slug }, ADMIN);
  const mlp = await runWorkflow(h.svc, mlpWorkflow("classification"));
  await h.svc.endpoints.publish({ workflowId: mlp.workflowId, slug: "mlp" }, ADMIN);
  const reg = await runWorkflow(h.svc, mlpWorkflow("regression"));
  await h.svc.endpoints.publish({ workflowId: reg.workflowId, slug: "mlp-reg" }, ADMIN);
  for (const slug of ["gbdt", "gbdt-idle", "mlp", "mlp-reg"]) keys[slug] = (await h.svc.endpoints.createKey(slug, "t", ADMIN, 1_000_000)).key;
}, 600_000);
afterAll(async () => h?.close());

describe("Kernel SHAP explanations of published endpoints", () => {
  it("gradient-boosted trees: one value per input field, base value + Σ = P(>50K) within 1e-6, same predictions as without explain", async () => {
    const body = adultCsv(6);
    const r = await call("gbdt", body);
    expect(r.status, r.text).toBe(200);
    const plain = await call("gbdt", body, "");
    const fields = (await loaded("gbdt")).fields.map((f) => f.name);
    expect(fields.length).toBeGreaterThan(5);
    expect(r.json.predictions).toHaveLength(6);
    r.json.predictions.forEach((p: any, i: number) => {
      expect(p.prediction).toBe(plain.json.predictions[i].prediction);
      expect(p.probabilities[">50K"]).toBeCloseTo(plain.json.predictions[i].probabilities[">50K"], 12);
      expect(p.explanation).toMatchObject({ method: "kernel-shap", output: "probability", class: ">50K", exact: false });
      expect(Object.keys(p.explanation.contributions).sort()).toEqual([...fields].sort());
      expect(Math.abs(p.explanation.intercept + sum(p.explanation.contributions) - p.probabilities[">50K"])).toBeLessThan(1e-6);
    });
  });

  it("the base value is the mean P(>50K) of the background sample of training rows, scored like any request", async () => {
    const bg = await (await loaded("gbdt")).explainer.background();
    expect(bg.rows).toBe(EXPLAIN_BACKGROUND_ROWS);
    const rows = Array.from({ length: bg.rows }, (_, i) => Object.fromEntries(Object.entries(bg.cols).map(([k, v]) => [k, v[i]])));
    const scored = await call("gbdt", JSON.stringify(rows), "", "application/json");
    expect(scored.status, scored.text).toBe(200);
    const mean = scored.json.predictions.reduce((s: number, p: any) => s + p.probabilities[">50K"], 0) / bg.rows;
    const r = await call("gbdt", adultCsv(1));
    expect(r.json.predictions[0].explanation.intercept).toBeCloseTo(mean, 10);
  });

  it("a huge capital gain gets the largest, positive contribution", async () => {
    const row = { age: 45, workclass: "Private", fnlwgt: 200000, education: "Bachelors", "education-num": 13, "marital-status": "Never-married", occupation: "Sales", relationship: "Not-in-family", "capital-gain": 99999, "capital-loss": 0, "hours-per-week": 40, "native-country": "United-States" };
    const r = await call("gbdt", JSON.stringify(row), "?explain=true", "application/json");
    expect(r.status, r.text).toBe(200);
    const c = r.json.predictions[0].explanation.contributions as Record<string, number>;
    const top = Object.entries(c).sort((a, b) => Math.abs(b[1]) - Math.abs(a[1]))[0]!;
    expect(top[0]).toBe("capital-gain");
    expect(top[1]).toBeGreaterThan(0.1);
  });

  it("explanations are deterministic: across calls, and a row alone or among others", async () => {
    const a = await call("gbdt", adultCsv(3, 10));
    const b = await call("gbdt", adultCsv(3, 10));
    expect(a.json.predictions).toEqual(b.json.predictions);
    const alone = await call("gbdt", adultCsv(1, 11));
    expect(alone.json.predictions[0]).toEqual(a.json.predictions[1]);
  });

  it("MLP classifier: base value + Σ = P(>50K) within 1e-6", async () => {
    const r = await call("mlp", adultCsv(4, 100));
    expect(r.status, r.text).toBe(200);
    for (const p of r.json.predictions) {
      expect(p.explanation).toMatchObject({ method: "kernel-shap", output: "probability", class: ">50K" });
      expect(Math.abs(p.explanation.intercept + sum(p.explanation.contributions) - p.probabilities[">50K"])).toBeLessThan(1e-6);
      expect(Object.values(p.explanation.contributions).some((v) => Math.abs(v as number) > 1e-4)).toBe(true);
    }
  });

  it("MLP regressor: base value + Σ = the prediction within 1e-6, with no class", async () => {
    const r = await call("mlp-reg", adultCsv(4, 200));
    expect(r.status, r.text).toBe(200);
    for (const p of r.json.predictions) {
      expect(p.explanation).toMatchObject({ method: "kernel-shap", output: "prediction" });
      expect(p.explanation.class).toBeUndefined();
      expect(Object.keys(p.explanation.contributions)).not.toContain("hours-per-week");
      expect(Math.abs(p.explanation.intercept + sum(p.explanation.contributions) - p.prediction)).toBeLessThan(1e-6);
    }
  });

  it("explained predictions fit the OpenAPI document's Prediction schema (classifier and regressor)", async () => {
    for (const slug of ["gbdt", "mlp-reg"]) {
      const lv = await loaded(slug);
      const doc = openApiDocument({ slug, name: slug, version: 1, fields: lv.fields, task: lv.spec.model.task, classes: lv.spec.model.classes }) as any;
      const validate = new Ajv2020({ strict: false }).compile(doc.components.schemas.Prediction);
      const r = await call(slug, adultCsv(2, 400));
      for (const p of r.json.predictions) expect(validate(p), JSON.stringify(validate.errors)).toBe(true);
      // The explanation part of the schema does constrain: a wrong output space is refused.
      const bad = { ...r.json.predictions[0], explanation: { ...r.json.predictions[0].explanation, output: "logit" } };
      expect(validate(bad)).toBe(false);
    }
  });

  it(`refuses more than ${EXPLAIN_MAX_ROWS} rows with explain=true (422), and still scores them without it`, async () => {
    const body = adultCsv(EXPLAIN_MAX_ROWS + 1, 300);
    const before = (await loaded("gbdt")).explainer.stats.evaluations;
    const r = await call("gbdt", body);
    expect(r.status).toBe(422);
    expect(r.json.error).toMatchObject({ code: "too_many_rows", message: expect.stringMatching(/at most 100 rows/), errors: [{ row: -1, field: "explain" }] });
    expect((await loaded("gbdt")).explainer.stats.evaluations).toBe(before);
    const plain = await call("gbdt", body, "");
    expect(plain.status).toBe(200);
    expect(plain.json.predictions).toHaveLength(EXPLAIN_MAX_ROWS + 1);
  });

  it("admits a bounded number of explanations at once: the rest wait in line, then get 503 with Retry-After", async () => {
    // A second set of public routes on the same services, taking one explanation at a time and one in line.
    const handler = createServingHandler(h.svc.endpoints, { explainConcurrency: 1, explainQueue: 1 });
    const server = http.createServer((req, res) => void handler(req, res));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    try {
      const body = adultCsv(10);
      const replies = await Promise.all(
        Array.from({ length: 6 }, () => post(`${base}/api/v1/endpoints/gbdt/predict?explain=true`, body, { authorization: `Bearer ${keys.gbdt}`, "content-type": "text/csv" })),
      );
      const ok = replies.filter((r) => r.status === 200);
      const busy = replies.filter((r) => r.status === 503);
      expect(ok.length + busy.length).toBe(6);
      expect(ok.length).toBeGreaterThanOrEqual(2); // the one running and the one in line
      expect(busy.length).toBeGreaterThanOrEqual(1);
      for (const r of busy) {
        expect(r.json.error.code).toBe("explain_busy");
        expect(r.headers.get("retry-after")).toBe("1");
      }
      for (const r of ok) expect(r.json.predictions.every((p: { explanation?: unknown }) => p.explanation)).toBe(true);
      // Without explain the same server answers at once, busy or not.
      expect((await post(`${base}/api/v1/endpoints/gbdt/predict`, body, { authorization: `Bearer ${keys.gbdt}`, "content-type": "text/csv" })).status).toBe(200);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  }, 120_000);

  it("without explain, no explanation work: the background is never read and nothing extra is scored", async () => {
    for (let i = 0; i < 5; i++) {
      const r = await call("gbdt-idle", adultCsv(20, 1 + i * 20), "");
      expect(r.status).toBe(200);
      expect(r.json.predictions[0].explanation).toBeUndefined();
    }
    const idle = await loaded("gbdt-idle");
    expect(idle.explainer.stats).toEqual({ backgroundLoads: 0, evaluations: 0 });
    // The first explained request reads the background once; later ones reuse it.
    await call("gbdt-idle", adultCsv(1));
    await call("gbdt-idle", adultCsv(1, 2));
    expect(idle.explainer.stats.backgroundLoads).toBe(1);
    expect(idle.explainer.stats.evaluations).toBeGreaterThan(0);
  });
});

describe("AdmissionGate", () => {
  const tick = () => new Promise((r) => setTimeout(r, 0));
  it("lets `limit` in, queues `queueLimit`, refuses the rest, and hands a released slot to the next in line", async () => {
    const gate = new AdmissionGate(1, 1);
    const first = await gate.enter();
    expect(first).toBeTypeOf("function");
    let second: (() => void) | null = null;
    void gate.enter().then((r) => (second = r));
    expect(await gate.enter()).toBeNull(); // one running, one in line: full
    await tick();
    expect(second).toBeNull(); // still waiting
    first!();
    first!(); // releasing twice changes nothing
    await tick();
    expect(second).toBeTypeOf("function");
    // The slot went to the one in line: a newcomer waits (the line has room again) rather than getting in.
    let third = false;
    void gate.enter().then(() => (third = true));
    await tick();
    expect(third).toBe(false);
    second!();
    await tick();
    expect(third).toBe(true);
  });
});
