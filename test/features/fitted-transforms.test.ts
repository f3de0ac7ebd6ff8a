/**
 * The fitted-transform nodes: the fitted value (after a JSON round trip, as the artifact store keeps it)
 * applied through Apply transform gives exactly the node's own Applied output; state comes from the train rows
 * only; and every bad input is a user error naming the column or setting.
 */
import { Table, Utf8, vectorFromArray } from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import { tableFromColumns, tableInfo } from "../../nodes/core/arrow";
import type { AnyNodeDefinition } from "../../nodes/core/define-node";
import type { TransformValue } from "../../nodes/core/values";
import { applyFitted, FITTED_KINDS } from "../../nodes/features/apply-fitted";
import applyTransform from "../../nodes/features/apply-transform";
import bucketize from "../../nodes/features/bucketize";
import { floatVector } from "../../nodes/features/feature-columns";
import impute from "../../nodes/features/impute";
import oneHot from "../../nodes/features/one-hot-encode";
import ordinal from "../../nodes/features/ordinal-encode";
import power from "../../nodes/features/power-transform";
import scale from "../../nodes/features/scale";
import { closeTestRuntime, makeContext, userError } from "../helpers/node-context";

afterAll(closeTestRuntime);

type Out = { train: Table; apply?: Table; fitted: TransformValue };
const nodes = { impute, scale, oneHot, ordinal, bucketize, power } as unknown as Record<string, AnyNodeDefinition>;
/** Runs any fitted-transform node (`node` is one of the definitions above). */
async function run(node: unknown, params: Record<string, unknown>, train: Table, apply?: Table, ctx = makeContext()): Promise<Out> {
  const def = node as AnyNodeDefinition;
  return (await def.run({ inputs: { train, apply } as never, params: def.params.parse(params), ctx })) as Out;
}
const nums = (xs: Array<number | null>) => floatVector(Float64Array.from(xs, (x) => (x === null ? NaN : x)));
const texts = (xs: Array<string | null>) => vectorFromArray(xs, new Utf8());
const col = (t: Table, name: string) => Array.from(t.getChild(name)!, (v: unknown) => (v === null ? null : typeof v === "string" ? v : Number(v)));

/** Training rows: numbers with gaps, a text column with a gap, a label and a sensitive column. */
const train = tableFromColumns(
  { age: new Float64Array([20, 30, 40, 50, 60, 70]), label: ["a", "b", "a", "b", "a", "b"], sex: ["F", "M", "F", "M", "F", "M"] },
  { label: "label", sex: "sensitive" },
).assign(new Table({ income: nums([1, null, 3, 100, 5, 6]), city: texts(["x", "y", null, "x", "z", "x"]) }));
const other = tableFromColumns(
  { age: new Float64Array([25, 90, 10]), label: ["a", "b", "a"], sex: ["M", "F", "M"] },
  { label: "label", sex: "sensitive" },
).assign(new Table({ income: nums([null, 7, 1000]), city: texts(["y", null, "x"]) }));

const CASES: Array<[string, string, Record<string, unknown>]> = [
  ["impute mean", "impute", {}],
  ["impute most frequent (text too)", "impute", { strategy: "most_frequent" }],
  ["impute constant", "impute", { strategy: "constant", fillValue: "" }],
  ["scale standard", "scale", {}],
  ["scale robust", "scale", { method: "robust" }],
  ["one-hot", "oneHot", { unknown: "unknown" }],
  ["ordinal", "ordinal", {}],
  ["bucketize", "bucketize", { bins: 3, strategy: "uniform" }],
  ["power", "power", {}],
  ["power box-cox", "power", { method: "box-cox" }],
  ["power log1p", "power", { method: "log1p", standardize: false }],
];

