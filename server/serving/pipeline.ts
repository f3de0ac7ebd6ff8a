/**
 * One endpoint version, loaded: the fitted transforms and the model read once from the artifact store and kept
 * (TensorFlow.js weights included), then every request's table goes through the same functions batch scoring
 * uses (apply-fitted.ts, predict.ts, tree-models.ts, batch-score's classify), so the numbers are equal.
 */
import type { Tensor } from "@tensorflow/tfjs";
import type { Table } from "apache-arrow";
import type { NodeRuntime, RunContext, TF } from "../../nodes/core/context";
import { fail } from "../../nodes/core/errors";
import type { NodeRegistry } from "../../nodes/core/registry";
import type { ModelValue, TransformValue } from "../../nodes/core/values";
import { classify } from "../../nodes/deploy/batch-score";
import { applyFitted } from "../../nodes/features/apply-fitted";
import { isTreeModel, predictTreeModel } from "../../nodes/training/tree-models";
import { readLayersModel } from "../../nodes/training/model-files";
import { isMlpRegressor, type MlpRegressorState } from "../../nodes/training/mlp-model";
import { checkClassifier, loadModel, predictProba, type LoadedModel } from "../../nodes/training/predict";
import { applyPreprocess } from "../../nodes/training/preprocess";
import { decodeValue } from "../engine/codecs";
import type { ArtifactStore } from "../engine/types";
import { compileEncoding } from "./fast-encode";
import type { ServingSpec } from "./spec";
import type { Explanation } from "./explain";

export interface Prediction {
  prediction: string | number;
  probabilities?: Record<string, number>;
  /** With `explain`: linear contributions to the log-odds (logistic regression) or Kernel SHAP values (explain.ts). */
  explanation?: Explanation;
}

export interface PipelineResult {
  predictions: Prediction[];
  /** Score per row (positive-class probability, top-class probability, or the predicted value): metrics. */
  scores: Float64Array;
}

export interface Pipeline {
  /** Whether `explain` gives linear (log-odds) explanations; other models are explained by explain.ts (Kernel SHAP). */
  readonly explainable: boolean;
  /** Runs the steps and the model. Throws NodeUserError for rows the steps or model refuse. */
  run(table: Table, opts?: { explain?: boolean; signal?: AbortSignal }): Promise<PipelineResult>;
  /**
   * The hot path: validated request columns straight into the model, without an Arrow table; present only
   * for models with built-in preprocessing and no steps before them (fast-encode.ts).
   */
  runColumns?(cols: Record<string, unknown[]>, rows: number): Promise<PipelineResult>;
  /** The steps only (publish-time checks of which columns are needed). */
  transform(table: Table, signal?: AbortSignal): Promise<Table>;
  dispose(): void;
}

export interface PipelineDeps {
  /** Only blobs are read (by hash): the artifact store, or a node's `ctx.artifacts` in a batch job. */
  artifacts: Pick<ArtifactStore, "get">;
  runtime: NodeRuntime;
  registry: NodeRegistry;
}

type Scorer = (table: Table, explain: boolean) => Promise<PipelineResult>;

/** Load a version's artifacts and model (once per version per process; the caller caches the result). */
export async function loadPipeline(spec: ServingSpec, deps: PipelineDeps): Promise<Pipeline> {
  const transforms = new Map<string, TransformValue>();
  for (const s of spec.steps)
    if (s.type === "fitted") transforms.set(s.hash, decodeValue("transform", await deps.artifacts.get(s.hash)) as TransformValue);
  const model = decodeValue("model", await deps.artifacts.get(spec.model.hash)) as ModelValue;
  const { scorer, explainable, dispose, direct } = await makeScorer(model, spec.threshold, deps.runtime);

  const ctxFor = (nodeId: string, signal: AbortSignal): RunContext => ({
    runId: "serving",
    nodeId,
    signal,
    progress: () => undefined,
    log: () => undefined,
    metric: () => undefined,
    runtime: deps.runtime,
    artifacts: {
      resolvePath: () => fail("not_available", "Files are not available while serving.", "path"),
      put: () => Promise.reject(new Error("not available while serving")),
      get: () => Promise.reject(new Error("not available while serving")),
    },
  });
  const never = new AbortController().signal;

  async function transform(table: Table, signal = never): Promise<Table> {
    let t = table;
    for (const s of spec.steps) {
      if (s.type === "fitted") t = await applyFitted(transforms.get(s.hash)!, t, { signal, runtime: deps.runtime });
      else {
        const def = deps.registry.get(s.kind);
        if (!def) throw new Error(`Node kind "${s.kind}" is not in this build; it was when version was published.`);
        const out = (await def.run({ inputs: { [s.inputPort]: t } as never, params: s.params as never, ctx: ctxFor(s.nodeId, signal) })) as Record<string, unknown>;
        const next = out[s.outputPort] as Table | undefined;
        if (!next) fail("step_no_output", `"${s.label}" returned no "${s.outputPort}" table for these rows.`, s.nodeId);
        t = next;
      }
    }
    return t;
  }

  return {
    explainable,
    transform,
    async run(table, opts = {}) {
      const t = spec.steps.length ? await transform(table, opts.signal) : table;
      return scorer(t, opts.explain ?? false);
    },
    ...(direct && !spec.steps.length ? { runColumns: direct } : {}),
    dispose,
  };
}

