import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, expect, test } from "vitest";
import { tableInfo } from "../core/arrow";
import { closeTestRuntime, makeContext, userError } from "../../test/helpers/node-context";
import fileSource, { PROBE_ROWS } from "./file-source";

const ADULT = "/work/shared/datasets/adult.csv";
const dir = mkdtempSync(join(tmpdir(), "lattice-file-source-"));
afterAll(closeTestRuntime);

const params = (p: Record<string, unknown>) => fileSource.params.parse(p);

test("defaults parse and treat ?, NA and empty cells as missing", () => {
  expect(fileSource.params.parse({})).toEqual({ path: "", format: "auto", nullStrings: ["?", "NA", ""] });
  expect(fileSource.infer!({ inputs: {}, params: params({ path: ADULT }) })).toEqual({ table: undefined });
});

test("run reads the Adult file with missing values, reports progress and the row count", async () => {
  const ctx = makeContext();
  const { table } = await fileSource.run({ inputs: {}, params: params({ path: ADULT }), ctx });
  expect(table.numRows).toBe(32561);
  expect(table.getChild("occupation")!.nullCount).toBeGreaterThan(0);
  expect(ctx.progressCalls.at(-1)).toBe(1);
  expect(ctx.metrics).toContainEqual({ name: "rows", value: 32561, step: undefined });
});

test("probe returns the columns without a row count, so pickers work before a run", async () => {
  const ctx = makeContext();
  const out = await fileSource.probe!({ params: params({ path: ADULT }), ctx });
  const info = out.table!.table!;
  expect(info.rows).toBeUndefined();
  expect(info.columns.map((c) => c.name)).toContain("class");
  expect(info.columns.find((c) => c.name === "age")!.dtype).toBe("int");
  expect(PROBE_ROWS).toBeLessThan(32561);
});

test("relative paths resolve through the artifact store's resolvePath", async () => {
  writeFileSync(join(dir, "small.csv"), "x,y\n1,a\n2,NA\n");
  const ctx = makeContext({ baseDir: dir });
  const { table } = await fileSource.run({ inputs: {}, params: params({ path: "small.csv" }), ctx });
  expect(tableInfo(table).columns).toEqual([
    { name: "x", dtype: "int" },
    { name: "y", dtype: "string" },
  ]);
  expect(table.getChild("y")!.toJSON()).toEqual(["a", null]);
});

test("custom missing-value markers replace the defaults", async () => {
  writeFileSync(join(dir, "markers.csv"), "x,y\n1,?\n-999,b\n");
  const { table } = await fileSource.run({ inputs: {}, params: params({ path: join(dir, "markers.csv"), nullStrings: ["-999"] }), ctx: makeContext() });
  expect(table.getChild("x")!.toJSON()).toEqual([1, null]);
  expect(table.getChild("y")!.toJSON()).toEqual(["?", "b"]);
});

test("an explicit format reads a file whose name does not say it", async () => {
  writeFileSync(join(dir, "export.dat"), "a;b\n1;2\n");
  const { table } = await fileSource.run({ inputs: {}, params: params({ path: join(dir, "export.dat"), format: "csv" }), ctx: makeContext() });
  expect(table.getChild("b")!.toJSON()).toEqual([2]);
});

test("no file chosen", async () => {
  const e = await userError(fileSource.run({ inputs: {}, params: params({}), ctx: makeContext() }));
  expect([e.code, e.field]).toEqual(["no_file", "path"]);
});

test("a missing file names the path and is raised by probe too", async () => {
  const missing = join(dir, "nope.csv");
  const e = await userError(fileSource.run({ inputs: {}, params: params({ path: missing }), ctx: makeContext() }));
  expect(e.code).toBe("file_not_found");
  expect(e.message).toContain(missing);
  const p = await userError(fileSource.probe!({ params: params({ path: missing }), ctx: makeContext() }));
  expect(p.code).toBe("file_not_found");
});

test("an unsupported extension asks to choose a format", async () => {
  writeFileSync(join(dir, "book.xlsx"), "binary");
  const e = await userError(fileSource.run({ inputs: {}, params: params({ path: join(dir, "book.xlsx") }), ctx: makeContext() }));
  expect(e.code).toBe("unsupported_format");
  expect(e.field).toBe("format");
  expect(e.message).toContain(".xlsx");
});

test("an empty file and a header-only file are refused", async () => {
  writeFileSync(join(dir, "empty.csv"), "");
  writeFileSync(join(dir, "header.csv"), "a,b\n");
  for (const f of ["empty.csv", "header.csv"]) {
    const e = await userError(fileSource.run({ inputs: {}, params: params({ path: join(dir, f) }), ctx: makeContext() }));
    expect(e.code).toBe("empty_file");
    expect(e.message).toContain(f);
  }
});
