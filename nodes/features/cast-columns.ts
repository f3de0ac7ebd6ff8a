/**
 * Cast columns: change the type of columns (text ⇄ number, whole number, yes/no). Text that does not convert
 * stops the run with the row and value, or becomes missing, as the user chooses.
 */
import { Bool, Float64, Int32, Utf8, vectorFromArray, type DataType, type Vector } from "apache-arrow";
import { z } from "zod";
import { dtypeOf, tableInfo } from "../core/arrow";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { p } from "../core/params";
import { port } from "../core/ports";
import type { DType } from "../core/schema";
import { pickColumns, replaceColumns, replaceInfo } from "./feature-columns";

const TITLE = "Cast columns";
const TYPE_TITLE = { float: "number", int: "whole number", string: "text", bool: "yes/no" } as const;

const params = z.object({
  columns: p.columns({ port: "table", title: "Columns", description: "Columns to convert." }),
  to: z.enum(["float", "int", "string", "bool"]).default("float").meta({
    title: "Convert to",
    description: "float: a number; int: a whole number (rounded to the nearest); string: text; bool: yes/no (true/false, yes/no, 1/0).",
  }),
  invalid: z.enum(["error", "missing"]).default("error").meta({
    title: "If a value does not convert",
    description: "Error: stop and show the value. Missing: leave that cell empty.",
  }),
});
type Params = z.output<typeof params>;

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const TRUE = new Set(["true", "yes", "y", "1", "t"]);
const FALSE = new Set(["false", "no", "n", "0", "f"]);

type Cell = number | string | boolean | null;

function convert(v: unknown, to: Params["to"]): Cell | undefined {
  if (v === null || v === undefined) return null;
  const x = typeof v === "bigint" ? Number(v) : v;
  if (to === "string") return String(x);
  if (to === "bool") {
    if (typeof x === "boolean") return x;
    if (typeof x === "number") return Number.isNaN(x) ? null : x !== 0;
    const s = String(x).trim().toLowerCase();
    if (s === "") return null;
    return TRUE.has(s) ? true : FALSE.has(s) ? false : undefined;
  }
  let n: number;
  if (typeof x === "number") n = x;
  else if (typeof x === "boolean") n = x ? 1 : 0;
  else {
    const s = String(x).trim();
    if (s === "") return null;
    if (!NUMBER.test(s)) return undefined;
    n = Number(s);
  }
  if (Number.isNaN(n)) return null;
  if (to === "float") return n;
  const r = Math.round(n);
  return r >= -2147483648 && r <= 2147483647 ? r : undefined;
}

const ARROW: Record<Params["to"], () => DataType> = { float: () => new Float64(), int: () => new Int32(), string: () => new Utf8(), bool: () => new Bool() };

export default defineNode({
  kind: "features/cast-columns",
  version: 1,
  title: TITLE,
  category: "Features",
  description:
    "Changes what kind of values columns hold: text to numbers (e.g. \"42\" → 42), numbers to text (e.g. zip codes), whole numbers, or yes/no. If some value cannot be converted, the run stops and shows it, or the cell is left empty, as you choose.",
  inputs: { table: port.table({ label: "Table" }) },
  outputs: { table: port.table({ label: "Table" }) },
  params,
  infer: ({ inputs, params: prm }) => {
    const t = inputs.table?.table;
    if (!t) return { table: undefined };
    const dtype: DType = prm.to;
    return { table: { table: replaceInfo(t, new Map(prm.columns.filter((n) => t.columns.some((c) => c.name === n)).map((n) => [n, [{ name: n, dtype }]]))) } };
  },
  resources: { heavy: true },
  async run({ inputs, params: prm, ctx }) {
    if (!prm.columns.length) fail("no_columns", "Pick the columns to convert in \"Columns\".", "columns");
    const names = pickColumns(tableInfo(inputs.table), prm.columns, {
      setting: "columns",
      title: "Columns",
      node: TITLE,
      suitable: (c) => c.dtype !== "unknown",
      needs: "text, numbers, dates or yes/no values",
      hint: "Remove it from \"Columns\".",
    });
    const replace = new Map<string, Array<[string, Vector]>>();
    for (let k = 0; k < names.length; k++) {
      const name = names[k]!;
      const src = inputs.table.getChild(name)!;
      const from = dtypeOf(src.type);
      if ((from === "date" || from === "timestamp") && prm.to !== "string")
        fail("unsupported_cast", `Column "${name}" holds dates; they can be converted to text only. Use a SQL expression (e.g. year(${name})) to get numbers from dates.`, "columns");
      const out: Cell[] = new Array(src.length);
      let i = 0;
      for (const v of src) {
        if ((i & 8191) === 0) ctx.signal.throwIfAborted();
        const c = convert(v !== null && v !== undefined && (from === "date" || from === "timestamp") ? new Date(Number(v)).toISOString() : v, prm.to);
        if (c === undefined) {
          if (prm.invalid === "error")
            fail(
              "invalid_value",
              `Column "${name}" has the value "${String(v)}" in row ${i + 1}, which is not a ${TYPE_TITLE[prm.to]}${prm.to === "int" ? " in range" : ""}. Fix the data, or set "If a value does not convert" to Missing.`,
              "columns",
            );
          out[i++] = null;
        } else out[i++] = c;
      }
      replace.set(name, [[name, vectorFromArray(out, ARROW[prm.to]())]]);
      ctx.progress((k + 1) / names.length);
    }
    return { table: replaceColumns(inputs.table, replace) };
  },
});
