/**
 * The embedded database: PGlite (PostgreSQL compiled to WASM) in this process, in `<dataDir>/pglite` or in
 * memory. One process, one connection: API and executor share it.
 */
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { migrate, type MigrationConnection } from "./migrate";
import { PrismaClient } from "./prisma-client";
import type { Backend } from "./backend";

/** Opens (creating if needed) and migrates the embedded database. */
export async function openPglite(opts: { dataDir?: string; memory?: boolean; migrationsDir?: string }): Promise<Backend> {
  const dir = opts.memory ? undefined : path.resolve(opts.dataDir ?? "data", "pglite");
  if (dir) await mkdir(dir, { recursive: true });
  const pg = dir ? await PGlite.create(dir) : await PGlite.create();
  try {
    await migrate(pgliteMigrationConnection(pg), { dir: opts.migrationsDir });
  } catch (e) {
    // An open PGlite keeps the event loop alive: a CLI that failed to start would otherwise never exit.
    await pg.close();
    throw e;
  }
  const prisma = new PrismaClient({ adapter: pgliteAdapter(pg) });
  return {
    prisma,
    // PGlite queues this behind any open Prisma transaction (its transaction mutex), so it never lands inside one.
    sql: async <T extends Record<string, unknown>>(sql: string, params: unknown[]) => (await pg.query<T>(sql, params)).rows,
    label: dir ? `pglite:${displayPath(dir)}` : "pglite:memory",
    async close() {
      await prisma.$disconnect();
      await pg.close();
    },
  };
}

/** `./data/pglite` under the working directory, the absolute path elsewhere. */
function displayPath(dir: string): string {
  const rel = path.relative(process.cwd(), dir);
  return rel && !rel.startsWith("..") && !path.isAbsolute(rel) ? `./${rel.split(path.sep).join("/")}` : dir;
}

type AdapterFactory = NonNullable<ConstructorParameters<typeof PrismaClient>[0]>["adapter"];

/**
 * pglite-prisma-adapter 0.6 was typed against @prisma/driver-adapter-utils 6.10, whose `argTypes` shape
 * differs from 6.19's; the adapter never reads argTypes (PGlite infers parameter types), so only the
 * declared types disagree. 0.7 fixes this but requires Prisma 7 (see shared/ENVIRONMENT.md).
 */
function pgliteAdapter(pg: PGlite): AdapterFactory {
  return new PrismaPGlite(pg) as unknown as AdapterFactory;
}

function pgliteMigrationConnection(pg: PGlite): MigrationConnection {
  return {
    async query<T extends Record<string, unknown>>(sql: string, params?: unknown[]) {
      return (await pg.query<T>(sql, params)).rows;
    },
    async exec(sql: string) {
      await pg.exec(sql);
    },
  };
}
