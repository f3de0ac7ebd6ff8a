/**
 * K-fold split: number every row with the fold (1…k) it belongs to, in a `fold` column with role fold, for
 * cross-validation. Optionally stratified: each class keeps its share in every fold, with scikit-learn's
 * StratifiedKFold allocation (per-fold class counts are equal to scikit-learn's; which rows go to which fold
 * differs, since the random generators differ). Also outputs one fold held out (`holdout`) and the rest
 * (`train`), so a single train/validation pair can be wired without a cross-validation node.
 */
import { makeVector, Table } from "apache-arrow";
import { z } from "zod";
import { gatherRows, withRoles } from "../core/arrow";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { p } from "../core/params";
import { port } from "../core/ports";
import { mulberry32, shuffleInPlace } from "../core/random";
import { rowsByClass } from "./train-test-split";
import type { TableInfo } from "../core/schema";


const params = z.object({
  k: z.number().int().min(2).max(100).default(5).meta({ title: "Folds", description: "How many parts to divide the rows into (k)." }),
  stratify: p.column({ port: "table", title: "Keep class proportions of", description: "Optional. Each value of this column (usually the label) keeps its share of rows in every fold." }),
  seed: z.number().int().default(0).meta({ title: "Random seed", description: "The same seed always gives the same folds." }),
  shuffle: z.boolean().default(true).meta({ title: "Shuffle", description: "Mix rows before dividing. Off: fold 1 is the first rows, fold 2 the next, and so on." }),
  holdout: z.number().int().min(1).max(100).default(1).meta({ title: "Held-out fold", description: "Which fold the Held out output holds (the Train output holds all the others)." }),
  column: z.string().min(1).default("fold").meta({ title: "Fold column name" }),
});

/**
 * Fold sizes of each class as StratifiedKFold computes them: classes numbered in order of first appearance,
 * labels sorted by that number, and fold i takes every k-th of them starting at i. `counts[fold][class]`.
 */
export function stratifiedAllocation(classSizes: readonly number[], k: number): number[][] {
  const counts = Array.from({ length: k }, () => new Array<number>(classSizes.length).fill(0));
  let pos = 0;
  classSizes.forEach((size, c) => {
    for (let j = 0; j < size; j++, pos++) counts[pos % k]![c]!++;
  });
  return counts;
}

function outputInfo(t: TableInfo, column: string): TableInfo {
  return { columns: [...t.columns.filter((c) => c.name !== column), { name: column, dtype: "int", role: "fold" }] };
}

export default defineNode({
  kind: "features/k-fold-split",
  version: 1,
  title: "K-fold split",
  category: "Features",
  description:
    "Divides the rows into k equal parts (folds) for cross-validation: a model is trained k times, each time tested on a different fold and trained on the rest. Adds a fold column numbering each row's part; the Held out and Train outputs give one such pair directly.",
  inputs: { table: port.table({ label: "Table" }) },
  outputs: {
    table: port.table({ label: "With folds" }),
    train: port.table({ label: "Train (other folds)" }),
    holdout: port.table({ label: "Held out" }),
  },
  params,
  infer: ({ inputs, params: prm }) => {
    if (prm.holdout > prm.k) fail("holdout_out_of_range", `"Held-out fold" is ${prm.holdout}, but there are only ${prm.k} folds. Choose a fold from 1 to ${prm.k}.`, "holdout");
    const t = inputs.table?.table;
    const info = t ? { table: outputInfo(t, prm.column) } : undefined;
    return { table: info, train: info, holdout: info };
  },
  resources: { heavy: true },
  // Rows on this side must never be learned from (the compiler's leakage guard).
  heldOut: ["holdout"],
  async run({ inputs, params: prm, ctx }) {
    const table = inputs.table;
    const n = table.numRows;
    if (prm.holdout > prm.k) fail("holdout_out_of_range", `"Held-out fold" is ${prm.holdout}, but there are only ${prm.k} folds. Choose a fold from 1 to ${prm.k}.`, "holdout");
    if (n === 0) fail("empty_table", "The input table has no rows, so there is nothing to divide. Check the nodes before this one (a filter may remove every row).");
    if (n < prm.k) fail("too_few_rows", `${n} rows cannot be divided into ${prm.k} folds; every fold needs at least one row. Lower "Folds" to ${n} or less.`, "k");

    const fold = assignFolds(table, prm, ctx);
    ctx.progress(0.4);
    ctx.signal.throwIfAborted();

    const numbered = withFold(table, prm.column, Int32Array.from(fold, (f) => f + 1));
    const held = prm.holdout - 1;
    const holdIdx: number[] = [];
    const trainIdx: number[] = [];
    for (let i = 0; i < n; i++) (fold[i] === held ? holdIdx : trainIdx).push(i);
    const holdout = gatherRows(numbered, holdIdx);
    ctx.progress(0.7);
    const train = gatherRows(numbered, trainIdx);
    for (let f = 0; f < prm.k; f++) ctx.metric("fold_rows", fold.filter((x) => x === f).length, f + 1);
    ctx.progress(1);
    return { table: numbered, train, holdout };
  },
});

