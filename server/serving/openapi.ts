/** The OpenAPI 3.1 document of one endpoint, generated from its input schema and output shape. */
import type { InputField } from "./types";

export interface OpenApiOptions {
  slug: string;
  name: string;
  version: number;
  fields: InputField[];
  task: "binary" | "multiclass" | "regression";
  classes?: string[];
  /** Base URL of the server, e.g. http://localhost:3000. */
  serverUrl?: string;
}

function fieldSchema(f: InputField): Record<string, unknown> {
  const base: Record<string, unknown> =
    f.dtype === "string"
      ? { type: "string", maxLength: 10000 }
      : f.dtype === "boolean"
        ? { type: "boolean" }
        : f.dtype === "date"
          ? { type: "string", format: "date", description: "A calendar date, YYYY-MM-DD.", examples: ["1970-01-01"] }
          : f.dtype === "datetime"
            ? {
                type: "string",
                format: "date-time",
                description: f.timezone
                  ? `An RFC 3339 date-time with an offset (Z or ±hh:mm), e.g. 1970-01-01T00:00:00Z; the column holds instants (time zone ${f.timezone}).`
                  : "An ISO 8601 date-time, e.g. 1970-01-01T00:00:00 (read as written: the column holds wall-clock times; an offset, when given, is converted to UTC).",
                examples: [f.timezone ? "1970-01-01T00:00:00Z" : "1970-01-01T00:00:00"],
              }
            : { type: f.dtype };
  if (f.categories?.length) base.examples = f.categories.slice(0, 20);
  if (f.categories?.length) base.description = `Categories seen in training: ${f.categories.slice(0, 50).join(", ")}${f.categories.length > 50 ? ", …" : ""}. Others are accepted and encoded as unseen.`;
  if (f.nullable) base.type = [base.type as string, "null"];
  return base;
}

const errorSchema = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message"],
      properties: {
        code: { type: "string" },
        message: { type: "string" },
        errors: {
          type: "array",
          description: "422: one entry per invalid field (row is the 0-based row index, -1 for the request as a whole).",
          items: { type: "object", required: ["row", "field", "message"], properties: { row: { type: "integer" }, field: { type: "string" }, message: { type: "string" } } },
        },
      },
    },
  },
};

/** `explanation` of a prediction with ?explain=true (docs/endpoints.md, Explanations). */
const explanationSchema = {
  type: "object",
  description:
    "With ?explain=true. intercept + Σ contributions = the explained output. Logistic regression (method linear): contributions of each model input to the log-odds of `class` (output log-odds). Other models (method kernel-shap): Kernel SHAP values of each input field over the whole pipeline, against a fixed sample of up to 50 training rows (intercept: their mean output); output is the probability of `class` (two classes: the positive one; more: the predicted one) or, for regressors, the predicted value. exact: every feature coalition was evaluated (else a seeded sample of 512). At most 100 rows per explained request.",
  required: ["method", "output", "intercept", "contributions"],
  properties: {
    method: { enum: ["linear", "kernel-shap"] },
    output: { enum: ["log-odds", "probability", "prediction"] },
    class: { type: "string" },
    intercept: { type: "number" },
    contributions: { type: "object", additionalProperties: { type: "number" } },
    exact: { type: "boolean" },
  },
};

export function openApiDocument(o: OpenApiOptions): Record<string, unknown> {
  const row = {
    type: "object",
    description: "One row: the input columns. Unknown properties are ignored.",
    required: o.fields.filter((f) => !f.nullable).map((f) => f.name),
    properties: Object.fromEntries(o.fields.map((f) => [f.name, fieldSchema(f)])),
  };
  const prediction =
    o.task === "regression"
      ? { type: "object", required: ["prediction"], properties: { prediction: { type: "number" }, explanation: explanationSchema } }
      : {
          type: "object",
          required: ["prediction", "probabilities"],
          properties: {
            prediction: { type: "string", ...(o.classes ? { enum: o.classes } : {}) },
            probabilities: { type: "object", additionalProperties: { type: "number", minimum: 0, maximum: 1 }, ...(o.classes ? { propertyNames: { enum: o.classes } } : {}) },
            explanation: explanationSchema,
          },
        };
  const err = (description: string) => ({ description, content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } });
  return {
    openapi: "3.1.0",
    info: { title: `${o.name} (Lattice endpoint ${o.slug})`, version: String(o.version), description: "Predictions from a published Lattice workflow." },
    ...(o.serverUrl ? { servers: [{ url: o.serverUrl }] } : {}),
    security: [{ bearer: [] }, { apiKey: [] }],
    paths: {
      [`/api/v1/endpoints/${o.slug}/predict`]: {
        post: {
          operationId: "predict",
          summary: "Predict for one row or a batch of rows",
          parameters: [
            { name: "explain", in: "query", required: false, schema: { type: "boolean" }, description: "Add per-row explanations (see Prediction.explanation): log-odds contributions for logistic regression, Kernel SHAP values of each input field for other models. At most 100 rows per request with explain (422 too_many_rows beyond)." },
            { name: "version", in: "query", required: false, schema: { type: "integer", minimum: 1 }, description: "Answer with this version instead of live/canary routing." },
          ],
          requestBody: {
            required: true,
            content: {
              "application/json": {
                schema: {
                  oneOf: [
                    { $ref: "#/components/schemas/Row" },
                    { type: "array", items: { $ref: "#/components/schemas/Row" }, minItems: 1, maxItems: 10000 },
                    { type: "object", required: ["rows"], properties: { rows: { type: "array", items: { $ref: "#/components/schemas/Row" }, minItems: 1, maxItems: 10000 } } },
                  ],
                },
              },
              "text/csv": { schema: { type: "string", description: "A header line with the input column names, then one line per row; empty cells are missing values." } },
            },
          },
          responses: {
            "200": {
              description: "One prediction per row, in order.",
              headers: { "x-lattice-version": { description: "The endpoint version that answered.", schema: { type: "integer" } } },
              content: {
                "application/json": {
                  schema: {
                    type: "object",
                    required: ["endpoint", "version", "predictions"],
                    properties: { endpoint: { type: "string" }, version: { type: "integer" }, predictions: { type: "array", items: { $ref: "#/components/schemas/Prediction" } } },
                  },
                },
              },
            },
            "400": err("The body is not valid JSON or CSV."),
            "401": err("No API key, or a wrong or revoked one."),
            "403": err("The key belongs to another endpoint."),
            "404": err("No such endpoint (or version)."),
            "413": err("The body is larger than the limit."),
            "415": err("Content type other than application/json or text/csv."),
            "422": err("Rows that do not fit the input schema, with one error per field; or more than 100 rows with explain=true (too_many_rows)."),
            "429": err("The key's rate limit is used up; see Retry-After."),
            "503": err("explain=true while the server computes as many explanations as it takes at once (explain_busy); see Retry-After."),
          },
        },
      },
    },
    components: {
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", description: "Authorization: Bearer lat_…" },
        apiKey: { type: "apiKey", in: "header", name: "x-api-key" },
      },
      schemas: { Row: row, Prediction: prediction, Error: errorSchema },
    },
  };
}
