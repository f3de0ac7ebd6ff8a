/**
 * Schema drift: compare a table with a reference table (e.g. this month's data with the training data): columns
 * that went missing or appeared, columns whose type changed, and per column how far the distribution moved (PSI for
 * numbers, category shares for the rest; see drift-stats.ts). The table passes through unchanged.
 */
import type { Table } from "apache-arrow";
import { z } from "zod";
import { dtypeOf, stringColumn } from "../core/arrow";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { p } from "../core/params";
import { port } from "../core/ports";
import type { DType } from "../core/schema";
import type { ChartValue } from "../core/values";
import { categoryDrift, numericDrift } from "./drift-stats";

const params = z.object({
  columns: p.columns({ port: "table", title: "Columns to compare", description: "Leave empty to compare every column the two tables share." }),
  bins: z.number().int().min(2).max(100).default(10).meta({ title: "Bins for numbers", description: "Number columns are cut into this many equal-sized groups of the reference rows." }),
  moderateAt: z.number().min(0).default(0.1).meta({ title: "Moderate shift at PSI", description: "PSI from this value up is reported as a moderate shift (0.1 is the usual choice)." }),
  driftAt: z.number().min(0).default(0.25).meta({ title: "Drift at PSI", description: "PSI from this value up counts as drift (0.25 is the usual choice)." }),
  shareChangeAt: z
    .number()
    .min(0)
    .max(1)
    .default(0.1)
    .meta({ title: "Drift at category share change", description: "A text column also counts as drifted when any value's share of rows changes by this much (0.1 = 10 percentage points)." }),
  onDrift: z
    .enum(["warn", "fail"])
    .default("warn")
    .meta({ title: "When drift is found", description: "warn: go on and report it. fail: stop the run. Missing columns and type changes count as drift." }),
});

type Status = "ok" | "moderate" | "drift";
const NUMERIC: ReadonlySet<DType> = new Set<DType>(["float", "int", "date", "timestamp"]);

/** Numbers, dates and timestamps as Float64 (dates/timestamps in ms); missing → NaN. */
function numbers(t: Table, name: string): Float64Array {
  const v = t.getChild(name)!;
  const out = new Float64Array(v.length);
  let i = 0;
  for (const x of v) out[i++] = x === null || x === undefined ? NaN : x instanceof Date ? x.getTime() : Number(x);
  return out;
}

function dtypes(t: Table): Map<string, DType> {
  return new Map(t.schema.fields.map((f) => [f.name, dtypeOf(f.type)]));
}

