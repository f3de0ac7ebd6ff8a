/**
 * The start-up migrator on both backends: applies once, records Prisma-compatible rows, refuses edited or
 * failed history, rolls back a broken migration, and serialises concurrent starters with the advisory lock.
 */
import { readdirSync } from "node:fs";
import { cp, mkdtemp, readFile, rm, writeFile, mkdir, appendFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { DEFAULT_MIGRATIONS_DIR, migrate, migrationChecksum, MigrationError, type MigrationConnection } from "../../server/store/migrate";
import { dropSchema, pgAvailable, pgConnection, throwawaySchema } from "./backends";

interface Conn extends MigrationConnection {
  end(): Promise<void>;
}

interface Backend {
  name: string;
  skip: boolean;
  advisoryLock: boolean;
  /** A connection to an empty database. */
  fresh(): Promise<Conn>;
}

const schemas: string[] = [];
afterAll(async () => {
  for (const s of schemas) await dropSchema(s);
});

// One PGlite per test costs seconds on this machine; instead each test gets a fresh schema in one instance.
let sharedPglite: PGlite | undefined;
afterAll(async () => {
  await sharedPglite?.close();
});

const backends: Backend[] = [
  {
    name: "pglite",
    skip: false,
    advisoryLock: false,
    async fresh() {
      sharedPglite ??= await PGlite.create();
      const pg = sharedPglite;
      const schema = throwawaySchema();
      await pg.exec(`CREATE SCHEMA "${schema}"; SET search_path TO "${schema}"`);
      return {
        async query<T extends Record<string, unknown>>(sql: string, params?: unknown[]) {
          return (await pg.query<T>(sql, params)).rows;
        },
        async exec(sql: string) {
          await pg.exec(sql);
        },
        async end() {
          await pg.exec(`SET search_path TO public`);
        },
      };
    },
  },
  {
    name: "postgresql",
    skip: !pgAvailable,
    advisoryLock: true,
    async fresh() {
      const schema = throwawaySchema();
      schemas.push(schema);
      return pgConnection(schema);
    },
  },
];

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "lattice-migrate-"));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

/** A copy of the committed migrations that a test may edit. */
async function copyMigrations(): Promise<string> {
  const dir = path.join(tmp, "migrations");
  await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
  return dir;
}

async function addMigration(dir: string, name: string, sql: string): Promise<void> {
  await mkdir(path.join(dir, name), { recursive: true });
  await writeFile(path.join(dir, name, "migration.sql"), sql);
}

const initName = "20261124210000_init";
/** Every committed migration, in order (the first is initName). */
const committed = readdirSync(DEFAULT_MIGRATIONS_DIR, { withFileTypes: true })
  .filter((d) => d.isDirectory())
  .map((d) => d.name)
  .sort();

