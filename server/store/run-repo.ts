/**
 * Runs, their per-node state and their event log. Engine events are folded in by one SQL statement each
 * (run-event-sql.ts), sent straight to the driver for speed; reads and the rarer writes go through Prisma.
 */
import type { RunEvent } from "../engine/types";
import type { RunRecord, RunRepo } from "./types";
import type { Prisma, PrismaClientType } from "./prisma-client";
import type { SqlRunner } from "./backend";
import { toRunRecord } from "./records";
import { eventStatement, jsonParam, UNFINISHED_NODE_STATES, type EventOutcome } from "./run-event-sql";
import { constraintViolation, StoreError } from "./store-errors";

/** Error stored on runs and nodes that were in flight when the process stopped. */
export const INTERRUPTED_MESSAGE = "Interrupted: the server stopped during this run";

/** Prisma-backed RunRepo. */
export function createRunRepo(prisma: PrismaClientType, sql: SqlRunner): RunRepo {
  return {
    async create(input) {
      try {
        await prisma.run.create({
          data: {
            id: input.id,
            workflowId: input.workflowId ?? null,
            workflowVersionId: input.workflowVersionId ?? null,
            status: "queued",
            info: (input.info ?? {}) as Prisma.InputJsonObject,
            nodes: { createMany: { data: input.nodes.map((n, position) => ({ nodeId: n.nodeId, kind: n.kind, position })) } },
          },
        });
      } catch (e) {
        const violation = constraintViolation(e);
        if (violation === "unique") throw new StoreError("conflict", `Run ${input.id} already exists, or its node list repeats a node id.`, { cause: e });
        if (violation === "foreign_key")
          throw new StoreError("not_found", `Run ${input.id} refers to workflow ${input.workflowId ?? "-"} / version ${input.workflowVersionId ?? "-"}, which does not exist.`, { cause: e });
        throw e;
      }
    },

    async applyEvent(event: RunEvent) {
      const statement = eventStatement(event);
      const [outcome] = await sql<EventOutcome>(statement.sql, statement.params);
      if (!outcome?.runExists) throw new StoreError("not_found", `Cannot store event ${event.seq} (${event.type}): run ${event.runId} does not exist.`);
    },

    async get(runId) {
      const r = await prisma.run.findUnique({ where: { id: runId }, include: { nodes: { orderBy: { position: "asc" } } } });
      return r ? toRunRecord(r) : null;
    },

    async listForWorkflow(workflowId, limit = 20): Promise<RunRecord[]> {
      const rows = await prisma.run.findMany({
        where: { workflowId },
        orderBy: { createdAt: "desc" },
        take: limit,
        include: { nodes: { orderBy: { position: "asc" } } },
      });
      return rows.map(toRunRecord);
    },

    async eventsAfter(runId, afterSeq) {
      const rows = await prisma.runEvent.findMany({ where: { runId, seq: { gt: afterSeq } }, orderBy: { seq: "asc" }, select: { payload: true } });
      return rows.map((r) => r.payload as unknown as RunEvent);
    },

    async markInterrupted() {
      // One statement: the runs and their open nodes change together or not at all.
      const now = new Date().toISOString();
      const unfinished = UNFINISHED_NODE_STATES.map((s) => `'${s}'`).join(", ");
      const rows = await sql<{ count: number }>(
        `WITH r AS (
           UPDATE "Run" SET "status" = 'failed', "error" = $1::text, "finishedAt" = $2::timestamp(3),
             "durationMs" = CASE WHEN "startedAt" IS NULL THEN NULL
                                 ELSE EXTRACT(EPOCH FROM ($2::timestamp(3) - "startedAt")) * 1000 END
           WHERE "status" IN ('queued', 'running') RETURNING "id"
         ), n AS (
           UPDATE "NodeRun" SET "status" = 'failed', "error" = $3::jsonb, "finishedAt" = $2::timestamp(3)
           WHERE "runId" IN (SELECT "id" FROM r) AND "status" IN (${unfinished})
         )
         SELECT count(*)::integer AS "count" FROM r`,
        [INTERRUPTED_MESSAGE, now, jsonParam({ code: "interrupted", message: INTERRUPTED_MESSAGE, user: false })],
      );
      return rows[0]?.count ?? 0;
    },
  };
}
