/**
 * What the per-column number transforms (scale, bucketize, power transform) share: their design-time schema
 * (each picked number column becomes a float column of the same name) and their fit loop (pick the columns,
 * fit one state per column from the training rows, with cancel and progress between columns).
 */
import type { Table } from "apache-arrow";
import { numericColumn, tableInfo } from "../core/arrow";
import type { RunContext } from "../core/context";
import type { PortInfo } from "../core/schema";
import { inferFitted } from "./fitted";
import { numericInfo, pickColumns, pickColumnsInfo, replaceInfo, requireRows } from "./feature-columns";

/** infer() of a transform that turns each picked number column into a float column of the same name. */
export function inferNumericReplace(inputs: { train: PortInfo | undefined; apply: PortInfo | undefined }, columns: readonly string[]) {
  return inferFitted(inputs, (t) => replaceInfo(t, new Map(pickColumnsInfo(t, columns, numericInfo).map((n) => [n, [{ name: n, dtype: "float" as const }]]))));
}

/**
 * Fit one state per picked number column of `train`. `hint` tells the user what to do with a text column;
 * progress runs to `share` of the node's bar (applying the fit takes the rest).
 */
export function fitNumericColumns<S>(
  train: Table,
  columns: readonly string[],
  o: { node: string; hint: string; share?: number },
  ctx: Pick<RunContext, "signal" | "progress">,
  fit: (values: Float64Array, name: string) => S,
): S[] {
  requireRows(train, o.node, "training rows");
  const names = pickColumns(tableInfo(train), columns, { setting: "columns", title: "Columns", node: o.node, suitable: numericInfo, needs: "numbers", hint: o.hint });
  const out: S[] = [];
  for (let i = 0; i < names.length; i++) {
    ctx.signal.throwIfAborted();
    out.push(fit(numericColumn(train, names[i]!), names[i]!));
    ctx.progress(((o.share ?? 0.5) * (i + 1)) / names.length);
  }
  return out;
}
