/**
 * In-memory EndpointService for router tests: keeps endpoints, versions, keys and the audit log in maps and
 * follows the contract's rules (gate refusal unless overridden, rollback to the previous live, keys shown once).
 */
import { ServiceError } from "../../server/engine/service-error";
import type { Actor, ApiKeySummary, AuditRecord, EndpointDetail, EndpointService, EndpointSummary, GateCheck, GateResult } from "../../server/serving/types";

export interface FakeEndpointState {
  /** Checks checkGate/publish report; all passing by default. */
  checks: GateCheck[];
  endpoints: Map<string, EndpointSummary & { versions: EndpointDetail["versions"]; liveHistory: number[]; keys: ApiKeySummary[] }>;
  audit: AuditRecord[];
}

export function createFakeEndpoints(): EndpointService & { state: FakeEndpointState } {
  const state: FakeEndpointState = { checks: [{ nodeId: "gate", label: "Fairness gate", kind: "fairness/gate", passed: true, reasons: [] }], endpoints: new Map(), audit: [] };
  let n = 1;

  const record = async (actor: Actor | null, action: string, target: string, details: Record<string, unknown> = {}) => {
    state.audit.unshift({ id: `a${n++}`, at: new Date().toISOString(), actorId: actor?.id, actorEmail: actor?.email, action, target, details });
  };
  const gate = (): GateResult => ({ passed: state.checks.every((c) => c.passed), checks: state.checks });
  const find = (slug: string) => {
    const e = state.endpoints.get(slug);
    if (!e) throw new ServiceError("not_found", `Endpoint "${slug}" does not exist.`);
    return e;
  };
  const summary = ({ versions: _v, liveHistory: _l, keys: _k, ...s }: ReturnType<typeof find>): EndpointSummary => s;

  return {
    state,
    async publish(req, actor) {
      const g = gate();
      if (!g.passed && !req.override) {
        const failing = g.checks.filter((c) => !c.passed);
        throw new ServiceError("gate_failed", `Publishing is refused: ${failing.map((c) => `${c.label}: ${c.reasons.join("; ")}`).join(" · ")}`, [], { gate: g });
      }
      const slug = req.slug ?? "income";
      const now = new Date().toISOString();
      const e = state.endpoints.get(slug) ?? { slug, name: req.name ?? slug, workflowId: req.workflowId, liveVersion: null, canaryVersion: null, canaryPercent: 0, createdAt: now, updatedAt: now, versions: [], liveHistory: [], keys: [] };
      state.endpoints.set(slug, e);
      const version = e.versions.length + 1;
      const result: GateResult = !g.passed && req.override ? { ...g, override: { by: actor.email, reason: req.override.reason, at: now } } : g;
      e.versions.push({ version, workflowVersion: 1, runId: req.runId ?? "run1", createdAt: now, createdBy: actor.email, gate: result, metrics: { roc_auc: 0.9 } });
      if (req.makeLive ?? version === 1) {
        e.liveVersion = version;
        e.liveHistory.push(version);
      }
      await record(actor, "endpoint.publish", `endpoint:${slug}`, { version });
      if (result.override) await record(actor, "gate.override", `endpoint:${slug}`, { version, reason: result.override.reason });
      return { slug, version, gate: result };
    },
    async checkGate() {
      return gate();
    },
    async list() {
      return [...state.endpoints.values()].map(summary);
    },
    async get(slug) {
      const e = find(slug);
      return {
        ...summary(e),
        versions: e.versions,
        keys: e.keys,
        input: [{ name: "age", dtype: "number", nullable: false }, { name: "sex", dtype: "string", nullable: true, categories: ["Female", "Male"] }],
        output: { task: "binary", classes: ["<=50K", ">50K"] },
        stats: {},
        drift: [],
      };
    },
    async setLive(slug, version, actor) {
      const e = find(slug);
      if (!e.versions.some((v) => v.version === version)) throw new ServiceError("not_found", `Endpoint "${slug}" has no version ${version}.`);
      e.liveVersion = version;
      e.liveHistory.push(version);
      await record(actor, "endpoint.live", `endpoint:${slug}`, { version });
    },
    async setCanary(slug, version, percent, actor) {
      const e = find(slug);
      e.canaryVersion = percent > 0 ? version : null;
      e.canaryPercent = version === null ? 0 : percent;
      await record(actor, "endpoint.canary", `endpoint:${slug}`, { version, percent });
    },
    async rollback(slug, actor) {
      const e = find(slug);
      if (e.liveHistory.length < 2) throw new ServiceError("conflict", `Endpoint "${slug}" has no earlier live version to roll back to.`);
      e.liveHistory.pop();
      e.liveVersion = e.liveHistory.at(-1)!;
      await record(actor, "endpoint.rollback", `endpoint:${slug}`, { live: e.liveVersion });
      return { live: e.liveVersion };
    },
    async createKey(slug, name, actor, rateLimitPerMinute = 600) {
      const e = find(slug);
      const key = `lt_${slug}_${n++}secret`;
      const summary: ApiKeySummary = { id: `k${n++}`, name, prefix: key.slice(0, 8), rateLimitPerMinute, createdAt: new Date().toISOString(), createdBy: actor.email };
      e.keys.push(summary);
      await record(actor, "key.create", `endpoint:${slug}`, { keyId: summary.id, name });
      return { key, summary };
    },
    async revokeKey(slug, keyId, actor) {
      const k = find(slug).keys.find((x) => x.id === keyId);
      if (!k) throw new ServiceError("not_found", `Key ${keyId} does not exist.`);
      k.revokedAt = new Date().toISOString();
      await record(actor, "key.revoke", `endpoint:${slug}`, { keyId });
    },
    async audit(opts) {
      return state.audit.filter((a) => !opts?.target || a.target === opts.target).slice(0, opts?.limit ?? 200);
    },
    record,
  };
}
