/**
 * Opens the database the server, CLI and workers share: the embedded PGlite by default, or a PostgreSQL
 * server when a URL is given. Migrations are applied before the repositories are handed out.
 */
import type { Database } from "./types";
import type { Backend } from "./backend";
import { createApiKeyRepo } from "./api-key-repo";
import { createArtifactRepo } from "./artifact-repo";
import { createAuthDatabase } from "./auth-adapter";
import { createAuditRepo } from "./audit-repo";
import { createEndpointRepo } from "./endpoint-repo";
import { createModelRegistryRepo } from "./model-registry-repo";
import { openPglite } from "./pglite-backend";
import { openPostgres } from "./postgres-backend";
import { createRunRepo } from "./run-repo";
import { createWorkflowRepo } from "./workflow-repo";

export interface OpenDatabaseOptions {
  /** `postgresql://user@host:5432/db[?schema=name]`. Unset: embedded PGlite. */
  databaseUrl?: string;
  /** Embedded data lives in `<dataDir>/pglite`. Default `./data`. */
  dataDir?: string;
  /** Embedded database in memory, gone on close (tests). */
  memory?: boolean;
  /** Migrations to apply; default the committed prisma/migrations. Tests point it elsewhere. */
  migrationsDir?: string;
}

/**
 * Opens and migrates the database. Call `close()` when done: an embedded PGlite left open keeps the
 * process alive.
 * @throws MigrationError when the schema cannot be brought up to date; Error when the server is unreachable.
 */
export async function openDatabase(opts: OpenDatabaseOptions = {}): Promise<Database> {
  const backend = opts.databaseUrl
    ? await openPostgres(opts.databaseUrl, { migrationsDir: opts.migrationsDir })
    : await openPglite({ dataDir: opts.dataDir, memory: opts.memory, migrationsDir: opts.migrationsDir });
  return databaseOn(backend);
}

function databaseOn(backend: Backend): Database {
  let closing: Promise<void> | undefined;
  // After close, Prisma would silently reconnect on the next query (a new pool nobody closes), so every
  // repository call is refused instead: a late event write then fails loudly rather than leaking.
  const isClosed = () => closing !== undefined;
  return {
    workflows: refuseAfterClose(createWorkflowRepo(backend.prisma), isClosed, backend.label),
    runs: refuseAfterClose(createRunRepo(backend.prisma, backend.sql), isClosed, backend.label),
    artifacts: refuseAfterClose(createArtifactRepo(backend.prisma, backend.sql), isClosed, backend.label),
    models: refuseAfterClose(createModelRegistryRepo(backend.prisma), isClosed, backend.label),
    endpoints: refuseAfterClose(createEndpointRepo(backend.prisma), isClosed, backend.label),
    apiKeys: refuseAfterClose(createApiKeyRepo(backend.prisma), isClosed, backend.label),
    audit: refuseAfterClose(createAuditRepo(backend.prisma), isClosed, backend.label),
    // Not wrapped in refuseAfterClose: better-auth calls the Prisma client itself, and only the API server uses it.
    authDatabase: createAuthDatabase(backend.prisma),
    describe: () => backend.label,
    // Idempotent: shutdown paths (signal handler, test teardown) may both call it.
    close: () => (closing ??= backend.close()),
  };
}

function refuseAfterClose<T extends object>(repo: T, isClosed: () => boolean, label: string): T {
  const guarded = {} as Record<string, unknown>;
  for (const [name, fn] of Object.entries(repo)) {
    guarded[name] =
      typeof fn === "function"
        ? (...args: unknown[]) => (isClosed() ? Promise.reject(new Error(`The database ${label} is closed.`)) : (fn as (...a: unknown[]) => unknown)(...args))
        : fn;
  }
  return guarded as T;
}
