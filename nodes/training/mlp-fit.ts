/**
 * Minibatch training of a multilayer perceptron with TensorFlow.js, on raw variables with hand-written
 * backpropagation. Like fit-linear.ts, and for the same reasons: `model.fit` shuffles with Math.random (not
 * repeatable) and gathers batches with tf.gather (slow on wasm). Writing the backward pass by hand for dense
 * layers also skips the gradient tape, so a step costs fewer ops than `model.fit`'s. The result is packed
 * into a standard layers model (dense layers only; dropout is the identity at inference) so it saves and
 * loads in the tfjs format.
 */
import type { LayersModel, Tensor, Tensor1D, Tensor2D, Variable } from "@tensorflow/tfjs";
import type { TF } from "../core/context";
import { fail } from "../core/errors";
import { mulberry32, shuffleInPlace } from "../core/random";

export type Activation = "relu" | "tanh" | "sigmoid";
export type OptimizerName = "adam" | "sgd" | "rmsprop";
/** Output head: one sigmoid unit (binary), softmax (multiclass) or one linear unit (regression, squared error). */
export type Head = "sigmoid" | "softmax" | "linear";

export interface MlpFitOptions {
  hiddenLayers: number[];
  activation: Activation;
  /** Fraction of hidden units dropped per batch (inverted dropout, seeded masks); 0 = none. */
  dropout: number;
  optimizer: OptimizerName;
  learningRate: number;
  epochs: number;
  batchSize: number;
  /** Keras-style penalty `l2 * sum(W²)` over the kernels (not the biases). */
  l2: number;
  seed: number;
  /** Share of rows held out (seeded; stratified when `strata` is given) for `val_loss` and early stopping. */
  validationFraction: number;
  /**
   * Stop after this many epochs without improvement of the monitored loss (val_loss when rows are held out,
   * else the training loss) and keep the best epoch's weights; 0 = train all epochs.
   */
  patience: number;
}

export interface MlpFitInput {
  /** rows × width, row-major (preprocess.ts output). */
  x: Float32Array;
  width: number;
  /** Per row: class code (sigmoid/softmax heads) or the (standardized) target (linear head). */
  y: Float32Array;
  head: Head;
  /** Output units: 1 for sigmoid and linear heads, the class count for softmax. */
  units: number;
  /** Per-row loss weights (class weights × row weights); undefined = all 1. */
  weights?: Float32Array;
  /** Class code per row for a stratified validation split. */
  strata?: Int32Array;
}

export interface MlpFitHooks {
  signal: AbortSignal;
  /** After each epoch (1-based): mean training loss over the epoch's batches, and the held-out loss. */
  onEpoch(epoch: number, loss: number, valLoss: number | undefined): void;
}

export interface MlpFitResult {
  model: LayersModel;
  epochsRun: number;
  /** Epoch whose weights the model holds (the last one unless early stopping restored a better one). */
  bestEpoch: number;
  stoppedEarly: boolean;
  trainRows: number;
  validationRows: number;
}

/** Let timers and abort events run about this often (ms); a Cancel arrives as an event, so we must yield. */
const YIELD_EVERY_MS = 25;
/** Rows per forward pass when computing the validation loss. */
const EVAL_CHUNK = 8192;

