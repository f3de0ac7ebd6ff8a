/**
 * Content-addressed cache keys: kind@version + canonical params + input artifact hashes. Two nodes with the
 * same key produce the same outputs, so a rerun after one param change re-executes only that node and its
 * descendants (their input hashes change), while everything upstream is served from the cache.
 */
import { createHash } from "node:crypto";

/** JSON with object keys sorted at every level, so `{a,b}` and `{b,a}` hash alike. */
export function canonicalJson(v: unknown): string {
  if (v === null || typeof v !== "object") return JSON.stringify(v) ?? "null";
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  const o = v as Record<string, unknown>;
  const keys = Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(",")}}`;
}

export function sha256(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

export function cacheKey(kind: string, version: number, params: Record<string, unknown>, inputHashes: Record<string, string>): string {
  return sha256(`${kind}@${version}\n${canonicalJson(params)}\n${canonicalJson(inputHashes)}`);
}
