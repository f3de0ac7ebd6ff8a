/**
 * better-auth's Prisma adapter over our Prisma client, so sign-in state (User, Session, Account, Verification,
 * prisma/schema.prisma) lives in the same database as everything else: PGlite or PostgreSQL alike.
 */
import { prismaAdapter } from "better-auth/adapters/prisma";
import type { PrismaClientType } from "./prisma-client";

/** What `betterAuth({ database })` takes; server/auth builds the auth service on it. */
export type AuthDatabase = ReturnType<typeof prismaAdapter>;

export function createAuthDatabase(prisma: PrismaClientType): AuthDatabase {
  // transaction: false: PGlite has one connection, and better-auth's sign-up steps are each a single write.
  return prismaAdapter(prisma, { provider: "postgresql", transaction: false });
}
