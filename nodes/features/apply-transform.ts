/**
 * Apply transform: run a fitted transform (impute, scale, encode, bucketize, power) on another table, e.g. new
 * rows to score, with exactly what was learned from the training rows.
 */
import { z } from "zod";
import { defineNode } from "../core/define-node";
import { port } from "../core/ports";
import { applyFitted } from "./apply-fitted";

export default defineNode({
  kind: "features/apply-transform",
  version: 1,
  title: "Apply transform",
  category: "Features",
  description:
    "Transforms a table the same way the training rows were transformed: connect a fitted transform (from Impute, Scale, One-hot encode, …) and the rows to transform. Nothing is learned from these rows, so test or new data stays untouched by the fitting.",
  inputs: {
    fitted: port.transform({ label: "Fitted transform" }),
    table: port.table({ label: "Table" }),
  },
  outputs: { table: port.table({ label: "Table" }) },
  params: z.object({}),
  // Which columns come out depends on the fitted transform, which design-time schemas do not carry: unknown
  // until a run (the compiler then skips column checks downstream instead of reporting false errors).
  infer: () => ({ table: undefined }),
  resources: { heavy: true },
  async run({ inputs, ctx }) {
    ctx.progress(0.1);
    const table = await applyFitted(inputs.fitted, inputs.table, ctx);
    ctx.progress(1);
    return { table };
  },
});
