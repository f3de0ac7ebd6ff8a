/**
 * Expectations: check a table against a list of rules (column exists, type, filled in, range, allowed values,
 * unique, pattern, row count) and decide what a failure does: stop the run, warn, or route the rows that break a
 * rule to the `failing` output. Rule semantics are in expectation-checks.ts.
 *
 * Outputs: `passed` (rows that pass; in "warn" mode every row), `failing` (rows that break a failed row-level
 * rule, with a `_failed_checks` column naming the rules), a report (per rule: passed, failing count, what was
 * found, up to N example rows), a chart of failing rows per rule, and a `gate` report `{ passed, failed, total }`.
 */
import { Table, Utf8, vectorFromArray, type DataType } from "apache-arrow";
import { z } from "zod";
import { gatherRows } from "../core/arrow";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { port } from "../core/ports";
import type { TableInfo } from "../core/schema";
import type { ChartValue } from "../core/values";
import { checkSettings, describeExpectation, expectationSchema, runCheck, type CheckResult } from "./expectation-checks";

/** Column added to the `failing` rows: which rules each row breaks. */
export const FAILED_CHECKS_COLUMN = "_failed_checks";
/** Example rows show at most this many columns, so a wide table does not bloat the report. */
const EXAMPLE_COLUMNS = 20;

const params = z.object({
  expectations: z
    .array(expectationSchema)
    .default([])
    .meta({ title: "Expectations", itemLabel: "rule", description: "The rules the table must meet. Each one is checked separately and reported." }),
  onFailure: z
    .enum(["fail", "warn", "route"])
    .default("fail")
    .meta({
      title: "When a rule fails",
      description:
        "fail: stop the run with a message. warn: go on with every row and show warnings. route: go on with the rows that pass; the rows that break a rule go to the \"failing\" output.",
    }),
  exampleRows: z.number().int().min(0).max(50).default(5).meta({ title: "Example rows per rule", description: "How many breaking rows the report shows for each rule." }),
});

/** A JSON-safe copy of one row (first EXAMPLE_COLUMNS columns) with its row number. */
function exampleRow(table: Table, row: number): Record<string, unknown> {
  const out: Record<string, unknown> = { _row: row };
  for (const f of table.schema.fields.slice(0, EXAMPLE_COLUMNS)) {
    const v = table.getChild(f.name)!.get(row);
    out[f.name] = typeof v === "bigint" ? Number(v) : v instanceof Date ? v.toISOString() : typeof v === "number" && !Number.isFinite(v) ? String(v) : v ?? null;
  }
  return out;
}

function failingInfo(t: TableInfo): TableInfo {
  return { columns: [...t.columns.filter((c) => c.name !== FAILED_CHECKS_COLUMN), { name: FAILED_CHECKS_COLUMN, dtype: "string" }] };
}

function withFailedChecks(rows: Table, labels: string[]): Table {
  const base = rows.getChild(FAILED_CHECKS_COLUMN) ? rows.select(rows.schema.fields.map((f) => f.name).filter((n) => n !== FAILED_CHECKS_COLUMN)) : rows;
  return base.assign(new Table({ [FAILED_CHECKS_COLUMN]: vectorFromArray(labels, new Utf8() as DataType) }));
}

