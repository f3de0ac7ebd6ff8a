/**
 * Random forest (Breiman 2001; scikit-learn's RandomForestClassifier / RandomForestRegressor): many decision
 * trees, each on a bootstrap sample with a random subset of features tried per split, averaged. The
 * out-of-bag score streams after every tree as a learning curve.
 */
import { z } from "zod";
import { defineNode } from "../core/define-node";
import { port } from "../core/ports";
import type { ChartValue } from "../core/values";
import { trainTrees, treeParams } from "./forest-node";
import { modelInfo } from "./gradient-boosting";

const params = treeParams("auto").extend({
  nEstimators: z.number().int().min(1).max(5000).default(100).meta({ title: "Trees", description: "Number of trees; more is steadier and slower." }),
  bootstrap: z.boolean().default(true).meta({
    title: "Bootstrap",
    description: "Grow each tree on n rows drawn with replacement (rows left out give the out-of-bag score). Off: every tree sees all rows and differs only by its feature draws.",
  }),
});

export default defineNode({
  kind: "training/random-forest",
  version: 1,
  title: "Random forest",
  category: "Training",
  description:
    "An average of many decision trees, each grown on a bootstrap sample with a random subset of features per split (like scikit-learn's RandomForestClassifier/Regressor). Robust with default settings; the out-of-bag score (accuracy or R²) is shown after every tree.",
  inputs: { train: port.table({ label: "Train" }) },
  outputs: { model: port.model({ label: "Model" }), importance: port.chart({ label: "Feature importance" }), curve: port.chart({ label: "OOB curve" }) },
  params,
  resources: { heavy: true },
  infer: ({ inputs, params }) => {
    const t = inputs.train?.table;
    if (!t) return {};
    return { model: { model: modelInfo(t, params, "random-forest") }, importance: {}, curve: {} };
  },
  async run({ inputs, params, ctx }) {
    const { model, importance, oob } = await trainTrees(inputs.train, params, { nEstimators: params.nEstimators, bootstrap: params.bootstrap }, ctx);
    const points = oob.flatMap((v, i) => (v === null ? [] : [[i + 1, v] as const]));
    const regression = model.info.task === "regression";
    const curve: ChartValue = {
      kind: "line",
      title: params.bootstrap ? `Out-of-bag ${regression ? "R²" : "accuracy"}` : "Out-of-bag score (needs Bootstrap)",
      xLabel: "trees",
      yLabel: regression ? "OOB R²" : "OOB accuracy",
      series: [{ name: "oob_score", x: points.map(([x]) => x), y: points.map(([, y]) => y) }],
    };
    return { model, importance, curve };
  },
});
