/**
 * The code node (issue #6) through its definition: the Table API, SQL, outputs, user line numbers in errors,
 * limits, and that pass-through keeps the host's own column vectors.
 */
import { Table, Utf8, makeVector, tableFromArrays, vectorFromArray } from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import codeNode, { DEFAULT_CODE, toMetrics } from "../../nodes/code/code-node";
import { withRoles } from "../../nodes/core/arrow";
import { NodeUserError } from "../../nodes/core/errors";
import { compileUserCode } from "../../server/engine/sandbox";
import { closeTestRuntime, makeContext } from "../helpers/node-context";

afterAll(closeTestRuntime);

const people = withRoles(
  new Table({
    age: makeVector(new Float64Array([31, 45, 22, 60, 38])),
    n: makeVector(new Int32Array([1, 2, 3, 4, 5])),
    city: vectorFromArray(["Oslo", "Lima", "Oslo", "Kraków", null], new Utf8()),
    ok: vectorFromArray([true, false, true, null, true]),
  }),
  { ok: "label" },
);

async function run(code: string, inputs: { a?: Table; b?: Table } = { a: people }, extra: Record<string, unknown> = {}) {
  const ctx = makeContext();
  const out = await codeNode.run({ inputs: { a: inputs.a, b: inputs.b }, params: codeNode.params.parse({ code, ...extra }), ctx });
  return { out, ctx };
}

const body = (s: string) => `export default async function run({ inputs, params, ctx }: { inputs: any; params: any; ctx: any }) {\n${s}\n}`;

