/**
 * Roles and what each may do. Pure (no better-auth, no Prisma) so the tRPC procedures, the upload route and
 * the browser share one rule: viewer < editor < admin, each role can do everything the ones before it can.
 */
import type { Actor, Role } from "../serving/types";

export const ROLES = ["viewer", "editor", "admin"] as const satisfies readonly Role[];

/** What each role is for, in the words the Users page shows. */
export const ROLE_HELP: Record<Role, string> = {
  viewer: "sees workflows, runs, models and endpoints",
  editor: "also changes and runs workflows, uploads files and publishes endpoints",
  admin: "also manages API keys, roles, gate overrides and the audit log",
};

export function isRole(value: unknown): value is Role {
  return typeof value === "string" && (ROLES as readonly string[]).includes(value);
}

/** True when `user` has `needed` or a higher role. */
export function hasRole(user: Pick<Actor, "role"> | null | undefined, needed: Role): boolean {
  return !!user && ROLES.indexOf(user.role) >= ROLES.indexOf(needed);
}

/** "a viewer", "an editor", "an admin". */
export function withArticle(role: Role): string {
  return `${role === "viewer" ? "a" : "an"} ${role}`;
}

/** Why a signed-in person was refused, naming the role needed and the one they have. */
export function forbiddenMessage(user: Pick<Actor, "role">, needed: Role, what = "This"): string {
  return `${what} needs the ${needed} role; you are signed in as ${withArticle(user.role)}. Ask an admin to change your role on the Users page.`;
}

export const SIGN_IN_MESSAGE = "Sign in to Lattice first: your session is missing or has expired.";
