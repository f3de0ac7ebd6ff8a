/**
 * The public prediction API (docs/endpoints.md):
 *
 *   POST /api/v1/endpoints/{slug}/predict        JSON (a row, an array of rows, or { rows }) or text/csv
 *   POST /api/v1/endpoints/{slug}/batch          a CSV, Parquet or JSON-lines file → 202 { id, statusUrl }
 *   GET  /api/v1/endpoints/{slug}/batch/{id}     the job's status (and resultUrl when done)
 *   GET  /api/v1/endpoints/{slug}/batch/{id}/result   the scored rows as CSV
 *   GET  /api/v1/endpoints/{slug}/openapi.json   OpenAPI 3.1 from the input schema
 *   GET  /metrics                                Prometheus (prom-client)
 *
 * Online predictions run here, in the API process, on versions loaded once and cached; per request there is
 * no database round trip beyond a cached key lookup. Bad input never answers 5xx: every refusal is a 4xx with a
 * JSON body `{ error: { code, message, errors? } }`.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { createReadStream, createWriteStream } from "node:fs";
import type { IncomingMessage, ServerResponse } from "node:http";
import { isUserError } from "../../nodes/core/errors";
import type { EndpointRecord } from "../store/types";
import { BatchUnavailableError, type BatchFormat } from "./batch";
import type { ServingService } from "./endpoint-service";
import { SLUG } from "./endpoint-service";
import { EXPLAIN_MAX_ROWS } from "./explain";
import { columnsToTable, csvRows, InputError, type FieldError } from "./input";
import { openApiDocument } from "./openapi";
import { RateLimiter } from "./rate-limit";

export const DEFAULT_BODY_LIMIT_BYTES = 1024 * 1024;
/** Largest batch upload: LATTICE_BATCH_LIMIT_MB (MiB), default 512. */
export const DEFAULT_BATCH_LIMIT_BYTES = 512 * 1024 * 1024;
const PREFIX = "/api/v1/endpoints/";
/** Version numbers are 32-bit integers in the database. */
const MAX_VERSION = 2_147_483_647;

export interface ServingHttpOptions {
  /** Largest online request body (default 1 MiB); larger ones get 413 without being buffered. */
  bodyLimitBytes?: number;
  /** Largest batch upload (default LATTICE_BATCH_LIMIT_MB MiB, else 512 MiB); larger ones get 413 and are not kept. */
  batchLimitBytes?: number;
  /**
   * Kernel SHAP explanations (`?explain=true` on models without linear explanations) computed at once by this
   * process; more wait in line, up to `explainQueue`, and beyond that get 503 with Retry-After. Each costs up to
   * rows × coalitions × background pipeline evaluations, on the same event loop as every other request.
   * Defaults LATTICE_EXPLAIN_CONCURRENCY (2) and LATTICE_EXPLAIN_QUEUE (8).
   */
  explainConcurrency?: number;
  explainQueue?: number;
  /**
   * When set, GET /metrics needs `Authorization: Bearer <token>` (Prometheus: `authorization: { credentials: … }`).
   * Default LATTICE_METRICS_TOKEN; unset, /metrics is open as before (endpoint names and traffic, no data).
   */
  metricsToken?: string;
}

function bearerOf(req: IncomingMessage): string {
  const h = req.headers.authorization;
  return typeof h === "string" && /^bearer /i.test(h) ? h.slice(7).trim() : "";
}

/** Constant-time comparison of two secrets (by their sha256, so lengths do not leak either). */
function sameSecret(a: string, b: string): boolean {
  return timingSafeEqual(createHash("sha256").update(a).digest(), createHash("sha256").update(b).digest());
}

/** A whole number from the environment (at least `min`), else the default. */
function envCount(name: string, fallback: number, min = 1): number {
  const v = Number(process.env[name]);
  return process.env[name] !== undefined && Number.isInteger(v) && v >= min ? v : fallback;
}

/** At most `limit` holders at once and `queueLimit` waiting; `enter` resolves to a release, or null when full. */
export class AdmissionGate {
  private active = 0;
  private readonly waiting: Array<() => void> = [];
  constructor(
    readonly limit: number,
    readonly queueLimit: number,
  ) {}

