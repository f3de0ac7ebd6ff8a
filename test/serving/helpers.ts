/**
 * Shared set-up for the serving tests: real services on a temporary embedded database (PGlite in memory), the
 * Adult examples run for real, the public API on a loopback http.Server.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { registry as catalog } from "../../nodes/catalog";
import { createAppServices, type AppServicesOptions, type LatticeServices } from "../../server/engine/app-services";
import { createNodeRuntime } from "../../server/engine/runtime/node-runtime";
import { redisConnection } from "../../server/queue/connection";
import { startNodeWorker, type NodeWorkerHandle } from "../../server/queue/node-worker";
import type { RunEvent } from "../../server/engine/types";
import type { Workflow } from "../../server/graph/format";
import { createServingHandler, type ServingHttpOptions } from "../../server/serving/http";
import type { Actor } from "../../server/serving/types";
import { deletePrefix, REDIS_URL, uniquePrefix } from "../queue/helpers";
import { dropSchema, pgAvailable, throwawaySchema, urlWithSchema } from "../store/backends";

export const ADULT_CSV = resolve(import.meta.dirname, "../../../shared/datasets/adult.csv");
export const ADMIN: Actor = { id: "u-admin", email: "admin@example.com", role: "admin" };
export const EDITOR: Actor = { id: "u-editor", email: "editor@example.com", role: "editor" };

export interface Harness {
  svc: LatticeServices;
  dir: string;
  url: string;
  server: http.Server;
  close(): Promise<void>;
}

/**
 * `svcOpts` overrides the services' options (e.g. `redisUrl` for queue mode; in process by default). `dir`: use
 * this data folder (kept on close) instead of a fresh temporary one — several "API processes" on one folder.
 */
