/**
 * How one engine event folds into the Run/NodeRun rows, as a single SQL statement.
 *
 * applyEvent runs for every event the engine emits (progress ticks and learning-curve points included), so
 * it is one round trip and no read-modify-write: the statement inserts the RunEvent row with
 * `ON CONFLICT DO NOTHING`, and the Run/NodeRun updates are data-modifying CTEs guarded by
 * `EXISTS (SELECT 1 FROM ev)`. A replayed (runId, seq) therefore inserts nothing and changes nothing, and
 * the whole fold is atomic. Metrics merge with jsonb `||`, so a node's latest value per name is kept
 * without reading the row; the step-wise series stay in the RunEvent rows.
 *
 * Parameters are always bound ($n), never spliced into the text; the SQL text depends only on the event type.
 */
import type { NodeStatus, RunEvent, RunStatus } from "../engine/types";

export interface EventStatement {
  sql: string;
  params: unknown[];
}

/** Node states that a later event (or an interruption) may still change. */
export const UNFINISHED_NODE_STATES: readonly NodeStatus[] = ["pending", "queued", "running"];
const UNFINISHED = UNFINISHED_NODE_STATES.map((s) => `'${s}'`).join(", ");
const ACTIVE_RUN: readonly RunStatus[] = ["queued", "running"];
const ACTIVE = ACTIVE_RUN.map((s) => `'${s}'`).join(", ");

/**
 * `ts` arrives as epoch milliseconds. Columns are Prisma DateTime (`timestamp(3)` holding UTC), so it is
 * sent as an ISO string and cast: PostgreSQL drops the trailing `Z` for `timestamp without time zone`,
 * which leaves exactly the UTC wall time Prisma expects, whatever the server's TimeZone setting is.
 */
function isoTime(ms: number): string {
  return new Date(ms).toISOString();
}

/** JSON for a jsonb parameter. Non-finite numbers become null (JSON has no NaN); readers map null back to NaN. */
export function jsonParam(value: unknown): string {
  return JSON.stringify(value);
}

interface Fold {
  /** Extra `SET` assignments on the Run row (lastSeq is always maintained). */
  run?: string;
  /** `SET` assignments and the row filter for NodeRun; `nodeId` rows only unless `allNodes`. */
  node?: { set: string; where?: string; allNodes?: boolean };
  /** Parameters from $6 on, referenced by the fragments above. */
  params?: unknown[];
}

