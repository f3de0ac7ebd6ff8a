/**
 * File source: a CSV, Parquet or JSON file → a table, read by DuckDB through `ctx.runtime.tables`.
 * Column roles (label, sensitive) are set downstream by "Select columns", not here.
 */
import type { Table } from "apache-arrow";
import { z } from "zod";
import { tableInfo } from "../core/arrow";
import type { ProbeContext } from "../core/context";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { port } from "../core/ports";
import { DEFAULT_NULL_STRINGS, formatExtension, formatFromPath, KNOWN_EXTENSIONS, type FileFormat } from "./file-format";

/** Rows read to learn a file's columns at design time: enough for DuckDB to settle each column's type. */
export const PROBE_ROWS = 500;

const params = z.object({
  path: z
    .string()
    .default("")
    .meta({ ui: "file", title: "File", description: "A CSV, Parquet or JSON file. Relative paths start at the folder Lattice was started from." }),
  format: z
    .enum(["auto", "csv", "parquet", "json"])
    .default("auto")
    .meta({ title: "Format", description: "Auto decides from the file name's ending (.csv, .parquet, .json)." }),
  nullStrings: z
    .array(z.string())
    .default([...DEFAULT_NULL_STRINGS])
    .meta({ title: "Missing-value markers", description: "Text that means \"no value\" in CSV files, such as ? or NA. Empty cells always count as missing." }),
});
type Params = z.output<typeof params>;

/** The format to read with, or a user error when "auto" cannot tell from the file name. */
function resolveFormat(prm: Params): FileFormat {
  if (prm.format !== "auto") return prm.format;
  const format = formatFromPath(prm.path);
  if (!format) {
    const ext = formatExtension(prm.path);
    fail(
      "unsupported_format",
      `Cannot tell the format of "${prm.path}" from its ${ext ? `ending ".${ext}"` : "name (it has no ending such as .csv)"}. Lattice reads ${KNOWN_EXTENSIONS}; choose the format in the "Format" setting if the file is one of those under another name.`,
      "format",
    );
  }
  return format;
}

function requirePath(prm: Params): void {
  if (!prm.path.trim()) fail("no_file", "No file is chosen. Pick or upload a file in the \"File\" setting.", "path");
}

async function read(prm: Params, ctx: ProbeContext, limit?: number): Promise<Table> {
  requirePath(prm);
  const format = resolveFormat(prm);
  const path = ctx.artifacts.resolvePath(prm.path.trim());
  // Missing / unreadable files are reported by the engine with the resolved path.
  return ctx.runtime.tables.readFile(path, { format, nullStrings: prm.nullStrings, limit });
}

function requireRows(table: Table, prm: Params): void {
  // DuckDB reads an empty CSV as one column with no rows, so both cases end up here.
  if (table.numRows === 0 || table.numCols === 0)
    fail("empty_file", `"${prm.path}" holds no rows of data (it is empty, or has only a line of column names). Choose a file with data in it.`, "path");
}

export default defineNode({
  kind: "sources/file",
  version: 1,
  title: "File",
  category: "Sources",
  description:
    "Loads a table of data from a file on this computer or an upload: a spreadsheet saved as CSV, a Parquet file, or JSON. Each column becomes a column of the table; cells marked as missing (like ? or NA) are left empty.",
  inputs: {},
  outputs: { table: port.table({ label: "Table" }) },
  params,
  // The columns are unknown until the file is looked at: probe() does that on the server, before a run.
  infer: () => ({ table: undefined }),
  async probe({ params: prm, ctx }) {
    const sample = await read(prm, ctx, PROBE_ROWS);
    requireRows(sample, prm);
    // Column names and types only: the row count of a limited read says nothing about the file.
    return { table: { table: { columns: tableInfo(sample).columns } } };
  },
  async run({ params: prm, ctx }) {
    ctx.progress(0.05, "Reading file");
    ctx.signal.throwIfAborted();
    const table = await read(prm, ctx);
    ctx.signal.throwIfAborted();
    requireRows(table, prm);
    ctx.log(`Read ${table.numRows} rows and ${table.numCols} columns from "${prm.path}".`);
    ctx.metric("rows", table.numRows);
    ctx.progress(1);
    return { table };
  },
  resources: { heavy: true },
  // The file can change between runs under the same path and params: its resolved path, size and
  // modification time join the cache key, so an unchanged file is served from cache and an edited one re-read.
  async fingerprint({ params: prm, resolvePath }) {
    if (!prm.path) return "no file";
    const { stat } = await import(/* webpackIgnore: true */ /* turbopackIgnore: true */ "node:fs/promises");
    const path = resolvePath(prm.path);
    try {
      const st = await stat(path);
      return `${path}\n${st.size}\n${st.mtimeMs}`;
    } catch {
      return `${path}\nmissing`; // run() reports the missing file with a clear message
    }
  },
});
