/**
 * nodes/fairness against fairlearn's definitions as recomputed by test/fixtures/golden/make_fairness.py
 * (NumPy/scikit-learn; see its header), within 1e-9. The Adult case runs the nodes on ../shared/datasets/adult.csv.
 */
import { existsSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Table } from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import { numericColumn, stringColumn, tableFromColumns } from "../../nodes/core/arrow";
import fairness from "../../nodes/fairness/fairness-metrics";
import groupThresholds from "../../nodes/fairness/group-thresholds";
import { disparities, groupRates, reweighingWeights, type Disparities } from "../../nodes/fairness/group-rates";
import reweighing from "../../nodes/fairness/reweighing";
import { chooseThreshold } from "../../nodes/fairness/threshold-search";
import { closeTestRuntime, makeContext, testRuntime } from "../helpers/node-context";

type Expected = Record<keyof Disparities, number | null> & { groups: Array<Record<string, number | string | null>> };
interface Case {
  name: string;
  groups: string[];
  y_true: number[];
  y_pred: number[];
  y_score?: number[];
  expected: Expected;
}
const fixture = JSON.parse(readFileSync(new URL("../fixtures/golden/fairness.json", import.meta.url), "utf8")) as {
  cases: Case[];
  reweighing: Array<{ groups: string[]; labels: string[]; expected: Record<string, number> }>;
  thresholds: Array<{ objective: "selection_rate" | "tpr"; target: number; expected: Record<string, { threshold: number; rate: number }> }>;
  adult: null | {
    sex: Expected;
    race: Expected;
    reweighing_sex: Record<string, number>;
    thresholds_sex_selection: Record<string, { threshold: number; rate: number }>;
    thresholds_sex_tpr: Record<string, { threshold: number; rate: number }>;
  };
};
const TOL = 1e-9;
const DISPARITIES = ["demographic_parity_difference", "demographic_parity_ratio", "equalized_odds_difference", "equalized_odds_ratio", "equal_opportunity_difference", "equal_opportunity_ratio", "disparate_impact"] as const;
const RATES = ["count", "positives", "selection_rate", "tpr", "fpr", "precision", "accuracy", "roc_auc"] as const;

function close(actual: number | null | undefined, expected: number | null) {
  if (expected === null) return expect(actual).toBeNull();
  expect(actual).toBeTypeOf("number");
  expect(Math.abs(actual! - expected)).toBeLessThanOrEqual(TOL);
}
const codes = (groups: string[]) => {
  const names = [...new Set(groups)].sort();
  return { names, code: Int32Array.from(groups, (g) => names.indexOf(g)) };
};

afterAll(closeTestRuntime);

it("fixture has the cases the tests rely on", () => {
  expect(fixture.cases.map((c) => c.name)).toEqual(["three-groups", "degenerate-groups", "none-selected", "equal"]);
  expect(fixture.thresholds).toHaveLength(4);
});

describe.each(fixture.cases)("case $name", (c) => {
  it("per-group rates and disparity metrics equal fairlearn's definitions", () => {
    const { names, code } = codes(c.groups);
    const rates = groupRates(c.y_true, c.y_pred, code, names.length, c.y_score);
    rates.forEach((r, g) => {
      expect(c.expected.groups[g]!.group).toBe(names[g]);
      for (const k of RATES) close(r[k], c.expected.groups[g]![k] as number | null);
    });
    const d = disparities(rates);
    for (const k of DISPARITIES) close(d[k], c.expected[k]);
  });
  it("the node reports the same numbers", async () => {
    const table = tableFromColumns({ g: c.groups, y: c.y_true.map(String), pred: c.y_pred.map(String) }, { g: "sensitive", y: "label", pred: "prediction" });
    const out = await fairness.run({ inputs: { predictions: table }, params: fairness.params.parse({ positiveClass: "1" }), ctx: makeContext() });
    for (const k of DISPARITIES) close(out.metrics.values[k] as number | null, c.expected[k]);
    expect(out.groups.numRows).toBe(c.expected.groups.length);
    close(numericColumn(out.groups, "tpr")[0]!, c.expected.groups[0]!.tpr as number);
  });
});

