/**
 * Batch scoring of large files through the executor (docs/endpoints.md, "Batch scoring"). An uploaded file is
 * kept under the artifact root (`<root>/batch/<id>/`, which queued workers share) and scored by a run of a
 * generated two-node plan — File source → `deploy/score-version` with the endpoint version's serving plan and
 * input schema — on the app's executor: in process (worker threads) by default, one BullMQ job per node on the
 * workers in queue mode. The run's id is the job's id; its Run/NodeRun rows are the job's status, so any API
 * process can answer for it. The run belongs to no workflow; `info.batch` says which endpoint version it serves.
 */
import { randomUUID } from "node:crypto";
import { mkdir, rename, rm, stat } from "node:fs/promises";
import { join } from "node:path";
import type { Table } from "apache-arrow";
import { DEFAULT_NULL_STRINGS } from "../../nodes/sources/file-format";
import type { NodeRuntime } from "../../nodes/core/context";
import type { NodeRegistry } from "../../nodes/core/registry";
import { loadValue } from "../engine/codecs";
import type { ArtifactStore, Executor, RunEvent } from "../engine/types";
import type { Plan, PlanNode } from "../graph/compile-graph";
import type { Database, EndpointRecord, RunRecord } from "../store/types";
import type { ScoreWithVersionParams } from "./batch-scoring";
import type { ServingSpec } from "./spec";
import type { InputField } from "./types";

export type BatchFormat = "csv" | "parquet" | "json";

const EXTENSION: Record<BatchFormat, string> = { csv: "csv", parquet: "parquet", json: "jsonl" };
export const SCORE_KIND = "deploy/score-version";
const SOURCE = "file";
const SCORE = "score";
/** Batch ids are run ids: UUIDs. Anything else is answered 404 without a database lookup. */
const ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** What a run's `info.batch` records. */
interface BatchInfo {
  endpointId: string;
  slug: string;
  version: number;
  format: BatchFormat;
  bytes: number;
}

export interface BatchStatus {
  id: string;
  endpoint: string;
  version: number;
  status: "queued" | "running" | "succeeded" | "failed" | "cancelled";
  /** Fraction done, 0..1 (reading the file counts for a tenth, scoring for the rest). */
  progress: number;
  /** What the scorer last said, e.g. "20000 of 48842 rows scored". */
  message?: string;
  format: BatchFormat;
  bytes: number;
  /** Rows scored (when succeeded). */
  rows?: number;
  /** Why it failed, in words (a bad file names the column or row). */
  error?: string;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
  statusUrl: string;
  /** When succeeded: GET it for the scored rows as CSV. */
  resultUrl?: string;
}

export interface BatchDeps {
  db: Database;
  artifacts: ArtifactStore;
  runtime: NodeRuntime;
  registry: NodeRegistry;
  executor?: Executor;
  /** Queue mode: run leases, so no API process's resume sweep takes a batch run for an orphan while it runs. */
  leases?: { claim(runId: string): Promise<boolean>; release(runId: string): Promise<void> };
}

/** The version a job scores with, as the serving layer has it loaded. */
export interface BatchVersion {
  version: number;
  spec: ServingSpec;
  fields: InputField[];
  metadata: Record<string, Record<string, string>>;
}

export class BatchUnavailableError extends Error {}

const base = (slug: string) => `/api/v1/endpoints/${slug}/batch`;

