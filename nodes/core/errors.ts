/**
 * Errors are values with a code, a message a person can act on, and the node/edge/field they belong to.
 */

export interface IssueLocation {
  nodeId?: string;
  edgeId?: string;
  /** Param name, port name or column name the problem is about. */
  field?: string;
}

export interface Issue extends IssueLocation {
  severity: "error" | "warning";
  code: string;
  message: string;
}

/**
 * Thrown by a node's run() for problems with the user's data or settings. The queue does not retry these
 * (mapped to BullMQ's UnrecoverableError); anything else is treated as an infrastructure fault.
 */
export class NodeUserError extends Error {
  readonly code: string;
  readonly field?: string;
  constructor(code: string, message: string, opts: { field?: string; cause?: unknown } = {}) {
    super(message, { cause: opts.cause });
    this.name = "NodeUserError";
    this.code = code;
    this.field = opts.field;
  }
}

/** Shorthand for `throw new NodeUserError(...)` inside run(). */
export function fail(code: string, message: string, field?: string): never {
  throw new NodeUserError(code, message, { field });
}

export function isUserError(e: unknown): e is NodeUserError {
  return e instanceof Error && (e as { name?: string }).name === "NodeUserError";
}

/** Serializable error description stored on NodeRun and shown on the node. */
export interface NodeErrorInfo {
  code: string;
  message: string;
  field?: string;
  user: boolean;
}

export function describeError(e: unknown): NodeErrorInfo {
  if (isUserError(e)) return { code: e.code, message: e.message, field: e.field, user: true };
  if (e instanceof Error && e.name === "AbortError") return { code: "cancelled", message: "Cancelled", user: true };
  const message = e instanceof Error ? e.message : String(e);
  return { code: "internal", message, user: false };
}
