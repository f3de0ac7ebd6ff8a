/** API keys of published endpoints: only the sha256 of a key is stored (the key itself is shown once). */
import type { ApiKeyRecord, ApiKeyRepo } from "./types";
import type { Prisma, PrismaClientType } from "./prisma-client";

type Row = Prisma.ApiKeyGetPayload<object>;

const toRecord = (r: Row): ApiKeyRecord => ({
  id: r.id,
  endpointId: r.endpointId,
  name: r.name,
  prefix: r.prefix,
  hash: r.hash,
  rateLimitPerMinute: r.rateLimitPerMinute,
  createdAt: r.createdAt,
  createdBy: r.createdBy,
  revokedAt: r.revokedAt,
  lastUsedAt: r.lastUsedAt,
});

/** Prisma-backed ApiKeyRepo. */
export function createApiKeyRepo(prisma: PrismaClientType): ApiKeyRepo {
  return {
    async create(input) {
      return toRecord(await prisma.apiKey.create({ data: { ...input, createdBy: input.createdBy ?? null } }));
    },
    async list(endpointId) {
      return (await prisma.apiKey.findMany({ where: { endpointId }, orderBy: { createdAt: "asc" } })).map(toRecord);
    },
    async findByHash(hash) {
      const r = await prisma.apiKey.findUnique({ where: { hash }, include: { endpoint: { select: { slug: true } } } });
      return r ? { ...toRecord(r), slug: r.endpoint.slug } : null;
    },
    async revoke(endpointId, keyId) {
      const r = await prisma.apiKey.findFirst({ where: { id: keyId, endpointId } });
      if (!r) return null;
      if (r.revokedAt) return toRecord(r);
      return toRecord(await prisma.apiKey.update({ where: { id: keyId }, data: { revokedAt: new Date() } }));
    },
    async touch(uses) {
      // One statement per key, but only every few seconds and only for keys used since the last flush.
      for (const u of uses) await prisma.apiKey.updateMany({ where: { id: u.id }, data: { lastUsedAt: u.at } });
    },
  };
}
