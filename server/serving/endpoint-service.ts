/**
 * EndpointService: publish (serving plan + input schema + drift reference + gate), versions and routing
 * (live, canary, rollback), API keys and the audit log; plus what the public HTTP API needs on its hot path
 * (cached key lookups, cached routing, loaded versions). See docs/endpoints.md.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Table } from "apache-arrow";
import { DEFAULT_NULL_STRINGS } from "../../nodes/sources/file-format";
import type { NodeRuntime } from "../../nodes/core/context";
import type { NodeRegistry } from "../../nodes/core/registry";
import type { ModelValue, TransformValue } from "../../nodes/core/values";
import { loadValue } from "../engine/codecs";
import type { AnalyzeResult } from "../engine/services";
import { ServiceError } from "../engine/service-error";
import type { ArtifactStore, Executor } from "../engine/types";
import type { Workflow } from "../graph/format";
import { StoreError } from "../store/store-errors";
import type { ApiKeyRecord, AuditEntryRecord, Database, EndpointRecord, EndpointVersionRecord, RunRecord } from "../store/types";
import { createBatchJobs, type BatchDeps, type BatchJobs } from "./batch";
import type { Invalidation, ServingCoordination } from "./coordination";
import { DriftAccumulator, driftFromCounts, referenceOf } from "./drift";
import { createExplainer, type PipelineExplainer } from "./explain";
import { readGate } from "./gate";
import { collectCategories, deriveInputFields, rowValidator, type RowValidator } from "./input";
import { hashKey, newKey } from "./keys";
import { ServingMetrics, STATS_TTL_S } from "./metrics";
import { loadPipeline, type Pipeline } from "./pipeline";
import { deriveServingPath } from "./plan";
import type { FeatureReference, ServingSpec } from "./spec";
import type { Actor, ApiKeySummary, AuditRecord, EndpointDetail, EndpointService, FeatureDrift, EndpointSummary, EndpointVersionSummary, GateResult, InputField, PublishRequest } from "./types";

export const SLUG = /^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$/;
const DEFAULT_RATE_LIMIT = 600;
/** How long a key lookup is trusted (revocations through this process take effect at once). */
const KEY_TTL_MS = 30_000;
const UNKNOWN_KEY_TTL_MS = 5_000;
const ROUTE_TTL_MS = 2_000;
const MAX_CACHED_KEYS = 10_000;
const TOUCH_EVERY_MS = 5_000;
const driftHash = (slug: string, version: number) => `drift:${slug}:${version}`;

export interface EndpointServiceDeps {
  db: Database;
  artifacts: ArtifactStore;
  runtime: NodeRuntime;
  registry: NodeRegistry;
  /** Design-time schemas (source columns) for the input schema. */
  analyze(workflow: Workflow): Promise<AnalyzeResult>;
  /** Starts a saved workflow. */
  startRun?(workflowId: string): Promise<{ runId: string }>;
  /** Runs batch-scoring jobs (`POST …/batch`): the app's executor, in process or queued. Without it the batch API answers 503. */
  executor?: Executor;
  /** Queue mode: the executor's run leases (batch runs are leased like workflow runs). */
  leases?: BatchDeps["leases"];
  /** Several API processes (queue mode): shared rate limits and cache invalidation through Redis. */
  coordination?: ServingCoordination;
  now?: () => number;
}

/** A key as the hot path needs it. */
export interface KeyInfo {
  id: string;
  endpointId: string;
  slug: string;
  rateLimitPerMinute: number;
  revoked: boolean;
}

/** One version ready to answer requests. */
export interface LoadedVersion {
  slug: string;
  version: number;
  spec: ServingSpec;
  fields: InputField[];
  validator: RowValidator;
  pipeline: Pipeline;
  drift: DriftAccumulator;
  /** Field metadata (roles) of the training rows, copied onto request tables. */
  metadata: Record<string, Record<string, string>>;
  /** Kernel SHAP of the whole pipeline (`?explain=true` for models without linear explanations); idle until used. */
  explainer: PipelineExplainer;
}

