/**
 * Internal step of a published endpoint's batch API (`POST /api/v1/endpoints/{slug}/batch`, docs/endpoints.md):
 * scores a table with one endpoint version — its serving steps and the artifacts its run stored (fitted
 * transforms, model), loaded by hash — as the online API would score the same rows. The batch job is a
 * generated two-node plan, File source → this node, run on the app's executor (a BullMQ job on a worker in
 * queue mode). Hidden from the palette and refused in workflows (`internal`).
 */
import { z } from "zod";
import { defineNode } from "../core/define-node";
import { port } from "../core/ports";

// Server-only code (DuckDB, tfjs, the serving pipeline), loaded when the node runs: the browser imports this
// file for the catalogue.
const IMPL = "../../server/serving/batch-scoring";
const CATALOG = "../catalog";

const field = z.object({
  name: z.string(),
  dtype: z.enum(["number", "integer", "string", "boolean", "date", "datetime"]),
  nullable: z.boolean(),
  categories: z.array(z.string()).optional(),
  timezone: z.string().optional(),
});

const params = z.object({
  label: z.string().default("the endpoint").meta({ title: "Endpoint version", description: "Which endpoint version this scores with, for messages." }),
  spec: z.record(z.string(), z.unknown()).default({}).meta({ title: "Serving plan", description: "The endpoint version's serving plan (steps, artifact hashes, threshold, column types)." }),
  fields: z.array(field).default([]).meta({ title: "Input columns", description: "The endpoint version's input schema." }),
  metadata: z.record(z.string(), z.record(z.string(), z.string())).default({}).meta({ title: "Column metadata", description: "Field metadata (roles) of the training rows, copied onto the rows scored." }),
});

export default defineNode({
  kind: "deploy/score-version",
  version: 1,
  title: "Score with an endpoint version (batch job)",
  category: "Deployment",
  description:
    "Internal step of an endpoint's batch API: scores an uploaded table with a published endpoint version's stored transforms and model, exactly as the endpoint's online predictions would, adding the predicted value and a probability per class.",
  inputs: { table: port.table({ label: "Rows to score" }) },
  outputs: { scored: port.table({ label: "Scored rows" }) },
  params,
  internal: true,
  resources: { heavy: true },
  async run({ inputs, params: prm, ctx }) {
    const [{ scoreWithVersion }, { registry }] = await Promise.all([
      import(/* webpackIgnore: true */ /* turbopackIgnore: true */ IMPL) as Promise<typeof import("../../server/serving/batch-scoring")>,
      import(/* webpackIgnore: true */ /* turbopackIgnore: true */ CATALOG) as Promise<typeof import("../catalog")>,
    ]);
    return { scored: await scoreWithVersion(inputs.table, prm, ctx, registry) };
  },
});
