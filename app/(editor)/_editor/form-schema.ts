/**
 * Pure helpers for the settings form: reading a params JSON Schema field (nullable unions, enums, lists of
 * objects, discriminated unions, records), default values for new list items, and validation messages by path.
 */
import type { FieldSchema } from "../../_lib/nodes";

export interface BaseType {
  type?: string;
  nullable: boolean;
  enumValues?: unknown[];
  field: FieldSchema;
}

/** Looks through `T | null` unions and `["x", "null"]` types; unions of constants become enums. */
export function baseType(f: FieldSchema): BaseType {
  const alts = f.anyOf ?? f.oneOf;
  if (alts) {
    const nonNull = alts.filter((a) => a.type !== "null");
    const inner = nonNull[0] ?? {};
    const consts = nonNull.every((a) => a.const !== undefined) ? nonNull.map((a) => a.const) : undefined;
    return { type: inner.type as string | undefined, nullable: nonNull.length < alts.length, enumValues: consts ?? inner.enum, field: { ...inner, ...f, anyOf: undefined, oneOf: undefined } };
  }
  if (Array.isArray(f.type)) {
    const t = f.type.filter((x) => x !== "null");
    return { type: t[0], nullable: t.length < f.type.length, enumValues: f.enum, field: f };
  }
  if (f.type === undefined && f.const !== undefined) return { type: typeof f.const, nullable: false, enumValues: [f.const], field: f };
  return { type: f.type, nullable: false, enumValues: f.enum, field: f };
}

export const humanize = (name: string) =>
  name
    .replace(/([a-z])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .replace(/^./, (c) => c.toUpperCase());

/** One choice of a discriminated union: the value of its discriminator, its title and its object schema. */
export interface Variant {
  value: string;
  title: string;
  schema: FieldSchema;
}

export interface UnionInfo {
  discriminator: string;
  variants: Variant[];
}

/** A discriminated union of objects (`z.discriminatedUnion`), as `oneOf`/`anyOf` of objects with a shared constant key. */
export function unionOf(f: FieldSchema | undefined): UnionInfo | undefined {
  const alts = f?.oneOf ?? f?.anyOf;
  if (!alts || alts.length === 0 || !alts.every((a) => a.type === "object" && a.properties)) return undefined;
  const first = alts[0]!.properties!;
  const discriminator = Object.keys(first).find((k) => alts.every((a) => a.properties?.[k]?.const !== undefined));
  if (!discriminator) return undefined;
  const variants = alts.map((a) => {
    const value = String(a.properties![discriminator]!.const);
    return { value, title: a.title ?? humanize(value), schema: a };
  });
  return { discriminator, variants };
}

export function isObjectSchema(f: FieldSchema | undefined): boolean {
  return !!f && f.type === "object" && !!f.properties && !(typeof f.additionalProperties === "object");
}

/** What an array field is edited as, or undefined when the form has no editor for it. */
export type ListKind = "union" | "objects" | "numbers" | "strings";
export function listKind(f: FieldSchema): ListKind | undefined {
  const t = Array.isArray(f.type) ? f.type.find((x) => x !== "null") : f.type;
  if (t !== "array" || !f.items) return undefined;
  if (unionOf(f.items)) return "union";
  if (isObjectSchema(f.items)) return "objects";
  const it = baseType(f.items);
  if (it.enumValues) return undefined;
  if (it.type === "number" || it.type === "integer") return "numbers";
  if (it.type === "string") return "strings";
  return undefined;
}

/** A record (`z.record(z.string(), primitive)`) edited as key/value rows. */
export function isRecord(f: FieldSchema): boolean {
  return f.type === "object" && typeof f.additionalProperties === "object" && !f.properties;
}

/** A fresh object for `schema`: every default filled in, the discriminator set. */
export function defaultObject(schema: FieldSchema, discriminator?: { key: string; value: string }): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (discriminator) out[discriminator.key] = discriminator.value;
  for (const [k, p] of Object.entries(schema.properties ?? {})) {
    if (k === discriminator?.key) continue;
    if (p.default !== undefined) out[k] = structuredClone(p.default);
    else if ((schema.required ?? []).includes(k) && listKind(p)) out[k] = [];
  }
  return out;
}

/** The value a new row of a list of numbers or strings starts with. */
export function defaultScalar(items: FieldSchema, list: unknown[], kind: "numbers" | "strings"): unknown {
  if (kind === "strings") return "";
  const last = list[list.length - 1];
  if (typeof last === "number") return last;
  if (typeof items.default === "number") return items.default;
  return items.minimum ?? (items.exclusiveMinimum !== undefined ? items.exclusiveMinimum + 1 : 0);
}

/** "Expectations" → "expectation", "Hidden layers" → "layer". */
export function itemNoun(f: FieldSchema, name: string): string {
  if (f.itemLabel) return f.itemLabel;
  const words = (f.title ?? humanize(name)).trim().split(/\s+/);
  const last = (words[words.length - 1] ?? "item").toLowerCase();
  if (/ies$/.test(last)) return last.replace(/ies$/, "y");
  if (/(ss|us)$/.test(last)) return "item";
  return last.endsWith("s") ? last.slice(0, -1) : "item";
}

export type Path = ReadonlyArray<string | number>;
export const pathKey = (p: Path) => p.join(".");

interface ZodIssueLike {
  path: PropertyKey[];
  message: string;
  code?: string;
  input?: unknown;
  minimum?: unknown;
  origin?: string;
}

/** Zod's messages, in words for people: an empty required field says so. */
export function issueMessage(i: ZodIssueLike): string {
  if (i.code === "invalid_type" && i.input === undefined) return "Required.";
  if (i.code === "too_small" && i.origin === "string" && i.minimum === 1) return "Required.";
  if (i.code === "too_small" && i.origin === "array" && i.minimum === 1) return "Add at least one.";
  return i.message;
}

/** Issues keyed by path ("expectations.2.column"); the first one wins. */
export function issuesByPath(issues: ZodIssueLike[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const i of issues) {
    const k = i.path.map(String).join(".");
    if (!out.has(k)) out.set(k, issueMessage(i));
  }
  return out;
}
