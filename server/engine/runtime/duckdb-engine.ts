/**
 * The {@link TableEngine} behind `ctx.runtime.tables`: one in-memory DuckDB database per engine, Arrow tables in
 * and out. Every call opens its own connection, so temporary tables registered for one query are invisible to
 * others and disappear with the connection.
 *
 * Conversions are column-wise; see duckdb-to-arrow.ts and duckdb-from-arrow.ts for the type rules.
 */
import { statSync } from "node:fs";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import type { Table } from "apache-arrow";
import type { ReadFileOptions, TableEngine } from "../../../nodes/core/context";
import { fail } from "../../../nodes/core/errors";
import { DEFAULT_NULL_STRINGS, formatExtension, formatFromPath, KNOWN_EXTENSIONS, type FileFormat } from "../../../nodes/sources/file-format";
import { registerArrowTable } from "./duckdb-from-arrow";
import { errorText, quoteIdent, quoteString, quoteStringList, withoutQueryExcerpt } from "./duckdb-sql";
import { resultToArrow, type ToArrowOptions } from "./duckdb-to-arrow";

/** The main engine: everything but user SQL, which goes to the locked-down database of user-sql.ts. */
export type DuckDbEngine = Omit<TableEngine, "userSql"> & { close(): Promise<void> };

const FORMAT_NAME: Record<FileFormat, string> = { csv: "CSV", parquet: "Parquet", json: "JSON" };

/**
 * Null markers as DuckDB's CSV reader must see them. Values are trimmed only after reading, so a file written as
 * `a, ?, c` holds " ?" : without the padded variants a numeric column with a missing value would be read as text.
 */
function csvNullVariants(nullStrings: readonly string[]): string[] {
  const out = new Set<string>();
  for (const s of nullStrings) for (const v of [s, ` ${s}`, `${s} `, ` ${s} `]) out.add(v);
  return [...out];
}

function readerSql(path: string, format: FileFormat, nullStrings: readonly string[]): string {
  const p = quoteString(path);
  if (format === "parquet") return `read_parquet(${p})`;
  if (format === "json") return `read_json(${p})`;
  return `read_csv(${p}, nullstr = ${quoteStringList(csvNullVariants(nullStrings))})`;
}

function checkReadable(path: string): void {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    fail("file_not_found", `The file "${path}" does not exist. Check the path for typos, or upload the file again.`, "path");
  }
  if (!isFile) fail("not_a_file", `"${path}" is a folder, not a file. Point the path at a data file inside it.`, "path");
}

/** Create an engine with its own in-memory DuckDB database. Call `close()` when done. */
export async function createDuckDbEngine(): Promise<DuckDbEngine> {
  const instance = await DuckDBInstance.create(":memory:");
  let closed = false;

  async function withConnection<T>(fn: (con: DuckDBConnection) => Promise<T>): Promise<T> {
    if (closed) throw new Error("The DuckDB table engine was closed.");
    const con = await instance.connect();
    try {
      return await fn(con);
    } finally {
      con.closeSync();
    }
  }

  /** Register `tables` as temporary tables, run `body`, then drop them (the connection closes right after). */
  async function withTables<T>(con: DuckDBConnection, tables: Record<string, Table>, body: () => Promise<T>): Promise<T> {
    const names = Object.keys(tables);
    try {
      for (const name of names) await registerArrowTable(con, name, tables[name]!);
      return await body();
    } finally {
      for (const name of names) await con.run(`DROP TABLE IF EXISTS temp.${quoteIdent(name)}`).catch(() => undefined);
    }
  }

  return {
    async readFile(path: string, opts: ReadFileOptions = {}): Promise<Table> {
      const format = opts.format ?? formatFromPath(path);
      if (!format) {
        const ext = formatExtension(path);
        fail(
          "unsupported_format",
          `Lattice cannot tell the format of "${path}" from its ${ext ? `extension ".${ext}"` : "name (it has no extension)"}. Use a file ending in ${KNOWN_EXTENSIONS}, or choose the format in the node's settings.`,
          "format",
        );
      }
      checkReadable(path);
      const nullStrings = opts.nullStrings ?? DEFAULT_NULL_STRINGS;
      const limit = opts.limit !== undefined ? ` LIMIT ${Math.max(0, Math.floor(opts.limit))}` : "";
      const query = `SELECT * FROM ${readerSql(path, format, nullStrings)}${limit}`;
      // CSV writers such as the UCI Adult export put a space after each comma; trimming costs nothing while copying bytes.
      const conv: ToArrowOptions = format === "csv" ? { trimStrings: true, nullStrings } : {};
      return withConnection(async (con) => {
        try {
          return resultToArrow(await con.run(query), conv);
        } catch (e) {
          fail(
            "file_unreadable",
            `Could not read "${path}" as ${FORMAT_NAME[format]}: ${withoutQueryExcerpt(errorText(e))}. Check that the file really is ${FORMAT_NAME[format]} (open it in a text editor or spreadsheet), or choose another format in the node's settings.`,
            "path",
          );
        }
      });
    },

    async sql(query: string, tables: Record<string, Table> = {}): Promise<Table> {
      return withConnection((con) =>
        withTables(con, tables, async () => {
          let result;
          try {
            result = await con.run(query);
          } catch (e) {
            const available = Object.keys(tables);
            const hint = available.length ? ` Tables available to the query: ${available.map((n) => quoteIdent(n)).join(", ")}.` : "";
            fail("sql_error", `The SQL query failed. ${errorText(e).trim()}\nFix the query and run again.${hint}`, "sql");
          }
          return resultToArrow(result);
        }),
      );
    },

    async writeFile(table: Table, path: string, format: "csv" | "parquet" | "json"): Promise<void> {
      const options = format === "csv" ? "FORMAT csv, HEADER true" : format === "json" ? "FORMAT json, ARRAY true" : "FORMAT parquet";
      const name = "__lattice_output";
      await withConnection((con) =>
        withTables(con, { [name]: table }, async () => {
          try {
            await con.run(`COPY ${quoteIdent(name)} TO ${quoteString(path)} (${options})`);
          } catch (e) {
            fail(
              "write_failed",
              `Could not write "${path}": ${withoutQueryExcerpt(errorText(e))}. Check that the folder exists and that Lattice may write there.`,
              "path",
            );
          }
        }),
      );
    },

    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      instance.closeSync();
    },
  };
}