export function createBatchJobs(deps: BatchDeps) {
  const { db, artifacts, registry } = deps;
  const dirOf = (id: string) => join(artifacts.root, "batch", id);
  /** Persistence chains of the runs driven here (their last events are stored before close returns). */
  const driving = new Map<string, Promise<void>>();

  function planOf(path: string, format: BatchFormat, params: ScoreWithVersionParams): Plan {
    const source = registry.get("sources/file");
    const score = registry.get(SCORE_KIND);
    if (!source || !score) throw new BatchUnavailableError(`This build has no ${source ? SCORE_KIND : "sources/file"} node; batch scoring is unavailable.`);
    const nodes: PlanNode[] = [
      {
        id: SOURCE,
        label: "Uploaded file",
        kind: source.kind,
        version: source.version,
        def: source,
        params: source.params.parse({ path, format, nullStrings: [...DEFAULT_NULL_STRINGS] }) as Record<string, unknown>,
        inputs: {},
        dependents: [SCORE],
      },
      {
        id: SCORE,
        label: `Score with ${params.label}`,
        kind: score.kind,
        version: score.version,
        def: score,
        params: score.params.parse(params) as Record<string, unknown>,
        inputs: { table: { node: SOURCE, port: "table" } },
        dependents: [],
      },
    ];
    return { ok: true, nodes, issues: [], infos: {} };
  }

  function batchInfo(run: RunRecord): BatchInfo | undefined {
    const b = (run.info as { batch?: BatchInfo }).batch;
    return b && typeof b.endpointId === "string" ? b : undefined;
  }

  async function runFor(endpoint: EndpointRecord, id: string): Promise<{ run: RunRecord; info: BatchInfo } | null> {
    if (!ID.test(id)) return null;
    const run = await db.runs.get(id);
    const info = run && batchInfo(run);
    // Another endpoint's job (or an ordinary run) is not found here.
    return run && info && info.endpointId === endpoint.id ? { run, info } : null;
  }

  function statusOf(run: RunRecord, info: BatchInfo): BatchStatus {
    const src = run.nodes.find((n) => n.nodeId === SOURCE);
    const score = run.nodes.find((n) => n.nodeId === SCORE);
    const done = (s?: string) => s === "succeeded" || s === "cached";
    const progress =
      run.status === "succeeded" ? 1 : Math.min(1, 0.1 * (done(src?.status) ? 1 : (src?.progress ?? 0)) + 0.9 * (done(score?.status) ? 1 : (score?.progress ?? 0)));
    let error: string | undefined;
    if (run.status === "failed" || run.status === "cancelled") {
      if (src?.error) error = `The file could not be read as ${info.format === "json" ? "JSON lines" : info.format.toUpperCase()}: ${src.error.message}`;
      else if (score?.error) error = score.error.message;
      else error = run.error ?? (run.status === "cancelled" ? "The job was cancelled." : "The job failed.");
    }
    const rows = score?.outputs.scored?.table?.rows;
    const url = `${base(info.slug)}/${run.id}`;
    return {
      id: run.id,
      endpoint: info.slug,
      version: info.version,
      status: run.status,
      progress: Math.round(progress * 1000) / 1000,
      ...(score?.progressMessage && run.status !== "succeeded" ? { message: score.progressMessage } : {}),
      format: info.format,
      bytes: info.bytes,
      ...(run.status === "succeeded" && rows !== undefined ? { rows } : {}),
      ...(error ? { error } : {}),
      createdAt: run.createdAt.toISOString(),
      ...(run.startedAt ? { startedAt: run.startedAt.toISOString() } : {}),
      ...(run.finishedAt ? { finishedAt: run.finishedAt.toISOString() } : {}),
      statusUrl: url,
      ...(run.status === "succeeded" ? { resultUrl: `${url}/result` } : {}),
    };
  }

  return {
    /** Whether jobs can run here (an executor was given). */
    get available() {
      return deps.executor !== undefined;
    },

    /** A new job id and the path its upload is written to (the caller streams the body there). */
    async prepare(format: BatchFormat): Promise<{ id: string; path: string }> {
      if (!deps.executor) throw new BatchUnavailableError("Batch scoring needs the app's executor, which this server was started without.");
      const id = randomUUID();
      await mkdir(dirOf(id), { recursive: true });
      return { id, path: join(dirOf(id), `input.${EXTENSION[format]}`) };
    },

    /** Drop an upload that will not be scored (refused, interrupted). */
    async discard(id: string) {
      await rm(dirOf(id), { recursive: true, force: true });
    },

    /** Start scoring an uploaded file: a run of the generated plan on the executor. */
    async start(job: { id: string; path: string; format: BatchFormat; bytes: number; endpoint: EndpointRecord; version: BatchVersion }): Promise<BatchStatus> {
      const executor = deps.executor;
      if (!executor) throw new BatchUnavailableError("Batch scoring needs the app's executor, which this server was started without.");
      const { id, path, format, endpoint, version } = job;
      const plan = planOf(path, format, { label: `"${endpoint.slug}" version ${version.version}`, spec: version.spec as unknown as Record<string, unknown>, fields: version.fields, metadata: version.metadata });
      const info: BatchInfo = { endpointId: endpoint.id, slug: endpoint.slug, version: version.version, format, bytes: job.bytes };
      // Leased before the row exists, so no resume sweep (this process's or another's) sees it unowned.
      if (deps.leases && !(await deps.leases.claim(id))) throw new Error(`Run ${id} is already leased.`);
      try {
        await db.runs.create({ id, workflowId: null, workflowVersionId: null, nodes: plan.nodes.map((n) => ({ nodeId: n.id, kind: n.kind })), info: { batch: info, executor: deps.leases ? "queue" : "in-process" } });
      } catch (e) {
        await deps.leases?.release(id);
        throw e;
      }
      let chain = Promise.resolve();
      const handle = executor.start({
        runId: id,
        plan,
        sink: {
          emit: (e: RunEvent) => {
            chain = chain.then(() => db.runs.applyEvent(e)).catch((err: unknown) => console.error(`[serving] could not store event ${e.seq} of batch job ${id}:`, err));
          },
        },
      });
      const finished = handle.done
        .catch((e: unknown) => console.error(`[serving] batch job ${id} failed to run:`, e))
        .then(() => chain)
        // The file source's output (the rows as read) is in the artifact store now; the upload is not needed.
        .then(() => rm(path, { force: true }))
        .catch(() => undefined)
        .finally(() => driving.delete(id));
      driving.set(id, finished);
      const run = await db.runs.get(id);
      return statusOf(run!, info);
    },

    async status(endpoint: EndpointRecord, id: string): Promise<BatchStatus | null> {
      const r = await runFor(endpoint, id);
      return r && statusOf(r.run, r.info);
    },

    /**
     * The scored rows of a succeeded job as a CSV file (written once by DuckDB's CSV writer, then reused), or
     * its status when there is nothing to give yet; null when there is no such job.
     */
    async result(endpoint: EndpointRecord, id: string): Promise<{ path: string; size: number; status: BatchStatus } | { status: BatchStatus } | null> {
      const r = await runFor(endpoint, id);
      if (!r) return null;
      const status = statusOf(r.run, r.info);
      const ref = r.run.nodes.find((n) => n.nodeId === SCORE)?.outputs.scored;
      if (r.run.status !== "succeeded" || !ref) return { status };
      const file = join(dirOf(id), `result-${ref.hash.slice(0, 16)}.csv`);
      const have = await stat(file).catch(() => undefined);
      if (have) return { path: file, size: have.size, status };
      await mkdir(dirOf(id), { recursive: true });
      const table = (await loadValue(artifacts, ref)) as Table;
      const tmp = `${file}.${randomUUID()}.tmp`;
      try {
        await deps.runtime.tables.writeFile(table, tmp, "csv");
        await rename(tmp, file);
      } finally {
        await rm(tmp, { force: true });
      }
      return { path: file, size: (await stat(file)).size, status };
    },

    /**
     * Queue mode, after an API restart: the plan of an unfinished batch job, rebuilt from its run record (the
     * endpoint version it scores with and the upload still on disk), so the run service resumes it like a
     * workflow run. undefined: not a batch job; a string: why it cannot be resumed.
     */
    async resumePlan(run: RunRecord): Promise<{ plan: Plan; finished: () => Promise<void> } | string | undefined> {
      const info = batchInfo(run);
      if (!info) return undefined;
      const v = await db.endpoints.version(info.endpointId, info.version);
      if (!v) return `version ${info.version} of endpoint "${info.slug}" no longer exists.`;
      const path = join(dirOf(run.id), `input.${EXTENSION[info.format]}`);
      if (!(await stat(path).catch(() => undefined))) return "its uploaded file is no longer on the server.";
      const schema = v.inputSchema as { fields: InputField[]; metadata?: Record<string, Record<string, string>> };
      const plan = planOf(path, info.format, {
        label: `"${info.slug}" version ${info.version}`,
        spec: v.spec as Record<string, unknown>,
        fields: schema.fields,
        metadata: schema.metadata ?? {},
      });
      return { plan, finished: () => rm(path, { force: true }) };
    },

    /** Wait until the events of the runs driven here are stored (the executor decides what happens to the runs). */
    async close() {
      await Promise.race([Promise.all(driving.values()), new Promise((r) => setTimeout(r, 2000).unref())]);
    },
  };
}

export type BatchJobs = ReturnType<typeof createBatchJobs>;
