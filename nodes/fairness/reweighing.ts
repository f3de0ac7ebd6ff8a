/**
 * Reweighing (Kamiran & Calders 2012, "Data preprocessing techniques for classification without
 * discrimination"): a `weight` column that makes the label independent of the sensitive group in the weighted
 * training data, for trainers that honour row weights.
 */
import { Float64, Table, Utf8, vectorFromArray } from "apache-arrow";
import { z } from "zod";
import { stringColumn, tableInfo, withRoles } from "../core/arrow";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { p } from "../core/params";
import { port } from "../core/ports";
import type { ChartValue } from "../core/values";
import { compare, resolveLabel } from "../training/columns";
import { reweighingWeights } from "./group-rates";
import { sensitiveGroups } from "./outcomes";

/** More label values than this is almost surely a numeric target picked by mistake. */
const MAX_CLASSES = 50;

const params = z.object({
  sensitive: p.column({ port: "data", title: "Sensitive column", description: "The column whose groups should be treated alike (e.g. sex). Empty: the column with the sensitive role." }),
  label: p.column({ port: "data", title: "Label", description: "The column the model will learn to predict. Empty: the column with the label role." }),
  weightColumn: z.string().min(1).default("weight").meta({ title: "Weight column name", description: "Name of the new column holding each row's weight." }),
});

export default defineNode({
  kind: "fairness/reweighing",
  version: 1,
  title: "Reweighing",
  category: "Fairness",
  description:
    "Reduces bias before training by giving each row a weight (Kamiran & Calders' reweighing). Combinations of group and outcome that are rarer than they would be if group and outcome were unrelated (for example women with high income) get weights above 1, over-represented ones get weights below 1. Connect the output to a trainer that uses row weights; use it on training data only.",
  inputs: { data: port.table({ label: "Training data" }) },
  outputs: {
    data: port.table({ label: "Weighted data" }),
    weights: port.table({ label: "Weights per group and label" }),
    chart: port.chart({ label: "Weights chart" }),
  },
  params,
  infer: ({ inputs, params }) => {
    const t = inputs.data?.table;
    return {
      data: t ? { table: { columns: [...t.columns.filter((c) => c.name !== params.weightColumn), { name: params.weightColumn, dtype: "float", role: "weight" }] } } : undefined,
      weights: { table: { columns: [{ name: "group", dtype: "string" }, { name: "label", dtype: "string" }, { name: "count", dtype: "float" }, { name: "weight", dtype: "float" }] } },
      chart: {},
    };
  },
  async run({ inputs, params, ctx }) {
    const table = inputs.data;
    if (table.numRows === 0) fail("no_rows", "The training table has no rows to weigh.", "data");
    const sens = sensitiveGroups(table, params.sensitive);
    const label = resolveLabel(tableInfo(table), params.label, "label");
    if (label === sens.column) fail("label_is_sensitive", `"${label}" is both the label and the sensitive column; pick different columns.`, "sensitive");
    const values = stringColumn(table, label);
    const classes = [...new Set(values.filter((v): v is string => v !== null))].sort(compare);
    if (classes.length === 0) fail("no_rows", `No rows have a value for the label "${label}".`, "label");
    if (classes.length === 1) fail("single_class", `The label "${label}" has only one class ("${classes[0]}"); reweighing needs at least two.`, "label");
    if (classes.length > MAX_CLASSES)
      fail("too_many_classes", `The label "${label}" has ${classes.length} distinct values; reweighing is for class labels (at most ${MAX_CLASSES}). Is it a numeric target?`, "label");
    ctx.progress(0.3);

    const code = new Map(classes.map((c, i) => [c, i]));
    const rows: number[] = [];
    values.forEach((v, i) => v !== null && rows.push(i));
    if (rows.length < table.numRows) ctx.log(`${table.numRows - rows.length} rows have no "${label}" value; their weight is left empty`, "warn");
    const { weights, table: w } = reweighingWeights(
      Int32Array.from(rows, (i) => sens.code[i]!),
      Int32Array.from(rows, (i) => code.get(values[i]!)!),
      sens.groups.length,
      classes.length,
    );
    const perRow: Array<number | null> = new Array(table.numRows).fill(null);
    rows.forEach((r, j) => (perRow[r] = weights[j]!));
    ctx.progress(0.8);

    if (table.getChild(params.weightColumn)) ctx.log(`The input column "${params.weightColumn}" is replaced by the new weights`, "warn");
    const base = table.getChild(params.weightColumn) ? table.select(table.schema.fields.map((f) => f.name).filter((n) => n !== params.weightColumn)) : table;
    const data = withRoles(base.assign(new Table({ [params.weightColumn]: vectorFromArray(perRow, new Float64()) })), { [params.weightColumn]: "weight" });

    const counts = sens.groups.map(() => new Array<number>(classes.length).fill(0));
    rows.forEach((r) => counts[sens.code[r]!]![code.get(values[r]!)!]!++);
    const cells = sens.groups.flatMap((g, gi) => classes.map((c, ci) => ({ group: g, label: c, count: counts[gi]![ci]!, weight: w[gi]![ci]! })));
    const weightsTable = new Table({
      group: vectorFromArray(cells.map((c) => c.group), new Utf8()),
      label: vectorFromArray(cells.map((c) => c.label), new Utf8()),
      count: vectorFromArray(cells.map((c) => c.count), new Float64()),
      weight: vectorFromArray(cells.map((c) => c.weight), new Float64()),
    });
    const chart: ChartValue = {
      kind: "bar",
      title: `Reweighing: weight per ${sens.column} and ${label}`,
      xLabel: sens.column,
      yLabel: "weight",
      categories: sens.groups,
      series: classes.map((c, ci) => ({ name: `${label} = ${c}`, x: sens.groups.map((_, i) => i), y: sens.groups.map((_, gi) => w[gi]![ci]!) })),
    };
    ctx.progress(1);
    return { data, weights: weightsTable, chart };
  },
});
