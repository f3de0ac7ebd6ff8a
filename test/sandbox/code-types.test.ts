/**
 * The code node's editor types and server-side type check (issue #6): declarations from declared ports,
 * params and the schemas reaching the inputs; type errors at the user's own line; the helper API's
 * declarations matching what the sandbox really offers; snippets that type-check; analysis refusing a run.
 */
import { afterAll, describe, expect, it } from "vitest";
import codeNode, { DEFAULT_CODE } from "../../nodes/code/code-node";
import { API_DTS, nodeDts } from "../../nodes/code/code-types";
import { DEFAULT_INPUTS, DEFAULT_OUTPUTS } from "../../nodes/code/declarations";
import { SNIPPETS, snippetText } from "../../nodes/code/snippets";
import type { NodeRuntime } from "../../nodes/core/context";
import type { AnyNodeDefinition } from "../../nodes/core/define-node";
import { createRegistry } from "../../nodes/core/registry";
import type { PortInfo } from "../../nodes/core/schema";
import { createAnalyzer } from "../../server/engine/analyze";
import { typecheckCode } from "../../server/engine/sandbox/typecheck";
import { typecheckCodeNode } from "../../server/engine/sandbox/typecheck-service";
import { closeTestRuntime, makeContext } from "../helpers/node-context";

afterAll(closeTestRuntime);

const people: PortInfo = { table: { columns: [{ name: "age", dtype: "float" }, { name: "city", dtype: "string" }, { name: "capital-gain", dtype: "int" }, { name: "ok", dtype: "bool", role: "label" }] } };
const dts = (infos: Record<string, PortInfo | undefined> = { a: people }, parameters = [] as Parameters<typeof nodeDts>[0]["parameters"]) =>
  nodeDts({ inputs: DEFAULT_INPUTS, outputs: DEFAULT_OUTPUTS, parameters, infos });
const fn = (body: string) => `export default async function run({ inputs, params, ctx }: RunArgs): Promise<Outputs> {\n${body}\n}\n`;

