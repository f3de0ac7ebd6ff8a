/**
 * The catalogue's contract (test/nodes/catalog.test.ts) for the sources and validation nodes of this part, until
 * they are registered in nodes/catalog.ts; plus the browser-safety rule: no runtime import of pg or Node built-ins
 * at module top level.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { expect, test } from "vitest";
import { z } from "zod";
import type { AnyNodeDefinition } from "../../nodes/core/define-node";
import { CATEGORIES } from "../../nodes/core/define-node";
import { paramFields } from "../../nodes/core/params";
import { PORT_TYPES } from "../../nodes/core/ports";
import httpSource from "../../nodes/sources/http-source";
import postgresQuery from "../../nodes/sources/postgres-query";
import synthetic from "../../nodes/sources/synthetic";
import expectations from "../../nodes/validation/expectations";
import schemaDrift from "../../nodes/validation/schema-drift";

const DEFS = [postgresQuery, httpSource, synthetic, expectations, schemaDrift] as unknown as AnyNodeDefinition[];

test.each(DEFS.map((d) => [d.kind, d] as const))("%s: defaults parse, ports valid, form schema generates", (_, d) => {
  expect(d.kind).toMatch(/^[a-z]+\/[a-z0-9-]+$/);
  expect(d.params.safeParse({}).success).toBe(true);
  expect(CATEGORIES).toContain(d.category);
  expect(d.description.length).toBeGreaterThan(20);
  for (const spec of [...Object.values(d.inputs), ...Object.values(d.outputs)]) expect(PORT_TYPES).toContain(spec.type);
  expect(() => z.toJSONSchema(d.params, { io: "input" })).not.toThrow();
  for (const f of paramFields(d.params)) if (f.meta?.ui === "column" || f.meta?.ui === "columns") expect(d.inputs[f.meta.port!]?.type).toBe("table");
});

test("the files import pg and Node built-ins only lazily (nodes/ is loaded by the browser too)", () => {
  const files = ["sources/postgres-query.ts", "sources/pg-columns.ts", "sources/pg-connection.ts", "sources/http-source.ts", "sources/synthetic.ts", "validation/expectations.ts", "validation/expectation-checks.ts", "validation/schema-drift.ts", "validation/drift-stats.ts"];
  for (const f of files) {
    const text = readFileSync(fileURLToPath(new URL(`../../nodes/${f}`, import.meta.url)), "utf8");
    const runtimeImports = [...text.matchAll(/^import\s+(?!type\b)[^;]*?from\s+"([^"]+)"/gm)].map((m) => m[1]!);
    for (const spec of runtimeImports) expect(spec, `${f} imports ${spec}`).toMatch(/^(\.\.?\/|zod$|apache-arrow$)/);
  }
});
