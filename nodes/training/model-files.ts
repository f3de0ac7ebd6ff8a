/**
 * The `tfjs-layers` model format: `model.json` (the standard TensorFlow.js model JSON: topology + weights
 * manifest, loadable by `tf.loadLayersModel`) and `weights.bin`, plus the classifier state that scoring needs.
 */
import type { LayersModel } from "@tensorflow/tfjs";
import type { TF } from "../core/context";
import type { ModelValue } from "../core/values";
import type { PreprocessState } from "./preprocess";

/**
 * `state` of a `tfjs-layers` classifier. Any node that trains a layers classifier and stores this state
 * (with `info.classes` in output order) can be scored by predict.ts.
 */
export interface ClassifierState {
  preprocess: PreprocessState;
  /** `sigmoid`: one output unit, the probability of `classes[1]`; `softmax`: one unit per class. */
  output: "sigmoid" | "softmax";
  /** Binary models: the class whose probability is the score (always `classes[1]`). */
  positiveClass?: string;
}

export const MODEL_JSON = "model.json";
export const WEIGHTS_BIN = "weights.bin";

/** Serialize a layers model to the two files of the format. */
export async function saveLayersModel(model: LayersModel, tf: TF): Promise<Record<string, Uint8Array>> {
  let files: Record<string, Uint8Array> | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      const data = a.weightData === undefined ? new ArrayBuffer(0) : Array.isArray(a.weightData) ? tf.io.concatenateArrayBuffers(a.weightData) : a.weightData;
      const json = {
        format: "layers-model",
        generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
        convertedBy: null,
        modelTopology: a.modelTopology,
        weightsManifest: [{ paths: [WEIGHTS_BIN], weights: a.weightSpecs ?? [] }],
      };
      files = { [MODEL_JSON]: new TextEncoder().encode(JSON.stringify(json)), [WEIGHTS_BIN]: new Uint8Array(data.slice(0)) };
      return { modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: "JSON" } };
    }),
  );
  if (!files) throw new Error("model.save did not call the save handler");
  return files;
}

/** Rebuild the layers model from the format's files (no network, no file system). */
export async function readLayersModel(value: ModelValue, tf: TF): Promise<LayersModel> {
  const jsonBytes = value.files[MODEL_JSON];
  const weights = value.files[WEIGHTS_BIN];
  if (value.format !== "tfjs-layers" || !jsonBytes || !weights)
    throw new Error(`Not a tfjs-layers model (format ${value.format}, files ${Object.keys(value.files).join(", ")})`);
  const json = JSON.parse(new TextDecoder().decode(jsonBytes)) as {
    modelTopology: object;
    weightsManifest: Array<{ weights: Parameters<TF["io"]["fromMemory"]>[1] }>;
  };
  const specs = json.weightsManifest.flatMap((g) => g.weights ?? []);
  // Copy into a fresh ArrayBuffer: the file may be a view into a larger buffer (artifact store reads).
  const buf = weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.byteLength) as ArrayBuffer;
  return tf.loadLayersModel(tf.io.fromMemory({ modelTopology: json.modelTopology, weightSpecs: specs, weightData: buf }));
}
