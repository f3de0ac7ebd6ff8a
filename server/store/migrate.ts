/**
 * Applies the committed migrations (prisma/migrations/<name>/migration.sql) at start, for both backends.
 *
 * Why not `prisma migrate deploy`: the embedded database is a PGlite instance inside this process (one
 * connection, possibly in memory), which a separate CLI process cannot reach; and spawning the CLI at every
 * start would cost seconds. So this small migrator does what deploy does, and records it the way deploy
 * does: each migration runs in its own transaction and is logged in `_prisma_migrations` with Prisma's columns
 * and checksum (sha256 of the file, hex), so `prisma migrate status`/`deploy` against the same database agree
 * with it. It refuses to start when an applied migration's file was edited afterwards, or when the CLI left a
 * failed migration behind. Against a real server it holds the same advisory lock as Prisma's CLI, so several
 * processes starting at once migrate one after the other.
 *
 * Limitation: a migration runs inside a transaction, so statements PostgreSQL forbids there (CREATE INDEX
 * CONCURRENTLY, ALTER TYPE ... ADD VALUE before PG 12) must not be used in migration files.
 */
import { createHash, randomUUID } from "node:crypto";
import { existsSync } from "node:fs";
import { readdir, readFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

/** The migrations committed with this code. */
export const DEFAULT_MIGRATIONS_DIR = fileURLToPath(new URL("../../prisma/migrations", import.meta.url));

/** Key of `pg_advisory_lock` that Prisma's schema engine takes while migrating PostgreSQL. */
export const PRISMA_MIGRATION_LOCK_KEY = 72707369;

/** One connection, used only while migrating (the migrator's transactions need a single session). */
export interface MigrationConnection {
  /** One statement with bind parameters. */
  query<T extends Record<string, unknown>>(sql: string, params?: unknown[]): Promise<T[]>;
  /** A script of many statements, no parameters (simple query protocol). */
  exec(sql: string): Promise<void>;
}

export type MigrationErrorCode = "no_migrations" | "checksum_mismatch" | "failed_migration" | "apply_failed";

/** Why the database could not be brought up to date; the message says what to do. */
export class MigrationError extends Error {
  constructor(
    readonly code: MigrationErrorCode,
    message: string,
    readonly migration?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "MigrationError";
  }
}

export interface LocalMigration {
  name: string;
  sql: string;
  checksum: string;
}

export interface MigrateResult {
  /** Names applied by this call, in order. */
  applied: string[];
  /** Names that were already applied. */
  skipped: string[];
}

/** sha256 of the file's text, hex: what Prisma stores in `_prisma_migrations.checksum`. */
export function migrationChecksum(sql: string): string {
  return createHash("sha256").update(sql, "utf8").digest("hex");
}

/** Migration folders that hold a migration.sql, sorted by name (their timestamp prefix orders them). */
export async function readMigrations(dir: string): Promise<LocalMigration[]> {
  if (!existsSync(dir)) throw new MigrationError("no_migrations", `No migrations folder at ${dir}.`);
  const entries = await readdir(dir, { withFileTypes: true });
  const names = entries.filter((e) => e.isDirectory() && existsSync(path.join(dir, e.name, "migration.sql"))).map((e) => e.name);
  names.sort();
  if (names.length === 0) throw new MigrationError("no_migrations", `The migrations folder ${dir} holds no <name>/migration.sql.`);
  return Promise.all(
    names.map(async (name) => {
      const sql = await readFile(path.join(dir, name, "migration.sql"), "utf8");
      return { name, sql, checksum: migrationChecksum(sql) };
    }),
  );
}

// The table exactly as Prisma's schema engine creates it, so either side can create it first.
const CREATE_MIGRATIONS_TABLE = `CREATE TABLE IF NOT EXISTS "_prisma_migrations" (
    "id"                    VARCHAR(36) PRIMARY KEY NOT NULL,
    "checksum"              VARCHAR(64) NOT NULL,
    "finished_at"           TIMESTAMPTZ,
    "migration_name"        VARCHAR(255) NOT NULL,
    "logs"                  TEXT,
    "rolled_back_at"        TIMESTAMPTZ,
    "started_at"            TIMESTAMPTZ NOT NULL DEFAULT now(),
    "applied_steps_count"   INTEGER NOT NULL DEFAULT 0
)`;

interface AppliedRow extends Record<string, unknown> {
  migration_name: string;
  checksum: string;
  finished_at: unknown;
  rolled_back_at: unknown;
}

/**
 * Brings the database behind `conn` up to date with the migrations in `dir`.
 * @param opts.advisoryLock take Prisma's advisory lock for the duration (real PostgreSQL; PGlite has one
 *   connection, so there is nobody to wait for).
 * @throws MigrationError when a migration cannot be applied or the recorded history does not match the files.
 */
export async function migrate(conn: MigrationConnection, opts: { dir?: string; advisoryLock?: boolean } = {}): Promise<MigrateResult> {
  const local = await readMigrations(opts.dir ?? DEFAULT_MIGRATIONS_DIR);
  if (opts.advisoryLock) await conn.query(`SELECT pg_advisory_lock(${PRISMA_MIGRATION_LOCK_KEY})`);
  try {
    await conn.exec(CREATE_MIGRATIONS_TABLE);
    // Read the history only once the lock is held: another starter may just have applied something.
    const rows = await conn.query<AppliedRow>(
      `SELECT migration_name, checksum, finished_at, rolled_back_at FROM "_prisma_migrations" ORDER BY started_at`,
    );
    const failed = rows.find((r) => r.finished_at == null && r.rolled_back_at == null);
    if (failed)
      throw new MigrationError(
        "failed_migration",
        `Migration ${failed.migration_name} was started but never finished (a failed \`prisma migrate deploy\`?). ` +
          `Fix the database, then run \`npx prisma migrate resolve --applied ${failed.migration_name}\` ` +
          `(or --rolled-back) before starting Lattice again.`,
        failed.migration_name,
      );
    const applied = new Map(rows.filter((r) => r.finished_at != null && r.rolled_back_at == null).map((r) => [r.migration_name, r.checksum]));
    for (const m of local) {
      const recorded = applied.get(m.name);
      if (recorded !== undefined && !checksumMatches(m.sql, recorded))
        throw new MigrationError(
          "checksum_mismatch",
          `Migration ${m.name} was modified after it was applied to this database (checksum ${recorded.slice(0, 12)}… ` +
            `recorded, ${m.checksum.slice(0, 12)}… on disk). Applied migrations are immutable: restore the file and put ` +
            `the change in a new migration (npm run db:diff -- <name>).`,
          m.name,
        );
    }
    const result: MigrateResult = { applied: [], skipped: [] };
    for (const m of local) {
      if (applied.has(m.name)) {
        result.skipped.push(m.name);
        continue;
      }
      await applyOne(conn, m);
      result.applied.push(m.name);
    }
    return result;
  } finally {
    if (opts.advisoryLock) await conn.query(`SELECT pg_advisory_unlock(${PRISMA_MIGRATION_LOCK_KEY})`);
  }
}

/** Prisma also accepts a file whose only change is its line endings (a checkout with autocrlf). */
function checksumMatches(sql: string, recorded: string): boolean {
  return migrationChecksum(sql) === recorded || migrationChecksum(sql.replace(/\r\n/g, "\n")) === recorded;
}

async function applyOne(conn: MigrationConnection, m: LocalMigration): Promise<void> {
  await conn.exec("BEGIN");
  try {
    await conn.exec(m.sql);
    await conn.query(
      `INSERT INTO "_prisma_migrations" (id, checksum, finished_at, migration_name, logs, rolled_back_at, started_at, applied_steps_count)
       VALUES ($1, $2, now(), $3, NULL, NULL, now(), 1)`,
      [randomUUID(), m.checksum, m.name],
    );
    await conn.exec("COMMIT");
  } catch (e) {
    await conn.exec("ROLLBACK").catch(() => undefined);
    const reason = e instanceof Error ? e.message : String(e);
    throw new MigrationError("apply_failed", `Migration ${m.name} failed and was rolled back: ${reason}`, m.name, { cause: e });
  }
}
