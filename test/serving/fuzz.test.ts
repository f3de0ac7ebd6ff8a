/**
 * Fuzz: 10,000 random or malformed requests (bodies, content types, keys, methods, paths) against a published
 * Adult endpoint: no 5xx, and the server still answers a good request correctly afterwards.
 */
import fc from "fast-check";
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ADMIN, example, post, runWorkflow, startHarness, type Harness } from "./helpers";

let h: Harness;
let key: string;
let otherKey: string;
const SLUG = "fuzzed";
const good = { age: 39, workclass: "State-gov", fnlwgt: 77516, education: "Bachelors", "education-num": 13, "marital-status": "Never-married", occupation: "Adm-clerical", relationship: "Not-in-family", "capital-gain": 2174, "capital-loss": 0, "hours-per-week": 40, "native-country": "United-States" };

beforeAll(async () => {
  h = await startHarness({ bodyLimitBytes: 32 * 1024 });
  const { workflowId } = await runWorkflow(h.svc, example("adult-gbdt"));
  await h.svc.endpoints.publish({ workflowId, slug: SLUG }, ADMIN);
  await h.svc.endpoints.publish({ workflowId, slug: "fuzz-other" }, ADMIN);
  ({ key } = await h.svc.endpoints.createKey(SLUG, "fuzz", ADMIN, 1_000_000));
  ({ key: otherKey } = await h.svc.endpoints.createKey("fuzz-other", "fuzz", ADMIN, 1_000_000));
});
afterAll(async () => h?.close());

