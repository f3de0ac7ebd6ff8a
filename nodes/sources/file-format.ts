/**
 * File formats Lattice reads, and how a path's extension maps to one. Shared by the file source (design-time
 * messages) and the table engine (which format reader to call).
 */

export const FILE_FORMATS = ["csv", "parquet", "json"] as const;
export type FileFormat = (typeof FILE_FORMATS)[number];

const BY_EXTENSION: Record<string, FileFormat> = {
  csv: "csv",
  tsv: "csv",
  txt: "csv",
  parquet: "parquet",
  pq: "parquet",
  json: "json",
  jsonl: "json",
  ndjson: "json",
};

/** Compression suffixes DuckDB's readers undo on their own (`data.csv.gz`). */
const COMPRESSION = new Set(["gz", "zst"]);

/** The extension that decides the format (`data.csv.gz` → `csv`), lower-cased; "" when there is none. */
export function formatExtension(path: string): string {
  const name = path.split(/[\\/]/).pop() ?? "";
  const parts = name.toLowerCase().split(".").slice(1);
  while (parts.length > 1 && COMPRESSION.has(parts[parts.length - 1]!)) parts.pop();
  return parts.length ? parts[parts.length - 1]! : "";
}

/** Format implied by the file name, or undefined when the extension is not one Lattice knows. */
export function formatFromPath(path: string): FileFormat | undefined {
  return BY_EXTENSION[formatExtension(path)];
}

/** Extensions listed in messages, e.g. ".csv, .tsv, ...". */
export const KNOWN_EXTENSIONS = Object.keys(BY_EXTENSION).map((e) => `.${e}`).join(", ");

/** Text read as "missing" in CSV files unless the user says otherwise (`?` is the UCI repository's marker). */
export const DEFAULT_NULL_STRINGS: readonly string[] = ["?", "NA", ""];
