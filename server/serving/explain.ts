/**
 * Per-row explanations (`?explain=true`) for any model an endpoint version serves, by Kernel SHAP over the
 * whole serving pipeline: the explained "features" are the endpoint's input fields (raw request columns), and
 * every coalition is scored by the version's own pipeline (steps + model), so transforms and Code steps are
 * part of what is explained. Coalitions and the least-squares solve are nodes/explain/shapley.ts' (the
 * Kernel SHAP node's arithmetic); `intercept + Σ contributions` equals the row's output in the response.
 *
 * The background ("feature unknown") is a seeded sample of at most 50 rows of the training rows that entered
 * the serving path (`spec.entry`, stored by the run and bound at publish). It is read and scored on the first
 * explained request of a version, not when the version loads: a request without `explain` does no work here.
 */
import { setImmediate as nextTurn } from "node:timers/promises";
import { makeData, RecordBatch, Schema, Struct, Table, type Data } from "apache-arrow";
import { gatherRows } from "../../nodes/core/arrow";
import { fail } from "../../nodes/core/errors";
import { mulberry32, shuffleInPlace } from "../../nodes/core/random";
import { coalitions, solveShap, type Coalitions } from "../../nodes/explain/shapley";
import { decodeValue } from "../engine/codecs";
import type { ArtifactStore } from "../engine/types";
import { columnsToTable } from "./input";
import type { Pipeline, PipelineResult } from "./pipeline";
import type { ServingSpec } from "./spec";
import type { InputField } from "./types";

/** Most rows one explained request may carry (each costs coalitions × background pipeline evaluations). */
export const EXPLAIN_MAX_ROWS = 100;
/** Background rows sampled from the training rows. */
export const EXPLAIN_BACKGROUND_ROWS = 50;
/** Coalitions per explained row: exact Shapley values while 2^inputs − 2 fit (up to 9 inputs), else a seeded sample. */
export const EXPLAIN_COALITIONS = 512;
/** Seed of the background sample and of the coalition sample: the same row always gets the same explanation. */
export const EXPLAIN_SEED = 0;
/** Pipeline rows per scoring call (bounds the memory of the hybrid tables). */
const ROWS_PER_CALL = 32768;

/** A row's explanation: `intercept + Σ contributions` is the explained output (`output`, of `class` for classifiers). */
export type Explanation =
  /** Logistic regression: weights × encoded values per input feature, in log-odds. */
  | { method: "linear"; output: "log-odds"; class?: string; intercept: number; contributions: Record<string, number> }
  /** Any other model: Kernel SHAP of the whole pipeline per input field; intercept is the mean output on the background. */
  | { method: "kernel-shap"; output: "probability" | "prediction"; class?: string; intercept: number; contributions: Record<string, number>; exact: boolean };

export interface ExplainerDeps {
  spec: ServingSpec;
  fields: InputField[];
  metadata: Record<string, Record<string, string>>;
  pipeline: Pipeline;
  artifacts: Pick<ArtifactStore, "get">;
}

interface Background {
  /** The sampled training rows as validated request columns. */
  cols: Record<string, unknown[]>;
  rows: number;
  /** Their pipeline result (base values). */
  result: PipelineResult;
}

export interface PipelineExplainer {
  /** Adds `explanation` to each of `result.predictions` (the rows `cols` scored). Throws NodeUserError past the row cap. */
  explain(cols: Record<string, unknown[]>, rows: number, result: PipelineResult, signal?: AbortSignal): Promise<void>;
  /** The background sample (read and scored on first use). */
  background(): Promise<Background>;
  /** Work done so far: background reads and pipeline rows scored for explanations (tests, metrics). */
  readonly stats: { backgroundLoads: number; evaluations: number };
}

