/**
 * Row → record mapping: Json columns back to their typed shapes, BigInt sizes to numbers.
 * The rows were written by this store from typed values, so the casts restate what was stored.
 */
import type { NodeErrorInfo } from "../../nodes/core/errors";
import type { ArtifactRef, NodeStatus, RunStatus } from "../engine/types";
import type { NodeRunRecord, RunRecord } from "./types";
import type { Prisma } from "./prisma-client";

type RunRow = Prisma.RunGetPayload<{ include: { nodes: true } }>;
type NodeRunRow = RunRow["nodes"][number];

/** Metrics are stored as JSON, where NaN/±Infinity became null; null reads back as NaN. */
export function toMetrics(v: Prisma.JsonValue): Record<string, number> {
  const out: Record<string, number> = {};
  if (v && typeof v === "object" && !Array.isArray(v))
    for (const [k, x] of Object.entries(v)) out[k] = typeof x === "number" ? x : Number.NaN;
  return out;
}

function toObject<T>(v: Prisma.JsonValue | null | undefined): T {
  return (v && typeof v === "object" && !Array.isArray(v) ? v : {}) as T;
}

export function toNodeRunRecord(n: NodeRunRow): NodeRunRecord {
  return {
    nodeId: n.nodeId,
    kind: n.kind,
    status: n.status as NodeStatus,
    cacheHit: n.cacheHit,
    cacheKey: n.cacheKey,
    startedAt: n.startedAt,
    finishedAt: n.finishedAt,
    durationMs: n.durationMs,
    progress: n.progress,
    progressMessage: n.progressMessage,
    error: n.error == null ? null : (n.error as unknown as NodeErrorInfo),
    metrics: toMetrics(n.metrics),
    outputs: toObject<Record<string, ArtifactRef>>(n.outputs),
  };
}

export function toRunRecord(r: RunRow): RunRecord {
  return {
    id: r.id,
    workflowId: r.workflowId,
    workflowVersionId: r.workflowVersionId,
    status: r.status as RunStatus,
    createdAt: r.createdAt,
    startedAt: r.startedAt,
    finishedAt: r.finishedAt,
    durationMs: r.durationMs,
    error: r.error,
    info: toObject<Record<string, unknown>>(r.info),
    lastSeq: r.lastSeq,
    nodes: r.nodes.map(toNodeRunRecord),
  };
}
