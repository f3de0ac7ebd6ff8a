/**
 * A single CART decision tree (scikit-learn's DecisionTreeClassifier / DecisionTreeRegressor): readable,
 * fast, and the building block of the random forest. Settings and fitting are shared with it (forest-node.ts).
 */
import { defineNode } from "../core/define-node";
import { port } from "../core/ports";
import { trainTrees, treeParams } from "./forest-node";
import { modelInfo } from "./gradient-boosting";

const params = treeParams("all");

export default defineNode({
  kind: "training/decision-tree",
  version: 1,
  title: "Decision tree",
  category: "Training",
  description:
    "One decision tree (CART, like scikit-learn's DecisionTreeClassifier/Regressor): Gini or entropy splits for classes, squared error for numbers. Numbers are split at the boundaries between their values (at quantiles beyond Max bins distinct values), text columns into sets of categories, missing values go to the better side. Limit Max depth or Min rows per leaf to keep it general.",
  inputs: { train: port.table({ label: "Train" }) },
  outputs: { model: port.model({ label: "Model" }), importance: port.chart({ label: "Feature importance" }) },
  params,
  resources: { heavy: true },
  infer: ({ inputs, params }) => {
    const t = inputs.train?.table;
    if (!t) return {};
    return { model: { model: modelInfo(t, params, "decision-tree") }, importance: {} };
  },
  async run({ inputs, params, ctx }) {
    const { model, importance } = await trainTrees(inputs.train, params, undefined, ctx);
    return { model, importance };
  },
});
