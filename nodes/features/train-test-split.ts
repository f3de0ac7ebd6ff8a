/**
 * Train/test split: deterministic for a seed, optionally stratified (each class keeps its share in both parts).
 */
import type { Table } from "apache-arrow";
import { z } from "zod";
import { gatherRows, stringColumn } from "../core/arrow";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { p } from "../core/params";
import { port } from "../core/ports";
import { mulberry32, shuffleInPlace } from "../core/random";

const params = z.object({
  testFraction: z
    .number()
    .gt(0, "must be more than 0")
    .lt(1, "must be less than 1")
    .default(0.2)
    .meta({ title: "Test fraction", description: "Share of rows held back for testing, e.g. 0.2 for 20%." }),
  seed: z.number().int().default(0).meta({ title: "Random seed", description: "The same seed always gives the same split." }),
  stratify: p.column({
    port: "table",
    title: "Keep class proportions of",
    description: "Optional. Each value of this column (usually the label) keeps its share of rows in both parts.",
  }),
  shuffle: z.boolean().default(true).meta({ title: "Shuffle", description: "Mix rows before splitting. Turn off for time-ordered data: the last rows become the test set." }),
});

/** Label used in messages for a missing class value. */
const MISSING = "(missing)";

/** Row indices per value of `column` (missing values together under "(missing)"), in first-seen order: the strata of a stratified split. */
export function rowsByClass(table: Table, column: string): Map<string, number[]> {
  const values = stringColumn(table, column);
  const byClass = new Map<string, number[]>();
  for (let i = 0; i < table.numRows; i++) {
    const key = values[i] ?? MISSING;
    let g = byClass.get(key);
    if (!g) byClass.set(key, (g = []));
    g.push(i);
  }
  return byClass;
}

/**
 * How many test rows each group gets: floor of its exact share, then the rows left over (to reach the rounded
 * total) go to the groups with the largest remainders, so every group is within one row of its exact share.
 */
export function allocateTestRows(groupSizes: readonly number[], fraction: number): number[] {
  const total = groupSizes.reduce((a, b) => a + b, 0);
  const target = Math.round(total * fraction);
  const exact = groupSizes.map((n) => n * fraction);
  const alloc = exact.map(Math.floor);
  let left = target - alloc.reduce((a, b) => a + b, 0);
  const byRemainder = exact.map((e, g) => ({ g, r: e - Math.floor(e) })).sort((a, b) => b.r - a.r || a.g - b.g);
  for (const { g } of byRemainder) {
    if (left <= 0) break;
    if (alloc[g]! < groupSizes[g]!) {
      alloc[g]!++;
      left--;
    }
  }
  return alloc;
}

export default defineNode({
  kind: "features/train-test-split",
  version: 1,
  title: "Train/test split",
  category: "Features",
  description:
    "Divides the rows into a training part, which a model learns from, and a test part, kept aside to check how well the model does on data it has never seen. The same seed always gives the same division.",
  inputs: { table: port.table({ label: "Table" }) },
  outputs: { train: port.table({ label: "Train" }), test: port.table({ label: "Test" }) },
  params,
  infer: ({ inputs }) => {
    const t = inputs.table?.table;
    // Row counts are only known after the split runs; columns (and roles) pass through unchanged.
    const columns = t ? { table: { columns: t.columns } } : undefined;
    return { train: columns, test: columns };
  },
  resources: { heavy: true },
  // Rows on this side must never be learned from (the compiler's leakage guard).
  heldOut: ["test"],
  async run({ inputs, params: prm, ctx }) {
    const table = inputs.table;
    const n = table.numRows;
    if (n === 0) fail("empty_table", "The input table has no rows, so there is nothing to split. Check the nodes before this one (a filter may remove every row).");

    // Groups of row indices: one per class when stratifying, else one for all rows.
    let groups: number[][];
    let classNames: string[] = [];
    if (prm.stratify) {
      if (!table.getChild(prm.stratify)) {
        const names = table.schema.fields.map((f) => f.name);
        fail("unknown_column", `Column "${prm.stratify}" (setting "Keep class proportions of") is not in the input table. Available columns: ${names.slice(0, 15).join(", ")}${names.length > 15 ? ", …" : ""}. Choose it again.`, "stratify");
      }
      const byClass = rowsByClass(table, prm.stratify);
      for (const [cls, rows] of byClass)
        if (rows.length < 2)
          fail(
            "stratify_small_class",
            `Class "${cls}" of column "${prm.stratify}" has only ${rows.length} row; keeping class proportions needs at least 2 rows of every class (one for training, one for testing). Remove or merge that class first, or clear "Keep class proportions of".`,
            "stratify",
          );
      classNames = [...byClass.keys()];
      groups = [...byClass.values()];
    } else {
      groups = [Array.from({ length: n }, (_, i) => i)];
    }
    ctx.signal.throwIfAborted();
    ctx.progress(0.2);

    const testCounts = allocateTestRows(groups.map((g) => g.length), prm.testFraction);
    const nTest = testCounts.reduce((a, b) => a + b, 0);
    if (nTest === 0 || nTest === n) {
      const side = nTest === 0 ? "test" : "training";
      fail(
        "empty_split",
        `With ${n} rows, a test fraction of ${prm.testFraction} leaves the ${side} part empty. Choose a test fraction between ${(1 / n).toFixed(3)} and ${(1 - 1 / n).toFixed(3)}, or use more rows.`,
        "testFraction",
      );
    }

    // One permutation of all rows decides both membership (per class: first k rows in permutation order go to
    // test) and output order, so stratified parts are not sorted by class.
    const random = mulberry32(prm.seed);
    const order = Int32Array.from({ length: n }, (_, i) => i);
    if (prm.shuffle) shuffleInPlace(order, random);
    const rank = new Int32Array(n);
    for (let k = 0; k < n; k++) rank[order[k]!] = k;
    const isTest = new Uint8Array(n);
    for (let g = 0; g < groups.length; g++) {
      ctx.signal.throwIfAborted();
      const rows = groups[g]!.sort((a, b) => rank[a]! - rank[b]!);
      const k = testCounts[g]!;
      // Without shuffling the test part is the end of each class (the most recent rows in time-ordered data).
      const chosen = prm.shuffle ? rows.slice(0, k) : rows.slice(rows.length - k);
      for (const r of chosen) isTest[r] = 1;
    }
    ctx.progress(0.5);

    const trainIdx = new Int32Array(n - nTest);
    const testIdx = new Int32Array(nTest);
    let a = 0;
    let b = 0;
    for (const r of order) {
      if (isTest[r]) testIdx[b++] = r;
      else trainIdx[a++] = r;
    }
    ctx.signal.throwIfAborted();
    const train = gatherRows(table, trainIdx);
    ctx.progress(0.8);
    const test = gatherRows(table, testIdx);
    ctx.metric("train_rows", train.numRows);
    ctx.metric("test_rows", test.numRows);
    if (classNames.length) ctx.log(`Stratified on "${prm.stratify}" (${classNames.length} classes).`);
    ctx.progress(1);
    return { train, test };
  },
});
