/**
 * Minibatch training of a linear classifier (logistic regression; softmax regression for more than two
 * classes) with TensorFlow.js. Runs on raw variables with our own seeded shuffling, because `model.fit`
 * shuffles with Math.random and cannot be made repeatable; the result is packed into a one-layer layers
 * model so it saves and loads in the standard format.
 */
import type { LayersModel, Scalar, Tensor, Tensor2D } from "@tensorflow/tfjs";
import type { TF } from "../core/context";
import { mulberry32, shuffleInPlace } from "../core/random";

export interface LinearFitOptions {
  epochs: number;
  learningRate: number;
  batchSize: number;
  /** Keras-style penalty `l2 * sum(W²)` added to the mean cross-entropy (the intercept is not penalized). */
  l2: number;
  seed: number;
  /** Fraction of rows held out (seeded, before training) to report `val_loss`; 0 = none. */
  validationFraction: number;
}

export interface LinearFitHooks {
  signal: AbortSignal;
  /** After each epoch (1-based) with the mean cross-entropy on the training rows (and held-out rows). */
  onEpoch(epoch: number, loss: number, valLoss: number | undefined): void;
}

export interface LinearFitInput {
  /** rows × width, row-major (preprocess.ts output). */
  x: Float32Array;
  width: number;
  /** Class code per row, 0..classes-1. */
  y: Int32Array;
  classes: number;
  /**
   * Optional per-row weights (e.g. from Reweighing). Each row's cross-entropy is multiplied by its weight, as
   * scikit-learn's `sample_weight`; weights that sum to the row count keep the loss on the usual scale.
   */
  weights?: Float32Array;
}

/** Let timers and abort events run about this often (ms); a Cancel arrives as an event, so we must yield. */
const YIELD_EVERY_MS = 25;