describe.each(fixture.reweighing)("reweighing case %#", (c) => {
  it("w(g, y) = P(g)P(y)/P(g, y) for every row", () => {
    const { names, code } = codes(c.groups);
    const labels = [...new Set(c.labels)].sort();
    const { weights, table } = reweighingWeights(code, Int32Array.from(c.labels, (y) => labels.indexOf(y)), names.length, labels.length);
    for (const [key, w] of Object.entries(c.expected)) {
      const [g, y] = key.split("|") as [string, string];
      close(table[names.indexOf(g)]![labels.indexOf(y)]!, w);
    }
    c.groups.forEach((g, i) => close(weights[i]!, c.expected[`${g}|${c.labels[i]}`]!));
  });
});

describe.each(fixture.thresholds)("per-group thresholds: $objective to $target", (t) => {
  it("match a brute-force search over every cut-off", () => {
    const c = fixture.cases[0]!;
    const { names } = codes(c.groups);
    for (const g of names) {
      const idx = c.groups.flatMap((x, i) => (x === g ? [i] : []));
      const got = chooseThreshold(idx.map((i) => c.y_score![i]!), idx.map((i) => c.y_true[i]!), t.objective, t.target)!;
      close(got.threshold, t.expected[g]!.threshold);
      close(got.rate, t.expected[g]!.rate);
    }
  });
});

const ADULT = fileURLToPath(new URL("../../../shared/datasets/adult.csv", import.meta.url));

describe.skipIf(!fixture.adult || !existsSync(ADULT))("UCI Adult (../shared/datasets/adult.csv)", () => {
  let adult: Table;
  async function predictions(): Promise<Table> {
    adult ??= await testRuntime().tables.readFile(ADULT, { nullStrings: ["?"] });
    const edu = numericColumn(adult, "education-num");
    const gain = numericColumn(adult, "capital-gain");
    const hours = numericColumn(adult, "hours-per-week");
    const age = numericColumn(adult, "age");
    const prediction = Array.from(edu, (e, i) => (e >= 13 || gain[i]! >= 5000 ? ">50K" : "<=50K"));
    const score = Float64Array.from(edu, (e, i) => {
      const z = 0.3 * (e - 10) + 0.05 * (hours[i]! - 40) + 0.03 * (age[i]! - 38);
      return 0.5 + z / (2 * (1 + Math.abs(z)));
    });
    return tableFromColumns({ sex: stringColumn(adult, "sex"), race: stringColumn(adult, "race"), class: stringColumn(adult, "class"), prediction, score }, {
      class: "label",
      prediction: "prediction",
      score: "score",
    });
  }

  it.each(["sex", "race"] as const)("fairness metrics on %s", async (sensitive) => {
    const out = await fairness.run({ inputs: { predictions: await predictions() }, params: fairness.params.parse({ sensitive }), ctx: makeContext() });
    const e = fixture.adult![sensitive];
    for (const k of DISPARITIES) close(out.metrics.values[k] as number | null, e[k]);
    const rates = out.metrics.details!.groups as Array<Record<string, number | null>>;
    rates.forEach((r, g) => RATES.forEach((k) => close(r[k], e.groups[g]![k] as number | null)));
  }, 30_000);

  it("reweighing on sex", async () => {
    const t = await predictions();
    const out = await reweighing.run({ inputs: { data: t }, params: reweighing.params.parse({ sensitive: "sex" }), ctx: makeContext() });
    const w = numericColumn(out.data, "weight");
    const sex = stringColumn(t, "sex");
    const cls = stringColumn(t, "class");
    for (const i of [0, 1, 7, 8, 9, 100, 32560]) close(w[i]!, fixture.adult!.reweighing_sex[`${sex[i]}|${cls[i]}`]!);
  }, 30_000);

  it.each([
    ["selection_rate", "thresholds_sex_selection"],
    ["tpr", "thresholds_sex_tpr"],
  ] as const)("per-group thresholds equalizing %s on sex", async (objective, key) => {
    const out = await groupThresholds.run({ inputs: { predictions: await predictions() }, params: groupThresholds.params.parse({ sensitive: "sex", objective }), ctx: makeContext() });
    const th = out.thresholds.thresholds as Record<string, number>;
    for (const [g, e] of Object.entries(fixture.adult![key])) close(th[g]!, e.threshold);
    const groups = out.thresholds.groups as Array<{ group: string; after: Record<string, number> }>;
    for (const g of groups) close(g.after[objective]!, fixture.adult![key][g.group]!.rate);
  }, 30_000);
});
