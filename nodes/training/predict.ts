/**
 * Scoring a trained `tfjs-layers` classifier: shared by the metrics node, batch scoring and published
 * endpoints, so all of them see the same numbers for the same rows. The stored preprocessing is applied in
 * float64 (preprocess.ts), then the network runs on the current backend; for a given backend the result is
 * deterministic and does not depend on how the table is chunked into batches.
 */
import type { LayersModel, Tensor } from "@tensorflow/tfjs";
import type { Table } from "apache-arrow";
import type { TF } from "../core/context";
import { fail } from "../core/errors";
import type { ModelValue } from "../core/values";
import { readLayersModel, type ClassifierState } from "./model-files";
import { applyPreprocess } from "./preprocess";
import { isTreeModel, predictTreeModel } from "./tree-models";

export interface LoadedModel {
  value: ModelValue;
  layers: LayersModel;
  state: ClassifierState;
  /** Output order: `proba[i * k + j]` is the probability of `classes[j]`. */
  classes: string[];
  /** Frees the weights' tensors. */
  dispose(): void;
}

export interface Probabilities {
  classes: string[];
  /** rows × classes, row-major. */
  proba: Float64Array;
}

/** Rows per forward pass: bounds memory for large tables; results are identical for any chunk size. */
const CHUNK = 8192;

/** Fails (user error) unless `value` is a classifier this module can score; cheap, no tfjs needed. */
export function checkClassifier(value: ModelValue): { classes: string[] } {
  if (isTreeModel(value)) {
    const classes = value.info.classes;
    if (!classes || classes.length < 2) fail("unsupported_model", `This ${value.info.algorithm ?? "tree"} model is a regressor; it cannot be scored as a classifier.`, "model");
    return { classes };
  }
  return checkLayersClassifier(value);
}

function checkLayersClassifier(value: ModelValue): { state: ClassifierState; classes: string[] } {
  const state = value.state as ClassifierState | undefined;
  const classes = value.info.classes;
  if (value.format !== "tfjs-layers" || !state?.preprocess || !classes || classes.length < 2)
    fail("unsupported_model", `This model (${value.info.algorithm ?? value.format}) cannot be scored as a classifier here.`, "model");
  return { state, classes };
}

export async function loadModel(value: ModelValue, tf: TF): Promise<LoadedModel> {
  const { state, classes } = checkLayersClassifier(value);
  const layers = await readLayersModel(value, tf);
  return { value, layers, state, classes, dispose: () => layers.dispose() };
}

/** Class probabilities for every row of `table` (which must hold all the model's feature columns). */
export async function predictProba(model: LoadedModel, table: Table, tf: TF): Promise<Probabilities> {
  const { state, classes, layers } = model;
  const k = classes.length;
  const d = state.preprocess.outputs.length;
  const n = table.numRows;
  const proba = new Float64Array(n * k);
  for (let start = 0; start < n; start += CHUNK) {
    const part = table.slice(start, Math.min(n, start + CHUNK));
    const x = applyPreprocess(state.preprocess, part);
    const rows = part.numRows;
    const out = tf.tidy(() => layers.predict(tf.tensor2d(x, [rows, d]), { batchSize: CHUNK }) as Tensor);
    const p = (await out.data()) as Float32Array;
    out.dispose();
    if (state.output === "sigmoid") {
      for (let i = 0; i < rows; i++) {
        const q = p[i]!;
        proba[(start + i) * 2] = 1 - q;
        proba[(start + i) * 2 + 1] = q;
      }
    } else {
      for (let i = 0; i < rows * k; i++) proba[start * k + i] = p[i]!;
    }
  }
  return { classes, proba };
}

/**
 * Class probabilities from any classifier Lattice trains: TensorFlow.js models (logistic regression, MLP)
 * and tree models: gradient-boosted trees, decision trees, random forests (plain typed-array code, no tfjs needed). The one entry point for the metrics
 * node, batch scoring and endpoints.
 */
export async function scoreClassifier(value: ModelValue, table: Table, getTf: () => Promise<TF>): Promise<Probabilities> {
  if (isTreeModel(value)) {
    checkClassifier(value);
    return predictTreeModel(value, table);
  }
  const tf = await getTf();
  const loaded = await loadModel(value, tf);
  try {
    return await predictProba(loaded, table, tf);
  } finally {
    loaded.dispose();
  }
}
