/**
 * The fitted transforms on the UCI Adult file (../shared/datasets/adult.csv, read in place): impute → one-hot
 * → scale fitted on the training side of a stratified split, the test side transformed through the nodes'
 * Apply inputs; replaying the fitted values with Apply transform gives the same test table.
 */
import { existsSync } from "node:fs";
import type { Table } from "apache-arrow";
import { afterAll, expect, it } from "vitest";
import { tableInfo, withRoles } from "../../nodes/core/arrow";
import type { TransformValue } from "../../nodes/core/values";
import { applyFitted } from "../../nodes/features/apply-fitted";
import impute from "../../nodes/features/impute";
import oneHot from "../../nodes/features/one-hot-encode";
import scale from "../../nodes/features/scale";
import split from "../../nodes/features/train-test-split";
import { closeTestRuntime, makeContext, testRuntime } from "../helpers/node-context";

const ADULT = new URL("../../../shared/datasets/adult.csv", import.meta.url).pathname;
afterAll(closeTestRuntime);

/** Row of the first differing value of column `name` in the two tables, or -1 (cheaper than toEqual on 100 × 6,500 cells). */
function firstDifference(a: Table, b: Table, name: string): number {
  const x = a.getChild(name)!;
  const y = b.getChild(name)!;
  if (x.length !== y.length) return 0;
  for (let i = 0; i < x.length; i++) if (!Object.is(x.get(i), y.get(i))) return i;
  return -1;
}
const nulls = (t: Table) => t.schema.fields.reduce((n, f) => n + t.getChild(f.name)!.nullCount, 0);

it.runIf(existsSync(ADULT))("Adult: impute → one-hot → scale, fitted on train, applied to test identically", async () => {
  const raw = await testRuntime().tables.readFile(ADULT, { nullStrings: ["?"] });
  expect(raw.numRows).toBe(32561);
  const table = withRoles(raw, { class: "label", sex: "sensitive", race: "sensitive" });
  const { train, test } = await split.run({ inputs: { table }, params: split.params.parse({ stratify: "class" }), ctx: makeContext() });
  expect(nulls(train)).toBeGreaterThan(0);

  const ctx = makeContext();
  const a = await impute.run({ inputs: { train, apply: test }, params: impute.params.parse({ strategy: "most_frequent" }), ctx });
  const b = await oneHot.run({ inputs: { train: a.train, apply: a.apply }, params: oneHot.params.parse({}), ctx });
  const c = await scale.run({ inputs: { train: b.train, apply: b.apply }, params: scale.params.parse({}), ctx });

  // no gaps left in features; label and sensitive columns untouched (still text, with their roles)
  expect(nulls(c.train)).toBe(0);
  expect(nulls(c.apply!)).toBe(0);
  const info = tableInfo(c.apply!);
  expect(info.columns.filter((x) => x.role)).toEqual([
    { name: "race", dtype: "string", role: "sensitive" },
    { name: "sex", dtype: "string", role: "sensitive" },
    { name: "class", dtype: "string", role: "label" },
  ]);
  expect(info.columns.some((x) => x.name === "workclass=Private")).toBe(true);
  // scaled on train only: train features have mean ≈ 0, test features only roughly
  const age = c.train.getChild("age")!.toArray() as Float64Array;
  expect(Math.abs(age.reduce((s, v) => s + v, 0) / age.length)).toBeLessThan(1e-9);

  // replaying the three fitted values on the raw test rows gives the same table
  let replay = test;
  for (const fitted of [a.fitted, b.fitted, c.fitted] as TransformValue[]) replay = await applyFitted(JSON.parse(JSON.stringify(fitted)) as TransformValue, replay, makeContext());
  expect(replay.schema.fields.map((f) => f.name)).toEqual(c.apply!.schema.fields.map((f) => f.name));
  for (const f of c.apply!.schema.fields) expect(firstDifference(replay, c.apply!, f.name), f.name).toBe(-1);
});
