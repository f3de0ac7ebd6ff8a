import type { AnyNodeDefinition } from "./define-node";

/** Looks node definitions up by kind. Built from an explicit list (see nodes/catalog.ts), never a directory scan. */
export interface NodeRegistry {
  get(kind: string): AnyNodeDefinition | undefined;
  all(): AnyNodeDefinition[];
}

export function createRegistry(defs: readonly AnyNodeDefinition[]): NodeRegistry {
  const byKind = new Map<string, AnyNodeDefinition>();
  for (const d of defs) {
    if (byKind.has(d.kind)) throw new Error(`Duplicate node kind "${d.kind}" in the registry`);
    if (!Number.isInteger(d.version) || d.version < 1) throw new Error(`Node "${d.kind}" has a non-integer version`);
    byKind.set(d.kind, d);
  }
  return { get: (k) => byKind.get(k), all: () => [...byKind.values()] };
}
