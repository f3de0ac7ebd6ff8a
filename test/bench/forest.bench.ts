/**
 * Random forest on UCI Adult (rows with index % 5 == 0 held out, as in test/fixtures/golden/make_trees.py;
 * 100 trees, scikit-learn's defaults: gini, √F features per split, bootstrap, no depth limit) next to
 * scikit-learn's RandomForestClassifier fitted in the same run on the same rows (text columns ordinal-encoded,
 * since its forests take numbers only), once with n_jobs=1 and once with all cores. Our fit is one thread.
 */
import { execFileSync } from "node:child_process";
import { gatherRows } from "../../nodes/core/arrow";
import { rocAuc } from "../../nodes/evaluation/metrics";
import { predictForest } from "../../nodes/training/forest-node";
import randomForest from "../../nodes/training/random-forest";
import { closeTestRuntime, makeContext, testRuntime } from "../helpers/node-context";
import { median, type BenchResult } from "./stats";

const ADULT = "/work/shared/datasets/adult.csv";
const FITS = 3;

const SKLEARN = (jobs: number) => `
import json, time, numpy as np, pandas as pd
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import roc_auc_score
df = pd.read_csv(${JSON.stringify(ADULT)}, na_values="?")
y = (df["class"] == ">50K").astype(int).to_numpy()
X = df.drop(columns=["class"])
for c in X.columns:
    if X[c].dtype == object: X[c] = X[c].astype("category").cat.codes
test = np.arange(len(df)) % 5 == 0
times = []
for i in range(${FITS}):
    m = RandomForestClassifier(n_estimators=100, random_state=0, n_jobs=${jobs})
    t = time.perf_counter(); m.fit(X[~test], y[~test]); times.append(time.perf_counter() - t)
auc = roc_auc_score(y[test], m.predict_proba(X[test])[:, 1])
print(json.dumps({"fit_s": sorted(times)[len(times) // 2], "auc": auc}))
`;

function sklearn(jobs: number): { fit_s: number; auc: number } | string {
  try {
    return JSON.parse(execFileSync("/usr/bin/python3", ["-c", SKLEARN(jobs)], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] })) as { fit_s: number; auc: number };
  } catch (e) {
    return `scikit-learn baseline skipped (${(e as Error).message.split("\n")[0]}); apt-get install -y python3-sklearn python3-pandas`;
  }
}

export async function benchForest(): Promise<BenchResult[]> {
  try {
    const all = await testRuntime().tables.readFile(ADULT, { nullStrings: ["?"] });
    const rows = (keep: (i: number) => boolean) => Int32Array.from({ length: all.numRows }, (_, i) => i).filter(keep);
    const train = gatherRows(all, rows((i) => i % 5 !== 0));
    const test = gatherRows(all, rows((i) => i % 5 === 0));
    const params = randomForest.params.parse({ label: "class" });
    const times: number[] = [];
    let model;
    for (let i = 0; i < FITS; i++) {
      const t = performance.now();
      ({ model } = await randomForest.run({ inputs: { train }, params, ctx: makeContext() }));
      times.push(performance.now() - t);
    }
    const { proba } = predictForest(model!, test);
    const y = (test.getChild("class")!.toArray() as string[]).map((v) => (v === ">50K" ? 1 : 0));
    const auc = rocAuc(y, Float64Array.from(y, (_, i) => proba[i * 2 + 1]!));
    const one = sklearn(1);
    const many = sklearn(-1);
    const fit = median(times);
    const describe = (r: typeof one, label: string) => (typeof r === "string" ? r : `${label}: fit ${(r.fit_s * 1000).toFixed(0)} ms (median of ${FITS}), test AUC ${r.auc.toFixed(4)}`);
    const ratio = typeof one === "string" ? "" : ` = ${(fit / (one.fit_s * 1000)).toFixed(2)}× n_jobs=1`;
    return [
      {
        name: `Random forest fit on Adult (100 trees, ${train.numRows} rows, median of ${FITS})${ratio}`,
        value: fit,
        unit: "ms",
        target: "≤ 2× scikit-learn n_jobs=1",
        ok: typeof one === "string" ? undefined : fit <= 2 * one.fit_s * 1000,
        baseline: `scikit-learn RandomForestClassifier — ${describe(one, "n_jobs=1")}; ${describe(many, "n_jobs=-1")}`,
      },
      { name: "Random forest test ROC-AUC on Adult", value: auc, unit: "", target: "within 0.01 of scikit-learn", ok: typeof one === "string" ? undefined : Math.abs(auc - one.auc) <= 0.01 },
    ];
  } finally {
    await closeTestRuntime();
  }
}
