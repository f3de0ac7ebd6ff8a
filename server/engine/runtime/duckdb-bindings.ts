/**
 * Raw DuckDB C-API bindings, taken from the very copy of `@duckdb/node-bindings` that `@duckdb/node-api` loaded.
 *
 * Why not only `@duckdb/node-api`: its vectors expose values one cell at a time (with a BigInt validity check per
 * cell). Column conversion to and from Arrow wants the vector memory itself: `vector_get_data` gives a view on
 * a numeric column that is copied in one `set`, `copy_data_to_vector` writes one back. Resolving the bindings
 * next to node-api (instead of depending on them directly) guarantees both use the same native module, so data
 * chunks created by one are understood by the other.
 */
import { createRequire } from "node:module";
import { endianness } from "node:os";
import type * as Bindings from "@duckdb/node-bindings";

export type DuckDbBindings = typeof Bindings;

let loaded: DuckDbBindings | undefined;

/** The native bindings in use by `@duckdb/node-api`. */
export function duckdbBindings(): DuckDbBindings {
  if (loaded) return loaded;
  // Vector memory is read through little-endian typed-array views; every platform DuckDB ships for is LE.
  if (endianness() !== "LE") throw new Error("The DuckDB table engine needs a little-endian CPU.");
  const require = createRequire(import.meta.url);
  const apiEntry = require.resolve("@duckdb/node-api");
  loaded = createRequire(apiEntry)("@duckdb/node-bindings") as DuckDbBindings;
  return loaded;
}
