import { afterAll, describe, expect, test } from "vitest";
import { tableFromColumns, tableInfo } from "../../nodes/core/arrow";
import { describeExpectation, runCheck } from "../../nodes/validation/expectation-checks";
import expectations, { FAILED_CHECKS_COLUMN } from "../../nodes/validation/expectations";
import { closeTestRuntime, makeContext, userError } from "../helpers/node-context";

afterAll(closeTestRuntime);

// Row 1: age missing. Row 2: age 150, email bad, country XX. Row 3: id repeats row 0. Row 4: amount is text.
const people = () =>
  tableFromColumns(
    {
      id: new Int32Array([1, 2, 3, 1, 5]),
      age: [34, null, 150, 28, 51],
      email: ["a@x.org", "b@x.org", "not-an-email", "d@x.org", null],
      country: ["DE", "FR", "XX", "DE", "FR"],
      amount: ["10.5", "7", "3", "2", "abc"],
    },
    { country: "sensitive" },
  );

const params = (p: Record<string, unknown>) => expectations.params.parse(p);
const run = (p: Record<string, unknown>, ctx = makeContext(), table = people()) => expectations.run({ inputs: { table }, params: params(p), ctx });

const ALL = [
  { type: "column_exists", column: "id" },
  { type: "dtype", column: "age", dtype: "numeric" },
  { type: "not_null", column: "age" },
  { type: "between", column: "age", min: 0, max: 120 },
  { type: "allowed_values", column: "country", values: ["DE", "FR"] },
  { type: "unique", column: "id" },
  { type: "regex", column: "email", pattern: "^[^@\\s]+@[^@\\s]+$" },
  { type: "row_count", min: 1, max: 10 },
  { type: "between", column: "amount", min: 0 },
];

