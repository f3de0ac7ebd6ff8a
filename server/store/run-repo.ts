/**
 * Runs, their per-node state and their event log. Engine events are folded in by one SQL statement each
 * (run-event-sql.ts), sent straight to the driver for speed; reads and the rarer writes go through Prisma.
 */
import type { RunEvent } from "../engine/types";
import type { RunRecord, RunRepo } from "./types";
import type { Prisma, PrismaClientType } from "./prisma-client";
import type { SqlRunner } from "./backend";
import { toRunRecord } from "./records";
import { eventStatement, type EventOutcome } from "./run-event-sql";
import { constraintViolation, StoreError } from "./store-errors";

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

    async listUnfinished() {
      const rows = await prisma.run.findMany({
        where: { status: { in: ["queued", "running"] } },
        orderBy: { createdAt: "asc" },
        include: { nodes: { orderBy: { position: "asc" } } },
      });
      return rows.map(toRunRecord);
    },
  };
}