describe("code node", () => {
  it("has defaults that parse and run", async () => {
    const params = codeNode.params.parse({});
    expect(params.code).toBe(DEFAULT_CODE);
    expect(params.timeoutMs).toBe(30_000);
    expect(params.memoryMB).toBe(256);
    const { out } = await run(params.code);
    expect(out.table).toBe(people);
    expect(out.metrics).toEqual({ values: { rows: 5 } });
  });

  it("passes a table through by reference: same vectors, roles kept", async () => {
    const { out } = await run(body(`return { table: inputs.a.select("city", "ok") };`));
    expect(out.table!.getChild("city")!.data[0]!.values).toBe(people.getChild("city")!.data[0]!.values);
    expect(out.table!.schema.fields.find((f) => f.name === "ok")!.metadata.get("lattice.role")).toBe("label");
  });

  it("reads columns with the right JS types, nulls as null", async () => {
    const { out } = await run(body(`
      const t = inputs.a;
      const age = t.column("age"), n = t.column("n"), city = t.column("city"), ok = t.column("ok");
      return { metrics: { f64: age instanceof Float64Array ? 1 : 0, i32: n instanceof Int32Array ? 1 : 0, nullCity: city[4] === null ? 1 : 0, utf8: city[3] === "Kraków" ? 1 : 0, bool: ok[1] === false && ok[3] === null ? 1 : 0, sum: age.reduce((a: number, b: number) => a + b, 0) } };`));
    expect(out.metrics!.values).toEqual({ f64: 1, i32: 1, nullCity: 1, utf8: 1, bool: 1, sum: 196 });
  });

  it("filter, withColumn, map, groupBy and table() build new tables", async () => {
    const { out } = await run(body(`
      const t = inputs.a.filter((r: any) => r.age > 30).withColumn("decade", (r: any) => Math.floor(r.age / 10) * 10);
      const g = t.groupBy("city").agg({ people: ["age", "count"], mean_age: ["age", "mean"] });
      const m = t.map((r: any) => ({ ...r, tag: r.city ?? "?" }));
      ctx.log("groups " + g.numRows);
      return { table: t, metrics: { groups: g.numRows, tags: m.column("tag").filter((x: string) => x === "?").length, made: table({ x: [1, 2], y: ["a", null] }).numRows } };`));
    const t = out.table!;
    expect(t.numRows).toBe(4);
    expect(t.getChild("age")!.toArray()).toEqual(new Float64Array([31, 45, 60, 38]));
    expect([...t.getChild("city")!]).toEqual(["Oslo", "Lima", "Kraków", null]);
    expect(t.getChild("decade")!.toArray()).toEqual(new Float64Array([30, 40, 60, 30]));
    expect([...t.getChild("ok")!]).toEqual([true, false, null, true]);
    expect(t.schema.fields.find((f) => f.name === "ok")!.metadata.get("lattice.role")).toBe("label");
    expect(out.metrics!.values).toEqual({ groups: 4, tags: 1, made: 2 });
  });

  it("runs SQL over the inputs in DuckDB", async () => {
    const { out } = await run(body(`
      const r = await sql("select city, count(*) as c, avg(age) as a from a where city is not null group by city order by city");
      return { table: r };`));
    expect([...out.table!.getChild("city")!]).toEqual(["Kraków", "Lima", "Oslo"]);
    expect(Array.from(out.table!.getChild("c")!.toArray() as ArrayLike<number>)).toEqual([1, 1, 2]);
  });

  it("passes params.values to the code and ctx.metric/progress to the host", async () => {
    const { out, ctx } = await run(body(`ctx.progress(0.5); ctx.metric("threshold", params.threshold); return { metrics: { t: params.threshold * 2 } };`), { a: people }, { parameters: [{ type: "number", name: "threshold", default: 5 }], values: { threshold: 21 } });
    expect(out.metrics!.values.t).toBe(42);
    expect(ctx.metrics).toEqual([{ name: "threshold", value: 21, step: undefined }]);
    expect(ctx.progressCalls).toEqual([0.5]);
  });

  it("reports runtime errors at the user's own line (TypeScript types stripped)", async () => {
    const code = `interface Row { age: number }\ntype T = Row[];\n\nexport default async function run({ inputs }: any) {\n  const rows: T = [];\n  const o: any = undefined;\n  return { metrics: { x: o.missing } };\n}\n`;
    const err = await run(code).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NodeUserError);
    expect((err as NodeUserError).message).toMatch(/line 7\)$/);
    expect((err as NodeUserError).field).toBe("code");
  });

  it("reports syntax errors before running, with the line", () => {
    expect(() => compileUserCode("export default async function run() {\n  return { ;\n}")).toThrow(/line 2/);
  });

  it("rejects a missing default export and non-table table outputs with clear messages", async () => {
    await expect(run("export function other() {}")).rejects.toThrow(/export a default function/);
    await expect(run(body(`return { table: [1, 2, 3] };`))).rejects.toThrow(/"table" output must be a Table/);
    await expect(run(body(`return 5;`))).rejects.toThrow(/must return an object of outputs/);
  });

  it("names an unknown column and lists the available ones", async () => {
    await expect(run(body(`return { table: inputs.a.select("nope") };`))).rejects.toThrow(/"nope" is not in the table \(columns: age, n, city, ok\)/);
  });

  it("enforces the node's time limit param", async () => {
    await expect(run(body(`for (;;) {}`), { a: people }, { timeoutMs: 200 })).rejects.toMatchObject({ code: "code_timeout", field: "timeoutMs" });
  });

  it("works with dictionary-encoded strings and a second input", async () => {
    const b = tableFromArrays({ k: ["x", "y", "x"] });
    const { out } = await run(body(`return { metrics: { xs: inputs.b.column("k").filter((v: string) => v === "x").length, hasA: inputs.a ? 1 : 0 } };`), { b });
    expect(out.metrics!.values).toEqual({ xs: 2, hasA: 0 });
  });

  it("uses the declared ports: metrics and value inputs come in as JSON, outputs are checked by declared type", async () => {
    const ctx = makeContext();
    const params = codeNode.params.parse({
      code: body(`return { rows: inputs.t.numRows, scaled: inputs.t.withColumn("x2", (r: any) => r.n * inputs.k), best: { values: { auc: inputs.m.values.auc } } };`),
      inputs: [
        { name: "t", type: "table" },
        { name: "m", type: "metrics" },
        { name: "k", type: "scalar" },
      ],
      outputs: [
        { name: "scaled", type: "table" },
        { name: "rows", type: "scalar" },
        { name: "best", type: "metrics" },
      ],
    });
    const out = (await codeNode.run({ inputs: { t: people, m: { values: { auc: 0.9 } }, k: 3 } as never, params, ctx })) as Record<string, unknown>;
    expect(out.rows).toBe(5);
    expect(Array.from((out.scaled as Table).getChild("x2")!.toArray() as Float64Array)).toEqual([3, 6, 9, 12, 15]);
    expect(out.best).toEqual({ values: { auc: 0.9 } });
  });

  it("names a required declared output that run() left out, and a value where a table is declared", async () => {
    const outputs = [{ name: "result", type: "table" as const }];
    await expect(run(body(`return {};`), { a: people }, { outputs })).rejects.toMatchObject({ code: "code_missing_output", message: expect.stringMatching(/did not return the "result" output/) });
    await expect(run(body(`return { result: 3 };`), { a: people }, { outputs })).rejects.toThrow(/"result" output must be a Table/);
    await expect(run(body(`return { result: inputs.a, extra: 1 };`), { a: people }, { outputs })).resolves.toBeTruthy();
  });

  it("gives the code the declared parameters' defaults unless the form set a value", async () => {
    const parameters = [
      { type: "number", name: "k", default: 2 },
      { type: "string", name: "label", default: "x" },
      { type: "boolean", name: "on", default: true },
    ];
    const { out } = await run(body(`return { metrics: { k: params.k, on: params.on ? 1 : 0, len: params.label.length, stale: params.old === undefined ? 1 : 0 } };`), { a: people }, { parameters, values: { label: "abcd", old: 5 } });
    expect(out.metrics!.values).toEqual({ k: 2, on: 1, len: 4, stale: 1 });
  });

  it("migrates version-1 params: fixed ports a, b → table, metrics; values become declared parameters", () => {
    const v2 = codeNode.migrate![1]!({ code: "x", ports: { inputs: [], outputs: [] }, values: { threshold: 0.5, name: "n", on: false } });
    const p = codeNode.params.parse(v2);
    expect(p.inputs.map((i) => `${i.name}:${i.type}:${i.optional}`)).toEqual(["a:table:true", "b:table:true"]);
    expect(p.outputs.map((o) => `${o.name}:${o.type}:${o.optional}`)).toEqual(["table:table:true", "metrics:metrics:true"]);
    expect(p.parameters).toEqual([
      { type: "number", name: "threshold", label: "", default: 0.5 },
      { type: "string", name: "name", label: "", default: "n" },
      { type: "boolean", name: "on", label: "", default: false },
    ]);
    expect("ports" in v2).toBe(false);
  });

  it("toMetrics accepts { name: number } and { values, details }", () => {
    expect(toMetrics({ a: 1, b: null })).toEqual({ values: { a: 1, b: null } });
    expect(toMetrics({ values: { a: 1 }, details: { cm: [[1]] } })).toEqual({ values: { a: 1 }, details: { cm: [[1]] } });
    expect(() => toMetrics({ a: "x" })).toThrow(/must be a number/);
  });
});
