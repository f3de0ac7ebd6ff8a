/**
 * Repository interfaces over the database. Implemented with Prisma in server/store (the only place that
 * imports Prisma); routers and the run service depend on these interfaces so tests can use fakes.
 */
import type { NodeErrorInfo } from "../../nodes/core/errors";
import type { Workflow } from "../graph/format";
import type { ArtifactRef, NodeStatus, RunEvent, RunStatus } from "../engine/types";
import type { AuthDatabase } from "./auth-adapter";

export interface WorkflowSummary {
  id: string;
  name: string;
  description?: string | null;
  latestVersion: number;
  updatedAt: Date;
  lastRun?: { id: string; status: RunStatus; startedAt: Date } | null;
}

export interface WorkflowRecord {
  id: string;
  name: string;
  version: number;
  versionId: string;
  graph: Workflow;
  updatedAt: Date;
}

export interface WorkflowVersionSummary {
  id: string;
  version: number;
  message?: string | null;
  createdAt: Date;
}

export interface WorkflowRepo {
  list(): Promise<WorkflowSummary[]>;
  /** Latest version, or a given one. */
  get(id: string, version?: number): Promise<WorkflowRecord | null>;
  /** Creates the workflow and its version 1. */
  create(graph: Workflow, message?: string): Promise<WorkflowRecord>;
  /** Appends an immutable WorkflowVersion snapshot (version n+1) and updates the workflow's name. */
  save(id: string, graph: Workflow, message?: string): Promise<WorkflowRecord>;
  versions(id: string): Promise<WorkflowVersionSummary[]>;
  delete(id: string): Promise<void>;
}

export interface NodeRunRecord {
  nodeId: string;
  kind: string;
  status: NodeStatus;
  cacheHit: boolean;
  cacheKey?: string | null;
  startedAt?: Date | null;
  finishedAt?: Date | null;
  durationMs?: number | null;
  progress?: number | null;
  progressMessage?: string | null;
  error?: NodeErrorInfo | null;
  metrics: Record<string, number>;
  outputs: Record<string, ArtifactRef>;
}

export interface RunRecord {
  id: string;
  workflowId?: string | null;
  workflowVersionId?: string | null;
  status: RunStatus;
  createdAt: Date;
  startedAt?: Date | null;
  finishedAt?: Date | null;
  durationMs?: number | null;
  error?: string | null;
  /** Where and how it ran (executor mode, TensorFlow.js backend...). */
  info: Record<string, unknown>;
  /** Sequence number of the last event applied (SSE resume point). */
  lastSeq: number;
  nodes: NodeRunRecord[];
}

export interface RunRepo {
  create(input: {
    id: string;
    workflowId?: string | null;
    workflowVersionId?: string | null;
    nodes: Array<{ nodeId: string; kind: string }>;
    info?: Record<string, unknown>;
  }): Promise<void>;
  /**
   * Fold one engine event into Run/NodeRun rows (status, timings, progress, metrics, error, cache hit,
   * outputs). Idempotent for a given (runId, seq). Also persists the event so a reconnecting browser can
   * resume from its last event id.
   */
  applyEvent(event: RunEvent): Promise<void>;
  get(runId: string): Promise<RunRecord | null>;
  listForWorkflow(workflowId: string, limit?: number): Promise<RunRecord[]>;
  /** Persisted events with seq > afterSeq, in order. */
  eventsAfter(runId: string, afterSeq: number): Promise<RunEvent[]>;
  /**
   * Runs still queued or running, oldest first: at start, the run service resumes them (queue mode) or closes
   * them as interrupted (embedded mode, where nothing outlives the process).
   */
  listUnfinished(): Promise<RunRecord[]>;
}

export interface ArtifactRepo {
  /** Upsert by hash. */
  record(ref: ArtifactRef, producer?: { runId: string; nodeId: string; port: string }): Promise<void>;
  get(hash: string): Promise<(ArtifactRef & { createdAt: Date }) | null>;
}

/** Where a registered model came from: enough to find the run, the graph and the data it was trained on. */
export interface ModelLineage {
  runId: string;
  nodeId: string;
  workflowId?: string | null;
  workflowVersionId?: string | null;
  /** Version number of the workflow the run ran (resolved from workflowVersionId when listing). */
  workflowVersion?: number | null;
  /** Artifact hash of the training table (the node's `train` input). */
  dataHash?: string | null;
}

export interface RegisteredModelRecord {
  id: string;
  name: string;
  version: number;
  algorithm: string;
  task?: string | null;
  metrics: Record<string, number>;
  params: Record<string, unknown>;
  lineage: ModelLineage;
  /** Artifact hash of the model value. */
  modelHash: string;
  createdAt: Date;
}