export default defineNode({
  kind: "validation/schema-drift",
  version: 1,
  title: "Compare with reference (drift)",
  category: "Validation",
  description:
    "Compares a table with a reference table, for example new data with the data a model was trained on. It lists columns that are missing, new or changed type, and shows for each column how much its values have shifted, so you notice when a model is being fed data unlike what it learned from.",
  inputs: { table: port.table({ label: "Table" }), reference: port.table({ label: "Reference table" }) },
  outputs: { table: port.table({ label: "Table (unchanged)" }), report: port.report({ label: "Drift report" }), chart: port.chart({ label: "Shift per column" }), gate: port.report({ label: "Passed?", description: "{ passed, failed, total, checks: [{ metric, value, threshold, passed, message }] }" }) },
  params,
  infer: ({ inputs, params: prm }) => {
    if (prm.moderateAt > prm.driftAt)
      fail("bad_thresholds", `"Moderate shift at PSI" (${prm.moderateAt}) must not be above "Drift at PSI" (${prm.driftAt}).`, "moderateAt");
    return { table: inputs.table };
  },
  async run({ inputs, params: prm, ctx }) {
    if (prm.moderateAt > prm.driftAt)
      fail("bad_thresholds", `"Moderate shift at PSI" (${prm.moderateAt}) must not be above "Drift at PSI" (${prm.driftAt}).`, "moderateAt");
    const { table, reference } = inputs;
    if (reference.numRows === 0) fail("empty_reference", "The reference table has no rows, so there is nothing to compare with. Connect a reference table with data.", "reference");
    if (table.numRows === 0) fail("empty_table", "The table has no rows, so its distribution cannot be compared. Check the filters upstream.", "table");
    const cur = dtypes(table);
    const ref = dtypes(reference);
    const missing = [...ref.keys()].filter((c) => !cur.has(c));
    const extra = [...cur.keys()].filter((c) => !ref.has(c));
    for (const c of prm.columns)
      if (!cur.has(c) || !ref.has(c))
        fail("unknown_column", `Column "${c}" (setting "Columns to compare") is not in ${cur.has(c) ? "the reference table" : "the table"}. Choose columns both tables have.`, "columns");
    const compared = prm.columns.length ? prm.columns : [...ref.keys()].filter((c) => cur.has(c));
    const typeChanges = compared.filter((c) => ref.get(c) !== cur.get(c)).map((c) => ({ column: c, reference: ref.get(c)!, current: cur.get(c)! }));

    const columns = [];
    for (const [k, name] of compared.entries()) {
      ctx.signal.throwIfAborted();
      ctx.progress((0.9 * k) / compared.length, `Comparing ${name}`);
      const numeric = NUMERIC.has(ref.get(name)!) && NUMERIC.has(cur.get(name)!);
      if (numeric) {
        const d = numericDrift(numbers(reference, name), numbers(table, name), prm.bins);
        const status: Status = d.psi >= prm.driftAt ? "drift" : d.psi >= prm.moderateAt ? "moderate" : "ok";
        columns.push({ column: name, kind: "numeric" as const, status, psi: d.psi, details: d });
      } else {
        const d = categoryDrift(stringColumn(reference, name), stringColumn(table, name));
        const status: Status = d.psi >= prm.driftAt || d.maxShareChange >= prm.shareChangeAt ? "drift" : d.psi >= prm.moderateAt ? "moderate" : "ok";
        columns.push({ column: name, kind: "categorical" as const, status, psi: d.psi, details: d });
      }
    }
    const drifted = columns.filter((c) => c.status === "drift").map((c) => c.column);
    const passed = missing.length === 0 && typeChanges.length === 0 && drifted.length === 0;
    const report = {
      passed,
      rows: { reference: reference.numRows, current: table.numRows },
      missingColumns: missing,
      extraColumns: extra,
      typeChanges,
      driftedColumns: drifted,
      thresholds: { moderateAt: prm.moderateAt, driftAt: prm.driftAt, shareChangeAt: prm.shareChangeAt },
      columns: [...columns].sort((a, b) => b.psi - a.psi),
    };
    const sorted = report.columns;
    const chart: ChartValue = {
      kind: "bar",
      title: "Distribution shift per column (PSI)",
      xLabel: "column",
      yLabel: "PSI",
      categories: sorted.map((c) => c.column),
      series: [
        { name: "PSI", x: sorted.map((_, i) => i), y: sorted.map((c) => c.psi) },
        { name: "drift threshold", x: sorted.map((_, i) => i), y: sorted.map(() => prm.driftAt) },
      ],
    };
    // Same shape as the fairness gate (nodes/fairness/fairness-metrics.ts): `passed` plus one entry per check.
    const gate = {
      passed,
      failed: missing.length + typeChanges.length + drifted.length,
      total: ref.size,
      checks: [
        ...missing.map((c) => ({ metric: `column ${c}`, value: null, passed: false, message: `Column "${c}" is missing.` })),
        ...typeChanges.map((t) => ({ metric: `type of ${t.column}`, value: null, passed: false, message: `Column "${t.column}" changed type from ${t.reference} to ${t.current}.` })),
        ...sorted.map((c) => ({ metric: `psi ${c.column}`, value: c.psi, threshold: prm.driftAt, passed: c.status !== "drift", message: `"${c.column}": PSI ${c.psi.toFixed(3)} (${c.status}).` })),
      ],
    };
    for (const c of sorted) ctx.metric(`psi.${c.column}`, c.psi);
    ctx.metric("drifted_columns", drifted.length);

    const problems = [
      missing.length ? `missing columns: ${missing.join(", ")}` : "",
      typeChanges.length ? `type changes: ${typeChanges.map((t) => `${t.column} ${t.reference}→${t.current}`).join(", ")}` : "",
      drifted.length ? `drifted: ${drifted.map((c) => `${c} (PSI ${sorted.find((s) => s.column === c)!.psi.toFixed(3)})`).join(", ")}` : "",
    ].filter(Boolean);
    if (problems.length) {
      const msg = `The table differs from the reference: ${problems.join("; ")}.`;
      if (prm.onDrift === "fail") fail("drift_detected", `${msg} Check where the new data comes from, or set "When drift is found" to warn to go on.`, "onDrift");
      ctx.log(msg, "warn");
    } else ctx.log(`No drift: ${compared.length} columns compared.`);
    if (extra.length) ctx.log(`Columns not in the reference (not compared): ${extra.join(", ")}.`);
    ctx.progress(1);
    return { table, report, chart, gate };
  },
  resources: { heavy: true },
});
