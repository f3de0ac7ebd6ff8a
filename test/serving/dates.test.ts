/**
 * Date and timestamp input columns: "YYYY-MM-DD" dates and RFC 3339 / ISO date-times become the training
 * column's exact Arrow type and unit, anything else is a field error; CSV cells DuckDB read as dates arrive the
 * same way; the OpenAPI document says format date / date-time. End to end with the cars MPG example, whose
 * serving path replays `year("Year")` on the request's rows.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { DataType, DateDay, DateMillisecond, Float64, Table, Timestamp, TimeUnit, vectorFromArray } from "apache-arrow";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Workflow } from "../../server/graph/format";
import { columnsToTable, columnTypeOf, csvRows, InputError, parseDateTime, rowValidator } from "../../server/serving/input";
import { openApiDocument } from "../../server/serving/openapi";
import type { ColumnType } from "../../server/serving/spec";
import type { InputField } from "../../server/serving/types";
import { ADMIN, post, runWorkflow, startHarness, type Harness } from "./helpers";

const fields: InputField[] = [
  { name: "Year", dtype: "date", nullable: false },
  { name: "seen", dtype: "datetime", nullable: true },
  { name: "at", dtype: "datetime", nullable: true, timezone: "UTC" },
];
const types: Record<string, ColumnType> = { Year: "date32", seen: "timestamp[us]", at: "timestamp[ns, UTC]" };

function errorsOf(rows: unknown[]) {
  try {
    rowValidator(fields).columns(rows);
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as InputError).errors;
  }
  throw new Error("expected an InputError");
}

describe("date and date-time fields", () => {
  it("column types: Date32/Date64 and Timestamp with unit and time zone", () => {
    expect(columnTypeOf(new DateDay())).toBe("date32");
    expect(columnTypeOf(new DateMillisecond())).toBe("date64");
    expect(columnTypeOf(new Timestamp(TimeUnit.MICROSECOND))).toBe("timestamp[us]");
    expect(columnTypeOf(new Timestamp(TimeUnit.NANOSECOND, "Europe/Paris"))).toBe("timestamp[ns, Europe/Paris]");
    expect(columnTypeOf(new Timestamp(TimeUnit.SECOND, "UTC"))).toBe("timestamp[s, UTC]");
  });

  it("422 field errors for anything but YYYY-MM-DD dates and ISO date-times (with an offset for zoned columns)", () => {
    const ok = { Year: "1970-01-01", seen: "2020-02-29T10:00:00", at: "2020-02-29T10:00:00Z" };
    expect(() => rowValidator(fields).columns([ok])).not.toThrow();
    const errs = errorsOf([
      ok,
      { ...ok, Year: "1970-1-1" },
      { ...ok, Year: "2023-02-29" },
      { ...ok, Year: 1970 },
      { ...ok, Year: "1970-01-01T00:00:00Z" },
      { ...ok, seen: "2020-02-29" },
      { ...ok, seen: "2020-02-29T24:00:00" },
      { ...ok, at: "2020-02-29T10:00:00" },
      { ...ok, at: "yesterday" },
      { seen: null },
    ]);
    expect(errs).toEqual([
      { row: 1, field: "Year", message: "expected a date like 1970-01-01" },
      { row: 2, field: "Year", message: "expected a date like 1970-01-01" },
      { row: 3, field: "Year", message: "expected a date like 1970-01-01" },
      { row: 4, field: "Year", message: "expected a date like 1970-01-01" },
      { row: 5, field: "seen", message: expect.stringMatching(/^expected a date-time like 1970-01-01T00:00:00/) },
      { row: 6, field: "seen", message: expect.stringMatching(/^expected a date-time like/) },
      { row: 7, field: "at", message: expect.stringMatching(/^expected a date-time with a time zone offset like 1970-01-01T00:00:00Z \(column time zone UTC\)/) },
      { row: 8, field: "at", message: expect.stringMatching(/time zone offset/) },
      { row: 9, field: "Year", message: "required" },
    ]);
  });

  it("values become the training column's exact Arrow type and unit; offsets convert to UTC", () => {
    const cols = rowValidator(fields).columns([
      { Year: "1970-01-02", seen: "2020-01-01T00:00:00.123456", at: "2020-01-01T02:00:00.000000001+02:00" },
      { Year: "1969-12-31", seen: "2020-01-01 00:00:00-01:30", at: null },
    ]);
    const t = columnsToTable(cols, fields, types);
    expect(String(t.schema.fields[0]!.type)).toBe(String(new DateDay()));
    expect(String(t.schema.fields[1]!.type)).toBe(String(new Timestamp(TimeUnit.MICROSECOND)));
    const at = t.schema.fields[2]!.type as Timestamp;
    expect([at.unit, at.timezone]).toEqual([TimeUnit.NANOSECOND, "UTC"]);
    // Storage values in the column's unit: days; microseconds; nanoseconds (to the microsecond).
    expect(Array.from(t.getChild("Year")!.data[0]!.values as Int32Array)).toEqual([1, -1]);
    const seen = t.getChild("seen")!.data[0]!.values as BigInt64Array;
    expect(seen[0]).toBe(1_577_836_800_123_456n);
    expect(seen[1]).toBe(1_577_836_800_000_000n + 5_400_000_000n);
    expect((t.getChild("at")!.data[0]!.values as BigInt64Array)[0]).toBe(1_577_836_800_000_000_000n);
    expect(t.getChild("at")!.get(1)).toBeNull();
    // date64 and second-unit timestamps
    const t2 = columnsToTable({ d: [Date.UTC(2001, 8, 9)], s: [Date.UTC(2001, 8, 9, 1, 46, 40) + 0.5] }, [
      { name: "d", dtype: "date", nullable: false },
      { name: "s", dtype: "datetime", nullable: false },
    ], { d: "date64", s: "timestamp[s]" });
    expect((t2.getChild("d")!.data[0]!.values as BigInt64Array)[0]).toBe(BigInt(Date.UTC(2001, 8, 9)));
    expect((t2.getChild("s")!.data[0]!.values as BigInt64Array)[0]).toBe(BigInt(Date.UTC(2001, 8, 9, 1, 46, 40) / 1000));
    expect(parseDateTime("2020-01-01T00:00")).toEqual({ ms: Date.UTC(2020, 0, 1), offset: false });
  });

  it("CSV cells read as dates or timestamps become the ISO strings a JSON body carries", () => {
    const table = new Table({
      Year: vectorFromArray([Date.UTC(1970, 0, 1), null], new DateDay()),
      seen: vectorFromArray([Date.UTC(2020, 0, 1, 10), Date.UTC(2020, 0, 1)], new Timestamp(TimeUnit.MICROSECOND)),
      at: vectorFromArray([Date.UTC(2020, 0, 1, 10, 0, 0, 250), null], new Timestamp(TimeUnit.MICROSECOND, "UTC")),
      x: vectorFromArray([1, 2], new Float64()),
    });
    expect(DataType.isDate(table.getChild("Year")!.type)).toBe(true);
    expect(csvRows(table, fields)).toEqual([
      { Year: "1970-01-01", seen: "2020-01-01T10:00:00", at: "2020-01-01T10:00:00.25Z" },
      { Year: null, seen: "2020-01-01T00:00:00", at: null },
    ]);
    // A timestamp cell sent to a date field keeps its time, so the validator refuses it instead of truncating.
    const asDate = csvRows(new Table({ Year: vectorFromArray([Date.UTC(1970, 0, 1, 5)], new Timestamp(TimeUnit.MILLISECOND)) }), fields);
    expect(asDate[0]!.Year).toBe("1970-01-01T05:00:00");
  });

  it("OpenAPI: type string with format date / date-time", () => {
    const doc = openApiDocument({ slug: "s", name: "S", version: 1, fields, task: "regression" }) as any;
    const p = doc.components.schemas.Row.properties;
    expect(p.Year).toMatchObject({ type: "string", format: "date" });
    expect(p.seen).toMatchObject({ type: ["string", "null"], format: "date-time" });
    expect(p.at).toMatchObject({ type: ["string", "null"], format: "date-time" });
    expect(p.at.description).toMatch(/offset/);
  });
});

describe("cars MPG endpoint: the date column Year", () => {
  let h: Harness;
  let key = "";
  const url = () => `${h.url}/api/v1/endpoints/cars-dates/predict`;
  const row = { Cylinders: 8, Displacement: 307, Horsepower: 130, Weight_in_lbs: 3504, Acceleration: 12, Year: "1970-01-01", Origin: "USA" };
  beforeAll(async () => {
    h = await startHarness();
    const wf = JSON.parse(readFileSync(resolve(import.meta.dirname, "../../examples/cars-mpg.workflow.json"), "utf8")) as Workflow;
    const { workflowId, runId } = await runWorkflow(h.svc, wf);
    await h.svc.endpoints.publish({ workflowId, runId, slug: "cars-dates", modelNodeId: "linear" }, ADMIN);
    ({ key } = await h.svc.endpoints.createKey("cars-dates", "dates", ADMIN));
  }, 120_000);
  afterAll(async () => h?.close());

  it("takes Year as YYYY-MM-DD (JSON and CSV alike) and names bad values per row and field", async () => {
    const auth = { authorization: `Bearer ${key}` };
    const detail = await h.svc.endpoints.get("cars-dates");
    expect(detail.input.find((f) => f.name === "Year")).toMatchObject({ dtype: "date" });
    const json = await post(url(), JSON.stringify([row, { ...row, Year: "1982-01-01" }]), auth);
    expect(json.status).toBe(200);
    const [p70, p82] = (json.json.predictions as Array<{ prediction: number }>).map((p) => p.prediction);
    expect(p82! - p70!).toBeGreaterThan(1); // later model years: more miles per gallon
    const header = Object.keys(row).join(",");
    const csv = await post(url(), `${header}\n${Object.values(row).join(",")}\n`, { ...auth, "content-type": "text/csv" });
    expect(csv.status).toBe(200);
    expect(csv.json.predictions[0].prediction).toBeCloseTo(p70!, 9);
    const bad = await post(url(), JSON.stringify([row, row, row, { ...row, Year: "01/01/1970" }]), auth);
    expect(bad.status).toBe(422);
    expect(bad.json.error.errors).toEqual([{ row: 3, field: "Year", message: "expected a date like 1970-01-01" }]);
    const badCsv = await post(url(), `${header}\n${Object.values({ ...row, Year: "1970-13-01" }).join(",")}\n`, { ...auth, "content-type": "text/csv" });
    expect(badCsv.status).toBe(422);
    expect(badCsv.json.error.errors).toEqual([{ row: 0, field: "Year", message: "expected a date like 1970-01-01" }]);
    const doc = (await (await fetch(`${h.url}/api/v1/endpoints/cars-dates/openapi.json`)).json()) as any;
    const year = doc.components.schemas.Row.properties.Year;
    expect(year.format).toBe("date");
    expect([year.type].flat()).toContain("string");
  });
});
