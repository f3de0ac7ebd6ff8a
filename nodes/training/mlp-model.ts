/**
 * The MLP's stored form. Classifiers store predict.ts' {@link ClassifierState}, so every classifier consumer
 * (metrics, batch scoring, endpoints, explanations) scores them with `scoreClassifier` unchanged. Regressors
 * store {@link MlpRegressorState}: the same preprocessing plus the target's standardization, scored by
 * {@link predictMlpRegression}.
 */
import type { Tensor } from "@tensorflow/tfjs";
import type { Table } from "apache-arrow";
import type { TF } from "../core/context";
import { fail } from "../core/errors";
import type { ModelValue } from "../core/values";
import { readLayersModel } from "./model-files";
import { applyPreprocess, type PreprocessState } from "./preprocess";

export const MLP_ALGORITHM = "mlp";

export interface MlpRegressorState {
  preprocess: PreprocessState;
  output: "linear";
  /** The network predicts `(y - mean) / scale`; predictions are mapped back. */
  target: { mean: number; scale: number };
}

/** Rows per forward pass (bounds memory; results do not depend on it). */
const CHUNK = 8192;

export function isMlpRegressor(value: ModelValue): boolean {
  const s = value.state as Partial<MlpRegressorState> | undefined;
  return value.format === "tfjs-layers" && s?.output === "linear" && !!s.preprocess && !!s.target;
}

/** Predicted values (float64, one per row) of an MLP regressor for `table`, which must hold its features. */
export async function predictMlpRegression(value: ModelValue, table: Table, tf: TF): Promise<Float64Array> {
  if (!isMlpRegressor(value)) fail("unsupported_model", `This model (${value.info.algorithm ?? value.format}) is not an MLP regressor.`, "model");
  const state = value.state as MlpRegressorState;
  const layers = await readLayersModel(value, tf);
  try {
    const d = state.preprocess.outputs.length;
    const n = table.numRows;
    const out = new Float64Array(n);
    for (let start = 0; start < n; start += CHUNK) {
      const part = table.slice(start, Math.min(n, start + CHUNK));
      const x = applyPreprocess(state.preprocess, part);
      const rows = part.numRows;
      // One forward pass per chunk: predict() otherwise splits into batches of 32, about 10× slower on wasm.
      const t = tf.tidy(() => layers.predict(tf.tensor2d(x, [rows, d]), { batchSize: CHUNK }) as Tensor);
      const p = (await t.data()) as Float32Array;
      t.dispose();
      for (let i = 0; i < rows; i++) out[start + i] = p[i]! * state.target.scale + state.target.mean;
    }
    return out;
  } finally {
    layers.dispose();
  }
}
