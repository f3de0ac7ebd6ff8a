/** In-memory ModelRegistryRepo with the Prisma repo's numbering and idempotency, for router tests and fakes. */
import type { ModelRegistryRepo, RegisteredModelRecord } from "../../server/store/types";

export function createFakeModelRegistry(): ModelRegistryRepo & { entries: RegisteredModelRecord[] } {
  const entries: RegisteredModelRecord[] = [];
  return {
    entries,
    async register(input) {
      const same = entries.find((e) => e.lineage.runId === input.lineage.runId && e.lineage.nodeId === input.lineage.nodeId);
      if (same) return same;
      const version = Math.max(0, ...entries.filter((e) => e.name === input.name).map((e) => e.version)) + 1;
      const rec: RegisteredModelRecord = { ...input, id: `model${entries.length + 1}`, version, lineage: { ...input.lineage, workflowVersion: null }, createdAt: new Date() };
      entries.push(rec);
      return rec;
    },
    async list(opts = {}) {
      return entries.filter((e) => opts.name === undefined || e.name === opts.name).reverse().slice(0, opts.limit ?? 200);
    },
    async get(id) {
      return entries.find((e) => e.id === id) ?? null;
    },
  };
}
