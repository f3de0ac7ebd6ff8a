/**
 * The catalogue's checks (test/nodes/catalog.test.ts) applied to this part's nodes before they are registered.
 */
import { expect, it } from "vitest";
import { z } from "zod";
import { CATEGORIES, type AnyNodeDefinition } from "../../nodes/core/define-node";
import { paramFields } from "../../nodes/core/params";
import { PORT_TYPES } from "../../nodes/core/ports";
import prCalibration from "../../nodes/evaluation/pr-calibration";
import regressionMetrics from "../../nodes/evaluation/regression-metrics";
import cvSummary from "../../nodes/evaluation/cv-summary-node";
import fairnessMetrics from "../../nodes/fairness/fairness-metrics";
import groupThresholds from "../../nodes/fairness/group-thresholds";
import reweighing from "../../nodes/fairness/reweighing";

const defs = [fairnessMetrics, reweighing, groupThresholds, regressionMetrics, prCalibration, cvSummary] as unknown as AnyNodeDefinition[];

it.each(defs.map((d) => [d.kind, d] as const))("%s: defaults parse, form schema generates, pickers point at table inputs", (_, d) => {
  expect(d.kind).toMatch(/^[a-z]+\/[a-z0-9-]+$/);
  expect(d.params.safeParse({}).success).toBe(true);
  expect(CATEGORIES).toContain(d.category);
  expect(d.description.length).toBeGreaterThan(100);
  for (const spec of [...Object.values(d.inputs), ...Object.values(d.outputs)]) expect(PORT_TYPES).toContain(spec.type);
  expect(() => z.toJSONSchema(d.params, { io: "input" })).not.toThrow();
  for (const f of paramFields(d.params)) {
    expect(f.meta?.title, `${d.kind}.${f.name} has a title`).toBeTruthy();
    if (f.meta?.ui === "column" || f.meta?.ui === "columns") expect(d.inputs[f.meta.port!]?.type).toBe("table");
  }
  // infer works before anything upstream is known
  const inputs = Object.fromEntries(Object.keys(d.inputs).map((k) => [k, undefined]));
  expect(() => d.infer?.({ inputs, params: d.params.parse({}) })).not.toThrow();
});

it("kinds are unique", () => {
  expect(new Set(defs.map((d) => d.kind)).size).toBe(defs.length);
});
