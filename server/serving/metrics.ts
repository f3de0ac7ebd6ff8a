/**
 * Prometheus metrics of the public API (prom-client, a registry per service so tests stay independent), plus
 * the in-memory figures the endpoint page shows (recent latencies, prediction mean) per endpoint version.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { EndpointStats } from "./types";

const RECENT = 2000;

class VersionStats {
  requests = 0;
  errors = 0;
  private readonly latency = new Float64Array(RECENT);
  private latencyN = 0;
  private predSum = 0;
  private predN = 0;

  observe(ms: number) {
    this.latency[this.latencyN++ % RECENT] = ms;
  }

  /** `threshold`: binary models (the share at or above it is the positive share); else the mean value. */
  predictions(scores: Float64Array, threshold: number | undefined) {
    for (const s of scores) {
      this.predSum += threshold === undefined ? s : s >= threshold ? 1 : 0;
      this.predN++;
    }
  }

  summary(): EndpointStats {
    const n = Math.min(this.latencyN, RECENT);
    const sorted = Float64Array.from(this.latency.subarray(0, n)).sort();
    const q = (p: number) => (n ? sorted[Math.min(n - 1, Math.floor(p * n))]! : null);
    return { requests: this.requests, errors: this.errors, p50Ms: q(0.5), p99Ms: q(0.99), predictionMean: this.predN ? this.predSum / this.predN : null };
  }
}

export class ServingMetrics {
  readonly registry = new Registry();
  private readonly requests: Counter<"endpoint" | "version" | "status">;
  private readonly errors: Counter<"endpoint" | "version" | "code">;
  private readonly latency: Histogram<"endpoint" | "version">;
  private readonly prediction: Histogram<"endpoint" | "version">;
  private readonly stats = new Map<string, VersionStats>();

  constructor(opts: { defaultMetrics?: boolean } = {}) {
    if (opts.defaultMetrics) collectDefaultMetrics({ register: this.registry, prefix: "lattice_" });
    this.requests = new Counter({ name: "lattice_endpoint_requests_total", help: "Prediction requests by endpoint, version and HTTP status.", labelNames: ["endpoint", "version", "status"], registers: [this.registry] });
    this.errors = new Counter({ name: "lattice_endpoint_errors_total", help: "Failed prediction requests by endpoint, version and error code.", labelNames: ["endpoint", "version", "code"], registers: [this.registry] });
    this.latency = new Histogram({
      name: "lattice_endpoint_request_duration_seconds",
      help: "Time from request to response, by endpoint and version.",
      labelNames: ["endpoint", "version"],
      buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    this.prediction = new Histogram({
      name: "lattice_endpoint_prediction",
      help: "Predicted scores (positive-class or top-class probability; the value for regression), by endpoint and version.",
      labelNames: ["endpoint", "version"],
      buckets: [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
      registers: [this.registry],
    });
  }

  private statsOf(slug: string, version: number) {
    const k = `${slug}\n${version}`;
    let s = this.stats.get(k);
    if (!s) this.stats.set(k, (s = new VersionStats()));
    return s;
  }

  /** A finished request. `endpoint`/`version` are "" for requests that never reached a known endpoint (bounded labels). */
  request(slug: string, version: number | undefined, status: number, ms: number, code?: string) {
    const v = version === undefined ? "" : String(version);
    this.requests.inc({ endpoint: slug, version: v, status: String(status) });
    if (status >= 400) this.errors.inc({ endpoint: slug, version: v, code: code ?? String(status) });
    if (version === undefined) return;
    this.latency.observe({ endpoint: slug, version: v }, ms / 1000);
    const s = this.statsOf(slug, version);
    s.requests++;
    if (status >= 400) s.errors++;
    s.observe(ms);
  }

  predictions(slug: string, version: number, scores: Float64Array, threshold: number | undefined) {
    const labels = { endpoint: slug, version: String(version) };
    for (const s of scores) this.prediction.observe(labels, s);
    this.statsOf(slug, version).predictions(scores, threshold);
  }

  summary(slug: string, version: number): EndpointStats | undefined {
    return this.stats.get(`${slug}\n${version}`)?.summary();
  }
}
