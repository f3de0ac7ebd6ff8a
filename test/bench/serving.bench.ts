/**
 * Issue #5: online predictions of a published Adult endpoint (logistic regression, TensorFlow.js) under load:
 * autocannon on loopback (its own process, so it does not share our event loop), single-row JSON requests
 * through the real API handler (key check, rate limit, validation, Arrow table, model, metrics, drift), next to
 * a minimal bare http.Server calling the same TensorFlow.js model in this same process and run.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { Tensor } from "@tensorflow/tfjs";
import type { ModelValue } from "../../nodes/core/values";
import { loadModel } from "../../nodes/training/predict";
import type { CategoricalEncoder } from "../../nodes/training/preprocess";
import { loadValue } from "../../server/engine/codecs";
import { createAppServices } from "../../server/engine/app-services";
import type { RunEvent } from "../../server/engine/types";
import { parseWorkflow } from "../../server/graph/format";
import { createApiHandler } from "../../server/http/api";
import type { ServingSpec } from "../../server/serving/spec";
import { createNodeRuntime } from "../../server/engine/runtime/node-runtime";
import type { TF } from "../../nodes/core/context";
import type { BenchResult } from "./stats";

const ROOT = resolve(import.meta.dirname, "../..");
const ADULT = resolve(ROOT, "../shared/datasets/adult.csv");
const DURATION_S = Number(process.env.SERVING_BENCH_SECONDS ?? 10);
const CONNECTIONS = 16;
const ROW = { age: 39, workclass: "State-gov", fnlwgt: 77516, education: "Bachelors", "education-num": 13, "marital-status": "Never-married", occupation: "Adm-clerical", relationship: "Not-in-family", "capital-gain": 2174, "capital-loss": 0, "hours-per-week": 40, "native-country": "United-States" };

interface Load {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
}

const require = createRequire(import.meta.url);

/** autocannon in a child process (the CLI), JSON summary back. */
function autocannon(url: string, headers: Record<string, string>, body: string): Promise<Load> {
  const args = [require.resolve("autocannon/autocannon.js"), "-c", String(CONNECTIONS), "-d", String(DURATION_S), "-m", "POST", "-b", body, "-j"];
  for (const [k, v] of Object.entries(headers)) args.push("-H", `${k}=${v}`);
  args.push(url);
  return new Promise((res, rej) => {
    const p = spawn(process.execPath, args, { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d: Buffer) => (out += d));
    p.on("error", rej);
    p.on("close", () => {
      try {
        const j = JSON.parse(out) as { requests: { average: number }; latency: { p50: number; p99: number }; errors: number; non2xx: number };
        res({ rps: j.requests.average, p50: j.latency.p50, p99: j.latency.p99, errors: j.errors, non2xx: j.non2xx });
      } catch (e) {
        rej(new Error(`autocannon gave no JSON: ${out.slice(0, 300)} (${String(e)})`));
      }
    });
  });
}


/** The bare server: parse the row, one-hot/standardize by hand from the model's own preprocessing, predict. */
async function bareServer(model: ModelValue, tf: TF) {
  const loaded = await loadModel(model, tf);
  const { encoders, outputs } = loaded.state.preprocess;
  const d = outputs.length;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const row = JSON.parse(Buffer.concat(chunks).toString("utf8")) as Record<string, unknown>;
      const x = new Float32Array(d);
      let o = 0;
      for (const e of encoders) {
        if (e.kind === "numeric") {
          const v = row[e.name];
          x[o++] = typeof v === "number" ? (v - e.mean) / e.scale : 0;
        } else {
          const c = e as CategoricalEncoder;
          const j = c.categories.indexOf(String(row[c.name]));
          if (j >= 0) x[o + j] = 1;
          o += c.categories.length + (c.rare.length ? 1 : 0) + (c.missing ? 1 : 0);
        }
      }
      const out = tf.tidy(() => loaded.layers.predict(tf.tensor2d(x, [1, d])) as Tensor);
      const p = out.dataSync()[0]!;
      out.dispose();
      const body = JSON.stringify({ predictions: [{ prediction: p >= 0.5 ? loaded.classes[1] : loaded.classes[0], probabilities: { [loaded.classes[0]!]: 1 - p, [loaded.classes[1]!]: p } }] });
      res.writeHead(200, { "content-type": "application/json" });
      res.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return server;
}

