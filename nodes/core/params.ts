/**
 * Param helpers. Params are zod schemas with defaults; the editor generates forms from their JSON Schema
 * (`z.toJSONSchema`), and metadata set here turns a string field into a column picker fed by the schema
 * propagated to one of the node's input ports. The compiler checks such fields against that schema.
 */
import { z } from "zod";

export type ColumnDType = "any" | "numeric" | "string";

/** Metadata keys Lattice reads from `.meta()`; they appear verbatim in the generated JSON Schema. */
export interface FieldMeta {
  title?: string;
  description?: string;
  /**
   * `column`: one column of `port`; `columns`: several; `code`: a code editor; `code-params`: the form of a
   * code node's declared parameters; `file`: a file/upload.
   */
  ui?: "column" | "columns" | "code" | "code-params" | "file" | "textarea" | "hidden" | "trainer-setting";
  port?: string;
  dtype?: ColumnDType;
  /** Lists: names the editor's add button ("+ Add rule"); defaults to the field's title. */
  itemLabel?: string;
}

interface ColumnOpts {
  port: string;
  title?: string;
  description?: string;
  dtype?: ColumnDType;
}

export const p = {
  /** One column of the table on input `port`. Empty string means "not chosen". */
  column: (o: ColumnOpts) =>
    z.string().default("").meta({ ui: "column", port: o.port, dtype: o.dtype ?? "any", title: o.title, description: o.description }),
  /** Several columns of the table on input `port`. */
  columns: (o: ColumnOpts) =>
    z.array(z.string()).default([]).meta({ ui: "columns", port: o.port, dtype: o.dtype ?? "any", title: o.title, description: o.description }),
};

/** Metadata of a field, looking through optional/default/nullable wrappers. */
export function fieldMeta(schema: z.ZodType): FieldMeta | undefined {
  let cur: z.ZodType | undefined = schema;
  for (let i = 0; cur && i < 8; i++) {
    const m = cur.meta() as FieldMeta | undefined;
    if (m && (m.ui || m.title || m.description)) return m;
    const def: { innerType?: z.ZodType } = (cur as unknown as { _zod: { def: { innerType?: z.ZodType } } })._zod.def;
    cur = def.innerType;
  }
  return undefined;
}

/** Fields of an object params schema, with their metadata. */
export function paramFields(params: z.ZodType): Array<{ name: string; schema: z.ZodType; meta?: FieldMeta }> {
  const shape = (params as unknown as { shape?: Record<string, z.ZodType> }).shape;
  if (!shape) return [];
  return Object.entries(shape).map(([name, schema]) => ({ name, schema, meta: fieldMeta(schema) }));
}
