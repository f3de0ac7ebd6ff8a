/**
 * Turns a `postgresql://` URL into node-postgres settings. Prisma's own `?schema=` parameter is not a libpq
 * option (node-postgres would send it to the server and fail), so it is taken out and applied as the
 * connection's search_path: unqualified SQL (the migrations, raw queries) and Prisma's generated queries
 * (through the adapter's `schema` option) then both land in that schema.
 */
import type { PoolConfig } from "pg";

export interface PgTarget {
  pool: PoolConfig;
  /** Schema named by `?schema=`, or "public". */
  schema: string;
  /** `host:port/database`, with no credentials, for logs and the status bar. */
  label: string;
}

/** Parses a PostgreSQL URL; throws with a readable message if it is not one. */
export function pgConfigFromUrl(databaseUrl: string): PgTarget {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new Error(`DATABASE_URL is not a valid URL (expected postgresql://user@host:5432/database).`);
  }
  if (url.protocol !== "postgresql:" && url.protocol !== "postgres:")
    throw new Error(`DATABASE_URL must start with postgresql:// (got ${url.protocol}//).`);
  const schema = url.searchParams.get("schema") || "public";
  if (!/^[A-Za-z_][A-Za-z0-9_$]{0,62}$/.test(schema))
    throw new Error(`DATABASE_URL ?schema=${schema} is not a plain identifier (letters, digits, _ and $).`);
  url.searchParams.delete("schema");
  const host = url.hostname || "localhost";
  const port = url.port || "5432";
  const database = decodeURIComponent(url.pathname.replace(/^\//, "")) || "postgres";
  const label = `${host}:${port}/${database}${schema === "public" ? "" : `?schema=${schema}`}`;
  return {
    pool: { connectionString: url.toString(), options: `-c search_path="${schema}"` },
    schema,
    label,
  };
}
