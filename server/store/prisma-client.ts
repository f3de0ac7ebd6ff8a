/**
 * The generated Prisma client (written by `prisma generate` into ./generated, which is not committed).
 * Everything else in the store imports it from here, so the generated path appears in one place.
 */
export { PrismaClient, Prisma } from "./generated/client";
export type { PrismaClient as PrismaClientType } from "./generated/client";