export interface RegisterModelInput {
  name: string;
  algorithm: string;
  task?: string | null;
  metrics: Record<string, number>;
  params: Record<string, unknown>;
  lineage: Omit<ModelLineage, "workflowVersion">;
  modelHash: string;
}

export interface ModelRegistryRepo {
  /**
   * Adds the next version of `name` (1 for a new name). Idempotent per (runId, nodeId): registering the same
   * node of the same run again returns the existing entry.
   */
  register(input: RegisterModelInput): Promise<RegisteredModelRecord>;
  /** Newest first; `name` narrows to one model's versions. */
  list(opts?: { name?: string; limit?: number }): Promise<RegisteredModelRecord[]>;
  get(id: string): Promise<RegisteredModelRecord | null>;
}

export interface Database {
  workflows: WorkflowRepo;
  runs: RunRepo;
  artifacts: ArtifactRepo;
  models: ModelRegistryRepo;
  endpoints: EndpointRepo;
  apiKeys: ApiKeyRepo;
  audit: AuditRepo;
  /** Sign-in tables (User, Session, Account, Verification) for better-auth (server/auth). */
  authDatabase: AuthDatabase;
  /** Which database this is, for the status bar: `pglite:<dir>` or `postgres:<host>/<db>`. */
  describe(): string;
  close(): Promise<void>;
}

// ---------------------------------------------------------------------------------------------------------
// Published endpoints (server/serving). Json columns come back as `unknown`: the serving layer owns their shape.

export interface EndpointRecord {
  id: string;
  slug: string;
  name: string;
  workflowId: string;
  liveVersion: number | null;
  canaryVersion: number | null;
  canaryPercent: number;
  createdAt: Date;
  updatedAt: Date;
}

export interface EndpointVersionRecord {
  id: string;
  endpointId: string;
  version: number;
  workflowVersionId: string;
  runId: string;
  spec: unknown;
  inputSchema: unknown;
  reference: unknown;
  gate: unknown;
  createdAt: Date;
  createdBy?: string | null;
}

export type NewEndpointVersion = Omit<EndpointVersionRecord, "id" | "endpointId" | "version" | "createdAt">;

export interface EndpointRepo {
  list(): Promise<EndpointRecord[]>;
  get(slug: string): Promise<EndpointRecord | null>;
  /**
   * Appends version n+1 of the endpoint `slug` (creating the endpoint when the slug is new) and, with `makeLive`,
   * makes it live. Concurrent publishes to one slug each get their own version number.
   */
  addVersion(
    endpoint: { slug: string; name: string; workflowId: string },
    version: NewEndpointVersion,
    makeLive: boolean | "if-first",
  ): Promise<{ endpoint: EndpointRecord; version: EndpointVersionRecord }>;
  versions(endpointId: string): Promise<EndpointVersionRecord[]>;
  version(endpointId: string, version: number): Promise<EndpointVersionRecord | null>;
  /** Changes routing (live, canary); unset fields stay. */
  route(endpointId: string, patch: { liveVersion?: number | null; canaryVersion?: number | null; canaryPercent?: number }): Promise<EndpointRecord>;
}

export interface ApiKeyRecord {
  id: string;
  endpointId: string;
  name: string;
  prefix: string;
  hash: string;
  rateLimitPerMinute: number;
  createdAt: Date;
  createdBy?: string | null;
  revokedAt?: Date | null;
  lastUsedAt?: Date | null;
}

export interface ApiKeyRepo {
  create(input: { endpointId: string; name: string; prefix: string; hash: string; rateLimitPerMinute: number; createdBy?: string | null }): Promise<ApiKeyRecord>;
  list(endpointId: string): Promise<ApiKeyRecord[]>;
  /** The key with this sha256 (hex), with its endpoint's slug; revoked keys too (the caller tells them apart). */
  findByHash(hash: string): Promise<(ApiKeyRecord & { slug: string }) | null>;
  /** Sets revokedAt (once; revoking again keeps the first time). Null when no such key on that endpoint. */
  revoke(endpointId: string, keyId: string): Promise<ApiKeyRecord | null>;
  /** Batched last-use times (the API writes them every few seconds, not per request). */
  touch(uses: Array<{ id: string; at: Date }>): Promise<void>;
}

export interface AuditEntryRecord {
  id: string;
  at: Date;
  actorId?: string | null;
  actorEmail?: string | null;
  action: string;
  target: string;
  details: Record<string, unknown>;
}

export interface AuditRepo {
  append(entry: Omit<AuditEntryRecord, "id" | "at">): Promise<AuditEntryRecord>;
  /** Newest first. */
  list(opts?: { target?: string; action?: string; limit?: number }): Promise<AuditEntryRecord[]>;
}
