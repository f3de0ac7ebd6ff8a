/**
 * What the Decision tree and Random forest nodes share: settings (scikit-learn's names and defaults), reading
 * the label and features, fitting (forest/fit.ts), the model value and the feature-importance chart. A decision
 * tree is a forest of one tree, without bootstrap, so both are scored by {@link predictForest}.
 */
import type { Table } from "apache-arrow";
import { z } from "zod";
import { fail } from "../core/errors";
import { p } from "../core/params";
import type { RunContext } from "../core/context";
import type { Task } from "../core/schema";
import type { ChartValue, ModelValue } from "../core/values";
import { labelledRows, rowWeights } from "./columns";
import { readFeature } from "./gbdt/columns";
import { fitForest } from "./forest/fit";
import { isForestState, predictForestState, treeToJson, type ForestState } from "./forest/model";
import { modelInfo, readTarget } from "./gradient-boosting";

/** Settings of both nodes; `maxFeatures` defaults differ (a tree looks at every feature, a forest at √F). */
export function treeParams(defaultMaxFeatures: "all" | "auto") {
  return z.object({
    label: p.column({ port: "train", title: "Label", description: "Column to predict. Empty: the column with the label role." }),
    features: p.columns({
      port: "train",
      title: "Features",
      description:
        "Columns to learn from. Empty: all other numeric and text columns, except those with role sensitive, id, weight, fold, score or prediction. Text columns are categorical (a split sends a set of categories left).",
    }),
    task: z.enum(["auto", "classification", "regression"]).default("auto").meta({
      title: "Task",
      description: "auto: text and true/false labels are classified; a numeric label is classified when it holds at most 10 distinct whole numbers, otherwise regressed.",
    }),
    positiveClass: z.string().default("").meta({
      title: "Positive class",
      description: "Two-class labels: the class whose probability is the score. Empty: the last class in sort order (e.g. >50K, 1, true).",
    }),
    criterion: z.enum(["gini", "entropy"]).default("gini").meta({
      title: "Criterion",
      description: "Impurity a classification split reduces: Gini or entropy (information gain). Regression always uses squared error.",
    }),
    maxDepth: z.number().int().min(0).max(1000).default(0).meta({ title: "Max depth", description: "0: no limit (nodes split until pure or too small)." }),
    minSamplesSplit: z.number().int().min(2).default(2).meta({ title: "Min rows to split", description: "A node with fewer rows becomes a leaf." }),
    minSamplesLeaf: z.number().int().min(1).default(1).meta({ title: "Min rows per leaf" }),
    maxLeafNodes: z
      .number()
      .int()
      .min(0)
      .default(0)
      .refine((v) => v !== 1, "must be 0 (no limit) or at least 2")
      .meta({ title: "Max leaves", description: "0: no limit. Otherwise the tree grows best-first (largest impurity decrease next) up to this many leaves." }),
    maxFeatures: z.enum(["auto", "sqrt", "log2", "all", "fraction"]).default(defaultMaxFeatures).meta({
      title: "Features per split",
      description: "Features tried at each split, drawn at random: sqrt or log2 of the feature count, all, or a fraction. auto: sqrt for classification, all for regression (scikit-learn's forest defaults).",
    }),
    maxFeaturesFraction: z.number().gt(0).max(1).default(0.5).meta({ title: "Feature fraction", description: "With Features per split = fraction: share of the features tried at each split." }),
    classWeight: z.enum(["none", "balanced"]).default("none").meta({
      title: "Class weights",
      description: "balanced: weight each class by rows / (classes × its rows), so rare classes count as much as common ones.",
    }),
    maxBins: z.number().int().min(2).max(255).default(255).meta({
      title: "Max bins",
      description: "Split candidates per numeric feature: a feature with at most this many distinct values is split exactly; one with more at its quantiles.",
    }),
    seed: z.number().int().default(0).meta({ title: "Seed", description: "Bootstrap samples and feature draws; same seed and data, same model." }),
  });
}

export type TreeParams = z.output<ReturnType<typeof treeParams>>;

/** Forest-only settings on top of {@link TreeParams}. */
export interface ForestSettings {
  nEstimators: number;
  bootstrap: boolean;
}

/** Features tried per split: scikit-learn's `max_features` rules. */
export function featuresPerSplit(params: Pick<TreeParams, "maxFeatures" | "maxFeaturesFraction">, F: number, regression: boolean): number {
  const m = params.maxFeatures === "auto" ? (regression ? "all" : "sqrt") : params.maxFeatures;
  const v = m === "sqrt" ? Math.floor(Math.sqrt(F)) : m === "log2" ? Math.floor(Math.log2(F)) : m === "fraction" ? Math.floor(params.maxFeaturesFraction * F) : F;
  return Math.min(F, Math.max(1, v));
}

export interface TreeFit {
  model: ModelValue;
  importance: ChartValue;
  /** Per-tree OOB score (forest with bootstrap). */
  oob: Array<number | null>;
}