describe("expectations", () => {
  test("defaults parse; infer passes the schema through and adds the failing-rules column", () => {
    expect(params({})).toEqual({ expectations: [], onFailure: "fail", exampleRows: 5 });
    const info = tableInfo(people());
    const out = expectations.infer!({ inputs: { table: { table: info } }, params: params({ expectations: ALL }) });
    expect(out.passed!.table!.columns).toEqual(info.columns);
    expect(out.failing!.table!.columns.at(-1)).toEqual({ name: FAILED_CHECKS_COLUMN, dtype: "string" });
    expect(expectations.infer!({ inputs: { table: undefined }, params: params({}) })).toEqual({ passed: undefined, failing: undefined });
  });

  test("each kind finds exactly the rows that break it", () => {
    const t = people();
    const check = (e: Record<string, unknown>) => runCheck(t, params({ expectations: [e] }).expectations[0]!);
    const rows = (e: Record<string, unknown>) => [...(check(e).mask ?? [])].flatMap((m, i) => (m ? [i] : []));
    expect(check(ALL[0]!)).toMatchObject({ passed: true });
    expect(check({ type: "column_exists", column: "zip" })).toMatchObject({ passed: false, observed: "column is missing" });
    expect(check(ALL[1]!)).toMatchObject({ passed: true, observed: "type float" });
    expect(check({ type: "dtype", column: "amount", dtype: "numeric" })).toMatchObject({ passed: false, observed: "type string" });
    expect(rows(ALL[2]!)).toEqual([1]);
    expect(check({ type: "not_null", column: "age", minFraction: 0.8 })).toMatchObject({ passed: true, failingCount: 1, observed: "80% filled in (1 missing)" });
    expect(check({ type: "not_null", column: "age", minFraction: 0.81 }).passed).toBe(false);
    expect(rows(ALL[3]!)).toEqual([2]);
    expect(rows(ALL[4]!)).toEqual([2]);
    expect(check(ALL[4]!).observed).toBe("other values: XX (1)");
    expect(rows(ALL[5]!)).toEqual([0, 3]);
    expect(rows(ALL[6]!)).toEqual([2]);
    expect(check(ALL[7]!)).toMatchObject({ passed: true, observed: "5 rows" });
    expect(check({ type: "row_count", min: 6 }).passed).toBe(false);
    // Text in a numeric column: the text that is not a number breaks "between".
    expect(rows(ALL[8]!)).toEqual([4]);
    expect(check(ALL[8]!).observed).toContain("1 values are not numbers");
    expect(describeExpectation(params({ expectations: [ALL[3]] }).expectations[0]!)).toBe('"age" is between 0 and 120');
  });

  test("fail mode: the run stops with a message listing the failed rules", async () => {
    const e = await userError(run({ expectations: ALL }));
    expect([e.code, e.field]).toEqual(["expectations_failed", "expectations"]);
    expect(e.message).toContain("6 of 9 expectations failed");
    expect(e.message).toContain('"age" has no missing values');
    const ok = await run({ expectations: [ALL[0], ALL[1], ALL[7]] });
    expect(ok.gate).toMatchObject({ passed: true, failed: 0, total: 3 });
    expect(ok.gate.checks as unknown[]).toHaveLength(3);
    expect(ok.passed.numRows).toBe(5);
    expect(ok.failing.numRows).toBe(0);
    expect(tableInfo(ok.failing).columns.at(-1)!.name).toBe(FAILED_CHECKS_COLUMN);
  });

  test("warn mode: every row goes on, failing rows and a report with examples come out", async () => {
    const ctx = makeContext();
    const out = await run({ expectations: ALL, onFailure: "warn", exampleRows: 1 }, ctx);
    expect(out.passed.numRows).toBe(5);
    expect(out.failing.getChild("id")!.toJSON()).toEqual([1, 2, 3, 1, 5]);
    expect(out.gate).toMatchObject({ passed: false, failed: 6, total: 9 });
    expect((out.gate.checks as unknown[])[2]).toEqual({ metric: '"age" has no missing values', value: 1, passed: false, message: '"age" has no missing values: 80% filled in (1 missing)' });
    const byIndex = (k: number) => (out.report.expectations as Array<Record<string, unknown>>)[k - 1]!;
    expect(byIndex(6)).toMatchObject({ type: "unique", passed: false, failingCount: 2 });
    expect(byIndex(6).examples).toEqual([{ _row: 0, id: 1, age: 34, email: "a@x.org", country: "DE", amount: "10.5" }]);
    expect(byIndex(1)).toMatchObject({ passed: true, examples: [] });
    expect(out.chart.series![0]!.y).toEqual([0, 0, 1, 1, 1, 2, 1, 0, 1]);
    expect(ctx.logs.filter((l) => l.startsWith("Expectation failed")).length).toBe(6);
    expect(ctx.progressCalls.at(-1)).toBe(1);
  });

  test("route mode: passing and failing rows are split, each failing row names its rules, roles are kept", async () => {
    const ctx = makeContext();
    const out = await run({ expectations: [...ALL, { type: "column_exists", column: "zip" }], onFailure: "route" }, ctx);
    expect(out.passed.getChild("id")!.toJSON()).toEqual([]);
    const rules = out.failing.getChild(FAILED_CHECKS_COLUMN)!.toJSON();
    expect(rules[1]).toBe('#3 "age" has no missing values');
    expect(rules[2]).toContain("#4");
    expect(rules[2]).toContain("#7");
    expect(tableInfo(out.failing).columns.find((c) => c.name === "country")!.role).toBe("sensitive");
    expect(ctx.logs.some((l) => l.includes("cannot send rows"))).toBe(true);

    const partial = await run({ expectations: [ALL[3], ALL[4]], onFailure: "route" });
    expect(partial.passed.getChild("id")!.toJSON()).toEqual([1, 2, 1, 5]);
    expect(partial.failing.getChild("id")!.toJSON()).toEqual([3]);
    expect(partial.passed.numRows + partial.failing.numRows).toBe(5);
  });

  test("a passing not-null share routes nothing; no expectations warns", async () => {
    const out = await run({ expectations: [{ type: "not_null", column: "age", minFraction: 0.5 }], onFailure: "route" });
    expect([out.passed.numRows, out.failing.numRows]).toEqual([5, 0]);
    const ctx = makeContext();
    const none = await run({}, ctx);
    expect(none.gate).toEqual({ passed: true, failed: 0, total: 0, checks: [] });
    expect(ctx.logs[0]).toContain("No expectations");
  });

  test("settings errors: bad pattern, empty range, min above max, unknown kind", async () => {
    const bad = await userError(run({ expectations: [{ type: "regex", column: "email", pattern: "([" }] }));
    expect([bad.code, bad.field]).toEqual(["bad_pattern", "expectations"]);
    expect(() => expectations.infer!({ inputs: { table: undefined }, params: params({ expectations: [{ type: "regex", column: "email", pattern: "([" }] }) })).toThrow(/regular expression/);
    expect((await userError(run({ expectations: [{ type: "between", column: "age" }] }))).code).toBe("expectation_incomplete");
    expect((await userError(run({ expectations: [{ type: "row_count", min: 5, max: 1 }] }))).message).toContain("Swap");
    expect(expectations.params.safeParse({ expectations: [{ type: "bogus", column: "a" }] }).success).toBe(false);
  });

  test("cancel stops the checks", async () => {
    const ctx = makeContext();
    ctx.abort();
    expect(((await run({ expectations: ALL }, ctx).catch((x: unknown) => x)) as Error).name).toBe("AbortError");
  });
});