describe("fitted transforms", () => {
  it.each(CASES)("%s: Apply transform on the JSON-stored fitted value equals the Applied output", async (_, name, params) => {
    const ctx = makeContext();
    const out = await run(nodes[name]!, params, train, other, ctx);
    expect(ctx.progressCalls.at(-1)).toBe(1);
    const stored = JSON.parse(JSON.stringify(out.fitted)) as TransformValue;
    expect(stored.transform).toBe(nodes[name]!.kind);
    expect(FITTED_KINDS).toContain(stored.transform);
    expect(stored.output!.columns).toEqual(tableInfo(out.train).columns);
    const applied = await applyTransform.run({ inputs: { fitted: stored, table: other }, params: {}, ctx: makeContext() });
    expect(tableInfo(applied.table)).toEqual(tableInfo(out.apply!));
    for (const f of out.apply!.schema.fields) expect(col(applied.table, f.name), f.name).toEqual(col(out.apply!, f.name));
    // the training rows get the same function: re-applying to train reproduces the Train output
    const again = await applyFitted(stored, train, makeContext());
    for (const f of out.train.schema.fields) expect(col(again, f.name), f.name).toEqual(col(out.train, f.name));
  });

  it("learns from the train rows only, and keeps label and sensitive columns (and their roles) as they are", async () => {
    const a = await run(scale, {}, train, other);
    const b = await run(scale, {}, train, tableFromColumns({ age: new Float64Array([1e6]), income: new Float64Array([-5]) }));
    expect(a.fitted.state).toEqual(b.fitted.state);
    expect(col(a.train, "age")).toEqual(col(b.train, "age"));
    const roles = Object.fromEntries(tableInfo(a.train).columns.map((c) => [c.name, c.role]));
    expect(roles).toMatchObject({ label: "label", sex: "sensitive" });
    expect(col(a.train, "label")).toEqual(col(train, "label"));
    expect(col(a.train, "sex")).toEqual(col(train, "sex"));
    expect(a.train.schema.fields.map((f) => f.name)).toEqual(train.schema.fields.map((f) => f.name));
  });

  it("impute mean fills numbers with the training mean and leaves no gaps; text stays unless picked", async () => {
    const { train: t, apply } = await run(impute, {}, train, other);
    expect(col(t, "income")).toEqual([1, 23, 3, 100, 5, 6]);
    expect(col(apply!, "income")).toEqual([23, 7, 1000]);
    expect(col(t, "city")).toEqual(col(train, "city"));
    const text = await run(impute, { strategy: "most_frequent", columns: ["city"] }, train, other);
    expect(col(text.apply!, "city")).toEqual(["y", "x", "x"]);
  });

  it("one-hot: indicators in sorted order, missing gets its own column, unseen values follow the policy", async () => {
    const unseen = new Table({ city: texts(["y", "q", null]) });
    const base = { columns: ["city"] };
    const ignore = await run(oneHot, base, train, unseen);
    expect(ignore.train.schema.fields.map((f) => f.name)).toEqual(["age", "label", "sex", "income", "city=x", "city=y", "city=z", "city=(missing)"]);
    expect([0, 1, 2].map((i) => ["city=x", "city=y", "city=z", "city=(missing)"].map((n) => col(ignore.apply!, n)[i]))).toEqual([
      [0, 1, 0, 0],
      [0, 0, 0, 0],
      [0, 0, 0, 1],
    ]);
    const unknown = await run(oneHot, { ...base, unknown: "unknown" }, train, unseen);
    expect(col(unknown.apply!, "city=(unknown)")).toEqual([0, 1, 0]);
    const e = await userError(run(oneHot, { ...base, unknown: "error" }, train, unseen));
    expect(e.code).toBe("unseen_category");
    expect(e.field).toBe("unknown");
    expect(e.message).toContain('Column "city" has the value "q" (row 2)');
    expect(e.message).toMatch(/Ignore or Unknown/);
    // the error policy also guards later use of the fitted value
    const fitted = (await run(oneHot, { ...base, unknown: "error" }, train)).fitted;
    expect((await userError(applyFitted(fitted, unseen, makeContext()))).code).toBe("unseen_category");
  });

  it("ordinal: unseen values are an error, missing or -1 as chosen; missing stays missing", async () => {
    const unseen = new Table({ city: texts(["z", "q", null]) });
    expect(col((await run(ordinal, { columns: ["city"] }, train, unseen)).apply!, "city")).toEqual([2, null, null]);
    expect(col((await run(ordinal, { columns: ["city"], unknown: "unknown" }, train, unseen)).apply!, "city")).toEqual([2, -1, null]);
    const e = await userError(run(ordinal, { columns: ["city"], unknown: "error" }, train, unseen));
    expect(e).toMatchObject({ code: "unseen_category", field: "unknown" });
  });
});