function toPredictions(classes: string[], proba: Float64Array, n: number, threshold: number): PipelineResult {
  const k = classes.length;
  const cols = classify(classes, proba, n, threshold);
  const score = cols.score as Float64Array;
  const prediction = cols.prediction as string[];
  const predictions: Prediction[] = new Array(n);
  for (let i = 0; i < n; i++) {
    const probabilities: Record<string, number> = {};
    for (let c = 0; c < k; c++) probabilities[classes[c]!] = proba[i * k + c]!;
    predictions[i] = { prediction: prediction[i]!, probabilities };
  }
  return { predictions, scores: score };
}

async function makeScorer(
  model: ModelValue,
  threshold: number,
  runtime: NodeRuntime,
): Promise<{ scorer: Scorer; explainable: boolean; dispose(): void; direct?: (cols: Record<string, unknown[]>, rows: number) => Promise<PipelineResult> }> {
  if (isTreeModel(model)) {
    if (!model.info.classes?.length) {
      return {
        explainable: false,
        dispose: () => undefined,
        scorer: async (t) => {
          const y = predictTreeModel(model, t).proba;
          return { predictions: Array.from(y, (v) => ({ prediction: v })), scores: y };
        },
      };
    }
    checkClassifier(model);
    return {
      explainable: false,
      dispose: () => undefined,
      scorer: async (t) => {
        const { classes, proba } = predictTreeModel(model, t);
        return toPredictions(classes, proba, t.numRows, threshold);
      },
    };
  }
  const tf = await runtime.tf();
  if (isMlpRegressor(model)) {
    const state = model.state as MlpRegressorState;
    const layers = await readLayersModel(model, tf);
    const d = state.preprocess.outputs.length;
    return {
      explainable: false,
      dispose: () => layers.dispose(),
      // The same arithmetic as predictMlpRegression, with the weights kept loaded.
      scorer: async (t) => {
        const x = applyPreprocess(state.preprocess, t);
        const out = tf.tidy(() => layers.predict(tf.tensor2d(x, [t.numRows, d]), { batchSize: 8192 }) as Tensor);
        const p = (await out.data()) as Float32Array;
        out.dispose();
        const y = Float64Array.from(p, (v) => v * state.target.scale + state.target.mean);
        return { predictions: Array.from(y, (v) => ({ prediction: v })), scores: y };
      },
    };
  }
  const loaded = await loadModel(model, tf);
  const linear = linearWeights(loaded, tf);
  const encoding = compileEncoding(loaded.state.preprocess);
  const k = loaded.classes.length;
  return {
    explainable: linear !== undefined,
    dispose: () => loaded.dispose(),
    // predict.ts' predictProba on an encoded matrix: one forward pass, sigmoid → [1 - p, p], softmax as is.
    direct: async (cols, rows) => {
      const x = encoding.encode(cols, rows);
      const out = tf.tidy(() => loaded.layers.predict(tf.tensor2d(x, [rows, encoding.width]), { batchSize: Math.max(rows, 1) }) as Tensor);
      const p = out.dataSync() as Float32Array;
      out.dispose();
      const proba = new Float64Array(rows * k);
      if (loaded.state.output === "sigmoid") for (let i = 0; i < rows; i++) (proba[i * 2] = 1 - p[i]!), (proba[i * 2 + 1] = p[i]!);
      else for (let i = 0; i < rows * k; i++) proba[i] = p[i]!;
      return toPredictions(loaded.classes, proba, rows, threshold);
    },
    scorer: async (t, explain) => {
      const { classes, proba } = await predictProba(loaded, t, tf);
      const result = toPredictions(classes, proba, t.numRows, threshold);
      if (explain) {
        if (!linear) fail("explain_unsupported", `Explanations are available for logistic regression models; this one is ${model.info.algorithm ?? "not linear"}.`, "explain");
        explainLinear(loaded, linear, t, result);
      }
      return result;
    },
  };
}

/** Kernel (inputs × outputs) and bias of a model that is one Dense layer (logistic regression), else undefined. */
function linearWeights(loaded: LoadedModel, tf: TF): { kernel: Float32Array; bias: Float32Array; outputs: number } | undefined {
  const dense = loaded.layers.layers.filter((l) => l.countParams() > 0);
  if (dense.length !== 1) return undefined;
  const w = dense[0]!.getWeights();
  if (w.length !== 2) return undefined;
  const kernel = w[0]!.dataSync() as Float32Array;
  const bias = w[1]!.dataSync() as Float32Array;
  void tf;
  return { kernel, bias, outputs: bias.length };
}

/**
 * Per-row contributions to the log-odds of the predicted class (binary: of the positive class): weight ×
 * encoded value, summed over the indicator columns of each input feature. Contributions plus the intercept
 * equal the model's logit.
 */
function explainLinear(loaded: LoadedModel, lin: { kernel: Float32Array; bias: Float32Array; outputs: number }, table: Table, result: PipelineResult) {
  const { preprocess } = loaded.state;
  const x = applyPreprocess(preprocess, table);
  const d = preprocess.outputs.length;
  const feature = preprocess.outputs.map((o, j) => preprocess.encoders.find((e) => o === e.name || o.startsWith(`${e.name}=`))?.name ?? `#${j}`);
  for (let i = 0; i < table.numRows; i++) {
    const p = result.predictions[i]!;
    const out = lin.outputs === 1 ? 0 : loaded.classes.indexOf(String(p.prediction));
    const contributions: Record<string, number> = {};
    for (let j = 0; j < d; j++) contributions[feature[j]!] = (contributions[feature[j]!] ?? 0) + x[i * d + j]! * lin.kernel[j * lin.outputs + out]!;
    const cls = lin.outputs === 1 ? loaded.classes[1] : loaded.classes[out];
    p.explanation = { method: "linear", output: "log-odds", ...(cls === undefined ? {} : { class: cls }), intercept: lin.bias[out]!, contributions };
  }
}
