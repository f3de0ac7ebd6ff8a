/** The audit log: who published, rolled back, changed routing, created or revoked keys, changed roles. */
import type { AuditEntryRecord, AuditRepo } from "./types";
import type { Prisma, PrismaClientType } from "./prisma-client";

type Row = Prisma.AuditEntryGetPayload<object>;

const toRecord = (r: Row): AuditEntryRecord => ({
  id: r.id,
  at: r.at,
  actorId: r.actorId,
  actorEmail: r.actorEmail,
  action: r.action,
  target: r.target,
  details: (r.details && typeof r.details === "object" && !Array.isArray(r.details) ? r.details : {}) as Record<string, unknown>,
});

/** Prisma-backed AuditRepo (append-only). */
export function createAuditRepo(prisma: PrismaClientType): AuditRepo {
  return {
    async append(e) {
      const row = await prisma.auditEntry.create({
        data: { actorId: e.actorId ?? null, actorEmail: e.actorEmail ?? null, action: e.action, target: e.target, details: e.details as Prisma.InputJsonObject },
      });
      return toRecord(row);
    },
    async list(opts = {}) {
      const rows = await prisma.auditEntry.findMany({
        where: { ...(opts.target === undefined ? {} : { target: opts.target }), ...(opts.action === undefined ? {} : { action: opts.action }) },
        orderBy: [{ at: "desc" }, { id: "desc" }],
        take: Math.min(Math.max(opts.limit ?? 100, 1), 1000),
      });
      return rows.map(toRecord);
    },
  };
}