  enter(): Promise<(() => void) | null> {
    if (this.active < this.limit) {
      this.active++;
      return Promise.resolve(this.releaser());
    }
    if (this.waiting.length >= this.queueLimit) return Promise.resolve(null);
    return new Promise((resolve) => this.waiting.push(() => resolve(this.releaser())));
  }

  private releaser(): () => void {
    let done = false;
    return () => {
      if (done) return;
      done = true;
      const next = this.waiting.shift();
      if (next) next(); // the slot passes straight to the next in line
      else this.active--;
    };
  }
}

function batchLimitFromEnv(): number {
  const mb = Number(process.env.LATTICE_BATCH_LIMIT_MB);
  return Number.isFinite(mb) && mb > 0 ? Math.floor(mb * 1024 * 1024) : DEFAULT_BATCH_LIMIT_BYTES;
}

/** Content types the batch API takes, and the format each is read as. */
const BATCH_TYPES: Record<string, BatchFormat> = {
  "text/csv": "csv",
  "application/vnd.apache.parquet": "parquet",
  "application/x-parquet": "parquet",
  "application/parquet": "parquet",
  "application/x-ndjson": "json",
  "application/jsonl": "json",
  "application/json-lines": "json",
  "application/jsonlines": "json",
};
const BATCH_ID = /^[\w-]{1,100}$/;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
    readonly errors?: FieldError[],
  ) {
    super(message);
  }
}

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string>) {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", "content-length": String(Buffer.byteLength(body)), ...headers });
  res.end(body);
}

function sendError(res: ServerResponse, e: HttpError) {
  send(res, e.status, JSON.stringify({ error: { code: e.code, message: e.message, ...(e.errors ? { errors: e.errors } : {}) } }), e.headers);
}

/** The request's API key: `Authorization: Bearer <key>` or `x-api-key: <key>`. */
function apiKeyOf(req: IncomingMessage): string | undefined {
  const auth = req.headers.authorization;
  if (typeof auth === "string") {
    const m = /^\s*Bearer\s+(\S+)\s*$/i.exec(auth);
    if (m) return m[1];
  }
  const k = req.headers["x-api-key"];
  return typeof k === "string" && k.trim() ? k.trim() : undefined;
}

/**
 * Reads the body, counting bytes as they stream: past `limit` it stops buffering and fails with 413 (the rest is
 * drained and the connection closed after the answer).
 */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    req.on("data", (c: Buffer) => {
      if (over) return;
      size += c.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        reject(tooLarge(limit));
        return;
      }
      chunks.push(c);
    });
    req.on("end", () => over || resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
    req.on("error", (e) => over || reject(new HttpError(400, "bad_request", `The request body could not be read: ${e.message}`)));
  });
}

const tooLarge = (limit: number, batch = false) =>
  new HttpError(
    413,
    "body_too_large",
    batch
      ? `The file is larger than ${limit} bytes, the batch API's limit (LATTICE_BATCH_LIMIT_MB). Split it into several jobs.`
      : `The body is larger than ${limit} bytes. Send fewer rows per request, or use the batch API for large files.`,
    { connection: "close" },
  );

/**
 * Streams the body to `path`, counting bytes: past `limit` it stops writing and fails with 413 (the caller
 * removes the file; the rest of the upload is drained and the connection closed after the answer). Resolves
 * with the size once the file is complete on disk.
 */
function saveBody(req: IncomingMessage, path: string, limit: number): Promise<number> {
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > limit) return Promise.reject(tooLarge(limit, true));
  return new Promise((resolve, reject) => {
    const out = createWriteStream(path, { flags: "wx" });
    let size = 0;
    let settled = false;
    const failWith = (e: unknown) => {
      if (settled) return;
      settled = true;
      req.off("data", onData);
      out.destroy();
      reject(e);
    };
    const onData = (c: Buffer) => {
      size += c.length;
      if (size > limit) return failWith(tooLarge(limit, true));
      if (!out.write(c)) {
        req.pause();
        out.once("drain", () => req.resume());
      }
    };
    req.on("data", onData);
    req.on("end", () => settled || out.end());
    req.on("error", (e) => failWith(new HttpError(400, "bad_request", `The upload could not be read: ${e.message}`)));
    req.on("close", () => req.complete || failWith(new HttpError(400, "bad_request", "The upload was interrupted.")));
    out.on("error", (e) => failWith(e));
    out.on("finish", () => {
      if (settled) return;
      settled = true;
      resolve(size);
    });
  });
}

