/**
 * One dispatch from a fitted transform's kind to its apply function. The Apply transform node, batch scoring
 * and published endpoints all go through {@link applyFitted}, so a table is transformed exactly as the
 * training rows were.
 */
import type { Table } from "apache-arrow";
import { fail } from "../core/errors";
import type { TransformValue } from "../core/values";
import { bucketizer } from "./bucketize";
import type { ApplyContext, Fitter } from "./fitted";
import { imputer } from "./impute";
import { oneHotEncoder } from "./one-hot-encode";
import { ordinalEncoder } from "./ordinal-encode";
import { powerTransformer } from "./power-transform";
import { scaler } from "./scale";

const FITTERS: ReadonlyArray<Fitter<never>> = [imputer, scaler, oneHotEncoder, ordinalEncoder, bucketizer, powerTransformer] as unknown as Fitter<never>[];
const BY_KIND = new Map(FITTERS.map((f) => [f.kind, f]));

/** Kinds of fitted transforms this build can apply. */
export const FITTED_KINDS: readonly string[] = FITTERS.map((f) => f.kind);

/** Apply a fitted transform (from any of the fitted-transform nodes) to `table`. */
export async function applyFitted(value: TransformValue, table: Table, ctx: ApplyContext): Promise<Table> {
  const fitter = BY_KIND.get(value.transform);
  if (!fitter)
    fail(
      "unknown_transform",
      `This fitted transform was made by "${value.transform}", which this version of Lattice cannot apply (it knows: ${FITTED_KINDS.join(", ")}). Re-run the workflow that fitted it with this version.`,
      "fitted",
    );
  ctx.signal.throwIfAborted();
  return fitter.apply(value.state as never, table, ctx);
}