export async function benchServing(): Promise<BenchResult[]> {
  const dir = mkdtempSync(join(tmpdir(), "lattice-bench-serving-"));
  const svc = await createAppServices({ dataDir: dir, memoryDb: true, threads: 1, redisUrl: "" });
  const servers: http.Server[] = [];
  try {
    const parsed = parseWorkflow(JSON.parse(readFileSync(join(ROOT, "examples/adult-income.workflow.json"), "utf8")));
    if (!parsed.ok) throw new Error("examples/adult-income.workflow.json does not parse");
    const wf = parsed.workflow;
    for (const n of wf.nodes) if (n.kind === "sources/file") n.params = { ...n.params, path: ADULT };
    const rec = await svc.db.workflows.create(wf);
    const { runId } = await svc.runs.startSaved(rec.id);
    let last: RunEvent | undefined;
    for await (const e of svc.runs.events(runId, 0, new AbortController().signal)) last = e;
    if (last?.type !== "run-finished" || last.status !== "succeeded") throw new Error("the Adult run failed");
    const admin = { id: "bench", email: "bench@example.com", role: "admin" as const };
    await svc.endpoints.publish({ workflowId: rec.id, slug: "adult-bench" }, admin);
    const { key } = await svc.endpoints.createKey("adult-bench", "bench", admin, 1_000_000);

    const api = createApiHandler({ services: svc });
    const server = http.createServer((req, res) => {
      api(req, res).then((handled) => {
        if (!handled) res.writeHead(404).end();
      });
    });
    server.keepAliveTimeout = 60_000;
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    servers.push(server);
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/endpoints/adult-bench/predict`;
    const headers = { authorization: `Bearer ${key}`, "content-type": "application/json" };
    const body = JSON.stringify(ROW);
    const check = await fetch(url, { method: "POST", headers, body });
    if (check.status !== 200) throw new Error(`endpoint answered ${check.status}: ${await check.text()}`);

    const d = await svc.endpoints.get("adult-bench");
    const spec = (await svc.db.endpoints.version((await svc.db.endpoints.get("adult-bench"))!.id, d.liveVersion!))!.spec as ServingSpec;
    const model = (await loadValue(svc.artifacts, { hash: spec.model.hash, type: "model", size: 0 })) as ModelValue;
    const bare = await bareServer(model, await createNodeRuntime().tf());
    servers.push(bare);
    const bareUrl = `http://127.0.0.1:${(bare.address() as AddressInfo).port}/`;

    // Warm both (JIT, tfjs kernels), then measure the bare server first, the endpoint second.
    await autocannon(bareUrl, { "content-type": "application/json" }, body).catch(() => undefined);
    const b = await autocannon(bareUrl, { "content-type": "application/json" }, body);
    const e = await autocannon(url, headers, body);
    if (e.non2xx || e.errors) throw new Error(`endpoint load: ${e.non2xx} non-2xx, ${e.errors} errors`);
    const ratio = e.rps / b.rps;
    const info = `${CONNECTIONS} connections, ${DURATION_S} s, single-row JSON`;
    return [
      { name: "endpoint req/s", value: e.rps, unit: "req/s", target: "≥ 2000", ok: e.rps >= 2000, baseline: `bare http.Server + same tfjs model: ${b.rps.toFixed(0)} req/s (${info})` },
      { name: "endpoint p50", value: e.p50, unit: "ms", baseline: `bare: ${b.p50} ms` },
      { name: "endpoint p99", value: e.p99, unit: "ms", target: "≤ 10", ok: e.p99 <= 10, baseline: `bare: ${b.p99} ms` },
      { name: "endpoint / bare throughput", value: ratio, unit: "×", target: "≥ 0.5", ok: ratio >= 0.5 },
    ];
  } finally {
    for (const s of servers) {
      s.closeAllConnections();
      s.close();
    }
    await svc.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