/**
 * The fold (0…k-1) of every row: scikit-learn's KFold, or StratifiedKFold when `stratify` names a column.
 * Unshuffled, the folds are exactly scikit-learn's (`shuffle=False`); shuffled, the per-fold class counts are.
 * Shared with the cross-validation and tuning nodes so every fold split in Lattice is the same.
 */
export function assignFolds(
  table: Table,
  prm: { k: number; stratify: string; seed: number; shuffle: boolean },
  ctx: { signal: AbortSignal; log(message: string, level?: "info" | "warn" | "error"): void },
  field = "stratify",
): Int32Array {
  const n = table.numRows;
  const random = mulberry32(prm.seed);
  const fold = new Int32Array(n);
  if (prm.stratify) {
    if (!table.getChild(prm.stratify)) {
      const names = table.schema.fields.map((f) => f.name);
      fail("unknown_column", `Column "${prm.stratify}" (setting "Keep class proportions of") is not in the input table; a node before this one may have dropped or renamed it. Available columns: ${names.slice(0, 15).join(", ")}${names.length > 15 ? ", …" : ""}. Choose it again.`, field);
    }
    const groups = [...rowsByClass(table, prm.stratify).values()];
    const smallest = Math.min(...groups.map((g) => g.length));
    if (smallest < prm.k)
      ctx.log(`A class of "${prm.stratify}" has only ${smallest} rows, fewer than ${prm.k} folds: some folds will have none of it.`, "warn");
    const alloc = stratifiedAllocation(groups.map((g) => g.length), prm.k);
    groups.forEach((rows, c) => {
      ctx.signal.throwIfAborted();
      const labels = new Int32Array(rows.length);
      let j = 0;
      for (let f = 0; f < prm.k; f++) for (let m = 0; m < alloc[f]![c]!; m++) labels[j++] = f;
      if (prm.shuffle) shuffleInPlace(labels, random);
      rows.forEach((r, i) => (fold[r] = labels[i]!));
    });
  } else {
    // KFold: the first n % k folds get one extra row.
    const order = Int32Array.from({ length: n }, (_, i) => i);
    if (prm.shuffle) shuffleInPlace(order, random);
    let start = 0;
    for (let f = 0; f < prm.k; f++) {
      const size = Math.floor(n / prm.k) + (f < n % prm.k ? 1 : 0);
      for (let i = start; i < start + size; i++) fold[order[i]!] = f;
      start += size;
    }
  }
  return fold;
}

function withFold(table: Table, column: string, fold: Int32Array): Table {
  const base = table.schema.fields.some((f) => f.name === column) ? table.select(table.schema.fields.map((f) => f.name).filter((n) => n !== column)) : table;
  return withRoles(base.assign(new Table({ [column]: makeVector(fold) })), { [column]: "fold" });
}
