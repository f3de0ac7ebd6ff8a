import { Bool, DateDay, Int32, Int64, Table, TimeUnit, Timestamp, Utf8, vectorFromArray } from "apache-arrow";
import { expect, test } from "vitest";
import { gatherRows, tableFromColumns, tableInfo, takeRows } from "../../nodes/core/arrow";

const rows = (t: Table) => t.toArray().map((r) => r.toJSON());

test("gatherRows gives exactly what takeRows gives, roles included", () => {
  const t = tableFromColumns(
    {
      f: new Float64Array([1.5, NaN, -3, 4]),
      i: new Int32Array([1, 2, 3, 4]),
      s: ["a", null, "ccc ✓", ""],
      b: [true, null, false, true],
    },
    { s: "label" },
  );
  const extra = new Table({
    d: vectorFromArray([new Date(0), null, new Date(86_400_000), new Date(2 * 86_400_000)], new DateDay()),
    ts: vectorFromArray([1, 2, null, 4], new Timestamp(TimeUnit.MILLISECOND)),
    big: vectorFromArray([1n, null, 3n, 4n], new Int64()),
    n: vectorFromArray([null, 5, null, 7], new Int32()),
    u: vectorFromArray(["x", "y", null, "z"], new Utf8()),
    bb: vectorFromArray([false, true, true, null], new Bool()),
  });
  for (const table of [t, extra, t.slice(1, 4), extra.slice(1, 4)]) {
    const idx = table.numRows === 4 ? [3, 0, 0, 2] : [2, 0, 1];
    const fast = gatherRows(table, idx);
    expect(rows(fast)).toEqual(rows(takeRows(table, idx)));
    expect(tableInfo(fast)).toEqual(tableInfo(takeRows(table, idx)));
  }
});

test("gatherRows on a multi-batch table falls back to takeRows", () => {
  const a = tableFromColumns({ x: new Float64Array([1, 2]) });
  const two = new Table([...a.batches, ...a.batches]);
  expect(gatherRows(two, [3, 0]).getChild("x")!.toJSON()).toEqual([2, 1]);
});
