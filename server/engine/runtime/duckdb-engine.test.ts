import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Bool, DateDay, Int32, Table, TimeUnit, Timestamp, Utf8, makeVector, tableFromArrays, vectorFromArray } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { tableFromColumns, tableInfo } from "../../../nodes/core/arrow";
import { createDuckDbEngine, type DuckDbEngine } from "./duckdb-engine";
import { userError } from "../../../test/helpers/node-context";

const ADULT = "/work/shared/datasets/adult.csv";
let engine: DuckDbEngine;
const dir = mkdtempSync(join(tmpdir(), "lattice-duckdb-"));

beforeAll(async () => {
  engine = await createDuckDbEngine();
});
afterAll(async () => {
  await engine.close();
});

/** The user error a promise rejects with (fails the test when it resolves or throws something else). */
const rows = (t: Table) => t.toArray().map((r) => r.toJSON());

describe("readFile", () => {
  test("reads the Adult CSV with types, nulls for '?' and the label column", async () => {
    const t = await engine.readFile(ADULT);
    // Independent oracle: count "?" in the workclass column by splitting lines (no quoted commas in this file).
    const lines = readFileSync(ADULT, "utf8").trim().split("\n").slice(1);
    const missingWorkclass = lines.filter((l) => l.split(",")[1] === "?").length;
    expect(t.numRows).toBe(32561);
    const info = tableInfo(t);
    expect(info.columns.map((c) => c.name)).toEqual(readFileSync(ADULT, "utf8").split("\n")[0]!.trim().split(","));
    expect(info.columns.find((c) => c.name === "age")!.dtype).toBe("int");
    expect(info.columns.find((c) => c.name === "workclass")!.dtype).toBe("string");
    expect(t.getChild("workclass")!.nullCount).toBe(missingWorkclass);
    expect(missingWorkclass).toBeGreaterThan(1000);
    expect(new Set(t.getChild("class")!.toArray())).toEqual(new Set(["<=50K", ">50K"]));
    expect(t.getChild("age")!.get(0)).toBe(39);
    expect(t.getChild("marital-status")!.get(0)).toBe("Never-married");
  });

  test("limit reads only the first rows", async () => {
    const t = await engine.readFile(ADULT, { limit: 5 });
    expect(t.numRows).toBe(5);
    expect(t.getChild("fnlwgt")!.toArray()).toEqual(Int32Array.from([77516, 83311, 215646, 234721, 338409]));
  });

  test("CSV with a space after each comma: values trimmed, padded null markers become null, numbers stay numbers", async () => {
    const path = join(dir, "spaced.csv");
    writeFileSync(path, 'age, workclass, note\n39, State-gov, "a, b"\n50, ?, x\n ?, Private, " y "\n');
    const t = await engine.readFile(path, { nullStrings: ["?"] });
    expect(tableInfo(t).columns.map((c) => c.dtype)).toEqual(["int", "string", "string"]);
    expect(rows(t)).toEqual([
      { age: 39, workclass: "State-gov", note: "a, b" },
      { age: 50, workclass: null, note: "x" },
      { age: null, workclass: "Private", note: "y" },
    ]);
  });

  test("JSON and Parquet readers, format from the extension", async () => {
    const json = join(dir, "rows.json");
    writeFileSync(json, JSON.stringify([{ a: 1.5, b: "x" }, { a: null, b: "y" }]));
    expect(rows(await engine.readFile(json))).toEqual([{ a: 1.5, b: "x" }, { a: null, b: "y" }]);
    const parquet = join(dir, "rows.parquet");
    await engine.writeFile(tableFromColumns({ a: new Float64Array([1, 2]), b: ["p", null] }), parquet, "parquet");
    expect(rows(await engine.readFile(parquet))).toEqual([{ a: 1, b: "p" }, { a: 2, b: null }]);
  });

  test("a missing file names the path", async () => {
    const e = await userError(engine.readFile(join(dir, "nope.csv")));
    expect(e.code).toBe("file_not_found");
    expect(e.message).toContain("nope.csv");
    expect(e.field).toBe("path");
  });

  test("a folder is not a file", async () => {
    const e = await userError(engine.readFile(dir, { format: "csv" }));
    expect(e.code).toBe("not_a_file");
  });

  test("an unknown extension asks for a format", async () => {
    const path = join(dir, "data.xlsx");
    writeFileSync(path, "x");
    const e = await userError(engine.readFile(path));
    expect(e.code).toBe("unsupported_format");
    expect(e.message).toContain(".xlsx");
    expect(e.field).toBe("format");
  });

  test("a file that is not what its extension says is unreadable, with DuckDB's reason", async () => {
    const path = join(dir, "fake.parquet");
    writeFileSync(path, "a,b\n1,2\n");
    const e = await userError(engine.readFile(path));
    expect(e.code).toBe("file_unreadable");
    expect(e.message).toContain("fake.parquet");
    expect(e.message).toContain("Parquet");
    expect(e.message).not.toContain("LINE 1");
  });
});

