/**
 * A real PostgreSQL server through @prisma/adapter-pg (node-postgres pool). Migrations run first on a single
 * dedicated connection, because the migrator's advisory lock and transactions belong to one session.
 */
import pg from "pg";
import { PrismaPg } from "@prisma/adapter-pg";
import { migrate, PRISMA_MIGRATION_LOCK_KEY, type MigrationConnection } from "./migrate";
import { pgConfigFromUrl } from "./postgres-url";
import { PrismaClient } from "./prisma-client";
import type { Backend } from "./backend";

/** Connects, creates the `?schema=` schema if missing, migrates, and returns a pooled Prisma client. */
export async function openPostgres(databaseUrl: string, opts: { migrationsDir?: string } = {}): Promise<Backend> {
  const target = pgConfigFromUrl(databaseUrl);
  const client = new pg.Client(target.pool);
  try {
    await client.connect();
  } catch (e) {
    await client.end().catch(() => undefined);
    const reason = e instanceof Error ? e.message : String(e);
    throw new Error(`Cannot connect to PostgreSQL at ${target.label}: ${reason}. Is the server running, and is DATABASE_URL right?`, { cause: e });
  }
  try {
    // CREATE SCHEMA IF NOT EXISTS is not safe against a concurrent twin (unique violation on pg_namespace),
    // so starters racing on a fresh schema take the migration lock for it too.
    await client.query(
      `BEGIN; SELECT pg_advisory_xact_lock(${PRISMA_MIGRATION_LOCK_KEY}); CREATE SCHEMA IF NOT EXISTS "${target.schema}"; COMMIT;`,
    );
    await migrate(pgMigrationConnection(client), { dir: opts.migrationsDir, advisoryLock: true });
  } finally {
    await client.end();
  }
  // One pool shared by Prisma and the raw hot path; Prisma does not end a pool it was given, close() does.
  const pool = new pg.Pool(target.pool);
  pool.on("error", (e) => console.error(`[lattice] idle PostgreSQL connection failed (${target.label}):`, e.message));
  const prisma = new PrismaClient({ adapter: new PrismaPg(pool, { schema: target.schema }) });
  return {
    prisma,
    sql: async <T extends Record<string, unknown>>(sql: string, params: unknown[]) => (await pool.query<T>(sql, params)).rows,
    label: `postgres:${target.label}`,
    async close() {
      await prisma.$disconnect();
      await pool.end();
    },
  };
}

function pgMigrationConnection(client: pg.Client): MigrationConnection {
  return {
    async query<T extends Record<string, unknown>>(sql: string, params?: unknown[]) {
      return (await client.query<T>(sql, params)).rows;
    },
    async exec(sql: string) {
      // No parameters: node-postgres uses the simple query protocol, which runs a whole script.
      await client.query(sql);
    },
  };
}
