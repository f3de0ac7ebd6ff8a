/**
 * Full-batch fit of a linear classifier to the exact optimum of scikit-learn's penalized objective (see
 * linear-solvers.ts): Newton for two classes, L-BFGS for more (or when asked). The result is packed into the
 * same one-layer TensorFlow.js model as the minibatch trainer's (fit-linear.ts), so saving, loading and
 * scoring (predict.ts) do not depend on the solver.
 */
import type { LayersModel } from "@tensorflow/tfjs";
import type { TF } from "../core/context";
import { mulberry32, shuffleInPlace } from "../core/random";
import { linearLayersModel } from "./fit-linear";
import { crossEntropySum, lbfgs, newtonBinary, selectRows, type LinearParams, type SparseRows } from "./linear-solvers";

export type ExactSolver = "newton" | "lbfgs";

export interface ExactFitOptions {
  solver: ExactSolver;
  /** Inverse penalty strength (scikit-learn's C). */
  C: number;
  maxIter: number;
  /** Fraction of rows held out (seeded) to report `val_loss`; they are not learned from. 0 = none. */
  validationFraction: number;
  seed: number;
}

export interface ExactFitInput {
  /** Encoded rows (preprocess.ts, sparse form). */
  x: SparseRows;
  /** Class code per row, 0..classes-1. */
  y: Int32Array;
  classes: number;
  /** Optional per-row weights, as scikit-learn's `sample_weight`. */
  weights?: Float32Array;
}

export interface ExactFitHooks {
  signal: AbortSignal;
  /** After each iteration (1-based) with the mean weighted cross-entropy on the training (and held-out) rows. */
  onIteration(iteration: number, loss: number, valLoss: number | undefined): void;
}

export interface ExactFit {
  model: LayersModel;
  iterations: number;
  converged: boolean;
}

/** Let timers and abort events run about this often (ms): a Cancel arrives as an event. */
const YIELD_EVERY_MS = 25;

export async function fitLinearExact(tf: TF, data: ExactFitInput, opts: ExactFitOptions, hooks: ExactFitHooks): Promise<ExactFit> {
  const n = data.y.length;
  let trainRows: Int32Array | undefined;
  let valRows: Int32Array | undefined;
  if (opts.validationFraction > 0) {
    // The same held-out rows as the minibatch trainer for the same seed.
    const order = shuffleInPlace(Int32Array.from({ length: n }, (_, i) => i), mulberry32(opts.seed));
    const nVal = Math.min(n - 1, Math.round(n * opts.validationFraction));
    valRows = order.slice(0, nVal).sort();
    trainRows = order.slice(nVal).sort();
  }
  const part = (rows: Int32Array | undefined) => ({
    x: rows ? selectRows(data.x, rows) : data.x,
    y: rows ? Int32Array.from(rows, (r) => data.y[r]!) : data.y,
    weights: data.weights && rows ? Float32Array.from(rows, (r) => data.weights![r]!) : data.weights,
  });
  const train = part(trainRows);
  const val = valRows && valRows.length ? part(valRows) : undefined;
  const meanLoss = (p: { x: SparseRows; y: Int32Array; weights?: Float32Array }, params: LinearParams) => crossEntropySum(p.x, p.y, p.weights, params) / p.x.n;

  let lastYield = performance.now();
  const solve = opts.solver === "newton" ? newtonBinary : lbfgs;
  const result = await solve(
    { ...train, classes: data.classes, C: opts.C },
    {
      maxIter: opts.maxIter,
      async onIteration(it, params, crossEntropy) {
        hooks.onIteration(it, crossEntropy / train.x.n, val ? meanLoss(val, params) : undefined);
        if (performance.now() - lastYield > YIELD_EVERY_MS) {
          await new Promise((resolve) => (typeof setImmediate === "function" ? setImmediate(resolve) : setTimeout(resolve, 0)));
          lastYield = performance.now();
        }
        hooks.signal.throwIfAborted();
      },
    },
  );
  hooks.signal.throwIfAborted();
  const model = linearLayersModel(tf, data.x.d, result.units, Float32Array.from(result.W), Float32Array.from(result.b));
  return { model, iterations: result.iterations, converged: result.converged };
}
