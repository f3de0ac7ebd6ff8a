/**
 * Published endpoints and their immutable versions. Routing (live, canary) lives on the Endpoint row; a
 * version row is written once and never updated.
 */
import type { EndpointRecord, EndpointRepo, EndpointVersionRecord } from "./types";
import type { Prisma, PrismaClientType } from "./prisma-client";
import { constraintViolation, StoreError } from "./store-errors";

type EndpointRow = Prisma.EndpointGetPayload<object>;
type VersionRow = Prisma.EndpointVersionGetPayload<object>;

/** Concurrent publishes to one slug race for the next version number; the loser retries with the one after. */
const MAX_ATTEMPTS = 5;

const toEndpoint = (r: EndpointRow): EndpointRecord => ({
  id: r.id,
  slug: r.slug,
  name: r.name,
  workflowId: r.workflowId,
  liveVersion: r.liveVersion,
  canaryVersion: r.canaryVersion,
  canaryPercent: r.canaryPercent,
  createdAt: r.createdAt,
  updatedAt: r.updatedAt,
});

const toVersion = (r: VersionRow): EndpointVersionRecord => ({
  id: r.id,
  endpointId: r.endpointId,
  version: r.version,
  workflowVersionId: r.workflowVersionId,
  runId: r.runId,
  spec: r.spec,
  inputSchema: r.inputSchema,
  reference: r.reference,
  gate: r.gate,
  createdAt: r.createdAt,
  createdBy: r.createdBy,
});

const json = (v: unknown) => v as Prisma.InputJsonValue;

/** Prisma-backed EndpointRepo. */
export function createEndpointRepo(prisma: PrismaClientType): EndpointRepo {
  async function ensureEndpoint(e: { slug: string; name: string; workflowId: string }): Promise<EndpointRow> {
    const found = await prisma.endpoint.findUnique({ where: { slug: e.slug } });
    if (found) return found;
    try {
      return await prisma.endpoint.create({ data: e });
    } catch (err) {
      if (constraintViolation(err) !== "unique") throw err;
      return (await prisma.endpoint.findUnique({ where: { slug: e.slug } }))!;
    }
  }

  return {
    async list() {
      return (await prisma.endpoint.findMany({ orderBy: { updatedAt: "desc" } })).map(toEndpoint);
    },
    async get(slug) {
      const r = await prisma.endpoint.findUnique({ where: { slug } });
      return r ? toEndpoint(r) : null;
    },
    async addVersion(e, v, makeLive) {
      const endpoint = await ensureEndpoint(e);
      if (endpoint.workflowId !== e.workflowId)
        throw new StoreError("conflict", `The endpoint "${e.slug}" serves another workflow. Choose another slug.`);
      for (let attempt = 1; ; attempt++) {
        const last = await prisma.endpointVersion.aggregate({ where: { endpointId: endpoint.id }, _max: { version: true } });
        const version = (last._max.version ?? 0) + 1;
        try {
          const row = await prisma.endpointVersion.create({
            data: {
              endpointId: endpoint.id,
              version,
              workflowVersionId: v.workflowVersionId,
              runId: v.runId,
              spec: json(v.spec),
              inputSchema: json(v.inputSchema),
              reference: json(v.reference),
              gate: json(v.gate),
              createdBy: v.createdBy ?? null,
            },
          });
          const live = makeLive === true || (makeLive === "if-first" && endpoint.liveVersion === null);
          const updated = await prisma.endpoint.update({
            where: { id: endpoint.id },
            // Touch updatedAt even when routing stays: the list is ordered by last change.
            data: live ? { liveVersion: version, name: e.name } : { name: e.name },
          });
          return { endpoint: toEndpoint(updated), version: toVersion(row) };
        } catch (err) {
          if (constraintViolation(err) !== "unique") throw err;
          if (attempt >= MAX_ATTEMPTS)
            throw new StoreError("conflict", `Could not publish "${e.slug}": ${MAX_ATTEMPTS} concurrent publishes took the next version. Try again.`, { cause: err });
        }
      }
    },
    async versions(endpointId) {
      return (await prisma.endpointVersion.findMany({ where: { endpointId }, orderBy: { version: "asc" } })).map(toVersion);
    },
    async version(endpointId, version) {
      const r = await prisma.endpointVersion.findUnique({ where: { endpointId_version: { endpointId, version } } });
      return r ? toVersion(r) : null;
    },
    async route(endpointId, patch) {
      try {
        return toEndpoint(await prisma.endpoint.update({ where: { id: endpointId }, data: patch }));
      } catch (err) {
        if (constraintViolation(err) === "record_not_found") throw new StoreError("not_found", "The endpoint no longer exists.", { cause: err });
        throw err;
      }
    },
  };
}
