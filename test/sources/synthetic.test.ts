import { tableToIPC, type Table } from "apache-arrow";
import { afterAll, expect, test } from "vitest";
import { numericColumn, stringColumn, tableInfo } from "../../nodes/core/arrow";
import synthetic from "../../nodes/sources/synthetic";
import { closeTestRuntime, makeContext, userError } from "../helpers/node-context";

afterAll(closeTestRuntime);
const params = (p: Record<string, unknown>) => synthetic.params.parse(p);
const run = (p: Record<string, unknown>, ctx = makeContext()) => synthetic.run({ inputs: {}, params: params(p), ctx });

function rateByGroup(t: Table) {
  const g = stringColumn(t, "group");
  const y = numericColumn(t, "label");
  const s = { A: [0, 0], B: [0, 0] } as Record<string, [number, number]>;
  g.forEach((v, i) => {
    s[v!]![0] += y[i]!;
    s[v!]![1]++;
  });
  return { A: s.A![0] / s.A![1], B: s.B![0] / s.B![1], shareB: s.B![1] / g.length };
}

test("defaults parse and infer gives exactly the schema run produces", async () => {
  const d = params({});
  expect(d).toMatchObject({ task: "classification", rows: 2000, features: 6, informative: 4, sensitive: true, seed: 42 });
  const ctx = makeContext();
  const out = await run({}, ctx);
  expect(synthetic.infer!({ inputs: {}, params: d }).table!.table).toEqual(tableInfo(out.table));
  expect(tableInfo(out.table).columns.map((c) => c.name)).toEqual(["x1", "x2", "x3", "x4", "x5", "x6", "group", "label"]);
  expect(ctx.progressCalls.at(-1)).toBe(1);
  expect(out.chart).toMatchObject({ kind: "bar", categories: ["A", "B"] });
  expect(out.report.groups).toHaveLength(2);
});

test("the same seed gives byte-identical tables; another seed does not", async () => {
  const a = tableToIPC((await run({ rows: 500 })).table);
  const b = tableToIPC((await run({ rows: 500 })).table);
  const c = tableToIPC((await run({ rows: 500, seed: 7 })).table);
  expect(Buffer.from(a).equals(Buffer.from(b))).toBe(true);
  expect(Buffer.from(a).equals(Buffer.from(c))).toBe(false);
});

test("bias controls the gap in positive labels between the groups", async () => {
  const fair = rateByGroup((await run({ rows: 20_000, bias: 0 })).table);
  expect(Math.abs(fair.A - fair.B)).toBeLessThan(0.03);
  expect(Math.abs(fair.shareB - 0.4)).toBeLessThan(0.02);
  const biased = await run({ rows: 20_000, bias: 1, noise: 0.5 });
  const r = rateByGroup(biased.table);
  // z ~ N(-1, 1.25) for B: P(z > 0) = Φ(-1/√1.25) ≈ 0.186; A stays near one half.
  expect(Math.abs(r.A - 0.5)).toBeLessThan(0.03);
  expect(Math.abs(r.B - 0.186)).toBeLessThan(0.03);
  expect(biased.chart.series![0]!.y[1]).toBeCloseTo(r.B, 12);
  expect(biased.report.summary).toContain("group A");
});

test("with no noise and no bias the label is exactly the sign of the reported weighted sum", async () => {
  const { table, report } = await run({ rows: 300, noise: 0, bias: 0, features: 5, informative: 3 });
  const ws = report.informativeFeatures as Array<{ feature: string; weight: number }>;
  expect(ws.map((w) => w.feature)).toEqual(["x1", "x2", "x3"]);
  expect(ws.reduce((a, w) => a + w.weight ** 2, 0)).toBeCloseTo(1, 12);
  const y = numericColumn(table, "label");
  const cols = ws.map((w) => numericColumn(table, w.feature));
  for (let i = 0; i < 300; i++) expect(y[i]).toBe(ws.reduce((a, w, j) => a + w.weight * cols[j]![i]!, 0) > 0 ? 1 : 0);
});

test("regression: a float label whose group means differ by the bias", async () => {
  const { table } = await run({ task: "regression", rows: 20_000, bias: 2 });
  expect(tableInfo(table).columns.at(-1)).toEqual({ name: "label", dtype: "float", role: "label" });
  const r = rateByGroup(table);
  expect(r.A - r.B).toBeGreaterThan(1.9);
  expect(r.A - r.B).toBeLessThan(2.1);
});

test("proxy strength makes the last feature reveal the group; no group column when turned off", async () => {
  const { table } = await run({ rows: 5000, proxy: 0.9 });
  const g = stringColumn(table, "group");
  const x = numericColumn(table, "x6");
  let a = 0, b = 0, na = 0, nb = 0;
  g.forEach((v, i) => (v === "B" ? ((b += x[i]!), nb++) : ((a += x[i]!), na++)));
  expect(b / nb - a / na).toBeGreaterThan(1.6);
  const plain = await run({ sensitive: false, rows: 50 });
  expect(plain.table.getChild("group")).toBeNull();
  expect(plain.chart.categories).toEqual(["all"]);
});

test("settings that contradict each other are user errors naming the setting", async () => {
  const e = await userError(run({ features: 3, informative: 5 }));
  expect([e.code, e.field]).toEqual(["too_many_informative", "informative"]);
  expect(() => synthetic.infer!({ inputs: {}, params: params({ features: 3, informative: 5 }) })).toThrow(/Informative/);
  expect((await userError(run({ proxy: 0.5, sensitive: false }))).field).toBe("proxy");
  expect((await userError(run({ proxy: 0.5, features: 4, informative: 4 }))).code).toBe("no_proxy_feature");
  expect(synthetic.params.safeParse({ rows: 5 }).success).toBe(false);
});

test("cancel stops generation", async () => {
  const ctx = makeContext();
  ctx.abort();
  expect(((await run({}, ctx).catch((x: unknown) => x)) as Error).name).toBe("AbortError");
});
