/**
 * Engine interfaces shared by the in-process executor and the queued (BullMQ) one. Collaborators are passed
 * in (registry, artifact store, event sink, clock); nothing here is a global singleton.
 */
import type { NodeErrorInfo } from "../../nodes/core/errors";
import type { PortType } from "../../nodes/core/ports";
import type { TableInfo } from "../../nodes/core/schema";
import type { Plan } from "../graph/compile-graph";

/** A stored port value. `hash` is the sha256 of its encoded bytes (content address). */
export interface ArtifactRef {
  hash: string;
  type: PortType;
  size: number;
  /** Tables: schema and row count; others: nothing or a small summary. */
  table?: TableInfo;
}

/**
 * Content-addressed blob store (a local directory by default; the interface is narrow so an S3-compatible
 * store can implement it). Also holds the persistent result cache: cache key → output refs.
 */
export interface ArtifactStore {
  readonly root: string;
  put(bytes: Uint8Array): Promise<string>;
  get(hash: string): Promise<Uint8Array>;
  has(hash: string): Promise<boolean>;
  /** Absolute path of a blob on a local filesystem, when the store has one (DuckDB reads files directly). */
  localPath?(hash: string): string;
  getCache(key: string): Promise<CacheEntry | undefined>;
  putCache(key: string, entry: CacheEntry): Promise<void>;
}

export interface CacheEntry {
  outputs: Record<string, ArtifactRef>;
  metrics: Record<string, number>;
  durationMs: number;
  createdAt: string;
}

export type NodeStatus = "pending" | "queued" | "running" | "succeeded" | "failed" | "cached" | "cancelled" | "skipped";
export type RunStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";

/** Events streamed to the browser (tRPC subscription over SSE) and persisted as NodeRun state. */
export type RunEventBody =
  | { type: "run-started"; nodeIds: string[] }
  | { type: "queued"; nodeId: string }
  | { type: "running"; nodeId: string; worker?: string }
  | { type: "progress"; nodeId: string; fraction: number; message?: string }
  | { type: "log"; nodeId: string; level: "info" | "warn" | "error"; message: string }
  | { type: "metric"; nodeId: string; name: string; value: number; step?: number }
  | { type: "succeeded"; nodeId: string; durationMs: number; outputs: Record<string, ArtifactRef>; metrics: Record<string, number>; cacheKey: string }
  | { type: "cached"; nodeId: string; outputs: Record<string, ArtifactRef>; metrics: Record<string, number>; cacheKey: string; durationMs: number }
  | { type: "failed"; nodeId: string; error: NodeErrorInfo; durationMs: number }
  | { type: "skipped"; nodeId: string; reason: string }
  | { type: "cancelled"; nodeId?: string }
  | { type: "run-finished"; status: RunStatus; durationMs: number; error?: string };

export type RunEvent = RunEventBody & { runId: string; seq: number; ts: number };

export interface EventSink {
  emit(event: RunEvent): void;
}

export interface RunRequest {
  runId: string;
  plan: Plan;
  sink: EventSink;
  /** Base directory for relative file paths in params (the workflow file's folder for the CLI). */
  baseDir?: string;
  /** Ignore cached results and re-execute every node. */
  noCache?: boolean;
  /** Set when a run is taken over after an API-server restart (queue mode): what its events already said. */
  resumed?: ResumedState;
}

/** The part of a run that happened before it was resumed; none of it is run or reported again. */
export interface ResumedState {
  /** Nodes that finished (succeeded, cached, failed, skipped), with their stored outcome. */
  outcomes: Record<string, NodeOutcome>;
  /** Nodes already announced as queued/running: they are dispatched again (same job) but not re-announced. */
  started: string[];
  /** When the run first started (epoch ms): durations count from here, not from the resume. */
  runStartedAt?: number;
  /** Per node in `started`, when it started (epoch ms), for the same reason. */
  nodeStartedAt?: Record<string, number>;
}

export interface RunResult {
  runId: string;
  status: RunStatus;
  durationMs: number;
  nodes: Record<string, NodeOutcome>;
}

export interface NodeOutcome {
  status: NodeStatus;
  cached: boolean;
  durationMs: number;
  outputs: Record<string, ArtifactRef>;
  metrics: Record<string, number>;
  error?: NodeErrorInfo;
}

export interface RunHandle {
  runId: string;
  done: Promise<RunResult>;
  cancel(): void;
}

/** Implemented by the in-process executor and by the BullMQ one. */
export interface Executor {
  start(req: RunRequest): RunHandle;
  close(): Promise<void>;
}