export async function fitMlp(tf: TF, data: MlpFitInput, opts: MlpFitOptions, hooks: MlpFitHooks): Promise<MlpFitResult> {
  const n = data.y.length;
  const random = mulberry32(opts.seed);
  const { train: trainRows, val: valRows } = splitRows(n, opts.validationFraction, data.strata, random);
  const sizes = [data.width, ...opts.hiddenLayers, data.units];
  const L = sizes.length - 1;

  const held: Tensor[] = [];
  const keep = <T extends Tensor>(t: T): T => (held.push(t), t);
  const optimizer = makeOptimizer(tf, opts.optimizer, opts.learningRate);
  let best: Tensor[] | undefined;
  /** The epoch's summed loss so far; it accumulates on the device, reading it per batch would stall. */
  let running: Tensor | undefined;
  try {
    // Glorot-uniform kernels seeded per layer and zero biases: Keras' defaults, made repeatable.
    const W: Variable[] = [];
    const b: Variable[] = [];
    for (let l = 0; l < L; l++) {
      const shape: [number, number] = [sizes[l]!, sizes[l + 1]!];
      W.push(keep(tf.tidy(() => tf.variable(tf.initializers.glorotUniform({ seed: opts.seed + 7919 * l }).apply(shape) as Tensor2D, true))));
      b.push(keep(tf.tidy(() => tf.variable(tf.zeros([shape[1]]), true))));
    }

    /** Forward pass. With `masks`, hidden activations are dropped; returns every layer's input and the logits. */
    const forward = (x: Tensor2D, masks?: Tensor2D[]) => {
      const inputs: Tensor2D[] = [x];
      const pre: Tensor2D[] = []; // activations before dropout, for the derivative
      let a = x;
      for (let l = 0; l < L - 1; l++) {
        const h = activate(tf, opts.activation, tf.add(tf.matMul(a, W[l]!), b[l]!) as Tensor2D);
        pre.push(h);
        a = masks ? (tf.mul(h, masks[l]!) as Tensor2D) : h;
        inputs.push(a);
      }
      return { inputs, pre, logits: tf.add(tf.matMul(a, W[L - 1]!), b[L - 1]!) as Tensor2D };
    };
    /** Sum over rows of the (weighted) loss, as a scalar tensor. */
    const lossSum = (logits: Tensor2D, y: Tensor2D, w: Tensor2D | undefined): Tensor => {
      let per: Tensor;
      if (data.head === "sigmoid") per = tf.sub(tf.add(tf.relu(logits), tf.log1p(tf.exp(tf.neg(tf.abs(logits))))), tf.mul(logits, y));
      else if (data.head === "softmax") per = tf.neg(tf.sum(tf.mul(y, tf.logSoftmax(logits)), 1, true));
      else per = tf.square(tf.sub(logits, y));
      return tf.sum(w ? tf.mul(per, w) : per);
    };

    const evalLoss = (rows: Int32Array): number => {
      let total = 0;
      for (let start = 0; start < rows.length; start += EVAL_CHUNK) {
        const [x, y, w] = rowsTensors(tf, data, rows.subarray(start, start + EVAL_CHUNK));
        const s = tf.tidy(() => lossSum(forward(x).logits, y, w));
        total += s.dataSync()[0]!;
        tf.dispose(w ? [x, y, w, s] : [x, y, s]);
      }
      return total / rows.length;
    };

    const monitorVal = valRows.length > 0;
    let bestLoss = Infinity;
    let bestEpoch = 0;
    let stoppedEarly = false;
    let epoch = 0;
    const batch = Math.max(1, Math.min(opts.batchSize, trainRows.length));
    let lastYield = performance.now();
    for (epoch = 1; epoch <= opts.epochs; epoch++) {
      shuffleInPlace(trainRows, random);
      running = tf.scalar(0);
      for (let start = 0; start < trainRows.length; start += batch) {
        if (performance.now() - lastYield > YIELD_EVERY_MS) {
          await yieldToEventLoop();
          lastYield = performance.now();
        }
        hooks.signal.throwIfAborted();
        const [xb, yb, w] = rowsTensors(tf, data, trainRows.subarray(start, start + batch));
        const seeds = opts.dropout > 0 ? opts.hiddenLayers.map(() => Math.floor(random() * 2147483647)) : [];
        const next = tf.tidy(() => {
          const rows = xb.shape[0];
          const masks = opts.dropout > 0 ? seeds.map((s, l) => dropoutMask(tf, [rows, opts.hiddenLayers[l]!], opts.dropout, s)) : undefined;
          const { inputs, pre, logits } = forward(xb, masks);
          // Sigmoid + cross-entropy, softmax + cross-entropy and identity + squared error all have a gradient
          // proportional to (output - target) w.r.t. the logits (squared error: twice that).
          const out = data.head === "sigmoid" ? tf.sigmoid(logits) : data.head === "softmax" ? tf.softmax(logits) : logits;
          let g = tf.div(tf.sub(out, yb), data.head === "linear" ? rows / 2 : rows) as Tensor2D;
          if (w) g = tf.mul(g, w);
          const grads: Array<{ name: string; tensor: Tensor }> = [];
          for (let l = L - 1; l >= 0; l--) {
            let gW: Tensor = tf.matMul(inputs[l]!, g, true, false);
            if (opts.l2 > 0) gW = tf.add(gW, tf.mul(2 * opts.l2, W[l]!));
            grads.push({ name: W[l]!.name, tensor: gW }, { name: b[l]!.name, tensor: tf.sum(g, 0) as Tensor1D });
            if (l > 0) {
              let back = tf.mul(tf.matMul(g, W[l]!, false, true), derivative(tf, opts.activation, pre[l - 1]!));
              if (masks) back = tf.mul(back, masks[l - 1]!);
              g = back as Tensor2D;
            }
          }
          optimizer.applyGradients(grads);
          return tf.add(running!, lossSum(logits, yb, w));
        });
        running!.dispose();
        running = next;
        tf.dispose(w ? [xb, yb, w] : [xb, yb]);
      }
      const loss = (await running.data())[0]! / trainRows.length;
      running.dispose();
      running = undefined;
      const valLoss = monitorVal ? evalLoss(valRows) : undefined;
      if (!Number.isFinite(loss))
        fail("diverged", `Training diverged in epoch ${epoch} (the loss is no longer a finite number). Lower the learning rate, or standardize extreme feature values.`, "learningRate");
      hooks.onEpoch(epoch, loss, valLoss);
      if (opts.patience > 0) {
        const monitored = valLoss ?? loss;
        if (monitored < bestLoss) {
          bestLoss = monitored;
          bestEpoch = epoch;
          if (best) tf.dispose(best);
          best = [...W, ...b].map((v) => tf.clone(v));
        } else if (epoch - bestEpoch >= opts.patience) {
          stoppedEarly = true;
          break;
        }
      }
    }
    hooks.signal.throwIfAborted();
    const epochsRun = Math.min(epoch, opts.epochs);
    const model = tf.sequential({
      name: "mlp", // fixed, so the saved bytes do not depend on how many models this process built (sequential_N)
      layers: sizes.slice(1).map((units, l) =>
        tf.layers.dense({
          units,
          ...(l === 0 ? { inputShape: [data.width] } : {}),
          activation: l < L - 1 ? opts.activation : data.head,
          name: l < L - 1 ? `hidden_${l + 1}` : "output",
        }),
      ),
    });
    const finalWeights = best ?? [...W, ...b];
    const ordered = Array.from({ length: L }, (_, l) => [finalWeights[l]!, finalWeights[L + l]!]).flat();
    model.setWeights(ordered);
    return { model, epochsRun, bestEpoch: best ? bestEpoch : epochsRun, stoppedEarly, trainRows: trainRows.length, validationRows: valRows.length };
  } finally {
    optimizer.dispose();
    if (best) tf.dispose(best);
    running?.dispose();
    for (const t of held) if (!t.isDisposed) t.dispose();
  }
}

