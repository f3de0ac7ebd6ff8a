/**
 * Writes the next migration: `npm run db:diff -- <name>` diffs the committed migrations against
 * prisma/schema.prisma (`prisma migrate diff --from-migrations ... --to-schema-datamodel ... --script`, run
 * against an in-memory PGlite shadow database, so no server is needed) and saves the SQL as
 * prisma/migrations/<UTC timestamp>_<name>/migration.sql. `npm run db:diff -- --check` exits 1 when the
 * schema has changes no migration holds (for CI).
 *
 * Not `prisma migrate dev`: it needs the native schema engine or fails with the WASM one (P1014). Review the
 * SQL before committing; the server applies it at its next start (server/store/migrate.ts).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const MIGRATIONS = path.join(ROOT, "prisma", "migrations");

/** `20261124210000_add_runs` from a date and a name; throws if the name is not lower_snake_case. */
export function migrationFolderName(name: string, now: Date): string {
  if (!/^[a-z][a-z0-9_]{0,60}$/.test(name))
    throw new Error(`Migration name "${name}" must be lower_snake_case (letters, digits, _), e.g. add_run_tags.`);
  const stamp = now.toISOString().replace(/[-:T]/g, "").slice(0, 14);
  return `${stamp}_${name}`;
}

/** True when `prisma migrate diff --script` found nothing to do. */
export function isEmptyDiff(sql: string): boolean {
  const statements = sql
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith("--"));
  return statements.length === 0;
}

/**
 * Runs `prisma migrate diff` from the migrations to the schema; returns the SQL script (empty diff: comments
 * only). Paths default to the committed ones; tests pass copies.
 */
/** prisma.config.ts lives in prisma/ (the repository top level is kept to the app's own folders). */
const configPath = path.join(ROOT, "prisma", "prisma.config.ts");

export function diffAgainstMigrations(paths: { schema?: string; migrations?: string } = {}): string {
  const schema = paths.schema ?? path.join(ROOT, "prisma", "schema.prisma");
  const migrations = paths.migrations ?? MIGRATIONS;
  const from = existsSync(migrations) ? ["--from-migrations", migrations] : ["--from-empty"];
  const env = { ...process.env };
  // Force the in-memory PGlite of prisma.config.ts: the diff must never touch a real database.
  delete env.DATABASE_URL;
  delete env.LATTICE_PGLITE_DIR;
  const r = spawnSync("npx", ["prisma", "migrate", "diff", "--config", configPath, ...from, "--to-schema-datamodel", schema, "--script"], {
    cwd: ROOT,
    env,
    encoding: "utf8",
  });
  if (r.status !== 0) throw new Error(`prisma migrate diff failed (exit ${r.status}):\n${r.stderr || r.stdout}`);
  return r.stdout;
}

async function main(args: string[]): Promise<number> {
  const check = args.includes("--check");
  const name = args.find((a) => !a.startsWith("--"));
  if (!check && !name) {
    console.error("Usage: npm run db:diff -- <migration_name>   (or --check to fail on schema drift)");
    return 2;
  }
  const folder = name ? migrationFolderName(name, new Date()) : "";
  const sql = diffAgainstMigrations();
  if (isEmptyDiff(sql)) {
    console.log("prisma/schema.prisma matches the migrations: nothing to write.");
    return 0;
  }
  if (check) {
    console.error("prisma/schema.prisma has changes that no migration holds. Run `npm run db:diff -- <name>`:\n\n" + sql);
    return 1;
  }
  const dir = path.join(MIGRATIONS, folder);
  await mkdir(dir, { recursive: true });
  await writeFile(path.join(dir, "migration.sql"), sql);
  console.log(`Wrote ${path.relative(ROOT, dir)}/migration.sql — review it, then commit it with the schema change.`);
  return 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    },
  );
}
