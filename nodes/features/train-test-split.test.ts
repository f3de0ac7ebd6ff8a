import { expect, test } from "vitest";
import { stringColumn, tableFromColumns, tableInfo } from "../core/arrow";
import { makeContext, userError } from "../../test/helpers/node-context";
import split, { allocateTestRows } from "./train-test-split";

const params = (p: Record<string, unknown>) => split.params.parse(p);

/** n rows with id 0..n-1 and a class column: `counts[k]` rows of class "c<k>", interleaved. */
function table(counts: number[]) {
  const cls: string[] = [];
  const left = [...counts];
  while (left.some((x) => x > 0)) for (let k = 0; k < left.length; k++) if (left[k]! > 0) (cls.push(`c${k}`), left[k]!--);
  const id = new Float64Array(cls.length).map((_, i) => i);
  return tableFromColumns({ id, cls }, { cls: "label" });
}
const ids = (t: import("apache-arrow").Table) => Array.from(t.getChild("id")!.toArray() as Float64Array);
const run = (t: import("apache-arrow").Table, p: Record<string, unknown>) => split.run({ inputs: { table: t }, params: params(p), ctx: makeContext() });

test("defaults parse; fractions outside (0, 1) are refused", () => {
  expect(params({})).toEqual({ testFraction: 0.2, seed: 0, stratify: "", shuffle: true });
  expect(split.params.safeParse({ testFraction: 1 }).success).toBe(false);
  expect(split.params.safeParse({ testFraction: 0 }).success).toBe(false);
  expect(split.params.safeParse({ seed: 1.5 }).success).toBe(false);
});

test("sizes follow the fraction; the parts are disjoint and together hold every row once; roles kept", async () => {
  const t = table([70, 30]);
  const ctx = makeContext();
  const { train, test: tst } = await split.run({ inputs: { table: t }, params: params({ testFraction: 0.25 }), ctx });
  expect([train.numRows, tst.numRows]).toEqual([75, 25]);
  expect([...ids(train), ...ids(tst)].sort((a, b) => a - b)).toEqual(ids(t));
  expect(tableInfo(train).columns).toEqual(tableInfo(t).columns);
  expect(ctx.progressCalls.at(-1)).toBe(1);
  // shuffled: not simply the first 75 rows
  expect(ids(train).slice(0, 10)).not.toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
});

test("the same seed gives the same split, another seed a different one", async () => {
  const t = table([50, 50]);
  const a = await run(t, { seed: 7 });
  const b = await run(t, { seed: 7 });
  const c = await run(t, { seed: 8 });
  expect(ids(a.test)).toEqual(ids(b.test));
  expect(ids(a.train)).toEqual(ids(b.train));
  expect(ids(c.test)).not.toEqual(ids(a.test));
});

test("stratified: every class keeps its proportion within one row", async () => {
  const counts = [503, 211, 37, 9];
  const t = table(counts);
  for (const seed of [0, 1, 2]) {
    const { train, test: tst } = await run(t, { stratify: "cls", testFraction: 0.3, seed });
    expect(tst.numRows).toBe(Math.round(760 * 0.3));
    const inTest = stringColumn(tst, "cls");
    counts.forEach((n, k) => {
      const got = inTest.filter((c) => c === `c${k}`).length;
      expect(Math.abs(got - n * 0.3)).toBeLessThan(1);
    });
    expect(train.numRows + tst.numRows).toBe(760);
    // rows of the two parts are mixed, not grouped by class
    expect(new Set(stringColumn(tst, "cls").slice(0, 20)).size).toBeGreaterThan(1);
  }
});

test("without shuffle the test part is the last rows, in order", async () => {
  const t = table([10]);
  const { train, test: tst } = await run(t, { shuffle: false, testFraction: 0.3 });
  expect(ids(train)).toEqual([0, 1, 2, 3, 4, 5, 6]);
  expect(ids(tst)).toEqual([7, 8, 9]);
});

test("allocateTestRows hits the rounded total and stays within one row per group", () => {
  const sizes = [5, 5, 5, 1000, 3];
  const alloc = allocateTestRows(sizes, 0.1);
  expect(alloc.reduce((a, b) => a + b)).toBe(Math.round(1018 * 0.1));
  sizes.forEach((n, g) => expect(Math.abs(alloc[g]! - n * 0.1)).toBeLessThan(1));
});

test("errors: empty table, an empty side, a class with one row, a missing stratify column", async () => {
  const empty = await userError(run(table([]), {}));
  expect(empty.code).toBe("empty_table");

  const small = await userError(run(table([3]), { testFraction: 0.1 }));
  expect([small.code, small.field]).toEqual(["empty_split", "testFraction"]);
  expect(small.message).toContain("test part");
  const noTrain = await userError(run(table([3]), { testFraction: 0.9 }));
  expect(noTrain.message).toContain("training part");

  const rare = await userError(run(table([10, 1]), { stratify: "cls" }));
  expect([rare.code, rare.field]).toEqual(["stratify_small_class", "stratify"]);
  expect(rare.message).toContain('"c1"');

  const missing = await userError(run(table([10]), { stratify: "klass" }));
  expect([missing.code, missing.field]).toEqual(["unknown_column", "stratify"]);
});

test("a cancelled run stops", async () => {
  const ctx = makeContext();
  ctx.abort();
  await expect(split.run({ inputs: { table: table([10, 10]) }, params: params({}), ctx })).rejects.toThrow();
});

test("infer passes columns and roles to both outputs", () => {
  const info = { table: { columns: tableInfo(table([2])).columns, rows: 2 } };
  const out = split.infer!({ inputs: { table: info }, params: params({}) });
  expect(out.train).toEqual({ table: { columns: info.table.columns } });
  expect(out.test).toEqual(out.train);
  expect(split.infer!({ inputs: { table: undefined }, params: params({}) })).toEqual({ train: undefined, test: undefined });
});
