/**
 * Batch scoring through the executor (POST /api/v1/endpoints/{slug}/batch): a file uploaded as CSV, Parquet or
 * JSON lines is scored by a run of File source → deploy/score-version, and its result equals the online
 * predict path for the same rows (≤ 1e-6, Adult logistic regression, missing values and unseen categories).
 * Error paths: keys (401/403), media type (415), size (413), unknown job (404), bad files (the job fails with
 * a message naming the column or row, and the status says so).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Table } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { numericColumn, stringColumn } from "../../nodes/core/arrow";
import { registry } from "../../nodes/catalog";
import { createNodeRuntime } from "../../server/engine/runtime/node-runtime";
import { compileGraph } from "../../server/graph/compile-graph";
import { ADMIN, ADULT_CSV, example, post, runWorkflow, scoringCsv, startHarness, type Harness } from "./helpers";

const LIMIT = 2_000_000;
let h: Harness;
let key = "";
let otherKey = "";
const slug = "adult-batch";
let csvText = "";
/** Online predictions of the scoring rows (the reference every batch result is compared with). */
let online: Array<{ prediction: string; probabilities: Record<string, number> }> = [];

beforeAll(async () => {
  h = await startHarness({ batchLimitBytes: LIMIT });
  const { workflowId, runId } = await runWorkflow(h.svc, example("adult-income"));
  await h.svc.endpoints.publish({ workflowId, runId, slug }, ADMIN);
  await h.svc.endpoints.publish({ workflowId, runId, slug: "adult-other" }, ADMIN);
  key = (await h.svc.endpoints.createKey(slug, "batch", ADMIN, 100_000)).key;
  otherKey = (await h.svc.endpoints.createKey("adult-other", "other", ADMIN)).key;
  csvText = readFileSync(scoringCsv(h.dir), "utf8");
  const r = await post(`${h.url}/api/v1/endpoints/${slug}/predict`, csvText, { authorization: `Bearer ${key}`, "content-type": "text/csv" });
  expect(r.status).toBe(200);
  online = r.json.predictions;
  expect(online).toHaveLength(300);
}, 240_000);
afterAll(async () => h?.close());

const auth = () => ({ authorization: `Bearer ${key}` });
const batchUrl = (s = slug) => `${h.url}/api/v1/endpoints/${s}/batch`;

async function get(url: string, headers: Record<string, string> = auth()) {
  const res = await fetch(url, { headers });
  const text = await res.text();
  let json: Record<string, any> | undefined;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json: json as Record<string, any> };
}

async function submit(body: string | Uint8Array, type: string) {
  const r = await post(batchUrl(), body, { ...auth(), "content-type": type });
  expect(r.status, r.text).toBe(202);
  expect(r.json.statusUrl).toBe(`/api/v1/endpoints/${slug}/batch/${r.json.id}`);
  expect(r.headers.get("location")).toBe(r.json.statusUrl);
  expect(r.json.runId).toBe(r.json.id);
  expect(["queued", "running"]).toContain(r.json.status);
  return r.json.id as string;
}

/** Polls the status until the job has finished. */
async function finished(id: string, s = slug) {
  const end = Date.now() + 120_000;
  for (;;) {
    const r = await get(`${h.url}/api/v1/endpoints/${s}/batch/${id}`);
    expect(r.status, r.text).toBe(200);
    expect(r.json.progress).toBeGreaterThanOrEqual(0);
    expect(r.json.progress).toBeLessThanOrEqual(1);
    if (!["queued", "running"].includes(r.json.status)) return r.json;
    if (Date.now() > end) throw new Error(`batch job ${id} did not finish: ${r.text}`);
    await new Promise((res) => setTimeout(res, 100));
  }
}

/** The result CSV, read back with DuckDB. */
async function result(id: string): Promise<Table> {
  const res = await fetch(`${batchUrl()}/${id}/result`, { headers: auth() });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toMatch(/^text\/csv/);
  const bytes = new Uint8Array(await res.arrayBuffer());
  expect(Number(res.headers.get("content-length"))).toBe(bytes.byteLength);
  return h.svc.endpoints.readCsv(bytes);
}

