import { afterAll, expect, test } from "vitest";
import { tableInfo } from "../core/arrow";
import { closeTestRuntime, makeContext, testRuntime } from "../../test/helpers/node-context";
import sampleDataset, { sampleDataPath } from "./sample-dataset";
import { SAMPLE_DATASET_IDS, SAMPLE_DATASETS } from "./sample-datasets";

afterAll(closeTestRuntime);

test("default params parse and infer gives the declared schema without I/O", () => {
  const prm = sampleDataset.params.parse({});
  expect(prm).toEqual({ dataset: "penguins" });
  const info = sampleDataset.infer!({ inputs: {}, params: prm }).table!.table!;
  expect(info.rows).toBe(344);
  expect(info.columns[0]).toEqual({ name: "Species", dtype: "string" });
  expect(sampleDataset.params.safeParse({ dataset: "iris" }).success).toBe(false);
});

// The declared schemas are what the compiler and the column pickers use: they must match the files exactly.
for (const id of SAMPLE_DATASET_IDS) {
  const ds = SAMPLE_DATASETS[id];
  // 3M flights take seconds; the first 20,000 rows settle names and types (Parquet types are fixed by the file).
  const big = ds.rows > 100_000;
  test(`declared schema of "${id}" matches what DuckDB reads`, async () => {
    const path = await sampleDataPath(ds.file);
    const table = await testRuntime().tables.readFile(path, big ? { limit: 20_000 } : {});
    const info = tableInfo(table);
    expect(info.columns).toEqual(ds.columns);
    if (!big) expect(table.numRows).toBe(ds.rows);
  });
}

test("flights-3m declares its true row count", async () => {
  const path = await sampleDataPath(SAMPLE_DATASETS["flights-3m"].file);
  const t = await testRuntime().tables.sql(`SELECT count(*)::INTEGER AS n FROM read_parquet('${path.replaceAll("'", "''")}')`);
  expect(t.getChild("n")!.get(0)).toBe(3_000_000);
});

test("run loads the dataset with progress", async () => {
  const ctx = makeContext();
  const { table } = await sampleDataset.run({ inputs: {}, params: sampleDataset.params.parse({ dataset: "seattle-weather" }), ctx });
  expect(table.numRows).toBe(1461);
  expect(new Set(table.getChild("weather")!.toArray())).toContain("rain");
  expect(ctx.progressCalls.at(-1)).toBe(1);
});