export async function fitLinear(tf: TF, data: LinearFitInput, opts: LinearFitOptions, hooks: LinearFitHooks): Promise<LayersModel> {
  const n = data.y.length;
  const units = data.classes === 2 ? 1 : data.classes;
  const random = mulberry32(opts.seed);
  const order = shuffleInPlace(Int32Array.from({ length: n }, (_, i) => i), random);
  const nVal = Math.min(n - 1, Math.round(n * opts.validationFraction));
  const trainRows = order.slice(nVal);
  const valRows = order.slice(0, nVal);

  const held: Tensor[] = [];
  const keep = <T extends Tensor>(t: T): T => (held.push(t), t);
  const optimizer = tf.train.adam(opts.learningRate);
  try {
    const [xTrain, yTrain, wTrain] = rowsTensors(tf, data, trainRows, units).map(keep) as [Tensor2D, Tensor2D, Tensor2D];
    const [xVal, yVal, wVal] = nVal ? (rowsTensors(tf, data, valRows, units).map(keep) as [Tensor2D, Tensor2D, Tensor2D]) : [undefined, undefined, undefined];
    // Inside tidy so the initial-value tensors are freed; variables survive a tidy.
    const W = keep(tf.tidy(() => tf.variable(tf.initializers.glorotUniform({ seed: opts.seed }).apply([data.width, units]) as Tensor2D, true)));
    const b = keep(tf.tidy(() => tf.variable(tf.zeros([units]), true)));
    const lossOf = (x: Tensor2D, y: Tensor2D, w: Tensor2D): Scalar => {
      const logits = tf.add(tf.matMul(x, W), b) as Tensor2D;
      // Weighted mean over rows: sum(w · loss) / rows (w is all ones without weights).
      const perRow = units === 1 ? tf.losses.sigmoidCrossEntropy(y, logits, undefined, 0, tf.Reduction.NONE) : tf.reshape(tf.losses.softmaxCrossEntropy(y, logits, undefined, 0, tf.Reduction.NONE), [-1, 1]);
      return tf.mean(tf.mul(perRow, w));
    };
    const evalLoss = (x: Tensor2D, y: Tensor2D, w: Tensor2D) => {
      const loss = tf.tidy(() => lossOf(x, y, w));
      const v = loss.dataSync()[0]!;
      loss.dispose();
      return v;
    };

    const batch = Math.max(1, Math.min(opts.batchSize, trainRows.length));
    let lastYield = performance.now();
    for (let epoch = 1; epoch <= opts.epochs; epoch++) {
      shuffleInPlace(trainRows, random);
      for (let start = 0; start < trainRows.length; start += batch) {
        if (performance.now() - lastYield > YIELD_EVERY_MS) {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
        hooks.signal.throwIfAborted();
        // Batches are assembled in JS: tf.gather on the wasm backend costs ~3 ms per 1k rows, more than the step.
        const [xb, yb, wb] = rowsTensors(tf, data, trainRows.subarray(start, start + batch), units);
        tf.tidy(() => {
          // Cross-entropy on sigmoid/softmax outputs has the gradient (p - y) / B w.r.t. the logits for both
          // heads, so the step needs no gradient tape: about half the ops of optimizer.minimize.
          const logits = tf.add(tf.matMul(xb, W), b);
          // A row weight scales that row's gradient (p - y) like it scales its loss.
          const err = tf.div(tf.mul(tf.sub(units === 1 ? tf.sigmoid(logits) : tf.softmax(logits), yb), wb), xb.shape[0]);
          let gW = tf.matMul(xb, err, true, false);
          if (opts.l2 > 0) gW = tf.add(gW, tf.mul(2 * opts.l2, W));
          optimizer.applyGradients([
            { name: W.name, tensor: gW },
            { name: b.name, tensor: tf.sum(err, 0) },
          ]);
        });
        xb.dispose();
        yb.dispose();
        wb.dispose();
      }
      hooks.onEpoch(epoch, evalLoss(xTrain, yTrain, wTrain), xVal && yVal && wVal ? evalLoss(xVal, yVal, wVal) : undefined);
    }
    hooks.signal.throwIfAborted();
    return linearLayersModel(tf, data.width, units, W, b);
  } finally {
    optimizer.dispose();
    for (const t of held) t.dispose();
  }
}

/**
 * The one-layer layers model every linear model produces: `units` outputs over `width` inputs, with kernel `W`
 * (`width × units`, row-major) and bias `b`; classifiers' outputs are sigmoid (one unit) or softmax (more),
 * a regressor's (`activation: "linear"`) the weighted sum itself.
 */
export function linearLayersModel(
  tf: TF,
  width: number,
  units: number,
  W: Tensor | Float32Array,
  b: Tensor | Float32Array,
  activation: "sigmoid" | "softmax" | "linear" = units === 1 ? "sigmoid" : "softmax",
): LayersModel {
  // A fixed model name: tfjs otherwise numbers models per process (sequential_N), which would make the same
  // weights hash differently depending on how many models this worker built before.
  const model = tf.sequential({
    name: "linear_model",
    layers: [tf.layers.dense({ units, inputShape: [width], activation, name: "linear" })],
  });
  if (W instanceof Float32Array && b instanceof Float32Array) {
    const [kernel, bias] = [tf.tensor2d(W, [width, units]), tf.tensor1d(b)];
    model.setWeights([kernel, bias]);
    kernel.dispose();
    bias.dispose();
  } else model.setWeights([W as Tensor, b as Tensor]);
  return model;
}

/** Rows `rows` of the data as tensors: features, targets (0/1 column for one unit, one-hot otherwise), weights. */
function rowsTensors(tf: TF, data: LinearFitInput, rows: Int32Array, units: number): [Tensor2D, Tensor2D, Tensor2D] {
  const d = data.width;
  const x = new Float32Array(rows.length * d);
  const y = new Float32Array(rows.length * units);
  const w = new Float32Array(rows.length).fill(1);
  rows.forEach((r, i) => {
    if (data.weights) w[i] = data.weights[r]!;
    x.set(data.x.subarray(r * d, r * d + d), i * d);
    const c = data.y[r]!;
    if (units === 1) y[i] = c;
    else y[i * units + c] = 1;
  });
  return [tf.tensor2d(x, [rows.length, d]), tf.tensor2d(y, [rows.length, units]), tf.tensor2d(w, [rows.length, 1])];
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => (typeof setImmediate === "function" ? setImmediate(resolve) : setTimeout(resolve, 0)));
}