/** Train a decision tree (`forest` undefined) or a random forest on `train`. */
export async function trainTrees(train0: Table, params: TreeParams, forest: ForestSettings | undefined, ctx: RunContext): Promise<TreeFit> {
  const started = performance.now();
  const algorithm = forest ? "random-forest" : "decision-tree";
  const { info, features, target, train } = labelledRows(train0, params, (t, l) => readTarget(t, l, params), ctx.log);
  if (train.numRows < 2) fail("too_few_rows", `A ${forest ? "random forest" : "decision tree"} needs at least 2 labelled training rows; the table has ${train.numRows}.`, "train");
  const columns = features.map((f) => readFeature(train, f));
  const regression = target.objective === "regression";
  const k = regression ? 0 : target.classes.length;

  let weight: Float64Array | undefined;
  const rw = rowWeights(train, info, ctx.log);
  if (rw) weight = Float64Array.from(rw);
  if (params.classWeight === "balanced") {
    if (regression) fail("class_weight_regression", "Class weights apply to classification; set Class weights to none for a regression label.", "classWeight");
    const counts = new Float64Array(k);
    for (const c of target.y) counts[c]!++;
    const n = target.y.length;
    weight ??= new Float64Array(n).fill(1);
    for (let i = 0; i < n; i++) weight[i]! *= n / (k * counts[target.y[i]!]!);
  }
  const nEstimators = forest?.nEstimators ?? 1;
  ctx.progress(0.01, "Training");
  const fit = await fitForest(
    columns,
    target.y,
    k,
    weight,
    {
      grow: {
        criterion: regression ? "squared_error" : params.criterion,
        maxDepth: params.maxDepth,
        minSamplesSplit: params.minSamplesSplit,
        minSamplesLeaf: params.minSamplesLeaf,
        maxLeafNodes: params.maxLeafNodes,
        maxFeatures: featuresPerSplit(params, features.length, regression),
      },
      nEstimators,
      bootstrap: forest?.bootstrap ?? false,
      maxBins: params.maxBins,
      seed: params.seed,
    },
    {
      signal: ctx.signal,
      onTree(t, oob) {
        if (oob !== null) ctx.metric("oob_score", oob, t);
        ctx.progress(t / nEstimators, forest ? `Tree ${t} of ${nEstimators}` : undefined);
      },
    },
  );
  const featureImportance: Record<string, number> = {};
  features.forEach((f, i) => (featureImportance[f] = fit.importance[i]!));
  const width = Math.max(1, k);
  const oobScore = fit.oob.length ? fit.oob[fit.oob.length - 1]! : null;
  const state: ForestState = {
    format: "lattice-forest",
    version: 1,
    algorithm,
    objective: target.objective,
    classes: target.classes,
    binning: fit.binning,
    trees: fit.trees.map((t) => treeToJson(t, width)),
    trainRows: train.numRows,
    oobScore,
    featureImportance,
  };
  const nodes = fit.trees.reduce((a, t) => a + t.feature.length, 0);
  ctx.log(
    `Trained ${nEstimators} tree${nEstimators > 1 ? "s" : ""} (${nodes} nodes) on ${train.numRows} rows, ${features.length} features${oobScore !== null ? `, OOB ${regression ? "R²" : "accuracy"} ${oobScore.toFixed(4)}` : ""}, ${Math.round(performance.now() - started)} ms`,
  );
  const task: Task = target.objective;
  const model: ModelValue = {
    format: "json",
    info: { ...modelInfo(info, params, algorithm), task, ...(regression ? {} : { classes: target.classes }) },
    state,
    files: {},
  };
  const ranked = features.map((f, i) => [f, fit.importance[i]!] as const).sort((a, b) => b[1] - a[1]);
  const importance: ChartValue = {
    kind: "bar",
    title: "Feature importance (mean impurity decrease)",
    yLabel: "share of impurity decrease",
    categories: ranked.map(([f]) => f),
    series: [{ name: "importance", x: ranked.map((_, i) => i), y: ranked.map(([, v]) => v) }],
  };
  return { model, importance, oob: fit.oob };
}

/** Whether `model` was trained by the Decision tree or Random forest node. */
export function isForestModel(model: ModelValue): boolean {
  return model.format === "json" && isForestState(model.state);
}

/**
 * Class probabilities (`rows × classes`, row-major; binary: `proba[i * 2 + 1]` is the positive class's) of
 * a tree or forest for every row of `table`; for a regression model `classes` is empty and `proba` holds one
 * predicted value per row.
 */
export function predictForest(model: ModelValue, table: Table): { classes: string[]; proba: Float64Array } {
  if (!isForestModel(model)) fail("unsupported_model", `This model (${model.info.algorithm ?? model.format}) is not a decision tree or random forest.`, "model");
  return predictForestState(model.state as ForestState, table);
}
