/**
 * The code node through the executor: it is `heavy`, so it runs on a thread-pool worker (which starts its own
 * sandbox thread); its code is part of the cache key; a failing code node fails with the user's message.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Table } from "apache-arrow";
import { afterAll, describe, expect, it } from "vitest";
import { loadValue } from "../../server/engine/codecs";
import { InProcessExecutor } from "../../server/engine/in-process-executor";
import { createNodeRuntime } from "../../server/engine/runtime/node-runtime";
import { ThreadPool } from "../../server/engine/thread-pool";
import { compileGraph } from "../../server/graph/compile-graph";
import type { Workflow } from "../../server/graph/format";
import { FileArtifactStore } from "../../server/store/artifact-store";
import { registry } from "./code-registry";

const dir = mkdtempSync(join(tmpdir(), "lattice-code-exec-"));
const store = new FileArtifactStore(join(dir, "artifacts"));
const pool = new ThreadPool({ size: 1, storeRoot: store.root, registryModule: new URL("./code-registry.ts", import.meta.url).href });
const executor = new InProcessExecutor({ registry, store, runtime: createNodeRuntime(), pool });
afterAll(async () => {
  await executor.close();
  rmSync(dir, { recursive: true, force: true });
});

const graph = (code: string): Workflow => ({
  formatVersion: 1,
  name: "code",
  nodes: [
    { id: "make", kind: "code/typescript", version: 1, params: { code: `export default async function run() { return { table: table({ x: [1, 2, 3], s: ["a", "b", null] }) }; }` }, position: { x: 0, y: 0 } },
    { id: "use", kind: "code/typescript", version: 1, params: { code }, position: { x: 0, y: 0 } },
  ],
  edges: [{ source: "make", sourcePort: "table", target: "use", targetPort: "a" }],
});

let n = 0;
async function run(w: Workflow) {
  const plan = compileGraph(w, registry);
  expect(plan.issues).toEqual([]);
  return executor.start({ runId: `code-${++n}`, plan, sink: { emit: () => {} } }).done;
}

describe("code node in the executor", () => {
  const double = `export default async function run({ inputs }) { const t = inputs.a.withColumn("y", (r) => r.x * 2); return { table: t, metrics: { total: t.column("y").reduce((a, b) => a + b, 0) } }; }`;

  it("runs on a worker thread and stores its outputs", async () => {
    const r = await run(graph(double));
    expect(r.status).toBe("succeeded");
    const t = (await loadValue(store, r.nodes.use!.outputs.table!)) as Table;
    expect(Array.from(t.getChild("y")!.toArray() as Float64Array)).toEqual([2, 4, 6]);
    expect(r.nodes.use!.metrics).toMatchObject({ total: 12 });
  });

  it("is cached until its code changes", async () => {
    expect((await run(graph(double))).nodes.use!.cached).toBe(true);
    const r = await run(graph(double.replace("r.x * 2", "r.x * 3")));
    expect(r.nodes.use!.cached).toBe(false);
    expect(r.nodes.make!.cached).toBe(true);
  });

  it("fails the node with the user's message and line", async () => {
    const r = await run(graph(`export default async function run({ inputs }) {\n  throw new Error("bad input");\n}`));
    expect(r.status).toBe("failed");
    expect(JSON.stringify(r.nodes.use)).toMatch(/bad input \(line 2\)/);
  });
});
