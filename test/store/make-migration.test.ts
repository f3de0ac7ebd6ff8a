/**
 * The db:diff script: naming, empty-diff detection, and (through the real Prisma CLI, offline, against an
 * in-memory PGlite shadow database) that the committed migrations match prisma/schema.prisma.
 */
import { cp, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { diffAgainstMigrations, isEmptyDiff, migrationFolderName } from "../../prisma/make-migration";

const ROOT = path.resolve(import.meta.dirname, "../..");

describe("migrationFolderName", () => {
  it("prefixes a UTC timestamp that sorts after older migrations", () => {
    expect(migrationFolderName("add_tags", new Date(Date.UTC(2027, 0, 2, 3, 4, 5)))).toBe("20270102030405_add_tags");
  });

  it("refuses names that are not lower_snake_case", () => {
    for (const bad of ["", "Add-Tags", "1st", "has space", "x".repeat(80)])
      expect(() => migrationFolderName(bad, new Date())).toThrow(/lower_snake_case/);
  });
});

describe("isEmptyDiff", () => {
  it("treats comment-only output as empty", () => {
    expect(isEmptyDiff("-- This is an empty migration.\n\n")).toBe(true);
    expect(isEmptyDiff(`-- AlterTable\nALTER TABLE "Run" ADD COLUMN "x" TEXT;\n`)).toBe(false);
  });
});

describe("prisma migrate diff (CLI, offline)", () => {
  let tmp: string;
  beforeAll(async () => {
    tmp = await mkdtemp(path.join(tmpdir(), "lattice-diff-"));
  });
  afterAll(async () => {
    await rm(tmp, { recursive: true, force: true });
  });

  it("finds no drift between the schema and the committed migrations, and finds a new column", async () => {
    expect(isEmptyDiff(diffAgainstMigrations())).toBe(true);

    const schema = path.join(tmp, "schema.prisma");
    const text = await readFile(path.join(ROOT, "prisma", "schema.prisma"), "utf8");
    await writeFile(schema, text.replace("  error             String?\n", "  error             String?\n  tag               String?\n"));
    await cp(path.join(ROOT, "prisma", "migrations"), path.join(tmp, "migrations"), { recursive: true });
    const sql = diffAgainstMigrations({ schema, migrations: path.join(tmp, "migrations") });
    expect(isEmptyDiff(sql)).toBe(false);
    expect(sql).toMatch(/ALTER TABLE "Run" ADD COLUMN\s+"tag" TEXT/);
  }, 120_000);

  it("reports a failing CLI run with its output", () => {
    expect(() => diffAgainstMigrations({ schema: path.join(tmp, "missing.prisma") })).toThrow(/prisma migrate diff failed/);
  }, 60_000);
});
