/**
 * Category learning shared by one-hot and ordinal encoding: the sorted categories of a column in the training
 * rows (as scikit-learn sorts them), whether missing values were seen, and the policy for a category met only
 * at apply time.
 */
import type { Table } from "apache-arrow";
import { z } from "zod";
import { dtypeOf, stringColumn } from "../core/arrow";
import { fail } from "../core/errors";
import { p } from "../core/params";
import { numericOrText, sortCategories } from "./feature-columns";

export const MISSING_CATEGORY = "(missing)";
export const UNKNOWN_CATEGORY = "(unknown)";

export const unseenParam = (what: { ignore: string; unknown: string }) =>
  z.enum(["error", "ignore", "unknown"]).default("ignore").meta({
    title: "Unseen categories",
    description: `What to do with a value that the training rows never had (e.g. a new country in the test rows). Error: stop with a message. Ignore: ${what.ignore}. Unknown: ${what.unknown}.`,
  });

export const columnsParam = () =>
  p.columns({
    port: "train",
    title: "Columns",
    description: "Columns to encode. Empty: every text column except label, sensitive, id and fold columns.",
  });

export type UnseenPolicy = "error" | "ignore" | "unknown";

export interface CategoryColumn {
  name: string;
  /** Training categories in sort order (numbers numerically, text by code point), as text. */
  categories: string[];
  /** The training rows had missing values: missing is a category of its own (scikit-learn 1.2 behaviour). */
  missing: boolean;
}

/** Auto-picked columns are text; picked ones may also be numbers (e.g. codes 1, 2, 3). */
export const encodable = numericOrText;
export const autoEncodable = (c: { dtype: string }) => c.dtype === "string";

export function fitCategories(table: Table, name: string, maxCategories: number, node: string): CategoryColumn {
  const dt = dtypeOf(table.getChild(name)!.type);
  const values = stringColumn(table, name);
  const seen = new Set<string>();
  let missing = false;
  for (const v of values) {
    if (v === null) missing = true;
    else seen.add(v);
  }
  if (!seen.size)
    fail("all_missing", `Column "${name}" has no values at all in the training rows, so there are no categories to learn. Drop the column or fill it first.`, "columns");
  if (seen.size > maxCategories)
    fail(
      "too_many_categories",
      `Column "${name}" has ${seen.size} different values in the training rows, more than "Max categories" (${maxCategories}) allows for ${node}. Is it an id or a number column? Remove it from the columns, bucketize it, or raise "Max categories".`,
      "maxCategories",
    );
  return { name, categories: sortCategories([...seen], dt !== "string"), missing };
}

/** A user error for a value the encoder never saw in training, under the error policy. */
export function unseenError(column: string, value: string | null, row: number, node: string): never {
  const shown = value === null ? "a missing value" : `the value "${value}"`;
  fail(
    "unseen_category",
    `Column "${column}" has ${shown} (row ${row + 1}) that ${node} never saw in its training rows. Set "Unseen categories" to Ignore or Unknown to accept such values, or make sure the training rows contain it.`,
    "unknown",
  );
}
