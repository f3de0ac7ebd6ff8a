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