describe("fitted transforms: bad input", () => {
  const allMissing = new Table({ x: nums([null, null, null]), y: nums([1, 2, 3]) });
  it.each([
    ["impute median", impute, { strategy: "median" }],
    ["impute most frequent", impute, { strategy: "most_frequent" }],
    ["scale", scale, {}],
    ["bucketize", bucketize, {}],
    ["power", power, {}],
  ] as const)("%s: an all-missing column is an error naming it", async (_, node, params) => {
    const e = await userError(run(node as unknown as AnyNodeDefinition, { ...params, columns: ["x", "y"] }, allMissing));
    expect(e.code).toBe("all_missing");
    expect(e.message).toContain('Column "x" has no values');
  });

  it("one-hot: an all-missing text column is an error; too many categories too", async () => {
    const t = new Table({ c: texts([null, null]) });
    expect((await userError(run(oneHot, { columns: ["c"] }, t))).code).toBe("all_missing");
    const many = new Table({ c: texts(Array.from({ length: 20 }, (_, i) => `v${i}`)) });
    const e = await userError(run(oneHot, { columns: ["c"], maxCategories: 10 }, many));
    expect(e).toMatchObject({ code: "too_many_categories", field: "maxCategories" });
    expect(e.message).toContain("20 different values");
  });

  it.each(Object.entries(nodes))("%s: zero training rows is an error", async (_, node) => {
    const e = await userError(run(node, {}, train.slice(0, 0)));
    expect(e.code).toBe("empty_table");
    expect(e.message).toMatch(/no rows/);
  });

  it("text picked for a number transform is an error naming the column and what to do", async () => {
    for (const node of [scale, bucketize, power] as unknown as AnyNodeDefinition[]) {
      const e = await userError(run(node, { columns: ["city"] }, train));
      expect(e).toMatchObject({ code: "column_dtype", field: "columns" });
      expect(e.message).toContain('Column "city" holds text');
    }
    const e = await userError(run(impute, { strategy: "mean", columns: ["city"] }, train));
    expect(e.message).toMatch(/Most frequent/);
  });

  it("text arriving at apply time in a column fitted on numbers is an error naming the column", async () => {
    const { fitted } = await run(scale, { columns: ["age"] }, train);
    const e = await userError(applyFitted(fitted, new Table({ age: texts(["12", "old"]) }), makeContext()));
    expect(e).toMatchObject({ code: "not_numeric", field: "age" });
    expect(e.message).toMatch(/Cast columns/);
  });

  it("a picked column that upstream dropped is an error listing the columns there are", async () => {
    const e = await userError(run(scale, { columns: ["agee"] }, train));
    expect(e).toMatchObject({ code: "unknown_column", field: "columns" });
    expect(e.message).toContain('Column "agee"');
    expect(e.message).toContain("Available columns: age, label, sex, income, city");
    const { fitted } = await run(scale, { columns: ["age"] }, train);
    const missing = await userError(applyFitted(fitted, new Table({ income: nums([1]) }), makeContext()));
    expect(missing).toMatchObject({ code: "missing_column", field: "age" });
  });

  it("no suitable columns, a bad constant, log of values ≤ -1, Box-Cox of values ≤ 0, an unknown fitted kind", async () => {
    const textOnly = new Table({ c: texts(["a"]) });
    expect((await userError(run(scale, {}, textOnly))).code).toBe("no_columns");
    expect((await userError(run(impute, { strategy: "constant", fillValue: "abc", columns: ["age"] }, train))).code).toBe("invalid_fill_value");
    const neg = new Table({ x: nums([-2, 1]) });
    expect((await userError(run(power, { method: "log1p" }, neg))).code).toBe("log_domain");
    const boxCox = await userError(run(power, { method: "box-cox" }, new Table({ x: nums([0, 1]) })));
    expect(boxCox).toMatchObject({ code: "box_cox_domain", field: "method" });
    expect(boxCox.message).toContain('Column "x" has the value 0');
    const e = await userError(applyFitted({ transform: "features/nope", state: {} }, train, makeContext()));
    expect(e.code).toBe("unknown_transform");
  });

  it("stops when cancelled", async () => {
    const ctx = makeContext();
    ctx.abort();
    await expect(run(scale, {}, train, undefined, ctx)).rejects.toThrow();
    const { fitted } = await run(scale, {}, train);
    await expect(applyFitted(fitted, train, ctx)).rejects.toThrow();
  });
});
