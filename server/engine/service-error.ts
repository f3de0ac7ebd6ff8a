import type { Issue } from "../../nodes/core/errors";

/** A problem the caller can act on (unknown workflow, graph that does not compile). */
export class ServiceError extends Error {
  constructor(
    readonly code: "not_found" | "invalid_workflow" | "conflict",
    message: string,
    readonly issues: Issue[] = [],
  ) {
    super(message);
    this.name = "ServiceError";
  }
}

