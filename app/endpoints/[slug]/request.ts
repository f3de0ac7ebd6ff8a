/**
 * What the endpoint page tells people to send: an example row from the input schema, curl and TypeScript
 * snippets, and the browser call behind "Try it". Pure, apart from `predict` (fetch), so it is unit tested.
 */
import type { InputField } from "../../../server/serving/types";

export type Row = Record<string, string | number | boolean | null>;

/** Path of the public predict API (server/serving, docs/endpoints.md). */
export const predictPath = (slug: string) => `/api/v1/endpoints/${encodeURIComponent(slug)}/predict`;
export const openApiPath = (slug: string) => `/api/v1/endpoints/${encodeURIComponent(slug)}/openapi.json`;

/** A plausible row: the first category seen in training for category columns, 0 for numbers, false for flags. */
export function exampleRow(fields: InputField[]): Row {
  const row: Row = {};
  for (const f of fields) {
    if (f.categories?.length) row[f.name] = f.categories[0]!;
    else if (f.dtype === "number" || f.dtype === "integer") row[f.name] = 0;
    else if (f.dtype === "boolean") row[f.name] = false;
    else if (f.dtype === "date") row[f.name] = "1970-01-01";
    else if (f.dtype === "datetime") row[f.name] = f.timezone ? "1970-01-01T00:00:00Z" : "1970-01-01T00:00:00";
    else row[f.name] = f.nullable ? null : "";
  }
  return row;
}

/** Single quotes inside a shell single-quoted string. */
const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

export function curlSnippet(origin: string, slug: string, row: Row, key = "$LATTICE_KEY"): string {
  return [
    `curl -s ${origin}${predictPath(slug)} \\`,
    `  -H "Authorization: Bearer ${key}" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -d ${shellQuote(JSON.stringify({ rows: [row] }))}`,
  ].join("\n");
}

/** A typed client: the Row type has one property per input column, nullable ones optional. */
export function typescriptSnippet(origin: string, slug: string, fields: InputField[], row: Row): string {
  const tsType = (f: InputField) =>
    f.categories?.length && f.categories.length <= 12 ? f.categories.map((c) => JSON.stringify(c)).join(" | ") + " | (string & {})" : f.dtype === "integer" ? "number" : f.dtype === "date" || f.dtype === "datetime" ? "string" : f.dtype;
  const props = fields.map((f) => `  ${/^[A-Za-z_$][\w$]*$/.test(f.name) ? f.name : JSON.stringify(f.name)}${f.nullable ? "?" : ""}: ${tsType(f)}${f.nullable ? " | null" : ""};`);
  return [
    `type Row = {`,
    ...props,
    `};`,
    ``,
    `export async function predict(rows: Row[]) {`,
    `  const res = await fetch("${origin}${predictPath(slug)}", {`,
    `    method: "POST",`,
    `    headers: { Authorization: \`Bearer \${process.env.LATTICE_KEY}\`, "Content-Type": "application/json" },`,
    `    body: JSON.stringify({ rows }),`,
    `  });`,
    `  if (!res.ok) throw new Error(\`\${res.status}: \${(await res.json()).error.message}\`);`,
    `  return (await res.json()) as { endpoint: string; version: number; predictions: Array<{ prediction: string | number; probabilities?: Record<string, number> }> };`,
    `}`,
    ``,
    `console.log(await predict([${JSON.stringify(row)}]));`,
  ].join("\n");
}

/**
 * The try-it form's values → a row: blank optional fields are left out (missing), numbers parsed; errors say
 * which field is wrong before anything is sent.
 */
export function formToRow(fields: InputField[], values: Record<string, string>): { row: Row; errors: Record<string, string> } {
  const row: Row = {};
  const errors: Record<string, string> = {};
  for (const f of fields) {
    const raw = (values[f.name] ?? "").trim();
    if (raw === "") {
      if (!f.nullable) errors[f.name] = "Required.";
      continue;
    }
    if (f.dtype === "number" || f.dtype === "integer") {
      const n = Number(raw);
      if (!Number.isFinite(n)) errors[f.name] = "Enter a number.";
      else if (f.dtype === "integer" && !Number.isInteger(n)) errors[f.name] = "Enter a whole number.";
      else row[f.name] = n;
    } else if (f.dtype === "boolean") row[f.name] = raw === "true";
    else if (f.dtype === "datetime" && f.timezone) {
      // A datetime-local value is the browser's local time: sent as the instant it names (UTC, with "Z").
      const t = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(raw) ? new Date(raw) : undefined;
      if (!t || Number.isNaN(t.getTime())) errors[f.name] = "Enter a date and time.";
      else row[f.name] = t.toISOString();
    } else if (f.dtype === "datetime") {
      // Wall-clock column: sent as written (datetime-local gives YYYY-MM-DDTHH:MM[:SS]).
      if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(raw)) errors[f.name] = "Enter a date and time.";
      else row[f.name] = raw;
    } else if (f.dtype === "date") {
      if (!/^\d{4}-\d{2}-\d{2}$/.test(raw)) errors[f.name] = "Enter a date (YYYY-MM-DD).";
      else row[f.name] = raw;
    } else row[f.name] = raw;
  }
  return { row, errors };
}

export interface PredictAnswer {
  status: number;
  version?: string | null;
  body: unknown;
}

/** Calls the public predict API the way an application would: with an API key, not the session cookie. */
export async function predict(slug: string, key: string, rows: Row[]): Promise<PredictAnswer> {
  const res = await fetch(predictPath(slug), {
    method: "POST",
    credentials: "omit",
    headers: { authorization: `Bearer ${key.trim()}`, "content-type": "application/json" },
    body: JSON.stringify({ rows }),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // Not JSON (a proxy's error page): show the text.
  }
  return { status: res.status, version: res.headers.get("x-lattice-version"), body };
}