export async function startHarness(httpOpts: ServingHttpOptions = {}, svcOpts: AppServicesOptions = {}, opts: { dir?: string } = {}): Promise<Harness> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), "lattice-serving-"));
  const svc = await createAppServices({ dataDir: dir, memoryDb: true, threads: 1, redisUrl: "", ...svcOpts });
  const handler = createServingHandler(svc.endpoints, httpOpts);
  const server = http.createServer((req, res) => {
    handler(req, res)
      .then((handled) => {
        if (!handled) {
          res.writeHead(404);
          res.end();
        }
      })
      .catch((e: unknown) => {
        console.error(e);
        res.writeHead(500);
        res.end();
      });
  });
  // Longer than any pause in the tests, so a client never reuses a connection the server is just closing.
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let closed = false;
  return {
    svc,
    dir,
    url,
    server,
    async close() {
      if (closed) return;
      closed = true;
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await svc.close();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An example workflow with its source pointed at the shared Adult file. */
export function example(name: "adult-income" | "adult-gbdt" | "adult-fairness"): Workflow {
  const wf = JSON.parse(readFileSync(resolve(import.meta.dirname, `../../examples/${name}.workflow.json`), "utf8")) as Workflow;
  for (const n of wf.nodes) if (n.kind === "sources/file") n.params = { ...n.params, path: ADULT_CSV };
  return wf;
}

/**
 * Rows to score in parity tests: Adult rows from the end of the file, some with cells blanked to `?` (missing)
 * and some with categories training never saw.
 */
export function scoringCsv(dir: string, rows = 300): string {
  const lines = readFileSync(ADULT_CSV, "utf8").trimEnd().split("\n");
  const header = lines[0]!;
  const cols = header.split(",");
  const body = lines.slice(-rows).map((l, i) => {
    const cells = l.split(",");
    if (i % 7 === 0) cells[cols.indexOf("age")] = "?";
    if (i % 5 === 0) cells[cols.indexOf("occupation")] = "?";
    if (i % 11 === 0) cells[cols.indexOf("workclass")] = "Martian-Corp";
    if (i % 13 === 0) cells[cols.indexOf("native-country")] = "Atlantis";
    if (i % 17 === 0) cells[cols.indexOf("hours-per-week")] = "?";
    return cells.join(",");
  });
  const path = join(dir, "to-score.csv");
  writeFileSync(path, [header, ...body].join("\n") + "\n");
  return path;
}

/** Adds a file source of `csv` and a Batch score node reading it with the workflow's model (and fitted transforms). */
export function withBatchScore(wf: Workflow, csv: string, modelNode = "model", fitted: string[] = []): Workflow {
  const pos = { x: 0, y: 400 };
  return {
    ...wf,
    nodes: [
      ...wf.nodes,
      { id: "toScore", kind: "sources/file", version: 1, params: { path: csv, format: "csv", nullStrings: ["?"] }, position: pos },
      { id: "score", kind: "deploy/batch-score", version: 1, params: { threshold: 0.5 }, position: pos },
    ],
    edges: [
      ...wf.edges,
      { id: "bs1", source: modelNode, sourcePort: "model", target: "score", targetPort: "model" },
      { id: "bs2", source: "toScore", sourcePort: "table", target: "score", targetPort: "table" },
      ...fitted.map((f, i) => ({ id: `bsf${i}`, source: f, sourcePort: "fitted", target: "score", targetPort: `fitted${i + 1}` })),
    ],
  };
}

/** Saves and runs a workflow; resolves when the run has finished. */
export async function runWorkflow(svc: LatticeServices, wf: Workflow, workflowId?: string): Promise<{ workflowId: string; runId: string }> {
  const rec = workflowId ? await svc.db.workflows.save(workflowId, wf) : await svc.db.workflows.create(wf);
  const { runId } = await svc.runs.startSaved(rec.id);
  let last: RunEvent | undefined;
  for await (const e of svc.runs.events(runId, 0, new AbortController().signal)) last = e;
  if (last?.type !== "run-finished" || last.status !== "succeeded") {
    const run = await svc.db.runs.get(runId);
    throw new Error(`run ${runId} ended ${last?.type === "run-finished" ? last.status : "?"}: ${JSON.stringify(run?.nodes.filter((n) => n.error).map((n) => [n.nodeId, n.error?.message]))}`);
  }
  return { workflowId: rec.id, runId };
}

export async function post(url: string, body: string | Uint8Array, headers: Record<string, string> = {}) {
  const res = await fetch(url, { method: "POST", body: body as BodyInit, headers: { "content-type": "application/json", ...headers } });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json: json as Record<string, any>, text };
}

/**
 * Several "API processes" (services + public routes) and workers in queue mode on one PostgreSQL schema, data
 * folder and Redis prefix, as a fleet behind a load balancer shares them. `cleanup` closes everything started
 * and removes the schema, keys and folder.
 */
export function queueFleet(name: string) {
  const prefix = uniquePrefix(name);
  const schema = throwawaySchema();
  const dir = mkdtempSync(join(tmpdir(), `lattice-${name}-`));
  const redis = redisConnection(REDIS_URL, "lattice-test");
  const runtime = createNodeRuntime();
  const previousPrefix = process.env.LATTICE_QUEUE_PREFIX;
  const open: Array<{ close(): Promise<void> }> = [];
  return {
    prefix,
    dir,
    async startApi(): Promise<Harness> {
      process.env.LATTICE_QUEUE_PREFIX = prefix;
      const api = await startHarness({}, { databaseUrl: urlWithSchema(schema), memoryDb: false, redisUrl: REDIS_URL }, { dir });
      open.push(api);
      return api;
    },
    startWorker(api: Harness, id: string): NodeWorkerHandle {
      const w = startNodeWorker({ redisUrl: REDIS_URL, prefix, pools: ["cpu", "gpu"], concurrency: 2, registry: catalog, store: api.svc.artifacts, runtime, id, heartbeatMs: 500 });
      open.push(w);
      return w;
    },
    async cleanup() {
      for (const o of open.reverse()) await o.close().catch(() => undefined);
      await runtime.close();
      await deletePrefix(redis, prefix);
      await redis.quit();
      if (pgAvailable) await dropSchema(schema);
      rmSync(dir, { recursive: true, force: true });
      if (previousPrefix === undefined) delete process.env.LATTICE_QUEUE_PREFIX;
      else process.env.LATTICE_QUEUE_PREFIX = previousPrefix;
    },
  };
}