describe("sql and Arrow round trips", () => {
  test("every supported column type survives Arrow → DuckDB → Arrow", async () => {
    const strings = ['plain', 'with "quotes"', "comma, here", "", null, "ünïcødé ✓", "a string longer than twelve bytes", "line\nbreak"];
    const n = strings.length;
    const t = new Table({
      f: makeVector(new Float64Array([1.5, -2, NaN, 0, 1e300, 3, 4, 5])),
      i: vectorFromArray([1, null, -3, 2147483647, -2147483648, 0, 7, 8], new Int32()),
      s: vectorFromArray(strings, new Utf8()),
      b: vectorFromArray([true, false, null, true, false, true, true, false], new Bool()),
      d: vectorFromArray([0, 1, null, -1, 19000, 2, 3, 4].map((x) => (x === null ? null : new Date(x * 86_400_000))), new DateDay()),
      ts: vectorFromArray([0, 1_700_000_000_123, null, 5, 6, 7, 8, 9], new Timestamp(TimeUnit.MILLISECOND)),
    });
    const out = await engine.sql("SELECT * FROM t", { t });
    expect(out.numRows).toBe(n);
    expect(tableInfo(out).columns.map((c) => [c.name, c.dtype])).toEqual([
      ["f", "float"],
      ["i", "int"],
      ["s", "string"],
      ["b", "bool"],
      ["d", "date"],
      ["ts", "timestamp"],
    ]);
    const f = out.getChild("f")!;
    expect([f.get(0), f.get(1), f.get(3), f.get(4)]).toEqual([1.5, -2, 0, 1e300]);
    expect(f.get(2)).toBeNull(); // NaN is a missing number
    expect(out.getChild("i")!.toJSON()).toEqual([1, null, -3, 2147483647, -2147483648, 0, 7, 8]);
    expect(out.getChild("s")!.toJSON()).toEqual(strings);
    expect(out.getChild("b")!.toJSON()).toEqual([true, false, null, true, false, true, true, false]);
    expect(out.getChild("d")!.toJSON()).toEqual(t.getChild("d")!.toJSON());
    expect(out.getChild("ts")!.toJSON()).toEqual(t.getChild("ts")!.toJSON());
  });

  test("registered tables are queried with SQL and joined", async () => {
    const a = tableFromColumns({ k: ["x", "y", "z"], v: new Float64Array([1, 2, 3]) });
    const b = tableFromArrays({ k: ["y", "z", "w"], w: new Int32Array([20, 30, 40]) });
    const out = await engine.sql('SELECT a.k, v + w AS total FROM a JOIN "the b" b USING (k) ORDER BY k', { a, "the b": b });
    expect(rows(out)).toEqual([
      { k: "y", total: 22 },
      { k: "z", total: 33 },
    ]);
  });

  test("table, column and file names with quotes are escaped", async () => {
    const t = tableFromColumns({ 'a "b"': new Float64Array([1, 2]), "it's": ["x", "y"] });
    const out = await engine.sql('SELECT * FROM "my ""t"""', { 'my "t"': t });
    expect(rows(out)).toEqual(rows(t));
    const path = join(dir, "it's here.csv");
    await engine.writeFile(t, path, "csv");
    expect(rows(await engine.readFile(path))).toEqual(rows(t));
  });

  test("sliced and multi-batch inputs are read at the right offsets", async () => {
    const whole = tableFromColumns({
      x: new Float64Array(5000).map((_, i) => i),
      s: Array.from({ length: 5000 }, (_, i) => (i % 7 ? `r${i}` : null)),
      b: Array.from({ length: 5000 }, (_, i) => i % 3 === 0),
    });
    const part = whole.slice(2500, 4700);
    const two = new Table([...part.batches, ...whole.slice(10, 13).batches]);
    const out = await engine.sql("SELECT x, s, b FROM t", { t: two });
    expect(out.numRows).toBe(2203);
    expect(out.getChild("x")!.get(0)).toBe(2500);
    expect(out.getChild("s")!.get(1)).toBe("r2501");
    expect(out.getChild("s")!.get(2)).toBe("r2502");
    expect(out.getChild("s")!.get(6)).toBeNull(); // 2506 = 7 × 358
    expect(out.getChild("x")!.get(2200)).toBe(10);
    expect(Array.from({ length: 6 }, (_, j) => out.getChild("b")!.get(j))).toEqual([false, false, true, false, false, true]); // 2502 = 3 × 834
  });

  test("64-bit integers become Int32 when they fit and Float64 when they do not", async () => {
    const out = await engine.sql("SELECT 5::BIGINT AS small, 3000000000::BIGINT AS big, NULL::BIGINT AS none, -7::HUGEINT AS huge, 4000000000::UINTEGER AS u");
    expect(out.schema.fields.map((f) => String(f.type))).toEqual(["Int32", "Float64", "Int32", "Float64", "Float64"]);
    expect(rows(out)).toEqual([{ small: 5, big: 3000000000, none: null, huge: -7, u: 4000000000 }]);
    const neg = await engine.sql("SELECT * FROM (VALUES (-1::BIGINT), (-2147483648::BIGINT), (NULL)) v(x)");
    expect(String(neg.schema.fields[0]!.type)).toBe("Int32");
    expect(neg.getChild("x")!.toJSON()).toEqual([-1, -2147483648, null]);
  });

  test("other DuckDB types become numbers or text", async () => {
    const out = await engine.sql(
      "SELECT 1.25::DECIMAL(5,2) AS dec, 2.5::FLOAT AS fl, 3::TINYINT AS ti, INTERVAL 2 DAY AS iv, [1,2] AS lst, TIMESTAMPTZ '2024-01-02 03:04:05+00' AS tz",
    );
    const info = tableInfo(out).columns.map((c) => c.dtype);
    expect(info).toEqual(["float", "float", "int", "string", "string", "timestamp"]);
    const r = rows(out)[0]!;
    expect([r.dec, r.fl, r.ti, r.lst]).toEqual([1.25, 2.5, 3, "[1, 2]"]);
    expect(r.tz).toBe(Date.UTC(2024, 0, 2, 3, 4, 5));
  });

  test("empty results keep their columns", async () => {
    const out = await engine.sql("SELECT 1 AS a, 'x' AS b WHERE false");
    expect(out.numRows).toBe(0);
    expect(tableInfo(out).columns).toEqual([
      { name: "a", dtype: "int" },
      { name: "b", dtype: "string" },
    ]);
  });

  test("temporary tables are dropped after the query and invisible to other queries", async () => {
    const t1 = tableFromColumns({ v: new Float64Array([1]) });
    const t2 = tableFromColumns({ v: new Float64Array([2]) });
    const [a, b] = await Promise.all([engine.sql("SELECT v FROM t", { t: t1 }), engine.sql("SELECT v FROM t", { t: t2 })]);
    expect([a.getChild("v")!.get(0), b.getChild("v")!.get(0)]).toEqual([1, 2]);
    const e = await userError(engine.sql("SELECT * FROM t"));
    expect(e.code).toBe("sql_error");
  });

  test("SQL errors say what failed and where, and list the tables", async () => {
    const t = tableFromColumns({ v: new Float64Array([1]) });
    const e = await userError(engine.sql("SELECT nope FROM t", { t }));
    expect(e.code).toBe("sql_error");
    expect(e.message).toMatch(/nope/);
    expect(e.message).toContain("LINE 1");
    expect(e.message).toContain('"t"');
    const syntax = await userError(engine.sql("SELEC 1"));
    expect(syntax.message).toMatch(/syntax error/i);
  });
});

describe("writeFile", () => {
  const table = tableFromColumns({ n: new Float64Array([1.5, NaN, 3]), s: ['say "hi"', "a,b", null] });

  for (const format of ["csv", "parquet", "json"] as const) {
    test(`${format} round trip keeps values, quotes, commas and nulls`, async () => {
      const path = join(dir, `out.${format}`);
      await engine.writeFile(table, path, format);
      const back = await engine.readFile(path);
      expect(rows(back)).toEqual([
        { n: 1.5, s: 'say "hi"' },
        { n: null, s: "a,b" },
        { n: 3, s: null },
      ]);
    });
  }

  test("writing into a missing folder is a user error naming the path", async () => {
    const e = await userError(engine.writeFile(table, join(dir, "no", "such", "out.csv"), "csv"));
    expect(e.code).toBe("write_failed");
    expect(e.message).toContain("out.csv");
  });
});
