/**
 * DuckDB results carry no Lattice roles; columns that keep their name through SQL get their input role back.
 */
import type { Table } from "apache-arrow";
import { withRoles } from "../core/arrow";
import type { ColumnRole } from "../core/schema";

export function restoreRoles(result: Table, input: Table): Table {
  const names = new Set(result.schema.fields.map((f) => f.name));
  const roles: Record<string, ColumnRole> = {};
  for (const f of input.schema.fields) {
    const r = f.metadata.get("lattice.role");
    if (r && names.has(f.name)) roles[f.name] = r as ColumnRole;
  }
  return Object.keys(roles).length ? withRoles(result, roles) : result;
}

/** A SQL identifier, quoted (embedded quotes doubled). */
export const sqlIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;
