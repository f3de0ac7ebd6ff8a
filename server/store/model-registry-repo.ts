/**
 * The model registry: one RegisteredModel row per trained model, numbered 1, 2, 3... per name. Lineage is
 * stored as plain values (no foreign keys), so an entry outlives the run and workflow it came from.
 */
import type { ModelRegistryRepo, RegisteredModelRecord, RegisterModelInput } from "./types";
import type { Prisma, PrismaClientType } from "./prisma-client";
import { toMetrics } from "./records";
import { constraintViolation, StoreError } from "./store-errors";

type Row = Prisma.RegisteredModelGetPayload<object>;

/** Concurrent registrations of one name race for the next version; the loser retries with the one after. */
const MAX_ATTEMPTS = 5;

function toRecord(r: Row, versions: Map<string, number>): RegisteredModelRecord {
  return {
    id: r.id,
    name: r.name,
    version: r.version,
    algorithm: r.algorithm,
    task: r.task,
    metrics: toMetrics(r.metrics),
    params: (r.params && typeof r.params === "object" && !Array.isArray(r.params) ? r.params : {}) as Record<string, unknown>,
    lineage: {
      runId: r.runId,
      nodeId: r.nodeId,
      workflowId: r.workflowId,
      workflowVersionId: r.workflowVersionId,
      workflowVersion: r.workflowVersionId ? (versions.get(r.workflowVersionId) ?? null) : null,
      dataHash: r.dataHash,
    },
    modelHash: r.modelHash,
    createdAt: r.createdAt,
  };
}

/** JSON has no NaN/Infinity: non-finite metrics are left out rather than stored as null. */
function finiteMetrics(m: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(m).filter(([, v]) => typeof v === "number" && Number.isFinite(v)));
}

/** Prisma-backed ModelRegistryRepo. */
export function createModelRegistryRepo(prisma: PrismaClientType): ModelRegistryRepo {
  /** Workflow version numbers of the rows' workflowVersionIds (a missing one: the workflow was deleted). */
  async function withVersions(rows: Row[]): Promise<RegisteredModelRecord[]> {
    const ids = [...new Set(rows.map((r) => r.workflowVersionId).filter((v): v is string => !!v))];
    const found = ids.length ? await prisma.workflowVersion.findMany({ where: { id: { in: ids } }, select: { id: true, version: true } }) : [];
    const versions = new Map(found.map((v) => [v.id, v.version]));
    return rows.map((r) => toRecord(r, versions));
  }
  const one = async (row: Row | null) => (row ? (await withVersions([row]))[0]! : null);
  const existing = (input: RegisterModelInput) =>
    prisma.registeredModel.findUnique({ where: { runId_nodeId: { runId: input.lineage.runId, nodeId: input.lineage.nodeId } } });

  return {
    async register(input) {
      if (!input.name.trim()) throw new StoreError("conflict", "A registered model needs a name.");
      const before = await existing(input);
      if (before) return (await one(before))!;
      for (let attempt = 1; ; attempt++) {
        const last = await prisma.registeredModel.aggregate({ where: { name: input.name }, _max: { version: true } });
        try {
          const row = await prisma.registeredModel.create({
            data: {
              name: input.name,
              version: (last._max.version ?? 0) + 1,
              algorithm: input.algorithm,
              task: input.task ?? null,
              metrics: finiteMetrics(input.metrics),
              params: input.params as Prisma.InputJsonObject,
              runId: input.lineage.runId,
              nodeId: input.lineage.nodeId,
              workflowId: input.lineage.workflowId ?? null,
              workflowVersionId: input.lineage.workflowVersionId ?? null,
              dataHash: input.lineage.dataHash ?? null,
              modelHash: input.modelHash,
            },
          });
          return (await one(row))!;
        } catch (e) {
          if (constraintViolation(e) !== "unique") throw e;
          // Either the same node was registered meanwhile (return it) or another model took this version.
          const same = await existing(input);
          if (same) return (await one(same))!;
          if (attempt >= MAX_ATTEMPTS)
            throw new StoreError("conflict", `Could not register "${input.name}": ${MAX_ATTEMPTS} concurrent registrations took the next version. Try again.`, { cause: e });
        }
      }
    },

    async list(opts = {}) {
      const rows = await prisma.registeredModel.findMany({
        where: opts.name === undefined ? {} : { name: opts.name },
        orderBy: [{ createdAt: "desc" }, { version: "desc" }],
        take: opts.limit ?? 200,
      });
      return withVersions(rows);
    },

    async get(id) {
      return one(await prisma.registeredModel.findUnique({ where: { id } }));
    },
  };
}
