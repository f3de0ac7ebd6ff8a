/**
 * Expectations on a table (in the spirit of Great Expectations): what each one means and how it is checked.
 *
 * Row-level expectations (not_null, between, allowed_values, unique, regex) mark the rows that break them; the
 * node can route those rows to its `failing` output. Table-level ones (column_exists, dtype, row_count) pass or
 * fail as a whole. Missing values are only the business of not_null: the other row checks skip them.
 */
import type { Table } from "apache-arrow";
import { z } from "zod";
import { dtypeOf } from "../core/arrow";
import { fail } from "../core/errors";
import type { DType } from "../core/schema";

const column = z.string().min(1).meta({ ui: "column", port: "table", title: "Column" });

export const DTYPE_CHOICES = ["numeric", "float", "int", "bool", "string", "date", "timestamp"] as const;

/** One expectation. `type` picks the kind; each kind has its own fields. */
export const expectationSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("column_exists"), column }).meta({ title: "Column exists" }),
  z.object({ type: z.literal("dtype"), column, dtype: z.enum(DTYPE_CHOICES).meta({ title: "Type" }) }).meta({ title: "Column has type" }),
  z
    .object({ type: z.literal("not_null"), column, minFraction: z.number().min(0).max(1).default(1).meta({ title: "Minimum share filled in (0–1)" }) })
    .meta({ title: "Values are filled in" }),
  z.object({ type: z.literal("between"), column, min: z.number().optional().meta({ title: "Smallest allowed" }), max: z.number().optional().meta({ title: "Largest allowed" }) }).meta({ title: "Values between" }),
  z.object({ type: z.literal("allowed_values"), column, values: z.array(z.string()).min(1).meta({ title: "Allowed values" }) }).meta({ title: "Values from a list" }),
  z.object({ type: z.literal("unique"), column }).meta({ title: "Values are unique" }),
  z.object({ type: z.literal("regex"), column, pattern: z.string().min(1).meta({ title: "Pattern (regular expression)" }) }).meta({ title: "Values match a pattern" }),
  z
    .object({ type: z.literal("row_count"), min: z.number().int().min(0).optional().meta({ title: "At least" }), max: z.number().int().min(0).optional().meta({ title: "At most" }) })
    .meta({ title: "Number of rows" }),
]);
export type Expectation = z.output<typeof expectationSchema>;

/** A short human name, e.g. `age between 0 and 120`. */
export function describeExpectation(e: Expectation): string {
  switch (e.type) {
    case "column_exists":
      return `column "${e.column}" exists`;
    case "dtype":
      return `"${e.column}" is ${e.dtype}`;
    case "not_null":
      return e.minFraction >= 1 ? `"${e.column}" has no missing values` : `"${e.column}" is at least ${+(e.minFraction * 100).toFixed(2)}% filled in`;
    case "between":
      return `"${e.column}" is ${e.min !== undefined && e.max !== undefined ? `between ${e.min} and ${e.max}` : e.min !== undefined ? `at least ${e.min}` : `at most ${e.max}`}`;
    case "allowed_values":
      return `"${e.column}" is one of ${e.values.slice(0, 5).join(", ")}${e.values.length > 5 ? ", …" : ""}`;
    case "unique":
      return `"${e.column}" has no repeated values`;
    case "regex":
      return `"${e.column}" matches /${e.pattern}/`;
    case "row_count":
      return `row count ${e.min !== undefined && e.max !== undefined ? `between ${e.min} and ${e.max}` : e.min !== undefined ? `at least ${e.min}` : `at most ${e.max}`}`;
  }
}

/** Settings mistakes (as opposed to data that breaks an expectation): a user error naming the expectation. */
export function checkSettings(list: Expectation[]): void {
  list.forEach((e, i) => {
    const where = `Expectation ${i + 1} (${e.type})`;
    if ((e.type === "between" || e.type === "row_count") && e.min === undefined && e.max === undefined)
      fail("expectation_incomplete", `${where} has neither a smallest nor a largest value. Enter at least one of them.`, "expectations");
    if ((e.type === "between" || e.type === "row_count") && e.min !== undefined && e.max !== undefined && e.min > e.max)
      fail("expectation_incomplete", `${where}: the smallest value (${e.min}) is larger than the largest (${e.max}). Swap them.`, "expectations");
    if (e.type === "regex") compilePattern(e.pattern, where);
  });
}

function compilePattern(pattern: string, where: string): RegExp {
  try {
    return new RegExp(pattern, "u");
  } catch (err) {
    fail("bad_pattern", `${where}: the pattern /${pattern}/ is not a valid regular expression (${(err as Error).message}). Fix the pattern.`, "expectations");
  }
}

