import { expect, test } from "vitest";
import { tableFromColumns, tableInfo } from "../core/arrow";
import type { PortInfo } from "../core/schema";
import { makeContext, userError } from "../../test/helpers/node-context";
import selectColumns from "./select-columns";

const input = () =>
  tableFromColumns(
    { age: new Float64Array([30, 40]), sex: ["F", "M"], race: ["a", "b"], old: ["x", "y"], income: ["<=50K", ">50K"] },
    { old: "label" },
  );
const params = (p: Record<string, unknown>) => selectColumns.params.parse(p);
const run = (p: Record<string, unknown>) => selectColumns.run({ inputs: { table: input() }, params: params(p), ctx: makeContext() });

test("defaults keep everything as it is", async () => {
  expect(params({})).toEqual({ columns: [], label: "", sensitive: [] });
  const { table } = await run({});
  expect(tableInfo(table)).toEqual(tableInfo(input()));
});

test("keeps the listed columns in the listed order, sets label and sensitive roles, keeps those columns too", async () => {
  const ctx = makeContext();
  const { table } = await selectColumns.run({ inputs: { table: input() }, params: params({ columns: ["sex", "age"], label: "income", sensitive: ["race", "sex"] }), ctx });
  expect(tableInfo(table).columns).toEqual([
    { name: "sex", dtype: "string", role: "sensitive" },
    { name: "age", dtype: "float" },
    { name: "income", dtype: "string", role: "label" },
    { name: "race", dtype: "string", role: "sensitive" },
  ]);
  expect(table.getChild("income")!.toJSON()).toEqual(["<=50K", ">50K"]);
  expect(ctx.progressCalls.at(-1)).toBe(1);
});

test("a new label replaces the label set upstream", async () => {
  const { table } = await run({ label: "income" });
  const roles = Object.fromEntries(tableInfo(table).columns.map((c) => [c.name, c.role]));
  expect(roles).toMatchObject({ income: "label", old: undefined });
});

test("infer propagates the same schema with roles, and unknown input stays unknown", () => {
  const inputs: { table: PortInfo } = { table: { table: { ...tableInfo(input()), rows: 2 } } };
  const out = selectColumns.infer!({ inputs, params: params({ columns: ["age"], label: "income", sensitive: ["sex"] }) });
  expect(out.table!.table).toEqual({
    rows: 2,
    columns: [
      { name: "age", dtype: "float" },
      { name: "income", dtype: "string", role: "label" },
      { name: "sex", dtype: "string", role: "sensitive" },
    ],
  });
  expect(selectColumns.infer!({ inputs: { table: undefined }, params: params({ columns: ["age"] }) })).toEqual({ table: undefined });
});

test("a column missing at run time names the setting and the column", async () => {
  for (const [p, field] of [
    [{ columns: ["agee"] }, "columns"],
    [{ label: "agee" }, "label"],
    [{ sensitive: ["agee"] }, "sensitive"],
  ] as const) {
    const e = await userError(run(p));
    expect([e.code, e.field]).toEqual(["unknown_column", field]);
    expect(e.message).toContain('"agee"');
    expect(e.message).toContain("age, sex");
  }
});

test("the label cannot also be sensitive (at design time and at run time)", async () => {
  const p = params({ label: "sex", sensitive: ["sex"] });
  expect(() => selectColumns.infer!({ inputs: { table: undefined }, params: p })).toThrow(/both as the label and as a sensitive/);
  const e = await userError(run({ label: "sex", sensitive: ["sex"] }));
  expect(e.code).toBe("label_is_sensitive");
});
