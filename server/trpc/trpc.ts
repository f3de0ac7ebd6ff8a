/**
 * tRPC setup: context, error shape and procedure builders. Routers stay thin and call {@link AppServices}.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ZodError } from "zod";
import type { Issue } from "../../nodes/core/errors";
import { forbiddenMessage, hasRole, SIGN_IN_MESSAGE } from "../auth/roles";
import { ServiceError } from "../engine/service-error";
import type { AppServices } from "../engine/services";
import type { Actor, GateResult, Role } from "../serving/types";

export interface TRPCContext {
  services: AppServices;
  /** Who is signed in (the session cookie's user), or null. Tests pass one to `createCaller`. */
  user: Actor | null;
  /** Folder holding `*.workflow.json` examples offered on the start page. */
  examplesDir?: string;
}

/** Cause attached to a BAD_REQUEST when a workflow does not compile; its issues reach the client's error data. */
export class IssuesError extends Error {
  constructor(
    message: string,
    readonly issues: Issue[],
  ) {
    super(message);
    this.name = "IssuesError";
  }
}

const t = initTRPC.context<TRPCContext>().create({
  transformer: superjson,
  sse: {
    // Keep proxies from closing a quiet stream while a long node trains.
    ping: { enabled: true, intervalMs: 10_000 },
    client: { reconnectAfterInactivityMs: 25_000 },
  },
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    return {
      ...shape,
      data: {
        ...shape.data,
        // A refused publish carries one issue per failing gate reason, with the gate node's id.
        issues: cause instanceof IssuesError ? cause.issues : cause instanceof ServiceError && cause.issues.length ? cause.issues : undefined,
        problems: cause instanceof ProblemsError ? cause.problems : undefined,
        zod: cause instanceof ZodError ? cause.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`) : undefined,
        /** A refused publish: every gate check with its reasons, so the dialog can show which failed and why. */
        gate: cause instanceof ServiceError && cause.code === "gate_failed" ? (cause.details.gate as GateResult | undefined) : undefined,
        /** The role a FORBIDDEN call needed. */
        requiredRole: cause instanceof RoleError ? cause.needed : undefined,
      },
    };
  },
});

/** Cause for an import that did not parse: one human sentence per problem. */
export class ProblemsError extends Error {
  constructor(
    message: string,
    readonly problems: string[],
  ) {
    super(message);
    this.name = "ProblemsError";
  }
}

/** Cause of a FORBIDDEN for a missing role; the client reads `requiredRole` from the error data. */
export class RoleError extends Error {
  constructor(
    message: string,
    readonly needed: Role,
  ) {
    super(message);
    this.name = "RoleError";
  }
}

export const router = t.router;
/** No sign-in needed: only `auth.me`, which tells the app whether someone is signed in. */
export const publicProcedure = t.procedure;
export const createCallerFactory = t.createCallerFactory;

/** Refuses callers without a session (UNAUTHORIZED) or below `needed` (FORBIDDEN, naming the role). */
function requireRole(needed: Role, what?: string) {
  return t.middleware(({ ctx, next }) => {
    if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED", message: SIGN_IN_MESSAGE });
    if (!hasRole(ctx.user, needed)) {
      const message = forbiddenMessage(ctx.user, needed, what);
      throw new TRPCError({ code: "FORBIDDEN", message, cause: new RoleError(message, needed) });
    }
    return next({ ctx: { ...ctx, user: ctx.user } });
  });
}

/** Reads: anyone signed in. */
export const viewerProcedure = t.procedure.use(requireRole("viewer"));
/** Changing workflows, starting/cancelling runs, uploads, publishing. */
export const editorProcedure = t.procedure.use(requireRole("editor"));
/** API keys, roles, gate overrides, the audit log. */
export const adminProcedure = t.procedure.use(requireRole("admin"));

export function notFound(what: string): TRPCError {
  return new TRPCError({ code: "NOT_FOUND", message: `${what} was not found. It may have been deleted.` });
}

export function badRequest(message: string, cause?: Error): TRPCError {
  return new TRPCError({ code: "BAD_REQUEST", message, cause });
}

/**
 * Engine errors → TRPCError. The run service's ServiceError keeps its meaning (not found, conflict, a workflow
 * that cannot run → BAD_REQUEST with its issues in the error data, a failing publish gate → PRECONDITION_FAILED
 * with the checks in the error data's `gate`, forbidden → FORBIDDEN); other errors that carry `issues` become
 * BAD_REQUEST too; `NodeUserError`s become BAD_REQUEST with their message.
 */
export function toTRPCError(e: unknown): TRPCError {
  if (e instanceof TRPCError) return e;
  if (e instanceof ServiceError && e.code === "not_found") return new TRPCError({ code: "NOT_FOUND", message: e.message, cause: e });
  if (e instanceof ServiceError && e.code === "conflict") return new TRPCError({ code: "CONFLICT", message: e.message, cause: e });
  if (e instanceof ServiceError && e.code === "gate_failed") return new TRPCError({ code: "PRECONDITION_FAILED", message: e.message, cause: e });
  if (e instanceof ServiceError && e.code === "forbidden") return new TRPCError({ code: "FORBIDDEN", message: e.message, cause: e });
  if (e instanceof ServiceError) return badRequest(e.message, e.issues.length ? new IssuesError(e.message, e.issues) : e);
  if (e instanceof Error) {
    const issues = (e as { issues?: unknown }).issues;
    if (Array.isArray(issues) && issues.every((i) => i && typeof i === "object" && "message" in i)) {
      const list = issues as Issue[];
      const msg = e.message || summarizeIssues(list);
      return badRequest(msg, new IssuesError(msg, list));
    }
    if (e.name === "NodeUserError" || (e as { user?: boolean }).user === true) return badRequest(e.message, e);
    return new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: e.message, cause: e });
  }
  return new TRPCError({ code: "INTERNAL_SERVER_ERROR", message: String(e) });
}

export function summarizeIssues(issues: Issue[]): string {
  const errors = issues.filter((i) => i.severity === "error");
  if (!errors.length) return "The workflow has problems.";
  const first = errors[0]!.message;
  return errors.length === 1 ? `The workflow cannot run: ${first}` : `The workflow cannot run (${errors.length} problems). First: ${first}`;
}

/** Await `fn`, mapping engine errors to TRPCErrors. */
export async function guard<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    throw toTRPCError(e);
  }
}
