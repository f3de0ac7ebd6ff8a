/**
 * The explicit list of node kinds (ComfyUI's get_node_list idea, not a directory scan). Adding a node
 * means adding it here; test/nodes/catalog.test.ts checks kinds are unique and every default parses.
 */
import type { AnyNodeDefinition } from "./core/define-node";
import { createRegistry } from "./core/registry";
import fileSource from "./sources/file-source";
import sampleDataset from "./sources/sample-dataset";
import postgresQuery from "./sources/postgres-query";
import httpSource from "./sources/http-source";
import synthetic from "./sources/synthetic";
import expectations from "./validation/expectations";
import schemaDrift from "./validation/schema-drift";
import selectColumns from "./features/select-columns";
import trainTestSplit from "./features/train-test-split";
import impute from "./features/impute";
import scale from "./features/scale";
import oneHotEncode from "./features/one-hot-encode";
import ordinalEncode from "./features/ordinal-encode";
import bucketize from "./features/bucketize";
import powerTransform from "./features/power-transform";
import applyTransform from "./features/apply-transform";
import sqlExpression from "./features/sql-expression";
import sqlTransform from "./features/sql-transform";
import dropColumns from "./features/drop-columns";
import renameColumns from "./features/rename-columns";
import castColumns from "./features/cast-columns";
import kFoldSplit from "./features/k-fold-split";
import logisticRegression from "./training/logistic-regression";
import linearRegression from "./training/linear-regression";
import gradientBoosting from "./training/gradient-boosting";
import mlp from "./training/mlp";
import decisionTree from "./training/decision-tree";
import randomForest from "./training/random-forest";
import permutationImportance from "./explain/permutation-importance";
import kernelShap from "./explain/kernel-shap";
import partialDependence from "./explain/partial-dependence";
import classificationMetrics from "./evaluation/classification-metrics";
import regressionMetrics from "./evaluation/regression-metrics";
import prCalibration from "./evaluation/pr-calibration";
import cvSummary from "./evaluation/cv-summary-node";
import crossValidation from "./evaluation/cross-validation";
import tuning from "./tuning/tuning";
import fitEvaluate from "./tuning/fit-evaluate";
import fairnessMetrics from "./fairness/fairness-metrics";
import reweighing from "./fairness/reweighing";
import groupThresholds from "./fairness/group-thresholds";
import batchScore from "./deploy/batch-score";
import scoreVersion from "./deploy/score-version";
import codeNode from "./code/code-node";

export const NODE_DEFINITIONS: readonly AnyNodeDefinition[] = [
  fileSource,
  sampleDataset,
  postgresQuery,
  httpSource,
  synthetic,
  expectations,
  schemaDrift,
  selectColumns,
  trainTestSplit,
  impute,
  scale,
  oneHotEncode,
  ordinalEncode,
  bucketize,
  powerTransform,
  applyTransform,
  sqlExpression,
  sqlTransform,
  dropColumns,
  renameColumns,
  castColumns,
  kFoldSplit,
  logisticRegression,
  linearRegression,
  gradientBoosting,
  randomForest,
  decisionTree,
  mlp,
  tuning,
  fitEvaluate,
  classificationMetrics,
  regressionMetrics,
  prCalibration,
  cvSummary,
  crossValidation,
  fairnessMetrics,
  reweighing,
  groupThresholds,
  permutationImportance,
  kernelShap,
  partialDependence,
  batchScore,
  scoreVersion,
  codeNode,
] as unknown as AnyNodeDefinition[];

export const registry = createRegistry(NODE_DEFINITIONS);
