/**
 * SQL text helpers for the DuckDB engine: quoting, and turning DuckDB's error text into messages a person can act on.
 */

/** `"name"` with embedded quotes doubled: safe for any column or table name. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** `'text'` with embedded quotes doubled: safe for paths and other literals. */
export function quoteString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** A SQL list literal of strings: `['?', 'NA']`. */
export function quoteStringList(items: readonly string[]): string {
  return `[${items.map(quoteString).join(", ")}]`;
}

/** Message text of anything thrown by DuckDB. */
export function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * DuckDB's message without the echo of the generated statement: for errors about a file, the "LINE 1: SELECT * FROM
 * read_csv(...)" excerpt names SQL the user never wrote, so it is noise. For user SQL it is kept (it points at the
 * part of the query that failed).
 */
export function withoutQueryExcerpt(message: string): string {
  const i = message.indexOf("\n\nLINE ");
  return (i >= 0 ? message.slice(0, i) : message).trim();
}
