/**
 * MLP training throughput on UCI Adult (80/20 stratified split, seed 0): the `training/mlp` node end to end
 * (preprocessing, seeded training loop, saving the model) next to a raw TensorFlow.js `model.fit` loop on the
 * same backend, the same encoded rows and the same network (inputs → 64 → 64 → 1, ReLU, Adam, batch 256).
 * Both run in this process, alternating, and each reports its best of {@link ROUNDS}. Framework overhead =
 * how much slower (in samples/s) the node is than the raw loop; the target is at most 10%.
 */
import type { Tensor } from "@tensorflow/tfjs";
import type { Table } from "apache-arrow";
import trainTestSplit from "../../nodes/features/train-test-split";
import mlp from "../../nodes/training/mlp";
import { applyPreprocess, fitPreprocess } from "../../nodes/training/preprocess";
import { closeTestRuntime, makeContext, testRuntime } from "../helpers/node-context";
import type { BenchResult } from "./stats";

const ADULT = "/work/shared/datasets/adult.csv";
const EPOCHS = 5;
const ROUNDS = 3;
const BATCH = 256;
const FEATURES = ["age", "workclass", "fnlwgt", "education", "education-num", "marital-status", "occupation", "relationship", "capital-gain", "capital-loss", "hours-per-week", "native-country"];

export async function benchMlp(): Promise<BenchResult[]> {
  try {
    const ctx = makeContext();
    const tf = await testRuntime().tf();
    const table = await testRuntime().tables.readFile(ADULT, { nullStrings: ["?"] });
    const { train } = await trainTestSplit.run({ inputs: { table }, params: trainTestSplit.params.parse({ stratify: "class", seed: 0 }), ctx });
    const n = train.numRows;
    const params = mlp.params.parse({ label: "class", features: FEATURES, epochs: EPOCHS, batchSize: BATCH, validationFraction: 0, patience: 0 });

    const node = async () => {
      const t = performance.now();
      await mlp.run({ inputs: { train }, params, ctx: makeContext() });
      return performance.now() - t;
    };
    const raw = rawFit(tf, train);
    await node(); // JIT and wasm kernels warm for both
    await raw(1);
    const nodeMs: number[] = [];
    const rawMs: number[] = [];
    for (let r = 0; r < ROUNDS; r++) {
      nodeMs.push(await node());
      rawMs.push(await raw(EPOCHS));
    }
    const samples = n * EPOCHS;
    const ours = samples / (Math.min(...nodeMs) / 1000);
    const theirs = samples / (Math.min(...rawMs) / 1000);
    const overhead = (theirs - ours) / theirs;
    const backend = tf.getBackend();
    return [
      {
        name: `training/mlp node, ${n} rows × ${EPOCHS} epochs, 64-64, batch ${BATCH}, ${backend} (best of ${ROUNDS}, preprocessing and saving included)`,
        value: ours,
        unit: "samples/s",
        baseline: `raw tfjs model.fit (same backend, encoded rows, network, optimizer; data already tensors): ${theirs.toFixed(0)} samples/s`,
      },
      { name: "MLP framework overhead vs raw model.fit", value: overhead * 100, unit: "%", target: "≤ 10%", ok: overhead <= 0.1 },
    ];
  } finally {
    await closeTestRuntime();
  }
}

/** A `model.fit` loop over the rows the node would train on (same encoding), returning ms per call. */
function rawFit(tf: Awaited<ReturnType<ReturnType<typeof testRuntime>["tf"]>>, train: Table) {
  const pre = fitPreprocess(train, FEATURES, 50);
  const x = applyPreprocess(pre, train);
  const labels = train.getChild("class")!.toArray() as string[];
  const y = Float32Array.from(labels, (v) => (v === ">50K" ? 1 : 0));
  const d = pre.outputs.length;
  return async (epochs: number) => {
    const xs = tf.tensor2d(x, [labels.length, d]);
    const ys = tf.tensor2d(y, [labels.length, 1]);
    const model = tf.sequential({
      layers: [
        tf.layers.dense({ units: 64, activation: "relu", inputShape: [d] }),
        tf.layers.dense({ units: 64, activation: "relu" }),
        tf.layers.dense({ units: 1, activation: "sigmoid" }),
      ],
    });
    model.compile({ optimizer: tf.train.adam(0.001), loss: "binaryCrossentropy" });
    const t = performance.now();
    await model.fit(xs, ys, { epochs, batchSize: BATCH, shuffle: true, verbose: 0 });
    const ms = performance.now() - t;
    tf.dispose([xs, ys] as Tensor[]);
    model.dispose();
    return ms;
  };
}
