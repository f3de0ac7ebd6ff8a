import type { Issue } from "../../nodes/core/errors";

/**
 * What went wrong, for the API layer to map: `gate_failed` (publishing refused by a validation/fairness gate →
 * PRECONDITION_FAILED), `forbidden` (the actor may not do this), `invalid_input` (a bad argument, e.g. a slug).
 */
export type ServiceErrorCode = "not_found" | "invalid_workflow" | "conflict" | "gate_failed" | "forbidden" | "invalid_input";

/** A problem the caller can act on (unknown workflow, graph that does not compile). */
export class ServiceError extends Error {
  constructor(
    readonly code: ServiceErrorCode,
    message: string,
    readonly issues: Issue[] = [],
    /**
     * Structured detail the client shows (tRPC error data): for `gate_failed`, `{ gate: GateResult }` (the checks
     * with their reasons, server/serving/types.ts).
     */
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = "ServiceError";
  }
}