function expectOnlineParity(t: Table) {
  expect(t.numRows).toBe(online.length);
  const score = numericColumn(t, "proba_>50K");
  const low = numericColumn(t, "proba_<=50K");
  const cls = stringColumn(t, "prediction");
  let maxDiff = 0;
  online.forEach((p, i) => {
    maxDiff = Math.max(maxDiff, Math.abs(p.probabilities[">50K"]! - score[i]!), Math.abs(p.probabilities["<=50K"]! - low[i]!));
    expect(cls[i]).toBe(p.prediction);
  });
  expect(maxDiff).toBeLessThanOrEqual(1e-6);
  // The file's own columns come back too, label included, so rows can be matched up.
  expect(t.schema.fields.map((f) => f.name)).toEqual(expect.arrayContaining(["age", "workclass", "class", "prediction"]));
}

describe.skipIf(!existsSync(ADULT_CSV))("batch scoring", () => {
  it("a CSV file: 202, status with progress, result equal to online predictions (missing values, unseen categories)", async () => {
    const id = await submit(csvText, "text/csv");
    const s = await finished(id);
    expect(s).toMatchObject({ id, endpoint: slug, version: 1, status: "succeeded", progress: 1, rows: 300, format: "csv", resultUrl: `/api/v1/endpoints/${slug}/batch/${id}/result` });
    expect(s.error).toBeUndefined();
    // It ran as a run of the generated plan on the app's executor.
    const run = await h.svc.db.runs.get(id);
    expect(run!.nodes.map((n) => [n.nodeId, n.kind, n.status])).toEqual([
      ["file", "sources/file", "succeeded"],
      ["score", "deploy/score-version", "succeeded"],
    ]);
    expect(run!.workflowId ?? null).toBeNull();
    const t = await result(id);
    expectOnlineParity(t);
    // The rows with `?` came back as missing, and still got a prediction.
    expect(t.getChild("age")!.nullCount).toBeGreaterThan(0);
    // The upload is removed once the job is done; the result stays available.
    expect(readdirSync(join(h.svc.artifacts.root, "batch", id)).filter((f) => f.startsWith("input"))).toEqual([]);
    expectOnlineParity(await result(id));
  }, 120_000);

  it("JSON lines and Parquet give the same numbers", async () => {
    const raw = await h.svc.endpoints.readCsv(new TextEncoder().encode(csvText));
    const names = raw.schema.fields.map((f) => f.name);
    const lines = Array.from({ length: raw.numRows }, (_, i) =>
      JSON.stringify(Object.fromEntries(names.map((c) => {
        const v = raw.getChild(c)!.get(i);
        return [c, typeof v === "bigint" ? Number(v) : (v ?? null)];
      }))),
    ).join("\n");
    const jsonId = await submit(lines + "\n", "application/x-ndjson");
    expect((await finished(jsonId)).status).toBe("succeeded");
    expectOnlineParity(await result(jsonId));

    const parquet = join(h.dir, "to-score.parquet");
    const rt = createNodeRuntime();
    try {
      await rt.tables.writeFile(raw, parquet, "parquet");
    } finally {
      await rt.close();
    }
    const pqId = await submit(readFileSync(parquet), "application/vnd.apache.parquet");
    expect((await finished(pqId)).status).toBe("succeeded");
    expectOnlineParity(await result(pqId));
  }, 120_000);

  it("keys: 401 without or with a wrong key, 403 with another endpoint's key, on submit, status and result", async () => {
    const id = await submit(csvText, "text/csv");
    for (const url of [batchUrl(), `${batchUrl()}/${id}`, `${batchUrl()}/${id}/result`]) {
      const isPost = url === batchUrl();
      const call = (headers: Record<string, string>) => (isPost ? post(url, csvText, { "content-type": "text/csv", ...headers }) : get(url, headers));
      const none = await call({});
      expect(none.status).toBe(401);
      expect(none.json.error.code).toBe("unauthorized");
      expect((await call({ authorization: "Bearer lat_not-a-key" })).status).toBe(401);
      const other = await call({ authorization: `Bearer ${otherKey}` });
      expect(other.status).toBe(403);
      expect(other.json.error.code).toBe("forbidden");
    }
    // The other endpoint's key cannot see this job under its own endpoint either.
    const cross = await get(`${batchUrl("adult-other")}/${id}`, { authorization: `Bearer ${otherKey}` });
    expect(cross.status).toBe(404);
    await finished(id);
  }, 120_000);

  it("unknown job 404, wrong method 405, wrong media type 415, oversized 413 (nothing kept)", async () => {
    for (const id of ["00000000-0000-4000-8000-000000000000", "nope", "x".repeat(300)]) {
      const r = await get(`${batchUrl()}/${id}`);
      expect(r.status).toBe(404);
      expect(r.json.error.code).toBe("not_found");
      expect((await get(`${batchUrl()}/${id}/result`)).status).toBe(404);
    }
    const m = await get(batchUrl());
    expect(m.status).toBe(405);
    expect(m.headers.get("allow")).toBe("POST");
    const t = await post(batchUrl(), csvText, { ...auth(), "content-type": "application/json" });
    expect(t.status).toBe(415);
    expect(t.json.error.code).toBe("unsupported_media_type");

    const before = existsSync(join(h.svc.artifacts.root, "batch")) ? readdirSync(join(h.svc.artifacts.root, "batch")).length : 0;
    const big = csvText.repeat(Math.ceil((LIMIT + 1) / csvText.length));
    const r = await post(batchUrl(), big, { ...auth(), "content-type": "text/csv" });
    expect(r.status).toBe(413);
    expect(r.json.error.code).toBe("body_too_large");
    // Streamed without a declared length: counted while it streams.
    const chunks = big.match(/[\s\S]{1,65536}/g)!;
    const stream = new ReadableStream<Uint8Array>({
      pull(c) {
        const next = chunks.shift();
        if (next === undefined) c.close();
        else c.enqueue(new TextEncoder().encode(next));
      },
    });
    const s = await fetch(batchUrl(), { method: "POST", body: stream, headers: { ...auth(), "content-type": "text/csv" }, duplex: "half" } as RequestInit);
    expect(s.status).toBe(413);
    expect(((await s.json()) as { error: { code: string } }).error.code).toBe("body_too_large");
    const after = readdirSync(join(h.svc.artifacts.root, "batch")).length;
    expect(after).toBe(before);
  }, 60_000);

  it("a file without an input column fails the job, naming the column (and the file's unknown one)", async () => {
    const renamed = csvText.replace("hours-per-week", "hours_per_week");
    const id = await submit(renamed, "text/csv");
    const s = await finished(id);
    expect(s.status).toBe("failed");
    expect(s.error).toMatch(/no column "hours-per-week"/);
    expect(s.error).toMatch(/"hours_per_week"/);
    expect(s.resultUrl).toBeUndefined();
    const r = await get(`${batchUrl()}/${id}/result`);
    expect(r.status).toBe(409);
    expect(r.json.error.code).toBe("job_failed");
    expect(r.json.error.message).toMatch(/hours-per-week/);
  }, 60_000);

  it("a value of the wrong type fails the job, naming its row and column", async () => {
    const lines = csvText.trimEnd().split("\n");
    const cols = lines[0]!.split(",");
    const cells = lines[5]!.split(",");
    cells[cols.indexOf("age")] = "forty";
    lines[5] = cells.join(",");
    const s = await finished(await submit(lines.join("\n") + "\n", "text/csv"));
    expect(s.status).toBe("failed");
    expect(s.error).toMatch(/row 5, column "age": expected a whole number \(got "forty"\)/);
  }, 60_000);

  it("a file that is not in the format it was sent as fails the job with the reader's message", async () => {
    const s = await finished(await submit(csvText, "application/vnd.apache.parquet"));
    expect(s.status).toBe("failed");
    expect(s.error).toMatch(/^The file could not be read as PARQUET: /);
    const empty = await post(batchUrl(), "", { ...auth(), "content-type": "text/csv" });
    expect(empty.status).toBe(422);
  }, 60_000);

  it("the scoring node is internal: hidden from workflows", () => {
    const def = registry.get("deploy/score-version")!;
    expect(def.internal).toBe(true);
    const plan = compileGraph({ formatVersion: 1, name: "x", nodes: [{ id: "s", kind: "deploy/score-version", version: 1, params: {}, position: { x: 0, y: 0 } }], edges: [] }, registry);
    expect(plan.issues.map((i) => i.code)).toContain("internal_kind");
  });
});
