/**
 * Prometheus metrics of the public API (prom-client, a registry per service so tests stay independent), plus
 * the in-memory figures the endpoint page shows (recent latencies, prediction mean) per endpoint version.
 */
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { SharedCounters } from "./coordination";
import type { EndpointStats } from "./types";

const RECENT = 2000;
/** Shared statistics (several API processes): latency percentiles over the last this many minutes. */
export const RECENT_MINUTES = 15;
/** Latency buckets of the shared statistics: 5 % wide, from 0.01 ms up. */
const LAT_BASE = 0.01;
const LAT_STEP = Math.log(1.05);
const latBucket = (ms: number) => Math.max(0, Math.ceil(Math.log(Math.max(ms, LAT_BASE) / LAT_BASE) / LAT_STEP));
const latUpper = (bucket: number) => LAT_BASE * Math.exp(bucket * LAT_STEP);
/** Shared statistics (and drift counts) are kept this long after a version's last request. */
export const STATS_TTL_S = 90 * 24 * 3600;

/** What the prediction mean adds up: with `threshold` (classifiers) 1 per score at or above it, else the scores. */
function predictionSum(scores: Float64Array, threshold: number | undefined): number {
  let sum = 0;
  for (const s of scores) sum += threshold === undefined ? s : s >= threshold ? 1 : 0;
  return sum;
}

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
    this.predSum += predictionSum(scores, threshold);
    this.predN += scores.length;
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

  private readonly shared?: SharedCounters;

  /**
   * `shared`: several API processes serve the same endpoints (queue mode); the endpoint page's figures are
   * then counted in Redis across all of them (requests, errors and prediction mean since the version was
   * published; p50/p99 over the last RECENT_MINUTES minutes) rather than in this process since it started.
   */
  constructor(opts: { defaultMetrics?: boolean; shared?: SharedCounters } = {}) {
    this.shared = opts.shared;
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
    if (this.shared) {
      this.shared.add(`stats:${slug}:${version}`, { requests: 1, errors: status >= 400 ? 1 : 0 }, STATS_TTL_S);
      this.shared.add(`latency:${slug}:${version}:${Math.floor(Date.now() / 60_000)}`, { [latBucket(ms)]: 1 }, (RECENT_MINUTES + 5) * 60);
    }
  }

  predictions(slug: string, version: number, scores: Float64Array, threshold: number | undefined) {
    const labels = { endpoint: slug, version: String(version) };
    for (const s of scores) this.prediction.observe(labels, s);
    this.statsOf(slug, version).predictions(scores, threshold);
    if (this.shared) this.shared.add(`stats:${slug}:${version}`, { predSum: predictionSum(scores, threshold), predN: scores.length }, STATS_TTL_S);
  }

  /** The endpoint page's figures for a version: across all API processes when shared, else this process's. */
  async versionStats(slug: string, version: number): Promise<EndpointStats | undefined> {
    if (!this.shared) return this.summary(slug, version);
    const minute = Math.floor(Date.now() / 60_000);
    const minutes = Array.from({ length: RECENT_MINUTES }, (_, i) => `latency:${slug}:${version}:${minute - i}`);
    const [totals, ...recent] = await this.shared.read([`stats:${slug}:${version}`, ...minutes]);
    if (!totals || !totals.requests) return undefined;
    const buckets = new Map<number, number>();
    for (const m of recent) for (const [b, n] of Object.entries(m)) buckets.set(Number(b), (buckets.get(Number(b)) ?? 0) + n);
    const order = [...buckets.keys()].sort((a, b) => a - b);
    const n = order.reduce((t, b) => t + buckets.get(b)!, 0);
    const q = (p: number) => {
      if (!n) return null;
      let seen = 0;
      for (const b of order) if ((seen += buckets.get(b)!) >= Math.ceil(p * n)) return Math.round(latUpper(b) * 100) / 100;
      return Math.round(latUpper(order.at(-1)!) * 100) / 100;
    };
    return { requests: totals.requests, errors: totals.errors ?? 0, p50Ms: q(0.5), p99Ms: q(0.99), predictionMean: totals.predN ? (totals.predSum ?? 0) / totals.predN : null };
  }

  summary(slug: string, version: number): EndpointStats | undefined {
    return this.stats.get(`${slug}\n${version}`)?.summary();
  }
}