/** Raw request over a keep-alive agent (fetch refuses some of the headers and methods the fuzzer makes). */
const agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
function request(opts: { method: string; path: string; headers: Record<string, string>; body?: Buffer }): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${h.url}${opts.path}`, { method: opts.method, headers: opts.headers, agent }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    // A 413 may close the socket while the body is still going out: the status already arrived or the test sees 0.
    req.on("error", (e) => (/ECONNRESET|EPIPE/.test(String(e)) ? resolve(-1) : reject(new Error(`${e.message}: ${opts.method} ${opts.path} ${JSON.stringify(opts.headers)} ${opts.body?.length} bytes`))));
    if (opts.body) req.write(opts.body);
    req.end();
  });
}

const jsonValue = fc.jsonValue({ maxDepth: 3 });
const fieldValue = fc.oneof(fc.constant(null), fc.integer(), fc.double(), fc.string({ maxLength: 30 }), fc.boolean(), fc.constant(""), fc.array(fc.integer(), { maxLength: 3 }), fc.object({ maxDepth: 1 }), fc.constant("1e400"), fc.constant("__proto__"));
const mutatedRow = fc.record({ field: fc.constantFrom(...Object.keys(good), "__proto__", "constructor", ""), value: fieldValue, drop: fc.boolean() }).map(({ field, value, drop }) => {
  const r: Record<string, unknown> = { ...good };
  if (drop) delete r[field];
  else r[field] = value;
  return r;
});
const jsonBody = fc.oneof(
  jsonValue.map((v) => JSON.stringify(v)),
  mutatedRow.map((r) => JSON.stringify(r)),
  fc.array(mutatedRow, { maxLength: 5 }).map((rs) => JSON.stringify(rs)),
  fc.array(mutatedRow, { maxLength: 5 }).map((rs) => JSON.stringify({ rows: rs })),
  fc.string({ maxLength: 200 }),
  fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString("latin1")),
  fc.constant('{"rows": [' + "1,".repeat(5000) + "1]}"),
  fc.constant("[".repeat(5000)),
  fc.constant(JSON.stringify({ rows: Array.from({ length: 400 }, () => good) })),
);
const csvBody = fc.oneof(
  fc.array(fc.array(fc.oneof(fc.string({ maxLength: 12 }), fc.integer().map(String), fc.constant("")), { minLength: 1, maxLength: 6 }), { minLength: 0, maxLength: 6 }).map((rows) => rows.map((r) => r.join(",")).join("\n")),
  fc.tuple(fc.constantFrom(...Object.keys(good)), fc.string({ maxLength: 20 })).map(([c, v]) => `${c}\n${v}\n`),
  fc.string({ maxLength: 200 }),
  fc.constant('age,workclass\n"unterminated,x\n'),
);
const contentType = fc.oneof(fc.constantFrom("application/json", "application/json; charset=utf-8", "text/csv", "text/plain", "application/xml", "multipart/form-data; boundary=x", ""), fc.string({ maxLength: 40 }).filter((s) => /^[\x21-\x7e ]*$/.test(s)));
const authHeader = fc.oneof(
  fc.constant<Record<string, string>>({}),
  fc.constant(null).map(() => ({ authorization: `Bearer ${key}` })),
  fc.constant(null).map(() => ({ "x-api-key": key })),
  fc.constant(null).map(() => ({ authorization: `Bearer ${otherKey}` })),
  fc.string({ maxLength: 300 }).filter((s) => /^[\x21-\x7e]+$/.test(s)).map((s) => ({ authorization: `Bearer ${s}` })),
  fc.string({ maxLength: 60 }).filter((s) => /^[\x20-\x7e]*$/.test(s)).map((s) => ({ authorization: s })),
);
const path = fc.oneof(
  fc.constant(`/api/v1/endpoints/${SLUG}/predict`),
  fc.constant(`/api/v1/endpoints/${SLUG}/predict?explain=true`),
  fc.constantFrom("?version=1", "?version=0", "?version=-1", "?version=99999999999", "?version=%zz", "?explain=1&version=1").map((q) => `/api/v1/endpoints/${SLUG}/predict${q}`),
  fc.constant(`/api/v1/endpoints/${SLUG}/openapi.json`),
  fc.string({ maxLength: 30 }).map((s) => `/api/v1/endpoints/${encodeURIComponent(s)}/predict`),
  fc.constantFrom("/api/v1/endpoints/%E0%A4%A/predict", "/api/v1/endpoints//predict", "/api/v1/endpoints/fuzz-other/predict", "/api/v1/endpoints/" + "a".repeat(300) + "/predict", "/metrics"),
);

describe("fuzzing the public API", () => {
  it("10,000 random or malformed requests: zero 5xx, and the server still answers correctly", async () => {
    const req = fc.record({
      method: fc.constantFrom("POST", "POST", "POST", "POST", "GET", "PUT", "DELETE"),
      path,
      auth: authHeader,
      type: contentType,
      csv: fc.boolean(),
      json: jsonBody,
      csvText: csvBody,
    });
    const samples = fc.sample(req, { numRuns: 10_000, seed: 42 });
    const statuses = new Map<number, number>();
    const started = performance.now();
    for (let i = 0; i < samples.length; i += 32) {
      const batch = samples.slice(i, i + 32);
      const out = await Promise.all(
        batch.map((s) => {
          const body = Buffer.from(s.csv ? s.csvText : s.json);
          const headers: Record<string, string> = { ...s.auth, ...(s.type ? { "content-type": s.type } : {}) };
          return request({ method: s.method, path: s.path, headers, body: s.method === "GET" ? undefined : body }).then((status) => ({ status, s }));
        }),
      );
      for (const { status, s } of out) {
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        if (status >= 500) throw new Error(`${status} for ${JSON.stringify(s).slice(0, 500)}`);
      }
    }
    const seconds = (performance.now() - started) / 1000;
    console.log(`fuzz: ${samples.length} requests in ${seconds.toFixed(1)} s, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort((a, b) => a[0] - b[0])))}`);
    expect([...statuses.keys()].every((s) => s < 500)).toBe(true);
    // Every kind of answer showed up: the fuzzer reached past authentication and validation.
    for (const s of [200, 400, 401, 403, 404, 405, 413, 415, 422]) expect(statuses.get(s) ?? 0, `status ${s}`).toBeGreaterThan(0);
    expect(seconds).toBeLessThan(60);

    const after = await post(`${h.url}/api/v1/endpoints/${SLUG}/predict`, JSON.stringify(good), { authorization: `Bearer ${key}` });
    expect(after.status).toBe(200);
    expect(after.json.predictions[0].probabilities[">50K"]).toBeGreaterThan(0);
    agent.destroy();
  });
});
