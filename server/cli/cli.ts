/**
 * `lattice run <workflow.json> [--set <nodeId>.<param>=<value>]... [--out <dir>] [--json] [--no-cache]`
 *
 * Runs a workflow file on the same executor as the app (worker threads, the persistent cache under
 * LATTICE_ARTIFACTS or ./data/artifacts). Exit codes: 0 success, 1 the run failed, 2 the workflow or the
 * command line is invalid. Relative file paths in the workflow resolve against the current directory.
 */
import { readFileSync } from "node:fs";
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import type { Table } from "apache-arrow";
import { registry } from "../../nodes/catalog";
import type { ModelValue } from "../../nodes/core/values";
import { parseWorkflow, type Workflow } from "../graph/format";
import { applySets, UsageError } from "./apply-sets";
import { loadValue } from "../engine/codecs";
import { createLocalEngine } from "../engine/local-engine";
import type { ManagedRuntime } from "../engine/runtime/node-runtime";
import type { RunEvent, RunResult } from "../engine/types";
import { FileArtifactStore } from "../store/artifact-store";

const USAGE = `Usage: lattice run <workflow.json> [--set <nodeId>.<param>=<value>]... [--out <dir>] [--json] [--no-cache]

  --set     override a node's setting, e.g. --set split.testFraction=0.3 (value parsed as JSON when it can be)
  --out     write every node output to <dir>/<nodeId>/<port>.csv (tables) or .json (metrics, reports, models)
  --json    print a JSON summary { status, nodes: { <id>: { kind, status, cached, durationMs, metrics } } }
  --no-cache  re-execute every node instead of reusing cached results`;

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { set: { type: "string", multiple: true }, out: { type: "string" }, json: { type: "boolean" }, "no-cache": { type: "boolean" }, help: { type: "boolean", short: "h" } },
  });
  if (values.help || positionals[0] !== "run" || !positionals[1]) {
    console.error(USAGE);
    return values.help ? 0 : 2;
  }
  const file = resolve(positionals[1]);
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    throw new UsageError(`Cannot read workflow ${file}: ${(e as Error).message}`);
  }
  const parsed = parseWorkflow(doc);
  if (!parsed.ok) throw new UsageError(`${file} is not a valid Lattice workflow:\n  ${parsed.problems.join("\n  ")}`);
  const wf = applySets(parsed.workflow, values.set ?? []);
  const json = Boolean(values.json);

  const store = new FileArtifactStore(process.env.LATTICE_ARTIFACTS ?? "./data/artifacts");
  const engine = createLocalEngine(registry, store);
  const { executor, runtime } = engine;
  try {
    const plan = await engine.analyzer.analyze(wf, process.cwd());
    for (const i of plan.issues.filter((x) => x.severity === "warning")) console.error(`warning: ${where(wf, i)}${i.message}`);
    if (!plan.ok) {
      console.error(`${wf.name}: the workflow cannot run:`);
      for (const i of plan.issues.filter((x) => x.severity === "error")) console.error(`  ✗ ${where(wf, i)}${i.message}`);
      return 2;
    }
    const labels = new Map(plan.nodes.map((n) => [n.id, n.label]));
    const handle = executor.start({
      runId: `cli-${Date.now()}`,
      plan,
      baseDir: process.cwd(),
      noCache: Boolean(values["no-cache"]),
      // --json keeps stdout for the summary; warnings still go to stderr.
      sink: { emit: (e) => (json ? e.type === "log" && e.level !== "info" && report(e, labels) : report(e, labels)) },
    });
    const onSig = () => handle.cancel();
    process.once("SIGINT", onSig);
    const result = await handle.done;
    process.off("SIGINT", onSig);
    if (values.out) await writeOutputs(resolve(values.out), result, store, runtime);
    if (json) console.log(JSON.stringify(summary(result, plan.nodes), null, 2));
    for (const [id, n] of Object.entries(result.nodes))
      if (n.status === "failed") console.error(`✗ node "${id}" (${labels.get(id)}) failed: ${n.error?.message}`);
    return result.status === "succeeded" ? 0 : 1;
  } finally {
    await engine.close();
  }
}

function where(wf: Workflow, i: { nodeId?: string; edgeId?: string }) {
  if (i.nodeId) {
    const n = wf.nodes.find((x) => x.id === i.nodeId);
    return `node "${i.nodeId}"${n ? ` (${n.kind})` : ""}: `;
  }
  return i.edgeId ? `edge ${i.edgeId}: ` : "";
}

function report(e: RunEvent, labels: Map<string, string>) {
  const name = (id: string) => `${id} (${labels.get(id) ?? id})`;
  const fmt = (m: Record<string, number>) =>
    Object.entries(m)
      .slice(0, 6)
      .map(([k, v]) => `${k}=${Number.isInteger(v) ? v : v.toFixed(4)}`)
      .join(" ");
  switch (e.type) {
    case "succeeded":
      return console.error(`✓ ${name(e.nodeId)} ${e.durationMs} ms ${fmt(e.metrics)}`);
    case "cached":
      return console.error(`✓ ${name(e.nodeId)} cached ${fmt(e.metrics)}`);
    case "skipped":
      return console.error(`- ${name(e.nodeId)} skipped: ${e.reason}`);
    case "log":
      return e.level !== "info" && console.error(`  ${e.level}: ${name(e.nodeId)}: ${e.message}`);
    case "run-finished":
      return console.error(`run ${e.status} in ${e.durationMs} ms`);
  }
}

function summary(result: RunResult, nodes: Array<{ id: string; kind: string }>) {
  const kinds = new Map(nodes.map((n) => [n.id, n.kind]));
  return {
    status: result.status,
    durationMs: result.durationMs,
    nodes: Object.fromEntries(
      Object.entries(result.nodes).map(([id, n]) => [
        id,
        { kind: kinds.get(id), status: n.status, cached: n.cached, durationMs: n.durationMs, metrics: n.metrics, ...(n.error ? { error: n.error.message } : {}) },
      ]),
    ),
  };
}

async function writeOutputs(dir: string, result: RunResult, store: FileArtifactStore, runtime: ManagedRuntime) {
  for (const [nodeId, n] of Object.entries(result.nodes)) {
    const nodeDir = join(dir, nodeId);
    for (const [port, ref] of Object.entries(n.outputs)) {
      await mkdir(nodeDir, { recursive: true });
      const value = await loadValue(store, ref);
      if (ref.type === "table") {
        await runtime.tables.writeFile(value as Table, join(nodeDir, `${port}.csv`), "csv");
      } else if (ref.type === "model") {
        const m = value as ModelValue;
        await writeFile(join(nodeDir, `${port}.json`), JSON.stringify({ format: m.format, info: m.info, state: m.state }, null, 2));
        await mkdir(join(nodeDir, port), { recursive: true });
        for (const [name, bytes] of Object.entries(m.files)) await writeFile(join(nodeDir, port, name), bytes);
      } else {
        await writeFile(join(nodeDir, `${port}.json`), JSON.stringify(value, null, 2));
      }
    }
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    if (e instanceof UsageError) {
      console.error(e.message);
      process.exit(2);
    }
    console.error(`lattice: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(1);
  },
);