export default defineNode({
  kind: "validation/expectations",
  version: 1,
  title: "Check data (expectations)",
  category: "Validation",
  description:
    "Checks the table against rules you set, such as \"age is between 0 and 120\", \"email is always filled in\" or \"there are at least 1,000 rows\". A report shows which rules fail, how many rows break each one, and examples. You choose whether a failure stops the run, only warns, or sends the bad rows to a separate output.",
  inputs: { table: port.table({ label: "Table" }) },
  outputs: {
    passed: port.table({ label: "Rows that pass" }),
    failing: port.table({ label: "Rows that fail" }),
    report: port.report({ label: "Report" }),
    chart: port.chart({ label: "Failing rows per rule" }),
    gate: port.report({ label: "Passed?", description: "{ passed, failed, total, checks: [{ metric, value, passed, message }] }" }),
  },
  params,
  infer: ({ inputs, params: prm }) => {
    checkSettings(prm.expectations);
    const t = inputs.table?.table;
    if (!t) return { passed: undefined, failing: undefined };
    return { passed: { table: { columns: t.columns } }, failing: { table: failingInfo(t) } };
  },
  async run({ inputs, params: prm, ctx }) {
    checkSettings(prm.expectations);
    const table = inputs.table;
    const n = table.numRows;
    if (!prm.expectations.length) ctx.log('No expectations are set, so nothing is checked. Add rules in the "Expectations" setting.', "warn");

    const results: Array<CheckResult & { name: string }> = [];
    for (const [k, e] of prm.expectations.entries()) {
      ctx.signal.throwIfAborted();
      ctx.progress((0.8 * k) / prm.expectations.length, `Checking ${describeExpectation(e)}`);
      results.push({ ...runCheck(table, e), name: describeExpectation(e) });
    }
    ctx.signal.throwIfAborted();

    // Rows that break a failed row-level rule, and which rules they break.
    const labels: Array<string[] | undefined> = new Array(n);
    results.forEach((r, k) => {
      if (r.passed || !r.mask) return;
      for (let i = 0; i < n; i++) if (r.mask[i]) (labels[i] ??= []).push(`#${k + 1} ${r.name}`);
    });
    const failingIdx: number[] = [];
    const passingIdx: number[] = [];
    for (let i = 0; i < n; i++) (labels[i] ? failingIdx : passingIdx).push(i);

    const failedRules = results.filter((r) => !r.passed);
    const report = {
      passed: failedRules.length === 0,
      rows: n,
      failingRows: failingIdx.length,
      onFailure: prm.onFailure,
      expectations: results.map((r, k) => {
        const examples: Array<Record<string, unknown>> = [];
        if (r.mask && !r.passed) for (let i = 0; i < n && examples.length < prm.exampleRows; i++) if (r.mask[i]) examples.push(exampleRow(table, i));
        return { index: k + 1, type: prm.expectations[k]!.type, expectation: r.name, passed: r.passed, failingCount: r.failingCount, observed: r.observed, examples };
      }),
    };
    // Same shape as the fairness gate (nodes/fairness/fairness-metrics.ts): `passed` plus one entry per check.
    const gate = {
      passed: report.passed,
      failed: failedRules.length,
      total: results.length,
      checks: results.map((r) => ({ metric: r.name, value: r.failingCount, passed: r.passed, message: `${r.name}: ${r.observed}` })),
    };
    const chart: ChartValue = {
      kind: "bar",
      title: "Failing rows per expectation",
      xLabel: "expectation",
      yLabel: "failing rows",
      categories: results.map((r, k) => `#${k + 1} ${r.name}`),
      series: [{ name: "failing rows", x: results.map((_, k) => k), y: results.map((r) => r.failingCount) }],
    };
    ctx.metric("failed_expectations", failedRules.length);
    ctx.metric("failing_rows", failingIdx.length);

    if (failedRules.length) {
      const lines = failedRules.slice(0, 5).map((r) => `${r.name}: ${r.observed}`);
      const more = failedRules.length > 5 ? `; and ${failedRules.length - 5} more` : "";
      if (prm.onFailure === "fail")
        fail(
          "expectations_failed",
          `${failedRules.length} of ${results.length} expectations failed: ${lines.join("; ")}${more}. Fix the data upstream, or set "When a rule fails" to warn or route to go on anyway.`,
          "expectations",
        );
      for (const r of failedRules) ctx.log(`Expectation failed: ${r.name} (${r.observed}).`, "warn");
      if (prm.onFailure === "route" && failedRules.some((r) => !r.mask))
        ctx.log("Rules about the whole table (column exists, type, row count) cannot send rows to \"failing\"; they are reported only.", "warn");
    }

    ctx.progress(0.9, "Splitting rows");
    const failingRows = failingIdx.length ? gatherRows(table, failingIdx) : table.slice(0, 0);
    const failing = withFailedChecks(failingRows, failingIdx.map((i) => labels[i]!.join("; ")));
    const passed = prm.onFailure === "route" && failingIdx.length ? gatherRows(table, passingIdx) : table;
    ctx.log(`${results.length - failedRules.length} of ${results.length} expectations passed; ${failingIdx.length} of ${n} rows break a failed rule.`);
    ctx.progress(1);
    return { passed, failing, report, chart, gate };
  },
  resources: { heavy: true },
});