describe("code node types", () => {
  it("declares a row interface per table input from the columns reaching it", () => {
    const d = dts({ a: people, b: undefined }, [{ type: "number", name: "k", label: "Factor", default: 2 }, { type: "column", name: "col", label: "", port: "a" }]);
    expect(d).toContain('interface ARow {\n  /** float */\n  age: number | null;');
    expect(d).toContain('"capital-gain": number | null;');
    expect(d).toContain("ok: boolean | null;");
    expect(d).toContain("type BRow = AnyRow;");
    expect(d).toContain("readonly a: Table<ARow> | undefined;");
    expect(d).toMatch(/readonly k: number;[\s\S]*readonly col: string;/);
    expect(d).toMatch(/interface Outputs \{[\s\S]*table\?: Table<any>;[\s\S]*metrics\?: MetricsOutput;/);
  });

  it("the default code and unannotated version-1 code type-check", () => {
    expect(typecheckCode(DEFAULT_CODE, dts())).toEqual([]);
    expect(typecheckCode(`export default async function run({ inputs }) {\n  return { table: inputs.a.filter((r) => r.x > 1) };\n}`, dts())).toEqual([]);
  });

  it("reports type errors at the user's line, with columns, params and the helper API typed", () => {
    const code = fn(
      [
        "  const t = inputs.a!;",
        '  const city: number = t.row(0).city;', // line 3: string | null → number
        '  t.column("nope");', // line 4: no such column
        '  ctx.progress("half");', // line 5: fraction is a number
        '  const g = t.groupBy("city").agg({ n: "count", avg: ["age", "mean"] });',
        "  const avg: number = g.row(0).avg;", // line 7: mean may be null
        "  return { table: g, metrics: { rows: t.numRows } };",
      ].join("\n"),
    );
    const problems = typecheckCode(code, dts());
    expect(problems.map((p) => p.line)).toEqual([3, 4, 5, 7]);
    expect(problems[0]!.message).toMatch(/Type 'string \| null' is not assignable to type 'number'/);
    expect(problems[1]!.message).toMatch(/"nope"/);
    expect(problems[1]!.message).toContain('"capital-gain"');
  });

  it("has no DOM or Node globals: the sandbox has none", () => {
    const problems = typecheckCode(fn('  fetch("x"); setTimeout(() => {}, 1); process.exit(1);\n  return {};'), dts());
    expect(problems.map((p) => p.message)).toEqual([expect.stringContaining("'fetch'"), expect.stringContaining("'setTimeout'"), expect.stringContaining("'process'")]);
  });

  it("every snippet type-checks once its placeholders name real columns", () => {
    const cols: PortInfo = { table: { columns: [{ name: "column", dtype: "float" }, { name: "group", dtype: "string" }] } };
    for (const s of SNIPPETS) {
      const problems = typecheckCode(fn(`${snippetText(s.body)}\n  return {};`), dts({ a: cols }));
      expect({ snippet: s.id, problems }).toEqual({ snippet: s.id, problems: [] });
    }
  });

  it("declares exactly the Table methods the sandbox's Table has", async () => {
    const declared = [...(/interface Table<R extends object = AnyRow> \{([\s\S]*?)\n\}/.exec(API_DTS)![1]!.matchAll(/^ {2}(?:readonly )?([a-zA-Z]+)[(<:]/gm))].map((m) => m[1]!);
    const params = codeNode.params.parse({
      code: `export default async function run() { const t = table({ x: [1] }); const p = Object.getPrototypeOf(t); return { names: Object.getOwnPropertyNames(p).filter((n) => n !== "constructor").join(",") }; }`,
      inputs: [],
      outputs: [{ name: "names", type: "scalar" }],
    });
    const out = (await codeNode.run({ inputs: {} as never, params, ctx: makeContext() })) as { names: string };
    expect([...new Set(declared)].sort()).toEqual(out.names.split(",").sort());
  });

  it("analysis reports type errors on the node and refuses the run", async () => {
    const registry = createRegistry([codeNode] as unknown as AnyNodeDefinition[]);
    const analyzer = createAnalyzer(registry, {} as NodeRuntime);
    const node = (code: string) => ({ formatVersion: 1 as const, name: "t", nodes: [{ id: "c", kind: "code/typescript", version: 2, label: "My code", params: { code }, position: { x: 0, y: 0 } }], edges: [] });
    const bad = await analyzer.analyze(node(fn('  const n: number = "two";\n  const s: string = 3;\n  return {};')));
    expect(bad.ok).toBe(false);
    expect(bad.issues).toEqual([
      expect.objectContaining({ code: "code_type_error", nodeId: "c", field: "code", message: `"My code": Type error at line 2: Type 'string' is not assignable to type 'number'.` }),
      expect.objectContaining({ code: "code_type_error", message: expect.stringContaining("line 3") }),
    ]);
    const good = await analyzer.analyze(node(DEFAULT_CODE));
    expect(good.ok).toBe(true);
    expect(good.issues).toEqual([]);
  });
});

describe("server-side type check service", () => {
  it("checks on its own thread: the event loop keeps running while the compiler works", async () => {
    // Code never checked before in this process (no memo hit): the compiler has work to do.
    const code = fn(`  const unique${Date.now()}: number = "text";\n  return {};`);
    const order: string[] = [];
    const timer = new Promise<void>((r) => setTimeout(() => (order.push("timer"), r()), 1));
    const problems = typecheckCodeNode({ code, inputs: DEFAULT_INPUTS, outputs: DEFAULT_OUTPUTS, parameters: [], infos: { a: people } }).then((p) => (order.push("check"), p));
    await Promise.all([timer, problems]);
    // On the calling thread the check would finish (synchronously) before a 1 ms timer could fire.
    expect(order).toEqual(["timer", "check"]);
    expect(await problems).toEqual([expect.objectContaining({ line: 2, code: 2322, message: expect.stringMatching(/not assignable to type 'number'/) })]);
    // The same code and declarations again: the remembered answer.
    const again = typecheckCodeNode({ code, inputs: DEFAULT_INPUTS, outputs: DEFAULT_OUTPUTS, parameters: [], infos: { a: people } });
    expect(await again).toEqual(await problems);
  }, 60_000);
});

