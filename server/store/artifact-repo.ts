/** Metadata of content-addressed artifacts (the bytes live in the ArtifactStore). */
import type { TableInfo } from "../../nodes/core/schema";
import type { ArtifactRef } from "../engine/types";
import type { ArtifactRepo } from "./types";
import type { PrismaClientType } from "./prisma-client";
import type { SqlRunner } from "./backend";

/** Prisma-backed ArtifactRepo. */
export function createArtifactRepo(prisma: PrismaClientType, sql: SqlRunner): ArtifactRepo {
  return {
    async record(ref, producer) {
      // One statement, safe against a concurrent insert of the same hash (same bytes from two runs).
      // The first producer is kept; table info is refreshed when the newer ref has it (row counts found later).
      await sql(
        `INSERT INTO "Artifact" ("hash", "type", "size", "table", "createdAt", "producerRunId", "producerNodeId", "producerPort")
         VALUES ($1, $2, $3::bigint, $4::jsonb, $5::timestamp(3), $6, $7, $8)
         ON CONFLICT ("hash") DO UPDATE SET "table" = COALESCE(EXCLUDED."table", "Artifact"."table")`,
        [
          ref.hash,
          ref.type,
          ref.size,
          ref.table === undefined ? null : JSON.stringify(ref.table),
          new Date().toISOString(),
          producer?.runId ?? null,
          producer?.nodeId ?? null,
          producer?.port ?? null,
        ],
      );
    },

    async get(hash) {
      const a = await prisma.artifact.findUnique({ where: { hash } });
      if (!a) return null;
      const ref: ArtifactRef & { createdAt: Date } = { hash: a.hash, type: a.type as ArtifactRef["type"], size: Number(a.size), createdAt: a.createdAt };
      if (a.table != null) ref.table = a.table as unknown as TableInfo;
      return ref;
    },
  };
}
