/** The endpoint page's snippets and try-it form (app/endpoints/[slug]/request.ts). */
import { describe, expect, it } from "vitest";
import { curlSnippet, exampleRow, formToRow, typescriptSnippet } from "../../app/endpoints/[slug]/request";
import type { InputField } from "../../server/serving/types";

const fields: InputField[] = [
  { name: "age", dtype: "number", nullable: false },
  { name: "hours", dtype: "integer", nullable: true },
  { name: "workclass", dtype: "string", nullable: true, categories: ["Private", "Self-emp-not-inc"] },
  { name: "native-country", dtype: "string", nullable: false },
];

describe("endpoint request helpers", () => {
  it("builds an example row from the input schema", () => {
    expect(exampleRow(fields)).toEqual({ age: 0, hours: 0, workclass: "Private", "native-country": "" });
  });

  it("fills curl and TypeScript snippets with the slug and the columns", () => {
    const row = { ...exampleRow(fields), "native-country": "O'Brien land" };
    const curl = curlSnippet("http://localhost:3000", "adult", row);
    expect(curl).toContain("http://localhost:3000/api/v1/endpoints/adult/predict");
    expect(curl).toContain("Authorization: Bearer $LATTICE_KEY");
    // The single quote inside the JSON survives shell quoting.
    expect(curl).toContain(`'{"rows":[{"age":0,"hours":0,"workclass":"Private","native-country":"O'\\''Brien land"}]}'`);
    const ts = typescriptSnippet("http://localhost:3000", "adult", fields, row);
    expect(ts).toContain("  age: number;");
    expect(ts).toContain("  hours?: number | null;");
    expect(ts).toContain(`  workclass?: "Private" | "Self-emp-not-inc" | (string & {}) | null;`);
    expect(ts).toContain(`  "native-country": string;`);
  });

  it("turns form values into a row, leaving blank optional fields out and naming bad ones", () => {
    expect(formToRow(fields, { age: "52", hours: "", workclass: "Private", "native-country": "Peru" })).toEqual({ row: { age: 52, workclass: "Private", "native-country": "Peru" }, errors: {} });
    expect(formToRow(fields, { age: "old", hours: "1.5", workclass: "", "native-country": "" }).errors).toEqual({ age: "Enter a number.", hours: "Enter a whole number.", "native-country": "Required." });
  });

  it("date and date-time fields: example values the API accepts; picker values sent as ISO strings", () => {
    const dates: InputField[] = [
      { name: "day", dtype: "date", nullable: false },
      { name: "local", dtype: "datetime", nullable: false },
      { name: "at", dtype: "datetime", nullable: false, timezone: "UTC" },
    ];
    expect(exampleRow(dates)).toEqual({ day: "1970-01-01", local: "1970-01-01T00:00:00", at: "1970-01-01T00:00:00Z" });
    const { row, errors } = formToRow(dates, { day: "2024-05-06", local: "2024-05-06T07:08", at: "2024-05-06T07:08:09" });
    expect(errors).toEqual({});
    expect(row.day).toBe("2024-05-06");
    expect(row.local).toBe("2024-05-06T07:08");
    // Zoned column: the picker's local time, as the UTC instant it names.
    expect(row.at).toBe(new Date(2024, 4, 6, 7, 8, 9).toISOString());
    expect(formToRow(dates, { day: "06/05/2024", local: "2024-05-06", at: "soon" }).errors).toEqual({ day: "Enter a date (YYYY-MM-DD).", local: "Enter a date and time.", at: "Enter a date and time." });
  });
});