export type ServingService = EndpointService & {
  metrics: ServingMetrics;
  /** Cached; null when no such key. */
  lookupKey(key: string): Promise<KeyInfo | null>;
  /** Cached routing of a slug; null when unknown. */
  route(slug: string): Promise<EndpointRecord | null>;
  /** The loaded version (cached per process). Null when the endpoint has no such version. */
  loaded(endpoint: EndpointRecord, version: number): Promise<LoadedVersion | null>;
  /** Remember a key's use; written to the database in batches. */
  keyUsed(id: string): void;
  /** Parse a CSV request body with DuckDB (the runtime's table engine). Throws NodeUserError for unreadable CSV. */
  readCsv(bytes: Uint8Array): Promise<Table>;
  /** Batch-scoring jobs (server/serving/batch.ts). */
  batch: BatchJobs;
  /** Set when API processes share rate limits (queue mode); otherwise each process limits on its own. */
  sharedRateLimit?: ServingCoordination["take"];
  close(): Promise<void>;
};

/** Whether `e` is this implementation (with the hot-path methods the public API needs), not a test fake. */
export function isServingService(e: EndpointService): e is ServingService {
  return typeof (e as Partial<ServingService>).lookupKey === "function" && typeof (e as Partial<ServingService>).loaded === "function";
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : undefined);

function keySummary(k: ApiKeyRecord): ApiKeySummary {
  return {
    id: k.id,
    name: k.name,
    prefix: k.prefix,
    rateLimitPerMinute: k.rateLimitPerMinute,
    createdAt: k.createdAt.toISOString(),
    ...(k.createdBy ? { createdBy: k.createdBy } : {}),
    ...(k.revokedAt ? { revokedAt: iso(k.revokedAt) } : {}),
    ...(k.lastUsedAt ? { lastUsedAt: iso(k.lastUsedAt) } : {}),
  };
}

function summary(e: EndpointRecord): EndpointSummary {
  return {
    slug: e.slug,
    name: e.name,
    workflowId: e.workflowId,
    liveVersion: e.liveVersion,
    canaryVersion: e.canaryVersion,
    canaryPercent: e.canaryPercent,
    createdAt: e.createdAt.toISOString(),
    updatedAt: e.updatedAt.toISOString(),
  };
}

function auditRecord(a: AuditEntryRecord): AuditRecord {
  return {
    id: a.id,
    at: a.at.toISOString(),
    ...(a.actorId ? { actorId: a.actorId } : {}),
    ...(a.actorEmail ? { actorEmail: a.actorEmail } : {}),
    action: a.action,
    target: a.target,
    details: a.details,
  };
}

export function slugify(name: string): string {
  const s = name
    .toLowerCase()
    .normalize("NFKD")
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 64)
    .replace(/-+$/, "");
  return s || "endpoint";
}

const target = (slug: string) => `endpoint:${slug}`;

