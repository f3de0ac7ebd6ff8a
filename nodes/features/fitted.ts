/**
 * The fitted-transform convention. A transform that learns from data (a mean to impute, categories to encode,
 * bin edges...) has inputs `train` and optional `apply`, and outputs `train` (transformed), `apply`
 * (transformed, when connected) and `fitted`: a {@link TransformValue} whose `state` was learned from the
 * `train` rows only. The same `apply(state, table)` function transforms both outputs and, through
 * apply-fitted.ts, any later table (test rows, batch scoring, a published endpoint), so results are identical.
 */
import type { Table } from "apache-arrow";
import { tableInfo } from "../core/arrow";
import type { NodeRuntime, RunContext } from "../core/context";
import { port } from "../core/ports";
import type { PortInfo, TableInfo } from "../core/schema";
import type { TransformValue } from "../core/values";

/** What applying a fitted transform may use: cancellation, and the table engine for SQL-based transforms. */
export interface ApplyContext {
  signal: AbortSignal;
  runtime?: NodeRuntime;
}

/**
 * How one kind of fitted transform is applied. `state` must be plain JSON (no NaN or Infinity), because the
 * fitted value is stored as JSON and applied later, possibly in another process.
 */
export interface Fitter<S> {
  /** The node kind that fits it; equals {@link TransformValue.transform}. */
  kind: string;
  apply(state: S, table: Table, ctx: ApplyContext): Table | Promise<Table>;
}

/** Inputs of every fitted-transform node. */
export const fittedInputs = () => ({
  train: port.table({ label: "Train", description: "Rows the transform learns from (the training rows)." }),
  apply: port.table({
    optional: true,
    label: "Apply to",
    description: "Optional: other rows (e.g. the test rows) transformed with what was learned from Train, without learning from them.",
  }),
});

/** Outputs of every fitted-transform node. */
export const fittedOutputs = () => ({
  train: port.table({ label: "Train" }),
  apply: port.table({ optional: true, label: "Applied" }),
  fitted: port.transform({ label: "Fitted transform", description: "What was learned, to apply to other tables later (Apply transform, batch scoring)." }),
});

/** infer() of a fitted-transform node, given how the transform changes a table's columns. */
export function inferFitted(
  inputs: { train: PortInfo | undefined; apply: PortInfo | undefined },
  map: (t: TableInfo) => TableInfo,
): { train: PortInfo | undefined; apply: PortInfo | undefined; fitted: PortInfo } {
  const train = inputs.train?.table;
  const apply = inputs.apply?.table;
  return {
    train: train ? { table: { columns: map(train).columns } } : undefined,
    apply: apply ? { table: { columns: map(apply).columns } } : undefined,
    fitted: {},
  };
}

/**
 * run() tail shared by fitted-transform nodes: transforms train (and apply) with the one apply function and
 * packs the fitted value.
 */
export async function finishFitted<S>(
  fitter: Fitter<S>,
  state: S,
  inputs: { train: Table; apply?: Table | undefined },
  ctx: RunContext,
): Promise<{ train: Table; apply?: Table; fitted: TransformValue }> {
  ctx.signal.throwIfAborted();
  const train = await fitter.apply(state, inputs.train, ctx);
  ctx.progress(inputs.apply ? 0.75 : 0.95);
  ctx.signal.throwIfAborted();
  const apply = inputs.apply ? await fitter.apply(state, inputs.apply, ctx) : undefined;
  const { columns } = tableInfo(train);
  const fitted: TransformValue = { transform: fitter.kind, state, output: { columns } };
  ctx.progress(1);
  return apply ? { train, apply, fitted } : { train, fitted };
}
