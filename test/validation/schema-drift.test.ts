import { DateDay, Table, vectorFromArray, type DataType } from "apache-arrow";
import { afterAll, describe, expect, test } from "vitest";
import { tableFromColumns } from "../../nodes/core/arrow";
import { mulberry32 } from "../../nodes/core/random";
import { categoryDrift, numericDrift, psi, quantileEdges } from "../../nodes/validation/drift-stats";
import schemaDrift from "../../nodes/validation/schema-drift";
import { closeTestRuntime, makeContext, userError } from "../helpers/node-context";

afterAll(closeTestRuntime);

function sample(n: number, seed: number, opts: { shift?: number; shareB?: number } = {}) {
  const r = mulberry32(seed);
  const x = new Float64Array(n);
  const g: string[] = [];
  const k = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r()) + (opts.shift ?? 0);
    g.push(r() < (opts.shareB ?? 0.5) ? "B" : "A");
    k[i] = Math.floor(r() * 5);
  }
  return { x, g, k };
}
const table = (s: ReturnType<typeof sample>) => tableFromColumns({ x: s.x, g: s.g, k: s.k });
const params = (p: Record<string, unknown>) => schemaDrift.params.parse(p);
const run = (cur: ReturnType<typeof tableFromColumns>, ref: ReturnType<typeof tableFromColumns>, p: Record<string, unknown> = {}, ctx = makeContext()) =>
  schemaDrift.run({ inputs: { table: cur, reference: ref }, params: params(p), ctx });

describe("drift statistics", () => {
  test("PSI by hand: reference 1,2,3,4 vs current 1,1,1,5 in two bins", () => {
    const edges = quantileEdges(new Float64Array([1, 2, 3, 4]), 2);
    expect(edges).toEqual([3]);
    const d = numericDrift(new Float64Array([1, 2, 3, 4]), new Float64Array([1, 1, 1, 5]), 2);
    expect(d.reference).toEqual([0.5, 0.5, 0]);
    expect(d.current).toEqual([0.75, 0.25, 0]);
    expect(d.psi).toBeCloseTo(0.25 * Math.log(1.5) + 0.25 * Math.log(2), 12);
    expect(psi([0.5, 0.5], [0.5, 0.5])).toBe(0);
  });

  test("missing values get their own bin; category shares and new categories", () => {
    const d = numericDrift(new Float64Array([1, 2, 3, 4]), new Float64Array([1, NaN, 3, NaN]), 2);
    expect(d.currentMissing).toBe(0.5);
    expect(d.psi).toBeGreaterThan(0.25);
    const c = categoryDrift(["a", "a", "b", "b"], ["a", "a", "a", null]);
    expect(c.maxShareChange).toBeCloseTo(0.5, 12);
    expect(c.changes[0]).toEqual({ category: "b", reference: 0.5, current: 0, change: -0.5 });
    expect(c.newCategories).toEqual(["(missing)"]);
  });
});

describe("schema-drift node", () => {
  test("defaults parse; infer passes the table schema through", () => {
    expect(params({})).toEqual({ columns: [], bins: 10, moderateAt: 0.1, driftAt: 0.25, shareChangeAt: 0.1, onDrift: "warn" });
    const info = { table: { columns: [{ name: "x", dtype: "float" as const }] } };
    expect(schemaDrift.infer!({ inputs: { table: info, reference: undefined }, params: params({}) })).toEqual({ table: info });
  });

  test("two samples of the same distribution pass", async () => {
    const ctx = makeContext();
    const out = await run(table(sample(5000, 2)), table(sample(5000, 1)), {}, ctx);
    expect(out.gate).toMatchObject({ passed: true, failed: 0, total: 3 });
    for (const c of out.report.columns as Array<{ status: string; psi: number }>) expect(c.psi).toBeLessThan(0.02);
    expect(ctx.logs.some((l) => l.startsWith("No drift"))).toBe(true);
    expect(ctx.progressCalls.at(-1)).toBe(1);
  });

  test("a shifted mean and a changed category share are drift; the chart sorts columns by PSI", async () => {
    const ref = table(sample(5000, 1));
    const ctx = makeContext();
    const out = await run(table(sample(5000, 2, { shift: 1, shareB: 0.8 })), ref, {}, ctx);
    expect(out.report.driftedColumns).toEqual(["x", "g"]);
    const x = (out.report.columns as Array<{ column: string; status: string; psi: number; details: { currentMean: number } }>).find((c) => c.column === "x")!;
    expect(x.psi).toBeGreaterThan(0.25);
    expect(x.details.currentMean).toBeGreaterThan(0.9);
    expect(out.chart.categories![0]).toBe("x");
    expect(out.chart.series![0]!.y[0]).toBe(x.psi);
    expect(out.gate.passed).toBe(false);
    expect(out.table.numRows).toBe(5000);
    expect(ctx.logs.some((l) => l.includes("drifted: x"))).toBe(true);
    // A small share change stays under the category threshold.
    const small = await run(table(sample(5000, 2, { shareB: 0.53 })), ref, { columns: ["g"] });
    expect(small.gate.passed).toBe(true);
  });

  test("missing, extra and retyped columns are reported; fail mode stops the run", async () => {
    const s = sample(500, 1);
    const ref = tableFromColumns({ x: s.x, g: s.g, k: s.k });
    const cur = tableFromColumns({ x: s.x, k: Array.from(s.k, String), added: s.x });
    const out = await run(cur, ref);
    expect(out.report.missingColumns).toEqual(["g"]);
    expect(out.report.extraColumns).toEqual(["added"]);
    expect(out.report.typeChanges).toEqual([{ column: "k", reference: "int", current: "string" }]);
    expect(out.gate.passed).toBe(false);
    expect((out.gate.checks as Array<{ passed: boolean; metric: string }>).filter((c) => !c.passed).map((c) => c.metric)).toEqual(["column g", "type of k"]);
    const e = await userError(run(cur, ref, { onDrift: "fail" }));
    expect([e.code, e.field]).toEqual(["drift_detected", "onDrift"]);
    expect(e.message).toContain("missing columns: g");
  });

  test("date columns are compared as numbers (days shifted by a year drift)", async () => {
    const days = (offset: number) => vectorFromArray(Array.from({ length: 400 }, (_, i) => new Date(Date.UTC(2024, 0, 1 + (i % 200) + offset))), new DateDay() as DataType);
    const ref = new Table({ d: days(0) });
    expect((await run(new Table({ d: days(0) }), ref)).gate.passed).toBe(true);
    const moved = await run(new Table({ d: days(365) }), ref);
    expect(moved.report.driftedColumns).toEqual(["d"]);
    expect((moved.report.columns as Array<{ kind: string }>)[0]!.kind).toBe("numeric");
  });

  test("user errors: empty tables, unknown column, thresholds out of order; cancel", async () => {
    const t = table(sample(50, 1));
    expect((await userError(run(t, t.slice(0, 0)))).code).toBe("empty_reference");
    expect((await userError(run(t.slice(0, 0), t))).code).toBe("empty_table");
    const unk = await userError(run(t, t, { columns: ["nope"] }));
    expect([unk.code, unk.field]).toEqual(["unknown_column", "columns"]);
    expect((await userError(run(t, t, { moderateAt: 0.5, driftAt: 0.2 }))).field).toBe("moderateAt");
    const ctx = makeContext();
    ctx.abort();
    expect(((await run(t, t, {}, ctx).catch((x: unknown) => x)) as Error).name).toBe("AbortError");
  });
});