export function createExplainer(deps: ExplainerDeps): PipelineExplainer {
  const { spec, fields, metadata, pipeline } = deps;
  const classes = spec.model.task === "regression" ? [] : (spec.model.classes ?? []);
  const stats = { backgroundLoads: 0, evaluations: 0 };
  const m = fields.length;
  let plan: Coalitions | undefined;
  let bg: Promise<Background> | undefined;

  const toTable = (cols: Record<string, unknown[]>) => columnsToTable(cols, fields, spec.columnTypes, metadata);

  async function loadBackground(): Promise<Background> {
    stats.backgroundLoads++;
    const entry = decodeValue("table", await deps.artifacts.get(spec.entry.hash)) as Table;
    if (entry.numRows === 0) fail("explain_unavailable", "The training rows bound to this version are empty, so there is no background to explain against.", "explain");
    const random = mulberry32(EXPLAIN_SEED);
    const order = shuffleInPlace(Int32Array.from({ length: entry.numRows }, (_, i) => i), random);
    const pick = Int32Array.from(order.subarray(0, Math.min(EXPLAIN_BACKGROUND_ROWS, entry.numRows))).sort();
    const cols: Record<string, unknown[]> = {};
    for (const f of fields) {
      const v = entry.getChild(f.name);
      if (!v) fail("explain_unavailable", `The training rows bound to this version lack input column "${f.name}".`, "explain");
      cols[f.name] = Array.from(pick, (r) => requestValue(v.get(r), f));
    }
    plan = coalitions(m, EXPLAIN_COALITIONS, random);
    const result = await pipeline.run(toTable(cols));
    stats.evaluations += pick.length;
    return { cols, rows: pick.length, result };
  }

  function background() {
    if (!bg) {
      bg = loadBackground();
      bg.catch(() => (bg = undefined)); // a failed read is tried again on the next request
    }
    return bg;
  }

  /** The explained output of each row of `r`: a class's probability, or the predicted value. */
  function outputs(r: PipelineResult, cls: string | undefined): Float64Array {
    return Float64Array.from(r.predictions, (p) => (cls === undefined ? Number(p.prediction) : (p.probabilities?.[cls] ?? Number.NaN)));
  }

  return {
    stats,
    background,
    async explain(cols, rows, result, signal) {
      if (rows > EXPLAIN_MAX_ROWS)
        fail("too_many_rows", `Explanations are computed for at most ${EXPLAIN_MAX_ROWS} rows per request, and this one has ${rows}. Send the rows in smaller requests.`, "explain");
      if (rows === 0) return;
      const back = await background();
      const B = back.rows;
      const coal = plan!;
      const K = coal.weights.length;
      // One table of the explained rows then the background, per column: every hybrid row is a gather from it.
      const combinedCols: Record<string, unknown[]> = {};
      for (const f of fields) combinedCols[f.name] = [...cols[f.name]!, ...back.cols[f.name]!];
      const combined = toTable(combinedCols);
      const single = fields.map((_, j) => combined.selectAt([j]));
      const schema = combined.schema;
      const perCall = Math.max(1, Math.floor(ROWS_PER_CALL / B));

      for (let i = 0; i < rows; i++) {
        signal?.throwIfAborted();
        const p = result.predictions[i]!;
        const cls = classes.length === 0 ? undefined : classes.length === 2 ? classes[1]! : String(p.prediction);
        const fx = outputs({ predictions: [p], scores: result.scores.subarray(i, i + 1) }, cls)[0]!;
        const baseOut = outputs(back.result, cls);
        const base = baseOut.reduce((s, v) => s + v, 0) / B;
        const v = new Float64Array(K);
        for (let k0 = 0; k0 < K; k0 += perCall) {
          const k1 = Math.min(K, k0 + perCall);
          const n = (k1 - k0) * B;
          const idx = new Int32Array(n);
          const children: Data[] = fields.map((_, j) => {
            for (let k = k0; k < k1; k++) {
              const fromRow = coal.masks[k * m + j] === 1;
              const at = (k - k0) * B;
              for (let b = 0; b < B; b++) idx[at + b] = fromRow ? i : rows + b;
            }
            return gatherRows(single[j]!, idx).batches[0]!.data.children[0]!;
          });
          const hybrid = new Table(schema, [new RecordBatch(schema, makeData({ type: new Struct(schema.fields), length: n, nullCount: 0, children }))]);
          const out = outputs(await pipeline.run(hybrid, { signal }), cls);
          stats.evaluations += n;
          for (let k = k0; k < k1; k++) {
            let s = 0;
            for (let b = 0; b < B; b++) s += out[(k - k0) * B + b]!;
            v[k] = s / B;
          }
          // Let other requests through between scoring calls: an explained request is long.
          await nextTurn();
        }
        const phi = m === 0 ? new Float64Array(0) : solveShap(coal, v, base, fx);
        const contributions: Record<string, number> = {};
        fields.forEach((f, j) => (contributions[f.name] = phi[j]!));
        p.explanation = {
          method: "kernel-shap",
          output: cls === undefined ? "prediction" : "probability",
          ...(cls === undefined ? {} : { class: cls }),
          intercept: base,
          contributions,
          exact: coal.exact,
        };
      }
    },
  };
}

/** A training cell as the request validator would hand it over (numbers for int64, text for text fields). */
function requestValue(x: unknown, f: InputField): unknown {
  if (x === null || x === undefined) return null;
  if (typeof x === "bigint") return Number(x);
  if (typeof x === "number" && Number.isNaN(x)) return null;
  if (f.dtype === "string" && typeof x !== "string") return String(x);
  return x;
}