export interface CheckResult {
  passed: boolean;
  /** Rows that break it (row-level kinds), else 0. */
  failingCount: number;
  /** What was found, in words (e.g. "92.1% filled in", "type string"). */
  observed: string;
  /** Row-level kinds: 1 for each breaking row. Absent for table-level kinds and missing columns. */
  mask?: Uint8Array;
}

const isMissing = (x: unknown) => x === null || x === undefined || (typeof x === "number" && Number.isNaN(x));

function dtypeMatches(actual: DType, wanted: (typeof DTYPE_CHOICES)[number]): boolean {
  return wanted === "numeric" ? actual === "float" || actual === "int" : actual === wanted;
}

/** Checks one expectation against `table`. `signal` is checked between column scans. */
export function runCheck(table: Table, e: Expectation): CheckResult {
  const n = table.numRows;
  if (e.type === "row_count") {
    const ok = (e.min === undefined || n >= e.min) && (e.max === undefined || n <= e.max);
    return { passed: ok, failingCount: 0, observed: `${n} rows` };
  }
  const vec = table.getChild(e.column);
  if (!vec) return { passed: false, failingCount: 0, observed: "column is missing" };
  const dtype = dtypeOf(vec.type);
  if (e.type === "column_exists") return { passed: true, failingCount: 0, observed: `present (${dtype})` };
  if (e.type === "dtype") return { passed: dtypeMatches(dtype, e.dtype), failingCount: 0, observed: `type ${dtype}` };

  const mask = new Uint8Array(n);
  let bad = 0;
  const mark = (i: number) => {
    mask[i] = 1;
    bad++;
  };
  let i = 0;
  switch (e.type) {
    case "not_null": {
      for (const x of vec) {
        if (isMissing(x)) mark(i);
        i++;
      }
      const filled = n ? (n - bad) / n : 1;
      const passed = filled >= e.minFraction;
      return { passed, failingCount: bad, observed: `${+(filled * 100).toFixed(2)}% filled in (${bad} missing)`, mask };
    }
    case "between": {
      // Text columns are read as numbers where they can be: text that is not a number breaks the expectation.
      let notNumber = 0;
      let lo = Infinity;
      let hi = -Infinity;
      for (const raw of vec) {
        if (!isMissing(raw)) {
          const x = typeof raw === "number" ? raw : typeof raw === "bigint" ? Number(raw) : typeof raw === "boolean" ? +raw : raw instanceof Date ? raw.getTime() : Number(String(raw).trim() || NaN);
          if (Number.isNaN(x)) {
            notNumber++;
            mark(i);
          } else {
            if (x < lo) lo = x;
            if (x > hi) hi = x;
            if ((e.min !== undefined && x < e.min) || (e.max !== undefined && x > e.max)) mark(i);
          }
        }
        i++;
      }
      const range = lo <= hi ? `values from ${lo} to ${hi}` : "no numbers";
      return { passed: bad === 0, failingCount: bad, observed: notNumber ? `${range}; ${notNumber} values are not numbers` : range, mask };
    }
    case "allowed_values": {
      const allowed = new Set(e.values);
      const seen = new Map<string, number>();
      for (const x of vec) {
        if (!isMissing(x)) {
          const s = String(x);
          if (!allowed.has(s)) {
            mark(i);
            seen.set(s, (seen.get(s) ?? 0) + 1);
          }
        }
        i++;
      }
      const others = [...seen.entries()].sort((a, b) => b[1] - a[1]).slice(0, 5).map(([v, c]) => `${v} (${c})`);
      return { passed: bad === 0, failingCount: bad, observed: others.length ? `other values: ${others.join(", ")}` : "only allowed values", mask };
    }
    case "unique": {
      const first = new Map<unknown, number>();
      let repeatedValues = 0;
      for (const raw of vec) {
        if (!isMissing(raw)) {
          const key = typeof raw === "object" ? String(raw) : raw;
          const at = first.get(key);
          if (at === undefined) first.set(key, i);
          else {
            if (at >= 0) {
              mark(at); // the first occurrence breaks it too
              first.set(key, -1);
              repeatedValues++;
            }
            mark(i);
          }
        }
        i++;
      }
      return { passed: bad === 0, failingCount: bad, observed: repeatedValues ? `${repeatedValues} values occur more than once` : "all values unique", mask };
    }
    case "regex": {
      const re = compilePattern(e.pattern, `Expectation (${e.type})`);
      for (const x of vec) {
        if (!isMissing(x) && !re.test(String(x))) mark(i);
        i++;
      }
      return { passed: bad === 0, failingCount: bad, observed: bad ? `${bad} values do not match` : "all values match", mask };
    }
  }
}
