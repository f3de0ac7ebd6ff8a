/**
 * tRPC setup: context, error shape and procedure builders. Routers stay thin and call {@link AppServices}.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { ZodError } from "zod";
import type { Issue } from "../../nodes/core/errors";
import { ServiceError } from "../engine/service-error";
import type { AppServices } from "../engine/services";

export interface TRPCContext {
  services: AppServices;
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
        issues: cause instanceof IssuesError ? cause.issues : undefined,
        problems: cause instanceof ProblemsError ? cause.problems : undefined,
        zod: cause instanceof ZodError ? cause.issues.map((i) => `${i.path.join(".") || "input"}: ${i.message}`) : undefined,
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

export const router = t.router;
export const publicProcedure = t.procedure;
export const createCallerFactory = t.createCallerFactory;

export function notFound(what: string): TRPCError {
  return new TRPCError({ code: "NOT_FOUND", message: `${what} was not found. It may have been deleted.` });
}

export function badRequest(message: string, cause?: Error): TRPCError {
  return new TRPCError({ code: "BAD_REQUEST", message, cause });
}

/**
 * Engine errors → TRPCError. The run service's ServiceError keeps its meaning (not found, conflict, a workflow
 * that cannot run → BAD_REQUEST with its issues in the error data); other errors that carry `issues` become
 * BAD_REQUEST too; `NodeUserError`s become BAD_REQUEST with their message.
 */
export function toTRPCError(e: unknown): TRPCError {
  if (e instanceof TRPCError) return e;
  if (e instanceof ServiceError && e.code === "not_found") return new TRPCError({ code: "NOT_FOUND", message: e.message, cause: e });
  if (e instanceof ServiceError && e.code === "conflict") return new TRPCError({ code: "CONFLICT", message: e.message, cause: e });
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
