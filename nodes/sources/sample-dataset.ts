/**
 * Sample dataset: one of the small public datasets shipped in the `vega-datasets` npm package, so a new user can
 * build a workflow without a file of their own. Schemas are declared in sample-datasets.ts (no I/O at design time).
 */
import { z } from "zod";
import { defineNode } from "../core/define-node";
import { fail } from "../core/errors";
import { port } from "../core/ports";
import { SAMPLE_DATASET_IDS, SAMPLE_DATASETS, sampleTableInfo } from "./sample-datasets";

/**
 * Absolute path of a data file in the installed vega-datasets package. Node built-ins are imported lazily (and
 * hidden from bundlers) because this module is also loaded by the browser, which only needs the definition.
 */
export async function sampleDataPath(file: string): Promise<string> {
  const { createRequire } = await import(/* webpackIgnore: true */ /* turbopackIgnore: true */ "node:module");
  const { dirname, join } = await import(/* webpackIgnore: true */ /* turbopackIgnore: true */ "node:path");
  // The package's only export is build/index.js; its data/ folder sits next to build/.
  const entry = createRequire(import.meta.url).resolve("vega-datasets");
  return join(dirname(dirname(entry)), "data", file);
}

const params = z.object({
  dataset: z
    .enum(SAMPLE_DATASET_IDS)
    .default("penguins")
    .meta({ title: "Dataset", description: SAMPLE_DATASET_IDS.map((id) => `${SAMPLE_DATASETS[id].title}: ${SAMPLE_DATASETS[id].about}`).join("\n") }),
});

export default defineNode({
  kind: "sources/sample-dataset",
  version: 1,
  title: "Sample dataset",
  category: "Sources",
  description:
    "Loads a ready-made example table (penguins, cars, Seattle weather, countries, movies or flights) so you can try Lattice without a file of your own.",
  inputs: {},
  outputs: { table: port.table({ label: "Table" }) },
  params,
  infer: ({ params: prm }) => ({ table: { table: sampleTableInfo(prm.dataset) } }),
  async run({ params: prm, ctx }) {
    const ds = SAMPLE_DATASETS[prm.dataset];
    ctx.progress(0.05, `Loading ${ds.title}`);
    let path: string;
    try {
      path = await sampleDataPath(ds.file);
    } catch {
      fail("sample_data_missing", `The sample data package (vega-datasets) is not installed, so "${ds.title}" cannot be loaded. Run npm install in the Lattice folder, or use a File node instead.`, "dataset");
    }
    ctx.signal.throwIfAborted();
    const table = await ctx.runtime.tables.readFile(path);
    ctx.metric("rows", table.numRows);
    ctx.progress(1);
    return { table };
  },
  resources: { heavy: true },
});
