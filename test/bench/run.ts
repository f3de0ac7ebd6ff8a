/**
 * `npm run bench`: every benchmark, each reported next to a baseline measured in the same run. Results are
 * recorded by hand, with date and machine, in docs/performance.md. Pass section names to run a subset.
 */
import { cpus } from "node:os";
import { benchFoundation } from "./foundation.bench";
import { benchGbdt } from "./gbdt.bench";
import { benchForest } from "./forest.bench";
import { benchCodeNode } from "./code-node.bench";
import { benchQueue } from "./queue.bench";
import { benchMlp } from "./mlp.bench";
import { benchPipeline } from "./pipeline.bench";
import { benchServing } from "./serving.bench";
import { printResults, type BenchResult } from "./stats";

const sections: Record<string, () => Promise<BenchResult[]>> = {
  foundation: benchFoundation,
  gbdt: benchGbdt,
  forest: benchForest,
  code: benchCodeNode,
  queue: benchQueue,
  mlp: benchMlp,
  pipeline: benchPipeline,
  serving: benchServing,
};

const wanted = process.argv.slice(2);
console.log(`# Lattice benchmarks — ${new Date().toISOString()} — ${cpus().length}× ${cpus()[0]?.model ?? "cpu"}, node ${process.version}`);
for (const [name, fn] of Object.entries(sections)) {
  if (wanted.length && !wanted.includes(name)) continue;
  printResults(name, await fn());
}