describe.each(backends)("migrate on $name", (b) => {
  it.skipIf(b.skip)("applies the committed migrations once and records them as Prisma does", async () => {
    const conn = await b.fresh();
    try {
      const first = await migrate(conn, { advisoryLock: b.advisoryLock });
      expect(first).toEqual({ applied: committed, skipped: [] });
      const second = await migrate(conn, { advisoryLock: b.advisoryLock });
      expect(second).toEqual({ applied: [], skipped: committed });

      const rows = await conn.query<{ migration_name: string; checksum: string; finished_at: unknown; rolled_back_at: unknown; applied_steps_count: number; logs: unknown }>(
        `SELECT * FROM "_prisma_migrations"`,
      );
      const sql = await readFile(path.join(DEFAULT_MIGRATIONS_DIR, initName, "migration.sql"), "utf8");
      expect(rows.map((r) => r.migration_name).sort()).toEqual(committed);
      expect(rows.find((r) => r.migration_name === initName)).toMatchObject({ migration_name: initName, checksum: migrationChecksum(sql), applied_steps_count: 1, rolled_back_at: null, logs: null });
      expect(rows[0]!.finished_at).toBeInstanceOf(Date);
      // the tables exist
      await expect(conn.query(`SELECT count(*) FROM "NodeRun"`)).resolves.toHaveLength(1);
    } finally {
      await conn.end();
    }
  });

  it.skipIf(b.skip)("applies a migration added later, and only that one", async () => {
    const conn = await b.fresh();
    try {
      const dir = await copyMigrations();
      await migrate(conn, { dir, advisoryLock: b.advisoryLock });
      await addMigration(dir, "20261201000000_add_tags", `CREATE TABLE "Tag" ("name" TEXT PRIMARY KEY);\nALTER TABLE "Workflow" ADD COLUMN "color" TEXT;`);
      expect(await migrate(conn, { dir, advisoryLock: b.advisoryLock })).toEqual({ applied: ["20261201000000_add_tags"], skipped: committed });
      await expect(conn.query(`SELECT "color" FROM "Workflow"`)).resolves.toEqual([]);
    } finally {
      await conn.end();
    }
  });

  it.skipIf(b.skip)("refuses to start when an applied migration was edited", async () => {
    const conn = await b.fresh();
    try {
      const dir = await copyMigrations();
      await migrate(conn, { dir, advisoryLock: b.advisoryLock });
      await appendFile(path.join(dir, initName, "migration.sql"), `\nCREATE INDEX "sneaky" ON "Run"("error");\n`);
      const err = await migrate(conn, { dir, advisoryLock: b.advisoryLock }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MigrationError);
      expect(err).toMatchObject({ code: "checksum_mismatch", migration: initName });
      expect((err as Error).message).toContain(`Migration ${initName} was modified after it was applied`);
      // the lock was released: the next attempt fails the same way instead of hanging
      await expect(migrate(conn, { dir, advisoryLock: b.advisoryLock })).rejects.toMatchObject({ code: "checksum_mismatch" });
    } finally {
      await conn.end();
    }
  });

  it.skipIf(b.skip)("accepts a file whose only change is CRLF line endings", async () => {
    const conn = await b.fresh();
    try {
      const dir = await copyMigrations();
      await migrate(conn, { dir, advisoryLock: b.advisoryLock });
      const file = path.join(dir, initName, "migration.sql");
      await writeFile(file, (await readFile(file, "utf8")).replace(/\n/g, "\r\n"));
      await expect(migrate(conn, { dir, advisoryLock: b.advisoryLock })).resolves.toEqual({ applied: [], skipped: committed });
    } finally {
      await conn.end();
    }
  });

  it.skipIf(b.skip)("rolls back a migration that fails part-way and records nothing", async () => {
    const conn = await b.fresh();
    try {
      const dir = await copyMigrations();
      await addMigration(dir, "20261201000000_broken", `CREATE TABLE "Half" ("id" INT);\nSELECT no_such_function();`);
      const err = await migrate(conn, { dir, advisoryLock: b.advisoryLock }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MigrationError);
      expect(err).toMatchObject({ code: "apply_failed", migration: "20261201000000_broken" });
      expect((err as Error).message).toMatch(/no_such_function/);
      const names = await conn.query<{ migration_name: string }>(`SELECT migration_name FROM "_prisma_migrations"`);
      expect(names.map((r) => r.migration_name)).toEqual(committed);
      await expect(conn.query(`SELECT * FROM "Half"`)).rejects.toThrow(/Half/);
      // fixed file: applies on the next start
      await addMigration(dir, "20261201000000_broken", `CREATE TABLE "Half" ("id" INT);`);
      expect((await migrate(conn, { dir, advisoryLock: b.advisoryLock })).applied).toEqual(["20261201000000_broken"]);
    } finally {
      await conn.end();
    }
  });

  it.skipIf(b.skip)("refuses to start over a failed migration left by the Prisma CLI", async () => {
    const conn = await b.fresh();
    try {
      await migrate(conn, { advisoryLock: b.advisoryLock });
      await conn.query(
        `INSERT INTO "_prisma_migrations" (id, checksum, migration_name, started_at, applied_steps_count) VALUES ('x', 'abc', '20261202000000_cli_failed', now(), 0)`,
      );
      const err = await migrate(conn, { advisoryLock: b.advisoryLock }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MigrationError);
      expect(err).toMatchObject({ code: "failed_migration", migration: "20261202000000_cli_failed" });
      expect((err as Error).message).toContain("prisma migrate resolve");
    } finally {
      await conn.end();
    }
  });
});

describe("migrate", () => {
  it("refuses a missing or empty migrations folder", async () => {
    const conn: MigrationConnection = {
      query: () => Promise.reject(new Error("must not be reached")),
      exec: () => Promise.reject(new Error("must not be reached")),
    };
    await expect(migrate(conn, { dir: path.join(tmp, "nope") })).rejects.toMatchObject({ code: "no_migrations" });
    await mkdir(path.join(tmp, "empty", "not-a-migration"), { recursive: true });
    await expect(migrate(conn, { dir: path.join(tmp, "empty") })).rejects.toMatchObject({ code: "no_migrations" });
  });

  it.skipIf(!pgAvailable)("lets concurrent starters on PostgreSQL apply each migration exactly once", async () => {
    const schema = throwawaySchema();
    schemas.push(schema);
    const conns = await Promise.all([1, 2, 3].map(() => pgConnection(schema)));
    try {
      const results = await Promise.all(conns.map((c) => migrate(c, { advisoryLock: true })));
      expect(results.flatMap((r) => r.applied).sort()).toEqual(committed);
      const rows = await conns[0]!.query(`SELECT * FROM "_prisma_migrations"`);
      expect(rows).toHaveLength(committed.length);
    } finally {
      await Promise.all(conns.map((c) => c.end()));
    }
  });
});
