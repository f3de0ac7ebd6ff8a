/**
 * Issue #6 benchmark: a pass-through code node on a 100k-row × 20-column table against the same logic as a
 * built-in node (a plain function), measured in one run. Columns enter the sandbox only when the code reads
 * them, so two more rows show the cost when it does: reading all 20 columns (the data movement), and summing
 * them in a per-element JS loop (QuickJS interprets it: the price of an interpreter, see quickjs-module.ts).
 */
import { Float64, Table, Utf8, makeVector, vectorFromArray, type Vector } from "apache-arrow";
import { z } from "zod";
import codeNode from "../../nodes/code/code-node";
import { defineNode } from "../../nodes/core/define-node";
import { port } from "../../nodes/core/ports";
import { closeTestRuntime, makeContext } from "../helpers/node-context";
import { median, type BenchResult } from "./stats";

/** rows × cols: 18 float64 columns and 2 string columns. */
export function wideTable(rows = 100_000, cols = 20): Table {
  const vectors: Record<string, Vector> = {};
  for (let c = 0; c < cols; c++) {
    if (c % 10 === 9) vectors[`s${c}`] = vectorFromArray(Array.from({ length: rows }, (_, i) => `v${i % 97}`), new Utf8());
    else {
      const a = new Float64Array(rows);
      for (let i = 0; i < rows; i++) a[i] = (i * 31 + c) % 1000;
      vectors[`x${c}`] = makeVector(a);
    }
  }
  return new Table(vectors);
}

const builtinPassThrough = defineNode({
  kind: "bench/pass-through",
  version: 1,
  title: "Pass-through",
  category: "Code",
  description: "Returns its input.",
  inputs: { a: port.table() },
  outputs: { table: port.table() },
  params: z.object({}),
  async run({ inputs }) {
    return { table: inputs.a };
  },
});

const builtinSumAll = defineNode({
  kind: "bench/sum-all",
  version: 1,
  title: "Sum all",
  category: "Code",
  description: "Sums every numeric column, returns the input.",
  inputs: { a: port.table() },
  outputs: { table: port.table(), metrics: port.metrics() },
  params: z.object({}),
  async run({ inputs }) {
    let s = 0;
    for (const f of inputs.a.schema.fields) {
      if (f.type instanceof Float64) for (const d of inputs.a.getChild(f.name)!.data) for (const x of d.values as Float64Array) s += x;
      else s += inputs.a.getChild(f.name)!.length;
    }
    return { table: inputs.a, metrics: { values: { s } } };
  },
});

const PASS = `export default async function run({ inputs }) { return { table: inputs.a }; }`;
const READ_ALL = `export default async function run({ inputs }) {
  const t = inputs.a; let n = 0;
  for (const name of t.columnNames) n += t.column(name).length;
  return { table: t, metrics: { n } };
}`;
const SUM_ALL = `export default async function run({ inputs }) {
  const t = inputs.a; let s = 0;
  for (const name of t.columnNames) {
    const v = t.column(name);
    if (typeof v[0] === "number") for (let i = 0; i < v.length; i++) s += v[i]; else s += v.length;
  }
  return { table: t, metrics: { s } };
}`;

export async function benchCodeNode(): Promise<BenchResult[]> {
  const table = wideTable();
  const ctx = makeContext({ nodeId: "bench" });
  const codeParams = (code: string) => codeNode.params.parse({ code });
  const time = async (fn: () => Promise<unknown>) => {
    const t = performance.now();
    await fn();
    return performance.now() - t;
  };
  const pair = async (builtin: () => Promise<unknown>, code: () => Promise<unknown>, n: number) => {
    for (let i = 0; i < 2; i++) (await builtin(), await code());
    const b: number[] = [];
    const c: number[] = [];
    for (let i = 0; i < n; i++) {
      b.push(await time(builtin));
      c.push(await time(code));
    }
    return { builtin: median(b), code: median(c) };
  };
  try {
    const pass = await pair(
      () => builtinPassThrough.run({ inputs: { a: table }, params: {}, ctx }),
      () => codeNode.run({ inputs: { a: table, b: undefined }, params: codeParams(PASS), ctx }),
      15,
    );
    const read = await pair(
      () => builtinPassThrough.run({ inputs: { a: table }, params: {}, ctx }),
      () => codeNode.run({ inputs: { a: table, b: undefined }, params: codeParams(READ_ALL), ctx }),
      9,
    );
    const sum = await pair(
      () => builtinSumAll.run({ inputs: { a: table }, params: {}, ctx }),
      () => codeNode.run({ inputs: { a: table, b: undefined }, params: codeParams(SUM_ALL), ctx }),
      5,
    );
    const extra = pass.code - pass.builtin;
    return [
      {
        name: "code node pass-through, 100k × 20 table: overhead vs built-in",
        value: extra,
        unit: "ms",
        target: "≤ 50 ms",
        ok: extra <= 50,
        baseline: `built-in node ${pass.builtin.toFixed(3)} ms, code node ${pass.code.toFixed(1)} ms`,
      },
      {
        name: "code node reading all 20 columns into the sandbox, then passing the table through: overhead vs built-in",
        value: read.code - read.builtin,
        unit: "ms",
        baseline: `built-in node ${read.builtin.toFixed(3)} ms, code node ${read.code.toFixed(1)} ms (Arrow IPC bytes copied in, strings decoded)`,
      },
      {
        name: "code node summing all 20 columns in a JS loop, 100k rows: overhead vs built-in",
        value: sum.code - sum.builtin,
        unit: "ms",
        baseline: `built-in node ${sum.builtin.toFixed(1)} ms, code node ${sum.code.toFixed(1)} ms (user loop interpreted by QuickJS)`,
      },
    ];
  } finally {
    await closeTestRuntime();
  }
}
