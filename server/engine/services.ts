/**
 * What the API layer (tRPC routers, CLI, published endpoints) needs from the engine. Built once per process
 * in server/main.ts (and by tests with fakes) and passed to routers through the tRPC context.
 */
import type { Issue } from "../../nodes/core/errors";
import type { NodeRegistry } from "../../nodes/core/registry";
import type { ColumnInfo } from "../../nodes/core/schema";
import type { AuthService } from "../auth/auth-service";
import type { PortInfos } from "../graph/compile-graph";
import type { Workflow } from "../graph/format";
import type { EndpointService } from "../serving/types";
import type { Database } from "../store/types";
import type { ArtifactStore, RunEvent } from "./types";

export interface AnalyzeResult {
  issues: Issue[];
  /** Design-time schema of every output port, by node id then port. */
  infos: Record<string, PortInfos>;
}

export interface ColumnStats {
  name: string;
  dtype: ColumnInfo["dtype"];
  count: number;
  nulls: number;
  distinct?: number;
  min?: number | string | null;
  max?: number | string | null;
  mean?: number | null;
  std?: number | null;
  /** Up to 10 most frequent values for string columns. */
  top?: Array<{ value: string; count: number }>;
}

export interface TablePreview {
  rows: number;
  columns: ColumnStats[];
  /** First rows, column-major to stay close to Arrow: `data[col][row]`, values JSON-safe. */
  head: { columns: string[]; data: Array<Array<string | number | boolean | null>> };
}

/** Preview of any stored port value, as the inspector shows it. */
export type ArtifactPreview =
  | { type: "table"; table: TablePreview }
  | { type: "json"; portType: string; value: unknown };

export interface RunService {
  /** Compile the saved workflow (latest or given version) and start it. Throws with issues if it does not compile. */
  startSaved(workflowId: string, version?: number): Promise<{ runId: string }>;
  cancel(runId: string): Promise<void>;
  /** Past events after `afterSeq`, then live ones, until the run finishes or `signal` aborts. */
  events(runId: string, afterSeq: number, signal: AbortSignal): AsyncIterable<RunEvent>;
}

/** One process that runs nodes: a queued worker, or this API process in embedded mode. */
export interface WorkerSummary {
  id: string;
  hostname: string;
  pid: number;
  pools: string[];
  concurrency: number;
  tfBackend: string;
  gpu?: { name: string; memoryMB?: number };
  /** Jobs running now (in-process mode: runs in progress). */
  active: number;
  /** Jobs finished and failed since the worker started (queued workers count them). */
  processed?: number;
  failed?: number;
  startedAt: number;
  heartbeatAt: number;
}

export interface PoolDepthSummary {
  pool: string;
  waiting: number;
  active: number;
  delayed: number;
  failed: number;
  completed: number;
}

/** What the Workers page shows. */
export interface WorkersOverview {
  mode: "in-process" | "queue";
  workers: WorkerSummary[];
  /** Queue depth per pool (queue mode only). */
  pools: PoolDepthSummary[];
}

export interface AppServices {
  registry: NodeRegistry;
  db: Database;
  artifacts: ArtifactStore;
  runs: RunService;
  /** Probe sources (file columns...) and compile: issues and schemas for the editor's pickers and badges. */
  analyze(workflow: Workflow): Promise<AnalyzeResult>;
  preview(hash: string, portType: string, limit?: number): Promise<ArtifactPreview>;
  /** Store an uploaded file; returns the path to put in a file source's `path` param. */
  upload(name: string, bytes: Uint8Array): Promise<{ path: string }>;
  /** What is running where (executor mode, TensorFlow.js backend, database). */
  info(): Record<string, string>;
  /** Workers with their capabilities and heartbeat, and queue depth per pool. */
  workers(): Promise<WorkersOverview>;
  /** Sign-in (better-auth): its /api/auth routes, the session's user, the Users page (server/auth). */
  auth: AuthService;
  /** Published endpoints: publish, versions, canary, keys, audit (server/serving). */
  endpoints: EndpointService;
}
