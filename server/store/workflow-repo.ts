/**
 * Workflows and their immutable versions. A save never updates a WorkflowVersion: it appends version n+1
 * and moves Workflow.latestVersion, so every run can point at exactly the graph it ran.
 */
import type { Workflow } from "../graph/format";
import type { RunStatus } from "../engine/types";
import type { WorkflowRecord, WorkflowRepo, WorkflowSummary, WorkflowVersionSummary } from "./types";
import type { Prisma, PrismaClientType } from "./prisma-client";
import { constraintViolation, StoreError } from "./store-errors";

type VersionRow = Prisma.WorkflowVersionGetPayload<{ include: { workflow: true } }>;

function toRecord(v: VersionRow): WorkflowRecord {
  return {
    id: v.workflowId,
    name: v.workflow.name,
    version: v.version,
    versionId: v.id,
    graph: v.graph as unknown as Workflow,
    updatedAt: v.workflow.updatedAt,
  };
}

const asJson = (graph: Workflow) => graph as unknown as Prisma.InputJsonValue;

/** Prisma-backed WorkflowRepo. */
export function createWorkflowRepo(prisma: PrismaClientType): WorkflowRepo {
  return {
    async list(): Promise<WorkflowSummary[]> {
      const rows = await prisma.workflow.findMany({
        orderBy: { updatedAt: "desc" },
        include: { runs: { orderBy: { createdAt: "desc" }, take: 1, select: { id: true, status: true, startedAt: true, createdAt: true } } },
      });
      return rows.map((w) => {
        const run = w.runs[0];
        return {
          id: w.id,
          name: w.name,
          description: w.description,
          latestVersion: w.latestVersion,
          updatedAt: w.updatedAt,
          // A run that is still queued has no start time; its creation time is when it was asked for.
          lastRun: run ? { id: run.id, status: run.status as RunStatus, startedAt: run.startedAt ?? run.createdAt } : null,
        };
      });
    },

    async get(id, version) {
      const row =
        version === undefined
          ? await prisma.workflowVersion.findFirst({ where: { workflowId: id }, orderBy: { version: "desc" }, include: { workflow: true } })
          : await prisma.workflowVersion.findUnique({ where: { workflowId_version: { workflowId: id, version } }, include: { workflow: true } });
      return row ? toRecord(row) : null;
    },

    async create(graph, message) {
      const wf = await prisma.workflow.create({
        data: {
          name: graph.name,
          description: graph.description ?? null,
          latestVersion: 1,
          versions: { create: { version: 1, graph: asJson(graph), message: message ?? null } },
        },
        include: { versions: true },
      });
      const v = wf.versions[0]!;
      return toRecord({ ...v, workflow: wf });
    },

    async save(id, graph, message) {
      try {
        return await prisma.$transaction(async (tx) => {
          // The increment takes the row lock, so concurrent saves get distinct version numbers.
          const wf = await tx.workflow.update({
            where: { id },
            data: { latestVersion: { increment: 1 }, name: graph.name, description: graph.description ?? null },
          });
          const v = await tx.workflowVersion.create({
            data: { workflowId: id, version: wf.latestVersion, graph: asJson(graph), message: message ?? null },
          });
          return toRecord({ ...v, workflow: wf });
        });
      } catch (e) {
        if (constraintViolation(e) === "record_not_found") throw new StoreError("not_found", `Workflow ${id} does not exist; it may have been deleted.`, { cause: e });
        throw e;
      }
    },

    async versions(id): Promise<WorkflowVersionSummary[]> {
      return prisma.workflowVersion.findMany({
        where: { workflowId: id },
        orderBy: { version: "desc" },
        select: { id: true, version: true, message: true, createdAt: true },
      });
    },

    async delete(id) {
      // Versions, runs, node runs and events go with it (ON DELETE CASCADE); artifacts stay, since the same
      // content may belong to other runs. Deleting an unknown id is a no-op, so a retried delete succeeds.
      await prisma.workflow.deleteMany({ where: { id } });
    },
  };
}
