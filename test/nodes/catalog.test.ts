import { describe, expect, it } from "vitest";
import { z } from "zod";
import { NODE_DEFINITIONS, registry } from "../../nodes/catalog";
import { CATEGORIES } from "../../nodes/core/define-node";
import { paramFields } from "../../nodes/core/params";
import { PORT_TYPES } from "../../nodes/core/ports";
import { createRegistry } from "../../nodes/core/registry";

describe("node catalogue", () => {
  it("lists the foundation's first nodes", () => {
    const kinds = registry.all().map((d) => d.kind);
    expect(kinds).toEqual(
      expect.arrayContaining([
        "sources/file",
        "sources/sample-dataset",
        "features/select-columns",
        "features/train-test-split",
        "training/logistic-regression",
        "evaluation/classification-metrics",
        "sources/postgres-query",
        "sources/http",
        "sources/synthetic",
        "validation/expectations",
        "validation/schema-drift",
      ]),
    );
  });

  it("has unique, namespaced kinds with integer versions", () => {
    const kinds = NODE_DEFINITIONS.map((d) => d.kind);
    expect(new Set(kinds).size).toBe(kinds.length);
    for (const d of NODE_DEFINITIONS) {
      expect(d.kind).toMatch(/^[a-z]+\/[a-z0-9-]+$/);
      expect(Number.isInteger(d.version) && d.version >= 1).toBe(true);
    }
    expect(() => createRegistry([...NODE_DEFINITIONS, NODE_DEFINITIONS[0]!])).toThrow(/Duplicate node kind/);
  });

  it.each(NODE_DEFINITIONS.map((d) => [d.kind, d] as const))("%s: defaults parse, ports and category are valid, form schema generates", (_, d) => {
    expect(d.params.safeParse({}).success).toBe(true);
    expect(CATEGORIES).toContain(d.category);
    expect(d.title.length).toBeGreaterThan(0);
    expect(d.description.length).toBeGreaterThan(20);
    for (const spec of [...Object.values(d.inputs), ...Object.values(d.outputs)]) expect(PORT_TYPES).toContain(spec.type);
    // the editor's form comes from this
    expect(() => z.toJSONSchema(d.params, { io: "input" })).not.toThrow();
    // every column picker points at a real table input
    for (const f of paramFields(d.params)) {
      if (f.meta?.ui === "column" || f.meta?.ui === "columns") expect(d.inputs[f.meta.port!]?.type).toBe("table");
    }
  });
});
