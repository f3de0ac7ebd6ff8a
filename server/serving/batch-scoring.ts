/**
 * The work of a batch-scoring job (the internal node `deploy/score-version`, nodes/deploy/score-version.ts):
 * score an uploaded table with one endpoint version's stored artifacts, exactly as the online API scores a
 * request. The rows go through the same steps as `POST …/predict` — CSV/JSON cells to typed values
 * (`csvRows`), the input schema's validation (`rowValidator`), Arrow columns with the training rows' types
 * (`columnsToTable`), the loaded pipeline (fitted transforms, replayed nodes, model) — in chunks of the online
 * API's largest request, so a batch row and the same row sent online get the same numbers.
 *
 * Loaded lazily by the node (the browser imports nodes/ for the palette; this file is server-only).
 */
import type { Table } from "apache-arrow";
import { tableFromColumns, type ColumnData } from "../../nodes/core/arrow";
import type { RunContext } from "../../nodes/core/context";
import { fail, isUserError, NodeUserError } from "../../nodes/core/errors";
import type { NodeRegistry } from "../../nodes/core/registry";
import type { ColumnInfo } from "../../nodes/core/schema";
import { columnsToTable, csvRows, InputError, MAX_ROWS_PER_REQUEST, rowValidator } from "./input";
import { loadPipeline, type PipelineResult } from "./pipeline";
import type { ServingSpec } from "./spec";
import type { InputField } from "./types";

/** What the job knows about the version it scores with (the node's params). */
export interface ScoreWithVersionParams {
  /** `slug vN`, for messages. */
  label: string;
  spec: Record<string, unknown>;
  fields: InputField[];
  metadata: Record<string, Record<string, string>>;
}

/** Columns the job writes; input columns of the same names are replaced. */
const OWN = /^(prediction|proba_.*)$/;

const quote = (names: string[], max = 12) => `${names.slice(0, max).map((n) => `"${n}"`).join(", ")}${names.length > max ? `, … (${names.length} in all)` : ""}`;

function specOf(raw: Record<string, unknown>, label: string): ServingSpec {
  const s = raw as Partial<ServingSpec>;
  if (s.formatVersion !== 1 || !Array.isArray(s.steps) || typeof s.model?.hash !== "string" || typeof s.columnTypes !== "object")
    fail("bad_serving_spec", `The serving plan of ${label} is missing or from another Lattice version; publish the workflow again.`, "spec");
  return s as ServingSpec;
}

/**
 * Every input column of the endpoint must be a column of the file (its cells may be empty: missing values are
 * imputed or encoded as the online API does). Fails naming the first absent column and the file's columns the
 * endpoint does not know, which is usually the same column spelt differently.
 */
export function checkColumns(table: Table, fields: InputField[], label: string) {
  const have = table.schema.fields.map((f) => f.name);
  const known = new Set(fields.map((f) => f.name));
  const missing = fields.map((f) => f.name).filter((n) => !have.includes(n));
  if (!missing.length) return;
  const unknown = have.filter((n) => !known.has(n) && !OWN.test(n));
  fail(
    "missing_column",
    `The file has no column "${missing[0]}"${missing.length > 1 ? ` (nor ${quote(missing.slice(1))})` : ""}, which ${label} takes as input; a column's cells may be empty for missing values, but the column must be there. ` +
      (unknown.length ? `Columns in the file that the endpoint does not know: ${quote(unknown)}.` : `The file's columns: ${quote(have)}.`),
    missing[0],
  );
}

export async function scoreWithVersion(table: Table, params: ScoreWithVersionParams, ctx: RunContext, registry: NodeRegistry): Promise<Table> {
  const { label, fields, metadata } = params;
  const spec = specOf(params.spec, label);
  if (table.numRows === 0 || table.numCols === 0) fail("no_rows", "The file holds no rows to score (it is empty, or has only a header line).", "table");
  checkColumns(table, fields, label);
  const pipeline = await loadPipeline(spec, { artifacts: ctx.artifacts, runtime: ctx.runtime, registry });
  try {
    const validator = rowValidator(fields);
    const n = table.numRows;
    const task = spec.model.task;
    const classes = spec.model.classes ?? [];
    const prediction: Array<string | number> = new Array(n);
    const proba = task === "regression" ? [] : classes.map(() => new Float64Array(n));
    for (let off = 0; off < n; off += MAX_ROWS_PER_REQUEST) {
      ctx.signal.throwIfAborted();
      const size = Math.min(MAX_ROWS_PER_REQUEST, n - off);
      const rows = csvRows(table.slice(off, off + size), fields);
      let result: PipelineResult;
      try {
        const cols = validator.columns(rows);
        result = pipeline.runColumns
          ? await pipeline.runColumns(cols, size)
          : await pipeline.run(columnsToTable(cols, fields, spec.columnTypes, metadata), { signal: ctx.signal });
      } catch (e) {
        throw rowsError(e, off, size, rows);
      }
      for (let i = 0; i < size; i++) {
        const p = result.predictions[i]!;
        prediction[off + i] = p.prediction;
        if (p.probabilities) for (let c = 0; c < classes.length; c++) proba[c]![off + i] = p.probabilities[classes[c]!]!;
      }
      ctx.progress((off + size) / n, `${off + size} of ${n} rows scored`);
    }
    const added: Record<string, ColumnData> = {
      prediction: task === "regression" ? Float64Array.from(prediction as number[]) : (prediction as string[]),
    };
    classes.forEach((c, j) => {
      if (proba[j]) added[`proba_${c}`] = proba[j]!;
    });
    const names = table.schema.fields.map((f) => f.name);
    const replaced = names.filter((x) => OWN.test(x));
    if (replaced.length) ctx.log(`Input columns ${quote(replaced)} are replaced by the scores`, "warn");
    const roles: Record<string, ColumnInfo["role"]> = { prediction: "prediction" };
    return table.select(names.filter((x) => !OWN.test(x))).assign(tableFromColumns(added, roles));
  } finally {
    pipeline.dispose();
  }
}

/** A refusal of some rows (validation, or a step such as an encoder set to reject unseen values), with row numbers of the file. */
function rowsError(e: unknown, off: number, size: number, rows: Array<Record<string, unknown>>): unknown {
  if (e instanceof InputError) {
    const bad = e.errors.filter((x) => x.row >= 0);
    const first = bad[0];
    if (!first) return new NodeUserError("invalid_input", e.message);
    const shown = bad
      .slice(0, 3)
      .map((x) => {
        const got = rows[x.row]?.[x.field];
        return `row ${off + x.row + 1}, column "${x.field}": ${x.message}${got !== undefined && got !== null ? ` (got ${JSON.stringify(got).slice(0, 60)})` : ""}`;
      })
      .join("; ");
    return new NodeUserError("invalid_value", `${bad.length}${bad.length >= 100 ? "+" : ""} value${bad.length > 1 ? "s" : ""} in rows ${off + 1}–${off + size} ${bad.length > 1 ? "do" : "does"} not fit the endpoint's input: ${shown}. Rows are numbered from 1 after the header.`, { field: first.field });
  }
  if (isUserError(e)) return new NodeUserError(e.code, `Rows ${off + 1}–${off + size}: ${e.message}`, { field: e.field, cause: e });
  return e;
}
