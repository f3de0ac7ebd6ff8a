import { test, expect } from "vitest";
import { tableFromColumns, tableInfo, numericColumn, takeRows, stringColumn } from "./arrow";
test("arrow utils", () => {
  const t = tableFromColumns({ a: new Float64Array([1, 2, NaN]), s: ["x", null, "z"] }, { s: "label" });
  const info = tableInfo(t);
  expect(info.columns).toEqual([{ name: "a", dtype: "float" }, { name: "s", dtype: "string", role: "label" }]);
  const r = takeRows(t, [2, 0]);
  expect(stringColumn(r, "s")).toEqual(["z", "x"]);
  expect(tableInfo(r).columns[1]!.role).toBe("label");
  expect(Array.from(numericColumn(r, "a"))).toEqual([NaN, 1]);
  expect(() => numericColumn(t, "s")).toThrow(/holds string/);
  expect(() => numericColumn(t, "q")).toThrow(/not in the input/);
});

test("stringColumn and numericColumn read buffers directly: slices, several batches, nulls, UTF-8, many values", () => {
  const words = Array.from({ length: 3000 }, (_, i) => (i % 7 === 3 ? null : i % 5 === 0 ? `ü-${i % 1500}-€` : `v${i % 900}`));
  const nums = Float64Array.from({ length: 3000 }, (_, i) => (i % 11 === 0 ? NaN : i / 3));
  const ints = Int32Array.from({ length: 3000 }, (_, i) => i - 1500);
  const withNulls = Array.from({ length: 3000 }, (_, i) => (i % 13 === 0 ? null : i * 0.5));
  const t = tableFromColumns({ s: words, x: nums, k: ints, n: withNulls });
  // Expected values through Arrow's own per-cell accessors.
  const cells = (tb: typeof t, name: string) => Array.from({ length: tb.numRows }, (_, i) => tb.getChild(name)!.get(i) as unknown);
  for (const part of [t, t.slice(17, 2900), t.slice(1000, 1001)]) {
    expect(stringColumn(part, "s")).toEqual(cells(part, "s"));
    expect(Array.from(numericColumn(part, "x"))).toEqual(cells(part, "x").map((v) => (v === null ? NaN : v)));
    expect(Array.from(numericColumn(part, "k"))).toEqual(cells(part, "k"));
    expect(Array.from(numericColumn(part, "n"))).toEqual(cells(part, "n").map((v) => (v === null ? NaN : v)));
  }
  expect(t.getChild("n")!.nullCount).toBeGreaterThan(0);
  const batches = t.slice(0, 1000).concat(t.slice(1000, 2222), t.slice(2222));
  expect(batches.batches.length).toBe(3);
  expect(stringColumn(batches, "s")).toEqual(words);
  expect(Array.from(numericColumn(batches, "k"))).toEqual(Array.from(ints));
});