export function createEndpointService(deps: EndpointServiceDeps): ServingService {
  const { db, artifacts, registry, runtime } = deps;
  const now = deps.now ?? Date.now;
  const metrics = new ServingMetrics({ defaultMetrics: false, shared: deps.coordination?.counters });
  const keyCache = new Map<string, { info: KeyInfo | null; expires: number }>();
  const routeCache = new Map<string, { endpoint: EndpointRecord | null; expires: number }>();
  const versions = new Map<string, Promise<LoadedVersion | null>>();
  const used = new Map<string, number>();
  let flushing: Promise<void> | undefined;
  let tmp: Promise<string> | undefined;
  const timer = setInterval(() => void flushUses(), TOUCH_EVERY_MS);
  timer.unref();

  function flushUses(): Promise<void> {
    if (flushing || !used.size) return flushing ?? Promise.resolve();
    const batch = [...used].map(([id, at]) => ({ id, at: new Date(at) }));
    used.clear();
    flushing = db.apiKeys
      .touch(batch)
      .catch((e: unknown) => console.warn("[serving] could not record key use:", e instanceof Error ? e.message : e))
      .finally(() => (flushing = undefined));
    return flushing;
  }

  async function endpointOr404(slug: string): Promise<EndpointRecord> {
    const e = await db.endpoints.get(slug);
    if (!e) throw new ServiceError("not_found", `There is no endpoint "${slug}".`);
    return e;
  }

  async function versionOr404(e: EndpointRecord, version: number): Promise<EndpointVersionRecord> {
    const v = Number.isInteger(version) && version >= 1 && version <= 2_147_483_647 ? await db.endpoints.version(e.id, version) : null;
    if (!v) throw new ServiceError("not_found", `Endpoint "${e.slug}" has no version ${version}.`);
    return v;
  }

  async function audit(actor: Actor | null, action: string, tgt: string, details: Record<string, unknown> = {}) {
    await db.audit.append({ actorId: actor?.id ?? null, actorEmail: actor?.email ?? null, action, target: tgt, details });
  }

  /** Drop a cached key lookup (by hash) or an endpoint's routing from this process's caches. */
  function drop(what: Invalidation) {
    if ("key" in what) keyCache.delete(what.key);
    else routeCache.delete(what.slug);
  }

  /**
   * A key was revoked or an endpoint's routing changed: forget it here at once and, with several API processes,
   * everywhere (otherwise they would trust their cached entry until it expires).
   */
  async function forget(what: Invalidation) {
    drop(what);
    await deps.coordination?.invalidate(what).catch((e: unknown) => console.warn("[serving] could not tell other API processes about a changed key or endpoint:", e));
  }

  async function resolveRun(workflowId: string, runId?: string): Promise<{ run: RunRecord; graph: Workflow; workflowVersion: number }> {
    const wf = await db.workflows.get(workflowId);
    if (!wf) throw new ServiceError("not_found", `There is no workflow "${workflowId}".`);
    let run: RunRecord | null;
    if (runId) {
      run = await db.runs.get(runId);
      if (!run || run.workflowId !== workflowId) throw new ServiceError("not_found", `Workflow "${wf.name}" has no run "${runId}".`);
      if (run.status !== "succeeded") throw new ServiceError("conflict", `Run ${runId} ${run.status === "running" || run.status === "queued" ? "has not finished" : `ended ${run.status}`}; publish from a succeeded run.`);
    } else {
      const runs = await db.runs.listForWorkflow(workflowId, 50);
      run = runs.filter((r) => r.status === "succeeded" && r.workflowVersionId === wf.versionId).sort((a, b) => +b.createdAt - +a.createdAt)[0] ?? null;
      if (!run) throw new ServiceError("conflict", `Version ${wf.version} of "${wf.name}" has no succeeded run yet. Run it, then publish.`);
    }
    const all = await db.workflows.versions(workflowId);
    const number = all.find((v) => v.id === run.workflowVersionId)?.version;
    const rec = number === undefined ? null : await db.workflows.get(workflowId, number);
    if (!rec) throw new ServiceError("not_found", `The workflow version run ${run.id} ran no longer exists.`);
    return { run, graph: rec.graph, workflowVersion: number! };
  }

  function gateError(gate: GateResult): ServiceError {
    const failing = gate.checks.filter((c) => !c.passed);
    return new ServiceError(
      "gate_failed",
      `Publishing is blocked: ${failing.map((c) => `"${c.label}" failed (${c.reasons.join("; ")})`).join("; ")}. Fix the workflow and run it again, or ask an admin to override.`,
      failing.flatMap((c) => c.reasons.map((r) => ({ severity: "error" as const, code: "gate_failed", nodeId: c.nodeId, message: r }))),
      { gate },
    );
  }

  async function loadVersion(e: EndpointRecord, v: EndpointVersionRecord): Promise<LoadedVersion> {
    const spec = v.spec as ServingSpec;
    const fields = (v.inputSchema as { fields: InputField[] }).fields;
    const reference = ((v.reference as { features?: FeatureReference[] }).features ?? []) as FeatureReference[];
    const pipeline = await loadPipeline(spec, { artifacts, runtime, registry });
    const metadata = (v.inputSchema as { metadata?: Record<string, Record<string, string>> }).metadata ?? {};
    return {
      slug: e.slug,
      version: v.version,
      spec,
      fields,
      validator: rowValidator(fields),
      pipeline,
      // Several API processes: drift is counted across all of them (read back in get()).
      drift: new DriftAccumulator(reference, deps.coordination ? (counts) => deps.coordination!.counters.add(driftHash(e.slug, v.version), counts, STATS_TTL_S) : undefined),
      metadata,
      explainer: createExplainer({ spec, fields, metadata, pipeline, artifacts }),
    };
  }

  const batchJobs = createBatchJobs({ db, artifacts, runtime, registry, executor: deps.executor, leases: deps.leases });

  deps.coordination?.onInvalidate(drop);

  const service: ServingService = {
    metrics,
    batch: batchJobs,
    ...(deps.coordination ? { sharedRateLimit: deps.coordination.take } : {}),

    async checkGate(workflowId, runId) {
      const { run, graph } = await resolveRun(workflowId, runId);
      return readGate(graph, run, registry, artifacts);
    },

    async publish(req: PublishRequest, actor) {
      const wf = await db.workflows.get(req.workflowId);
      if (!wf) throw new ServiceError("not_found", `There is no workflow "${req.workflowId}".`);
      const slug = req.slug ?? slugify(wf.name);
      if (!SLUG.test(slug)) throw new ServiceError("invalid_input", `"${slug}" is not a valid endpoint slug: use lowercase letters, digits and dashes (at most 64, not starting or ending with a dash).`);
      const existing = await db.endpoints.get(slug);
      if (existing && existing.workflowId !== req.workflowId)
        throw new ServiceError("conflict", `The endpoint "${slug}" already serves another workflow. Choose another slug.`);
      const { run, graph, workflowVersion } = await resolveRun(req.workflowId, req.runId);
      const path = deriveServingPath(graph, run, registry, req.modelNodeId);

      const checked = await readGate(graph, run, registry, artifacts);
      if (!checked.passed && !req.override) throw gateError(checked);
      if (req.override && !req.override.reason.trim()) throw new ServiceError("invalid_input", "An override needs a reason (it is recorded in the audit log).");
      const gate: GateResult = !checked.passed && req.override ? { ...checked, override: { by: actor.email, reason: req.override.reason, at: new Date(now()).toISOString() } } : checked;

      const model = (await loadValue(artifacts, path.model.ref)) as ModelValue;
      const entry = (await loadValue(artifacts, path.entry.ref)) as Table;
      const transforms: unknown[] = [];
      for (const s of path.steps) if (s.type === "fitted") transforms.push(((await loadValue(artifacts, { hash: s.hash, type: "transform", size: 0 })) as TransformValue).state);
      const spec: ServingSpec = {
        formatVersion: 1,
        entry: { nodeId: path.entry.nodeId, port: path.entry.port, hash: path.entry.ref.hash },
        steps: path.steps,
        model: {
          nodeId: path.model.nodeId,
          label: path.model.label,
          hash: path.model.ref.hash,
          ...(model.info.algorithm ? { algorithm: model.info.algorithm } : {}),
          task: model.info.task ?? (model.info.classes?.length ? (model.info.classes.length > 2 ? "multiclass" : "binary") : "regression"),
          ...(model.info.classes ? { classes: model.info.classes } : {}),
          ...(model.info.label ? { label_column: model.info.label } : {}),
        },
        threshold: path.threshold,
        columnTypes: {},
        metrics: path.metrics,
      };
      const pipeline = await loadPipeline(spec, { artifacts, runtime, registry });
      let derived: Awaited<ReturnType<typeof deriveInputFields>>;
      try {
        const design = (await deps.analyze(graph)).infos[path.entry.nodeId]?.[path.entry.port]?.table?.columns;
        derived = await deriveInputFields(entry, design, pipeline, collectCategories([...transforms, model.state]));
      } catch (e) {
        throw new ServiceError("invalid_workflow", `Cannot derive the endpoint's input columns: ${e instanceof Error ? e.message : String(e)}`);
      } finally {
        pipeline.dispose();
      }
      spec.columnTypes = derived.columnTypes;
      const metadata: Record<string, Record<string, string>> = {};
      for (const f of derived.fields) {
        const m = entry.schema.fields.find((x) => x.name === f.name)?.metadata;
        if (m?.size) metadata[f.name] = Object.fromEntries(m);
      }
      const reference = { rows: entry.numRows, features: referenceOf(entry, derived.fields) };

      let added: Awaited<ReturnType<Database["endpoints"]["addVersion"]>>;
      try {
        added = await db.endpoints.addVersion(
          { slug, name: req.name?.trim() || existing?.name || wf.name, workflowId: req.workflowId },
          { workflowVersionId: run.workflowVersionId!, runId: run.id, spec, inputSchema: { fields: derived.fields, metadata }, reference, gate, createdBy: actor.email },
          req.makeLive ?? "if-first",
        );
      } catch (e) {
        if (e instanceof StoreError) throw new ServiceError(e.code === "conflict" ? "conflict" : "not_found", e.message);
        throw e;
      }
      const version = added.version.version;
      const from = existing?.liveVersion ?? null;
      const live = added.endpoint.liveVersion === version && from !== version ? { from, to: version } : undefined;
      await audit(actor, "endpoint.publish", target(slug), { version, workflowId: req.workflowId, workflowVersion, runId: run.id, model: path.model.label, gatePassed: checked.passed, ...(live ?? {}) });
      if (gate.override) await audit(actor, "gate.override", target(slug), { version, reason: gate.override.reason, failed: checked.checks.filter((c) => !c.passed).map((c) => ({ node: c.label, reasons: c.reasons })) });
      await forget({ slug });
      return { slug, version, gate };
    },

    async list() {
      return (await db.endpoints.list()).map(summary);
    },

    async get(slug) {
      const e = await endpointOr404(slug);
      const [vs, keys, wfVersions] = await Promise.all([db.endpoints.versions(e.id), db.apiKeys.list(e.id), db.workflows.versions(e.workflowId)]);
      const number = new Map(wfVersions.map((v) => [v.id, v.version]));
      const versionsOut: EndpointVersionSummary[] = vs.map((v) => ({
        version: v.version,
        workflowVersion: number.get(v.workflowVersionId) ?? 0,
        runId: v.runId,
        createdAt: v.createdAt.toISOString(),
        ...(v.createdBy ? { createdBy: v.createdBy } : {}),
        gate: v.gate as GateResult,
        metrics: (v.spec as ServingSpec).metrics ?? {},
      }));
      const shown = vs.find((v) => v.version === e.liveVersion) ?? vs.at(-1);
      const spec = shown?.spec as ServingSpec | undefined;
      const stats: EndpointDetail["stats"] = {};
      for (const v of vs) {
        const s = await metrics.versionStats(e.slug, v.version);
        if (s) stats[v.version] = s;
      }
      const fields = shown ? (shown.inputSchema as { fields: InputField[] }).fields : [];
      // Several API processes: the counts of all of them, from Redis; one: this process's loaded version's.
      let drift: FeatureDrift[];
      if (deps.coordination && shown) {
        const [counts] = await deps.coordination.counters.read([driftHash(e.slug, shown.version)]);
        drift = driftFromCounts(((shown.reference as { features?: FeatureReference[] }).features ?? []) as FeatureReference[], counts ?? {});
      } else {
        const loaded = shown ? await versions.get(`${e.id}:${shown.version}`) : null;
        drift = loaded ? loaded.drift.drift() : fields.map((f) => ({ feature: f.name, psi: null, served: 0 }));
      }
      return {
        ...summary(e),
        versions: versionsOut,
        keys: keys.map(keySummary),
        input: fields,
        output: { task: spec?.model.task ?? "binary", ...(spec?.model.classes ? { classes: spec.model.classes } : {}) },
        stats,
        statsScope: deps.coordination ? "fleet" : "process",
        drift,
      };
    },

    async setLive(slug, version, actor) {
      const e = await endpointOr404(slug);
      await versionOr404(e, version);
      if (e.liveVersion === version) return;
      const endCanary = e.canaryVersion === version;
      await db.endpoints.route(e.id, { liveVersion: version, ...(endCanary ? { canaryVersion: null, canaryPercent: 0 } : {}) });
      await audit(actor, "endpoint.live", target(slug), { from: e.liveVersion, to: version, ...(endCanary ? { canaryEnded: true } : {}) });
      await forget({ slug });
    },

    async setCanary(slug, version, percent, actor) {
      const e = await endpointOr404(slug);
      if (!Number.isFinite(percent) || percent < 0 || percent > 100) throw new ServiceError("invalid_input", `The canary share must be between 0 and 100 percent (got ${percent}).`);
      if (version === null || percent === 0) {
        await db.endpoints.route(e.id, { canaryVersion: null, canaryPercent: 0 });
        await audit(actor, "endpoint.canary", target(slug), { version: null, percent: 0, previous: { version: e.canaryVersion, percent: e.canaryPercent } });
      } else {
        await versionOr404(e, version);
        if (version === e.liveVersion) throw new ServiceError("invalid_input", `Version ${version} is already live; a canary is another version tried on part of the traffic.`);
        await db.endpoints.route(e.id, { canaryVersion: version, canaryPercent: percent });
        await audit(actor, "endpoint.canary", target(slug), { version, percent, previous: { version: e.canaryVersion, percent: e.canaryPercent } });
      }
      await forget({ slug });
    },

    async rollback(slug, actor) {
      const e = await endpointOr404(slug);
      const history = await db.audit.list({ target: target(slug), limit: 1000 });
      const last = history.find((h) => h.details.to === e.liveVersion && "from" in h.details);
      const back = last?.details.from;
      if (e.liveVersion === null || typeof back !== "number") throw new ServiceError("conflict", `Endpoint "${slug}" has no earlier live version to roll back to.`);
      await db.endpoints.route(e.id, { liveVersion: back, ...(e.canaryVersion === back ? { canaryVersion: null, canaryPercent: 0 } : {}) });
      await audit(actor, "endpoint.rollback", target(slug), { from: e.liveVersion, to: back });
      await forget({ slug });
      return { live: back };
    },

    async createKey(slug, name, actor, rateLimitPerMinute = DEFAULT_RATE_LIMIT) {
      const e = await endpointOr404(slug);
      if (!name.trim()) throw new ServiceError("invalid_input", "A key needs a name (e.g. the application that uses it).");
      if (!Number.isInteger(rateLimitPerMinute) || rateLimitPerMinute < 1 || rateLimitPerMinute > 1_000_000)
        throw new ServiceError("invalid_input", `The rate limit must be a whole number of requests per minute between 1 and 1,000,000 (got ${rateLimitPerMinute}).`);
      const k = newKey();
      const rec = await db.apiKeys.create({ endpointId: e.id, name: name.trim(), prefix: k.prefix, hash: k.hash, rateLimitPerMinute, createdBy: actor.email });
      await audit(actor, "key.create", target(slug), { keyId: rec.id, name: rec.name, prefix: rec.prefix, rateLimitPerMinute });
      keyCache.delete(k.hash);
      return { key: k.key, summary: keySummary(rec) };
    },

    async revokeKey(slug, keyId, actor) {
      const e = await endpointOr404(slug);
      const rec = await db.apiKeys.revoke(e.id, keyId);
      if (!rec) throw new ServiceError("not_found", `Endpoint "${slug}" has no key "${keyId}".`);
      await forget({ key: rec.hash });
      await audit(actor, "key.revoke", target(slug), { keyId, name: rec.name, prefix: rec.prefix });
    },

    async audit(opts = {}) {
      return (await db.audit.list(opts)).map(auditRecord);
    },

    async record(actor, action, tgt, details = {}) {
      await audit(actor, action, tgt, details);
    },

    async lookupKey(key) {
      const hash = hashKey(key);
      const t = now();
      const hit = keyCache.get(hash);
      if (hit && hit.expires > t) return hit.info;
      const rec = await db.apiKeys.findByHash(hash);
      const info: KeyInfo | null = rec
        ? { id: rec.id, endpointId: rec.endpointId, slug: rec.slug, rateLimitPerMinute: rec.rateLimitPerMinute, revoked: !!rec.revokedAt }
        : null;
      if (keyCache.size >= MAX_CACHED_KEYS) keyCache.clear();
      keyCache.set(hash, { info, expires: t + (info ? KEY_TTL_MS : UNKNOWN_KEY_TTL_MS) });
      return info;
    },

    async route(slug) {
      const t = now();
      const hit = routeCache.get(slug);
      if (hit && hit.expires > t) return hit.endpoint;
      const endpoint = await db.endpoints.get(slug);
      if (routeCache.size >= MAX_CACHED_KEYS) routeCache.clear();
      routeCache.set(slug, { endpoint, expires: t + ROUTE_TTL_MS });
      return endpoint;
    },

    loaded(endpoint, version) {
      const k = `${endpoint.id}:${version}`;
      let p = versions.get(k);
      if (!p) {
        p = (async () => {
          const v = await db.endpoints.version(endpoint.id, version);
          return v ? loadVersion(endpoint, v) : null;
        })();
        // A failed load (or a version that does not exist yet) is not cached.
        p.then((r) => r ?? versions.delete(k), () => versions.delete(k));
        versions.set(k, p);
      }
      return p;
    },

    keyUsed(id) {
      used.set(id, now());
    },

    async readCsv(bytes) {
      // DuckDB's CSV reader takes files: the body goes to a private temp file, read, then removed.
      tmp ??= mkdtemp(join(tmpdir(), "lattice-serving-"));
      const file = join(await tmp, `${randomUUID()}.csv`);
      await writeFile(file, bytes);
      try {
        return await runtime.tables.readFile(file, { format: "csv", nullStrings: [...DEFAULT_NULL_STRINGS] });
      } finally {
        await rm(file, { force: true });
      }
    },

    async close() {
      clearInterval(timer);
      await batchJobs.close();
      if (tmp) await rm(await tmp, { recursive: true, force: true }).catch(() => undefined);
      await flushUses();
      for (const p of versions.values()) (await p.catch(() => null))?.pipeline.dispose();
      versions.clear();
    },
  };
  return service;
}
