import type { PrismaClientType } from "./prisma-client";

/**
 * One SQL statement with bound parameters, run by the driver itself. The per-event hot path uses this rather
 * than Prisma's `$queryRawUnsafe`, which measured about 4× slower per statement here (≈3.6 ms of overhead
 * on a 0.8 ms statement against PostgreSQL).
 */
export type SqlRunner = <T extends Record<string, unknown>>(sql: string, params: unknown[]) => Promise<T[]>;

/** A migrated database behind a Prisma client; what database.ts builds the repos on. */
export interface Backend {
  prisma: PrismaClientType;
  /** Same database and connection(s) as `prisma`, without Prisma in between. */
  sql: SqlRunner;
  /** `pglite:<dir>` or `postgres:<host>:<port>/<db>`: never credentials. */
  label: string;
  /** Releases every connection, so a process that opened the database can exit. */
  close(): Promise<void>;
}
