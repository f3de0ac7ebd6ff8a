/**
 * openDatabase: backend selection, persistence across reopen, refusal paths, describe() labels.
 */
import { readdirSync } from "node:fs";
import { cp, mkdtemp, rm, appendFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { openDatabase } from "../../server/store/database";
import { DEFAULT_MIGRATIONS_DIR, MigrationError } from "../../server/store/migrate";
import { adminQuery, dropSchema, pgAvailable, throwawaySchema, urlWithSchema } from "./backends";
import { graph } from "./fixtures";

let tmp: string;
beforeEach(async () => {
  tmp = await mkdtemp(path.join(tmpdir(), "lattice-db-"));
});
afterEach(async () => {
  await rm(tmp, { recursive: true, force: true });
});

describe("embedded PGlite on disk", () => {
  it("keeps data across close and reopen, migrating only once", async () => {
    const first = await openDatabase({ dataDir: tmp });
    expect(first.describe()).toBe(`pglite:${path.join(tmp, "pglite")}`);
    const wf = await first.workflows.create(graph("Persistent"), "v1");
    await first.close();
    await first.close(); // idempotent

    const second = await openDatabase({ dataDir: tmp });
    try {
      expect((await second.workflows.get(wf.id))?.graph).toEqual(graph("Persistent"));
    } finally {
      await second.close();
    }
    const raw = await PGlite.create(path.join(tmp, "pglite"));
    try {
      const rows = await raw.query<{ migration_name: string }>(`SELECT migration_name FROM "_prisma_migrations"`);
      expect(rows.rows.map((r) => r.migration_name)).toEqual(
        readdirSync(DEFAULT_MIGRATIONS_DIR, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort(),
      );
    } finally {
      await raw.close();
    }
  });

  it("refuses to open when an applied migration was edited, and leaves the data alone", async () => {
    const migrationsDir = path.join(tmp, "migrations");
    await cp(DEFAULT_MIGRATIONS_DIR, migrationsDir, { recursive: true });
    const dataDir = path.join(tmp, "data");
    const db = await openDatabase({ dataDir, migrationsDir });
    await db.workflows.create(graph("Keep me"));
    await db.close();

    await appendFile(path.join(migrationsDir, "20261124210000_init", "migration.sql"), "\n-- edited\n");
    const err = await openDatabase({ dataDir, migrationsDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MigrationError);
    expect(err).toMatchObject({ code: "checksum_mismatch" });

    // the refused open closed its PGlite: the directory opens again with the original migrations
    const again = await openDatabase({ dataDir });
    try {
      expect((await again.workflows.list()).map((w) => w.name)).toEqual(["Keep me"]);
    } finally {
      await again.close();
    }
  });
});

describe("PostgreSQL", () => {
  const schemas: string[] = [];
  afterAll(async () => {
    for (const s of schemas) await dropSchema(s);
  });

  it("says which server it could not reach", async () => {
    const err = await openDatabase({ databaseUrl: "postgresql://postgres:hunter2@127.0.0.1:1/test" }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toContain("Cannot connect to PostgreSQL at 127.0.0.1:1/test");
    expect((err as Error).message).not.toContain("hunter2");
  });

  it.skipIf(!pgAvailable)("creates the ?schema= schema, keeps data there, and never prints the password", async () => {
    const schema = throwawaySchema();
    schemas.push(schema);
    const u = new URL(urlWithSchema(schema));
    u.password = "not-printed"; // trust auth ignores it
    const db = await openDatabase({ databaseUrl: u.toString() });
    try {
      expect(db.describe()).toBe(`postgres:${u.hostname}:${u.port || "5432"}${u.pathname}?schema=${schema}`);
      expect(db.describe()).not.toContain("not-printed");
      const wf = await db.workflows.create(graph("In a schema"));
      const rows = await adminQuery(`SELECT name FROM "${schema}"."Workflow" WHERE id = $1`, [wf.id]);
      expect(rows).toEqual([{ name: "In a schema" }]);
    } finally {
      await db.close();
    }
  });

  it.skipIf(!pgAvailable)("lets several processes start on a fresh schema at once", async () => {
    const schema = throwawaySchema();
    schemas.push(schema);
    const dbs = await Promise.all([1, 2, 3].map(() => openDatabase({ databaseUrl: urlWithSchema(schema) })));
    try {
      const rows = await adminQuery(`SELECT migration_name FROM "${schema}"."_prisma_migrations"`);
      // each committed migration applied exactly once, whoever of the three got there first
      expect(rows).toHaveLength(readdirSync(DEFAULT_MIGRATIONS_DIR, { withFileTypes: true }).filter((d) => d.isDirectory()).length);
      await dbs[0]!.workflows.create(graph("Shared"));
      expect(await dbs[2]!.workflows.list()).toHaveLength(1);
    } finally {
      await Promise.all(dbs.map((d) => d.close()));
    }
  });
});