function fold(e: RunEvent): Fold {
  switch (e.type) {
    case "run-started":
      return { run: `"status" = 'running', "startedAt" = COALESCE("startedAt", $5::timestamp(3))` };
    case "queued":
      return { node: { set: `"status" = 'queued'` }, params: [e.nodeId] };
    case "running":
      return {
        node: { set: `"status" = 'running', "startedAt" = $5::timestamp(3), "progress" = 0, "progressMessage" = NULL` },
        params: [e.nodeId],
      };
    case "progress":
      // A tick that arrives after the node finished must not pull its progress back below 1.
      return {
        node: {
          set: `"progress" = $7::double precision, "progressMessage" = COALESCE($8::text, "progressMessage")`,
          where: `"status" IN (${UNFINISHED})`,
        },
        params: [e.nodeId, e.fraction, e.message ?? null],
      };
    case "log":
      return {};
    case "metric":
      return { node: { set: `"metrics" = "metrics" || $7::jsonb` }, params: [e.nodeId, jsonParam({ [e.name]: e.value })] };
    case "succeeded":
    case "cached":
      return {
        node: {
          set:
            `"status" = $7::text, "cacheHit" = $8::boolean, "cacheKey" = $9::text, "outputs" = $10::jsonb, "metrics" = "metrics" || $11::jsonb, ` +
            `"durationMs" = $12::double precision, "finishedAt" = $5::timestamp(3), "startedAt" = COALESCE("startedAt", $5::timestamp(3)), ` +
            `"progress" = 1, "progressMessage" = NULL, "error" = NULL`,
        },
        params: [e.nodeId, e.type, e.type === "cached", e.cacheKey, jsonParam(e.outputs), jsonParam(e.metrics), e.durationMs],
      };
    case "failed":
      return {
        node: { set: `"status" = 'failed', "error" = $7::jsonb, "durationMs" = $8::double precision, "finishedAt" = $5::timestamp(3)` },
        params: [e.nodeId, jsonParam(e.error), e.durationMs],
      };
    case "skipped":
      // NodeRunRecord has no reason field; the reason is what the node shows under its status line.
      return {
        node: { set: `"status" = 'skipped', "progressMessage" = $7::text, "finishedAt" = $5::timestamp(3)` },
        params: [e.nodeId, e.reason],
      };
    case "cancelled":
      if (e.nodeId !== undefined)
        return {
          node: { set: `"status" = 'cancelled', "finishedAt" = $5::timestamp(3)`, where: `"status" IN (${UNFINISHED})` },
          params: [e.nodeId],
        };
      return {
        run: `"status" = CASE WHEN "status" IN (${ACTIVE}) THEN 'cancelled' ELSE "status" END`,
        node: { set: `"status" = 'cancelled', "finishedAt" = $5::timestamp(3)`, where: `"status" IN (${UNFINISHED})`, allNodes: true },
      };
    case "run-finished":
      // The scheduler settles every node before this; anything still open is closed so no node spins forever.
      return {
        run: `"status" = $6::text, "finishedAt" = $5::timestamp(3), "durationMs" = $7::double precision, "error" = $8::text`,
        node: {
          set: `"status" = CASE WHEN $6::text = 'cancelled' THEN 'cancelled' ELSE 'skipped' END, "finishedAt" = $5::timestamp(3)`,
          where: `"status" IN (${UNFINISHED})`,
          allNodes: true,
        },
        params: [e.status, e.durationMs, e.error ?? null],
      };
  }
}

/** Row the statement returns: whether the event was new, and whether its run exists at all. */
export interface EventOutcome extends Record<string, unknown> {
  inserted: number;
  runExists: boolean;
}

/**
 * The one statement that stores `e` and folds it into the run's rows; a no-op if (runId, seq) is stored or
 * the run does not exist (checked in the statement rather than left to the foreign key, so the caller gets
 * a clear answer instead of an adapter-specific constraint error).
 */
export function eventStatement(e: RunEvent): EventStatement {
  const f = fold(e);
  const params = [e.runId, e.seq, e.type, jsonParam(e), isoTime(e.ts), ...(f.params ?? [])];
  const parts = [
    `WITH ev AS (INSERT INTO "RunEvent" ("runId", "seq", "type", "payload", "ts") ` +
      `SELECT $1, $2::integer, $3, $4::jsonb, $5::timestamp(3) WHERE EXISTS (SELECT 1 FROM "Run" WHERE "id" = $1) ` +
      `ON CONFLICT DO NOTHING RETURNING 1)`,
    `, r AS (UPDATE "Run" SET "lastSeq" = GREATEST("lastSeq", $2::integer)${f.run ? `, ${f.run}` : ""} WHERE "id" = $1 AND EXISTS (SELECT 1 FROM ev))`,
  ];
  if (f.node) {
    const filters = [`"runId" = $1`, f.node.allNodes ? undefined : `"nodeId" = $6`, f.node.where, `EXISTS (SELECT 1 FROM ev)`].filter(Boolean);
    parts.push(`, n AS (UPDATE "NodeRun" SET ${f.node.set} WHERE ${filters.join(" AND ")})`);
  }
  parts.push(`SELECT (SELECT count(*) FROM ev)::integer AS "inserted", EXISTS (SELECT 1 FROM "Run" WHERE "id" = $1) AS "runExists"`);
  return { sql: parts.join("\n"), params };
}
