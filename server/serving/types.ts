/**
 * The contract between published-endpoint serving (server/serving/*, the public /api/v1 HTTP API) and the app
 * (tRPC router, UI). The app calls EndpointService with the signed-in person as `actor`; the service checks
 * nothing about roles itself except where noted — role checks live in the tRPC procedures — but it records every
 * change in the audit log with the actor.
 */

export type Role = "viewer" | "editor" | "admin";

export interface Actor {
  id: string;
  email: string;
  role: Role;
}

/** One column of an endpoint's input (derived from the graph back through the fitted transforms). */
export interface InputField {
  name: string;
  /** "date": a "YYYY-MM-DD" string; "datetime": an RFC 3339 / ISO 8601 date-time string (docs/endpoints.md, Input types). */
  dtype: "number" | "integer" | "string" | "boolean" | "date" | "datetime";
  /** The request may omit it or send null (it is imputed or encoded as missing downstream). */
  nullable: boolean;
  /** Categories seen in training, for string columns feeding an encoder (documentation; unseen values follow the encoder's param). */
  categories?: string[];
  /**
   * datetime fields whose training column is zoned (an instant): that time zone (e.g. "UTC"); values must then
   * carry an offset ("Z" or ±hh:mm). Absent: the column holds wall-clock times, and an offset, when sent, is
   * converted to UTC.
   */
  timezone?: string;
}

export interface GateCheck {
  /** Node id and label of the validation/fairness node whose gate output was read. */
  nodeId: string;
  label: string;
  kind: string;
  passed: boolean;
  /** Why it failed, in words (e.g. "demographic parity ratio 0.31 < 0.8 for sex"). */
  reasons: string[];
}

export interface GateResult {
  passed: boolean;
  checks: GateCheck[];
  /** Set when an admin published despite a failing gate. */
  override?: { by: string; reason: string; at: string };
}

export interface EndpointVersionSummary {
  version: number;
  workflowVersion: number;
  runId: string;
  createdAt: string;
  createdBy?: string;
  gate: GateResult;
  /** Model metrics recorded by the run (e.g. roc_auc), for the version list. */
  metrics: Record<string, number>;
}

export interface ApiKeySummary {
  id: string;
  name: string;
  prefix: string;
  rateLimitPerMinute: number;
  createdAt: string;
  createdBy?: string;
  revokedAt?: string;
  lastUsedAt?: string;
}

export interface FeatureDrift {
  feature: string;
  /** Population stability index of served inputs vs the training data; null until enough requests arrived. */
  psi: number | null;
  /** Rows served that this figure is computed on. */
  served: number;
}

export interface EndpointStats {
  requests: number;
  errors: number;
  p50Ms: number | null;
  p99Ms: number | null;
  /** Share of positive predictions (binary) or mean prediction (regression) over recent requests. */
  predictionMean: number | null;
}

export interface EndpointSummary {
  slug: string;
  name: string;
  workflowId: string;
  liveVersion: number | null;
  canaryVersion: number | null;
  canaryPercent: number;
  createdAt: string;
  updatedAt: string;
}

export interface EndpointDetail extends EndpointSummary {
  versions: EndpointVersionSummary[];
  keys: ApiKeySummary[];
  /** Input schema of the live version (what the try-it form and the snippets show). */
  input: InputField[];
  /** Shape of one prediction, e.g. { prediction, probabilities? }. */
  output: { task: "binary" | "multiclass" | "regression"; classes?: string[] };
  stats: Record<number, EndpointStats>;
  /**
   * What `stats` and `drift` count: this API process since it started ("process", one server), or every API
   * process since each version was published, p50/p99 over the last 15 minutes ("fleet", several servers).
   */
  statsScope?: "process" | "fleet";
  drift: FeatureDrift[];
}

export interface AuditRecord {
  id: string;
  at: string;
  actorId?: string;
  actorEmail?: string;
  action: string;
  target: string;
  details: Record<string, unknown>;
}

export interface PublishRequest {
  workflowId: string;
  /** The run whose trained artifacts are bound; default: the latest succeeded run of the workflow's latest version. */
  runId?: string;
  /** Endpoint slug (lowercase, digits, dashes); default: derived from the workflow name. New slug → new endpoint. */
  slug?: string;
  name?: string;
  /** Make the new version live at once (default true for the first version, otherwise false: promote or canary it). */
  makeLive?: boolean;
  /** Which model to serve when the workflow trains several (node id); default: the only one, or the one a Batch score or fairness gate reads. */
  modelNodeId?: string;
  /** Publish although a gate fails. The caller must have checked actor.role === "admin"; recorded in the audit log. */
  override?: { reason: string };
}

export interface EndpointService {
  /** Throws ServiceError("gate_failed" → tRPC PRECONDITION_FAILED) with the failing checks unless `override` is given. */
  publish(req: PublishRequest, actor: Actor): Promise<{ slug: string; version: number; gate: GateResult }>;
  /** The gate as publishing would see it now, for the Publish dialog. */
  checkGate(workflowId: string, runId?: string): Promise<GateResult>;
  list(): Promise<EndpointSummary[]>;
  get(slug: string): Promise<EndpointDetail>;
  setLive(slug: string, version: number, actor: Actor): Promise<void>;
  /** version null or percent 0 ends the canary. */
  setCanary(slug: string, version: number | null, percent: number, actor: Actor): Promise<void>;
  /** Live goes back to the version that was live before the current one. */
  rollback(slug: string, actor: Actor): Promise<{ live: number }>;
  /** The plaintext key is returned once and never stored. */
  createKey(slug: string, name: string, actor: Actor, rateLimitPerMinute?: number): Promise<{ key: string; summary: ApiKeySummary }>;
  revokeKey(slug: string, keyId: string, actor: Actor): Promise<void>;
  audit(opts?: { target?: string; limit?: number }): Promise<AuditRecord[]>;
  /** Append an audit entry for changes made outside this service (role changes). */
  record(actor: Actor | null, action: string, target: string, details?: Record<string, unknown>): Promise<void>;
}
