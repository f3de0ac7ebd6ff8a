/**
 * Errors the repositories throw for problems a caller can act on; anything else is an infrastructure fault.
 * Routers map `code` to a response (not_found → 404, conflict → 409).
 */
import { Prisma } from "./prisma-client";

export class StoreError extends Error {
  constructor(
    readonly code: "not_found" | "conflict",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = "StoreError";
  }
}

/** Which constraint a failed write hit, if that is what happened. */
export type ConstraintViolation = "unique" | "foreign_key" | "record_not_found";

/**
 * Classifies a write error. Through @prisma/adapter-pg errors arrive as Prisma's known request errors
 * (P2002/P2003/P2025); pglite-prisma-adapter 0.6 raises its own DriverAdapterError class, which Prisma 6.19
 * does not recognise and passes through, so its PostgreSQL SQLSTATE is read instead.
 */
export function constraintViolation(e: unknown): ConstraintViolation | undefined {
  if (e instanceof Prisma.PrismaClientKnownRequestError)
    return ({ P2002: "unique", P2003: "foreign_key", P2025: "record_not_found" } as const)[e.code as "P2002"];
  if (e instanceof Error && e.name === "DriverAdapterError") {
    const cause = (e as { cause?: { kind?: unknown; code?: unknown } }).cause;
    if (cause?.kind === "postgres") return ({ "23505": "unique", "23503": "foreign_key" } as const)[cause.code as "23505"];
  }
  return undefined;
}