/** JSON body → rows: one row object, an array of rows, or { rows: [...] }. */
function rowsOf(body: unknown): unknown[] {
  if (Array.isArray(body)) return body;
  if (body !== null && typeof body === "object") {
    const o = body as Record<string, unknown>;
    if ("rows" in o) {
      if (!Array.isArray(o.rows)) throw new InputError('"rows" must be an array of row objects.', [{ row: -1, field: "rows", message: "expected an array of rows" }]);
      return o.rows;
    }
    return [o];
  }
  throw new InputError("The body must be a row object, an array of rows, or { rows: [...] }.", [{ row: -1, field: "", message: `got ${body === null ? "null" : typeof body}` }]);
}

function mediaType(req: IncomingMessage): string {
  const ct = req.headers["content-type"];
  return typeof ct === "string" ? ct.split(";")[0]!.trim().toLowerCase() : "";
}

/** Returns a handler that answers the public API routes and /metrics, and false for anything else. */
export function createServingHandler(svc: ServingService, opts: ServingHttpOptions = {}) {
  const limit = opts.bodyLimitBytes ?? DEFAULT_BODY_LIMIT_BYTES;
  const batchLimit = opts.batchLimitBytes ?? batchLimitFromEnv();
  const limiter = new RateLimiter();
  const metricsToken = opts.metricsToken ?? (process.env.LATTICE_METRICS_TOKEN || undefined);
  const explainGate = new AdmissionGate(opts.explainConcurrency ?? envCount("LATTICE_EXPLAIN_CONCURRENCY", 2), opts.explainQueue ?? envCount("LATTICE_EXPLAIN_QUEUE", 8, 0));

  /** Key → its endpoint, or the 401/403/404/429 that applies. */
  async function authorize(req: IncomingMessage, slug: string): Promise<{ endpoint: EndpointRecord; keyId: string }> {
    const key = apiKeyOf(req);
    if (!key) throw new HttpError(401, "unauthorized", "Send an API key: Authorization: Bearer <key> (or x-api-key: <key>).", { "www-authenticate": 'Bearer realm="lattice"' });
    const info = key.length > 200 ? null : await svc.lookupKey(key);
    if (!info) throw new HttpError(401, "unauthorized", "This API key is not valid.", { "www-authenticate": 'Bearer realm="lattice", error="invalid_token"' });
    if (info.revoked) throw new HttpError(401, "unauthorized", "This API key was revoked.", { "www-authenticate": 'Bearer realm="lattice", error="invalid_token"' });
    const endpoint = await svc.route(slug);
    if (!endpoint) throw new HttpError(404, "not_found", `There is no endpoint "${slug}".`);
    if (info.endpointId !== endpoint.id) throw new HttpError(403, "forbidden", `This API key belongs to another endpoint ("${info.slug}"), not "${slug}".`);
    // Several API processes share each key's bucket through Redis; while Redis cannot answer, each process
    // limits on its own rather than refusing or holding the request.
    const r = svc.sharedRateLimit
      ? await svc.sharedRateLimit(info.id, info.rateLimitPerMinute).catch(() => limiter.take(info.id, info.rateLimitPerMinute))
      : limiter.take(info.id, info.rateLimitPerMinute);
    if (!r.ok) throw new HttpError(429, "rate_limited", `This key's limit of ${info.rateLimitPerMinute} requests a minute is used up; retry in ${r.retryAfterS} s.`, { "retry-after": String(r.retryAfterS) });
    svc.keyUsed(info.id);
    return { endpoint, keyId: info.id };
  }

  function pickVersion(endpoint: EndpointRecord, query: URLSearchParams | undefined): number {
    const asked = query?.get("version");
    if (asked !== null && asked !== undefined) {
      const v = Number(asked);
      if (!Number.isInteger(v) || v < 1 || v > MAX_VERSION) throw new HttpError(422, "invalid_input", `"version" must be a version number (got "${asked.slice(0, 40)}").`, {}, [{ row: -1, field: "version", message: "expected a whole number ≥ 1" }]);
      return v;
    }
    if (endpoint.canaryVersion !== null && endpoint.canaryPercent > 0 && Math.random() * 100 < endpoint.canaryPercent) return endpoint.canaryVersion;
    if (endpoint.liveVersion === null) throw new HttpError(404, "no_live_version", `Endpoint "${endpoint.slug}" has no live version yet.`);
    return endpoint.liveVersion;
  }

  async function predict(req: IncomingMessage, res: ServerResponse, slug: string, query: URLSearchParams | undefined, done: (v: number | undefined, code?: string) => void) {
    if (req.method !== "POST") throw new HttpError(405, "method_not_allowed", "Use POST to predict.", { allow: "POST" });
    const { endpoint } = await authorize(req, slug);
    const type = mediaType(req);
    if (type !== "application/json" && type !== "text/csv")
      throw new HttpError(415, "unsupported_media_type", `Send JSON (content-type: application/json) or CSV (content-type: text/csv)${type ? `, not ${type.slice(0, 60)}` : ""}.`);
    const explainParam = query?.get("explain");
    const explain = explainParam === "true" || explainParam === "1";
    const version = pickVersion(endpoint, query);
    const loaded = await svc.loaded(endpoint, version);
    if (!loaded) throw new HttpError(404, "not_found", `Endpoint "${slug}" has no version ${version}.`);
    done(version);
    const body = await readBody(req, limit);
    let rows: unknown[];
    if (type === "text/csv") {
      if (!body.length) throw new InputError("The CSV body is empty.", [{ row: -1, field: "", message: "send a header line and rows" }]);
      let table;
      try {
        table = await svc.readCsv(body);
      } catch (e) {
        throw new HttpError(400, "bad_csv", `The CSV body could not be read: ${e instanceof Error ? e.message.slice(0, 300) : String(e)}`);
      }
      rows = csvRows(table, loaded.fields);
    } else {
      let parsed: unknown;
      try {
        parsed = JSON.parse(body.toString("utf8"));
      } catch (e) {
        throw new HttpError(400, "bad_json", `The body is not valid JSON: ${e instanceof Error ? e.message.slice(0, 200) : String(e)}`);
      }
      rows = rowsOf(parsed);
    }
    if (explain && rows.length > EXPLAIN_MAX_ROWS)
      throw new HttpError(422, "too_many_rows", `Explanations are computed for at most ${EXPLAIN_MAX_ROWS} rows per request, and this one has ${rows.length}. Send the rows in smaller requests, or leave out explain=true.`, {}, [{ row: -1, field: "explain", message: `at most ${EXPLAIN_MAX_ROWS} rows with explain=true` }]);
    const cols = loaded.validator.columns(rows);
    const linear = explain && loaded.pipeline.explainable;
    const result =
      loaded.pipeline.runColumns && !explain
        ? await loaded.pipeline.runColumns(cols, rows.length)
        : await loaded.pipeline.run(columnsToTable(cols, loaded.fields, loaded.spec.columnTypes, loaded.metadata), { explain: linear });
    // Models without linear explanations: Kernel SHAP of the whole pipeline over the input fields (explain.ts).
    if (explain && !linear) {
      const release = await explainGate.enter();
      if (!release)
        throw new HttpError(
          503,
          "explain_busy",
          `This server is computing as many explanations as it takes at once (${explainGate.limit} running, ${explainGate.queueLimit} waiting). Retry in a moment, send fewer rows with explain=true, or leave it out for predictions alone.`,
          { "retry-after": "1" },
        );
      try {
        await loaded.explainer.explain(cols, rows.length, result);
      } finally {
        release();
      }
    }
    loaded.drift.add(cols, rows.length);
    const task = loaded.spec.model.task;
    svc.metrics.predictions(slug, version, result.scores, task === "binary" ? loaded.spec.threshold : task === "regression" ? undefined : 0);
    send(res, 200, JSON.stringify({ endpoint: slug, version, predictions: result.predictions }), { "x-lattice-version": String(version) });
  }

  /** POST …/batch: the file goes to the upload area, a run scores it; 202 with where to poll. */
  async function submitBatch(req: IncomingMessage, res: ServerResponse, slug: string, query: URLSearchParams | undefined) {
    if (req.method !== "POST") throw new HttpError(405, "method_not_allowed", "Use POST to submit a batch file.", { allow: "POST" });
    const { endpoint } = await authorize(req, slug);
    const type = mediaType(req);
    const format = BATCH_TYPES[type];
    if (!format)
      throw new HttpError(
        415,
        "unsupported_media_type",
        `Send a CSV file (content-type: text/csv), Parquet (application/vnd.apache.parquet) or JSON lines (application/x-ndjson)${type ? `, not ${type.slice(0, 60)}` : ""}.`,
      );
    if (!svc.batch.available) throw new HttpError(503, "batch_unavailable", "Batch scoring is not available on this server (it was started without an executor).");
    // A batch scores a whole file with one version: the one asked for, else the live one (no canary split).
    const version = query?.get("version") !== null && query?.get("version") !== undefined ? pickVersion(endpoint, query) : endpoint.liveVersion;
    if (version === null) throw new HttpError(404, "no_live_version", `Endpoint "${endpoint.slug}" has no live version yet.`);
    const loaded = await svc.loaded(endpoint, version);
    if (!loaded) throw new HttpError(404, "not_found", `Endpoint "${slug}" has no version ${version}.`);
    const { id, path } = await svc.batch.prepare(format);
    let bytes: number;
    try {
      bytes = await saveBody(req, path, batchLimit);
      if (bytes === 0) throw new InputError("The file is empty.", [{ row: -1, field: "", message: "send a file with a header line and rows" }]);
    } catch (e) {
      await svc.batch.discard(id);
      throw e;
    }
    const status = await svc.batch.start({ id, path, format, bytes, endpoint, version: loaded });
    send(res, 202, JSON.stringify({ ...status, runId: id }), { location: status.statusUrl, "x-lattice-version": String(version) });
  }

  /** GET …/batch/{id} and …/batch/{id}/result. */
  async function batchJob(req: IncomingMessage, res: ServerResponse, slug: string, id: string, result: boolean) {
    if (req.method !== "GET" && req.method !== "HEAD") throw new HttpError(405, "method_not_allowed", "Use GET.", { allow: "GET" });
    const { endpoint } = await authorize(req, slug);
    const unknown = () => new HttpError(404, "not_found", `Endpoint "${slug}" has no batch job "${id.slice(0, 100)}".`);
    if (!BATCH_ID.test(id)) throw unknown();
    if (!result) {
      const status = await svc.batch.status(endpoint, id);
      if (!status) throw unknown();
      send(res, 200, JSON.stringify(status), { "x-lattice-version": String(status.version) });
      return;
    }
    const r = await svc.batch.result(endpoint, id);
    if (!r) throw unknown();
    if (!("path" in r)) {
      const s = r.status;
      if (s.status === "queued" || s.status === "running") throw new HttpError(409, "not_ready", `Batch job ${id} is ${s.status} (${Math.round(s.progress * 100)} % done); poll ${s.statusUrl} until it has succeeded.`);
      throw new HttpError(409, "job_failed", `Batch job ${id} ${s.status}: ${s.error ?? "no result"}`);
    }
    res.writeHead(200, {
      "content-type": "text/csv; charset=utf-8",
      "content-length": String(r.size),
      "content-disposition": `attachment; filename="${slug}-batch-${id}.csv"`,
      "cache-control": "no-store",
      "x-lattice-version": String(r.status.version),
    });
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    await new Promise<void>((resolve) => {
      const file = createReadStream(r.path);
      file.on("error", (e) => {
        console.error(`[serving] batch result ${id}:`, e);
        res.destroy(e);
        resolve();
      });
      res.on("close", () => (file.destroy(), resolve()));
      file.pipe(res);
    });
  }

  async function openapi(req: IncomingMessage, res: ServerResponse, slug: string) {
    if (req.method !== "GET" && req.method !== "HEAD") throw new HttpError(405, "method_not_allowed", "Use GET.", { allow: "GET" });
    const endpoint = await svc.route(slug);
    if (!endpoint) throw new HttpError(404, "not_found", `There is no endpoint "${slug}".`);
    const version = endpoint.liveVersion;
    if (version === null) throw new HttpError(404, "no_live_version", `Endpoint "${slug}" has no live version yet.`);
    const loaded = await svc.loaded(endpoint, version);
    if (!loaded) throw new HttpError(404, "not_found", `Endpoint "${slug}" has no version ${version}.`);
    const host = typeof req.headers.host === "string" && /^[\w.\-:[\]]+$/.test(req.headers.host) ? `http://${req.headers.host}` : undefined;
    const doc = openApiDocument({ slug, name: endpoint.name, version, fields: loaded.fields, task: loaded.spec.model.task, classes: loaded.spec.model.classes, serverUrl: host });
    send(res, 200, JSON.stringify(doc), { "x-lattice-version": String(version) });
  }

  return async function handleServing(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const raw = req.url ?? "/";
    const q = raw.indexOf("?");
    const pathname = q < 0 ? raw : raw.slice(0, q);
    if (pathname === "/metrics") {
      if (req.method !== "GET") {
        refuse(req, res, new HttpError(405, "method_not_allowed", "Use GET.", { allow: "GET" }));
        return true;
      }
      if (metricsToken && !sameSecret(bearerOf(req), metricsToken)) {
        refuse(req, res, new HttpError(401, "unauthorized", "Send the metrics token: Authorization: Bearer <LATTICE_METRICS_TOKEN>.", { "www-authenticate": 'Bearer realm="lattice-metrics"' }));
        return true;
      }
      const text = await svc.metrics.registry.metrics();
      res.writeHead(200, { "content-type": svc.metrics.registry.contentType, "cache-control": "no-store" });
      res.end(text);
      return true;
    }
    if (!pathname.startsWith(PREFIX)) return false;
    const started = performance.now();
    const parts = pathname.slice(PREFIX.length).split("/");
    let slug = "";
    let version: number | undefined;
    let code: string | undefined;
    const done = (v: number | undefined, c?: string) => {
      version = v;
      code = c;
    };
    try {
      let decoded: string;
      try {
        decoded = decodeURIComponent(parts[0] ?? "");
      } catch {
        decoded = "";
      }
      if (!SLUG.test(decoded)) throw new HttpError(404, "not_found", "No such endpoint: slugs are lowercase letters, digits and dashes.");
      slug = decoded;
      const query = q < 0 ? undefined : new URLSearchParams(raw.slice(q + 1));
      const action = parts.slice(1).join("/");
      if (action === "predict") await predict(req, res, slug, query, done);
      else if (action === "openapi.json") await openapi(req, res, slug);
      else if (action === "batch") await submitBatch(req, res, slug, query);
      else if (parts[1] === "batch" && (parts.length === 3 || (parts.length === 4 && parts[3] === "result")) && parts[2]) await batchJob(req, res, slug, parts[2], parts.length === 4);
      else throw new HttpError(404, "not_found", `No such route: ${action ? `/${action.slice(0, 60)}` : "(none)"}. Try /predict, /batch or /openapi.json.`);
    } catch (e) {
      const err =
        e instanceof HttpError
          ? e
          : e instanceof InputError
            ? new HttpError(422, "invalid_input", e.message, {}, e.errors)
            : isUserError(e)
              ? new HttpError(422, "invalid_input", e.message, {}, [{ row: -1, field: e.field ?? "", message: e.message }])
              : undefined;
      if (!err) {
        console.error(`[serving] ${req.method} ${pathname}:`, e);
        sendError(res, new HttpError(500, "internal", "The endpoint failed; the error is logged on the server."));
        svc.metrics.request(known(slug, version), version, 500, performance.now() - started, "internal");
        return true;
      }
      refuse(req, res, err);
      code = err.code;
      svc.metrics.request(known(slug, version), version, err.status, performance.now() - started, code);
      return true;
    }
    svc.metrics.request(slug, version, res.statusCode, performance.now() - started, code);
    return true;
  };

  /** Only slugs that reached a version get their own label (a flood of made-up slugs must not grow /metrics). */
  function known(slug: string, version: number | undefined) {
    return version === undefined ? "" : slug;
  }
}

/**
 * Sends an error. Answered before the body was read, the connection closes after the answer, so no client
 * reuses a socket with an unread body in it (its next request there would find the connection gone).
 */
function refuse(req: IncomingMessage, res: ServerResponse, err: HttpError) {
  const unread = !req.complete;
  sendError(res, unread && err.headers.connection !== "close" ? new HttpError(err.status, err.code, err.message, { ...err.headers, connection: "close" }, err.errors) : err);
  if (unread) closeAfter(req, res);
}

/** After an early answer (e.g. 413): drop the rest of the upload, and the connection once the answer is out. */
function closeAfter(req: IncomingMessage, res: ServerResponse) {
  req.resume();
  res.on("finish", () => {
    if (!req.complete) setTimeout(() => req.socket.destroy(), 1000).unref();
  });
}
