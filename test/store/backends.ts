/**
 * The two database backends every store test runs against: PGlite in memory, and the PostgreSQL server at
 * TEST_DATABASE_URL (default postgresql://postgres@127.0.0.1:5432/test, trust auth) in a throwaway schema
 * that is dropped afterwards. The PostgreSQL half is skipped, loudly, only when no server answers.
 */
import { randomBytes } from "node:crypto";
import pg from "pg";
import type { MigrationConnection } from "../../server/store/migrate";

export const PG_URL = process.env.TEST_DATABASE_URL ?? "postgresql://postgres@127.0.0.1:5432/test";

async function reachable(url: string): Promise<boolean> {
  const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
  try {
    await c.connect();
    return true;
  } catch {
    return false;
  } finally {
    await c.end().catch(() => undefined);
  }
}

/** Whether the PostgreSQL half runs; evaluated once per test file. */
export const pgAvailable = await reachable(PG_URL);
if (!pgAvailable)
  console.warn(`\n[store tests] PostgreSQL at ${PG_URL} is not reachable: SKIPPING the PostgreSQL half of the store tests.\n`);

/** A fresh schema name, unique per call, safe to drop. */
export function throwawaySchema(): string {
  return `lattice_test_${randomBytes(6).toString("hex")}`;
}

/** `PG_URL` pointed at `schema` through Prisma's `?schema=` parameter. */
export function urlWithSchema(schema: string): string {
  const u = new URL(PG_URL);
  u.searchParams.set("schema", schema);
  return u.toString();
}

/** Runs SQL on the test server outside any schema (creating/dropping throwaway schemas, inspecting). */
export async function adminQuery<T extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params?: unknown[]): Promise<T[]> {
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    return (await c.query<T>(sql, params)).rows;
  } finally {
    await c.end();
  }
}

export async function dropSchema(schema: string): Promise<void> {
  await adminQuery(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
}

/** A single pg connection whose search_path is `schema` (created if missing), as a MigrationConnection. */
export async function pgConnection(schema: string): Promise<MigrationConnection & { end(): Promise<void> }> {
  const c = new pg.Client({ connectionString: PG_URL, options: `-c search_path="${schema}"` });
  await c.connect();
  await c.query(`BEGIN; SELECT pg_advisory_xact_lock(1); CREATE SCHEMA IF NOT EXISTS "${schema}"; COMMIT;`);
  return {
    async query<T extends Record<string, unknown>>(sql: string, params?: unknown[]) {
      return (await c.query(sql, params)).rows as T[];
    },
    async exec(sql: string) {
      await c.query(sql);
    },
    end: () => c.end(),
  };
}
