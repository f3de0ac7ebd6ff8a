/**
 * Connection strings for the PostgreSQL source: where the secret comes from, and how it is hidden in messages.
 * A connection string is never logged; every message that could contain it goes through {@link maskSecrets}.
 */
import { fail } from "../core/errors";

/** `env:NAME` reads the connection string from the server's environment, keeping the password out of the workflow. */
const ENV_PREFIX = "env:";

/** The connection string to use (resolving `env:NAME`), or a user error naming the setting. */
export function resolveConnection(setting: string, env: Record<string, string | undefined>): string {
  const s = setting.trim();
  if (!s)
    fail(
      "no_connection",
      'No database is chosen. Enter a connection string such as postgres://user:password@host:5432/database in the "Connection" setting, or env:NAME to read it from an environment variable on the server.',
      "connection",
    );
  if (!s.startsWith(ENV_PREFIX)) return s;
  const name = s.slice(ENV_PREFIX.length).trim();
  const value = env[name];
  if (!value)
    fail(
      "connection_env_missing",
      `The "Connection" setting says env:${name}, but the server has no environment variable ${name}. Set it where Lattice's server and workers start, or enter the connection string itself.`,
      "connection",
    );
  return value;
}

/** The password in a URL or key=value connection string, if there is one. */
function passwordOf(conn: string): string | undefined {
  try {
    const u = new URL(conn);
    if (u.password) return decodeURIComponent(u.password);
  } catch {
    // not a URL: key=value form below
  }
  return /(?:^|\s)password\s*=\s*('(?:[^'\\]|\\.)*'|\S+)/i.exec(conn)?.[1]?.replace(/^'|'$/g, "");
}

/** The connection string with its password replaced by ****: safe to show. */
export function maskConnection(conn: string): string {
  try {
    const u = new URL(conn);
    if (u.password) u.password = "****";
    return u.toString();
  } catch {
    return conn.replace(/((?:^|\s)password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)/gi, "$1****");
  }
}

/** `text` with the connection string and its password (raw or URL-encoded) replaced, for error messages. */
export function maskSecrets(text: string, conn: string): string {
  let out = text.split(conn).join(maskConnection(conn));
  const pw = passwordOf(conn);
  if (pw && pw.length >= 3) for (const form of new Set([pw, encodeURIComponent(pw)])) out = out.split(form).join("****");
  return out;
}

/** The database's address without credentials, for logs: `host:port/database`. */
export function describeTarget(conn: string): string {
  try {
    const u = new URL(conn);
    return `${u.hostname}${u.port ? `:${u.port}` : ""}${u.pathname}`;
  } catch {
    const host = /(?:^|\s)host\s*=\s*(\S+)/i.exec(conn)?.[1] ?? "localhost";
    const db = /(?:^|\s)dbname\s*=\s*(\S+)/i.exec(conn)?.[1] ?? "";
    return db ? `${host}/${db}` : host;
  }
}