/** Seeded held-out rows: per stratum (class) when `strata` is given, so rare classes appear on both sides. */
function splitRows(n: number, fraction: number, strata: Int32Array | undefined, random: () => number): { train: Int32Array; val: Int32Array } {
  const all = shuffleInPlace(Int32Array.from({ length: n }, (_, i) => i), random);
  if (fraction <= 0 || n < 2) return { train: all, val: new Int32Array(0) };
  const groups = new Map<number, number[]>();
  for (const r of all) {
    const k = strata ? strata[r]! : 0;
    let g = groups.get(k);
    if (!g) groups.set(k, (g = []));
    g.push(r);
  }
  const val: number[] = [];
  const train: number[] = [];
  for (const key of [...groups.keys()].sort((a, b) => a - b)) {
    const g = groups.get(key)!;
    const nVal = Math.min(g.length - 1, Math.round(g.length * fraction));
    val.push(...g.slice(0, nVal));
    train.push(...g.slice(nVal));
  }
  if (!train.length || !val.length) return { train: all, val: new Int32Array(0) };
  return { train: shuffleInPlace(Int32Array.from(train), random), val: Int32Array.from(val) };
}

function makeOptimizer(tf: TF, name: OptimizerName, lr: number) {
  if (name === "sgd") return tf.train.sgd(lr);
  if (name === "rmsprop") return tf.train.rmsprop(lr);
  return tf.train.adam(lr);
}

function activate(tf: TF, a: Activation, z: Tensor2D): Tensor2D {
  return (a === "relu" ? tf.relu(z) : a === "tanh" ? tf.tanh(z) : tf.sigmoid(z)) as Tensor2D;
}

/** d activation / d z, from the activation's output `h`. */
function derivative(tf: TF, a: Activation, h: Tensor2D): Tensor {
  if (a === "relu") return tf.step(h);
  if (a === "tanh") return tf.sub(1, tf.square(h));
  return tf.mul(h, tf.sub(1, h));
}

/** Inverted-dropout mask: 0 with probability `rate`, else 1 / (1 - rate). Seeded, so training repeats exactly. */
function dropoutMask(tf: TF, shape: [number, number], rate: number, seed: number): Tensor2D {
  return tf.mul(tf.step(tf.sub(tf.randomUniform(shape, 0, 1, "float32", seed), rate)), 1 / (1 - rate)) as Tensor2D;
}

/** Rows `rows` as tensors: features, targets (0/1 or value for one unit, one-hot for softmax), weights. */
function rowsTensors(tf: TF, data: MlpFitInput, rows: Int32Array): [Tensor2D, Tensor2D, Tensor2D | undefined] {
  const d = data.width;
  const k = data.units;
  const x = new Float32Array(rows.length * d);
  const y = new Float32Array(rows.length * k);
  for (let i = 0; i < rows.length; i++) {
    const r = rows[i]!;
    x.set(data.x.subarray(r * d, r * d + d), i * d);
    if (data.head === "softmax") y[i * k + data.y[r]!] = 1;
    else y[i] = data.y[r]!;
  }
  const w = data.weights ? Float32Array.from(rows, (r) => data.weights![r]!) : undefined;
  return [tf.tensor2d(x, [rows.length, d]), tf.tensor2d(y, [rows.length, k]), w ? tf.tensor2d(w, [rows.length, 1]) : undefined];
}

function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => (typeof setImmediate === "function" ? setImmediate(resolve) : setTimeout(resolve, 0)));
}
