/**
 * Prisma CLI configuration. Prisma 6.19 with the JavaScript schema engine: `migrate diff` and `migrate deploy`
 * run through a driver adapter with no native engine download (this project is installed offline).
 *
 * Which database the CLI talks to:
 * - DATABASE_URL set: that PostgreSQL server (`?schema=` honoured);
 * - LATTICE_PGLITE_DIR set: the embedded database in that directory (never while the server has it open);
 * - otherwise an in-memory PGlite, which is all `npm run db:diff` needs.
 * The app itself does not use the CLI to migrate: server/store/migrate.ts applies the same files at start.
 */
import path from "node:path";
import { defineConfig } from "prisma/config";
import { PrismaPg } from "@prisma/adapter-pg";
import { pgliteCliAdapter } from "./pglite-cli-adapter";
import { pgConfigFromUrl } from "../server/store/postgres-url";

// The CLI checks for native engine files before it looks at `engine: "js"`; any existing path satisfies it
// and nothing is downloaded. Engines are never loaded from these paths.
const dummyEngine = path.resolve("prisma/schema.prisma");
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= dummyEngine;
process.env.PRISMA_QUERY_ENGINE_LIBRARY ??= dummyEngine;

export default defineConfig({
  engine: "js",
  experimental: { adapter: true },
  // Absolute paths: the CLI is run from the repository root (npm scripts, prisma/make-migration.ts).
  schema: path.resolve("prisma/schema.prisma"),
  migrations: { path: path.resolve("prisma/migrations") },
  async adapter() {
    const url = process.env.DATABASE_URL;
    if (url) {
      const { pool, schema } = pgConfigFromUrl(url);
      return new PrismaPg(pool, { schema });
    }
    return pgliteCliAdapter(process.env.LATTICE_PGLITE_DIR || undefined);
  },
});
