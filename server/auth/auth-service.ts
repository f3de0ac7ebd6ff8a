/**
 * Sign-in for the app: better-auth with email + password over our database (its Prisma adapter in the
 * server, its memory adapter in tests). better-auth owns sessions, cookies and password hashing; this file adds
 * Lattice's rules on top: the first account becomes admin, later ones start as viewers, people cannot pick
 * their own role, and there is always at least one admin.
 */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from "node:http";
import { betterAuth, type BetterAuthOptions } from "better-auth";
import { fromNodeHeaders, toNodeHandler } from "better-auth/node";
import { ServiceError } from "../engine/service-error";
import type { Actor, Role } from "../serving/types";
import { isRole } from "./roles";

/** A person with an account, as the Users page lists them. */
export interface UserSummary {
  id: string;
  name: string;
  email: string;
  role: Role;
  createdAt: string;
}

export interface AuthService {
  /** better-auth's own routes under /api/auth/* (sign-up, sign-in, sign-out, get-session...). */
  handle(req: IncomingMessage, res: ServerResponse): Promise<void>;
  /** The signed-in person for a request's headers (session cookie), or null. */
  actorFor(headers: IncomingHttpHeaders | Headers): Promise<Actor | null>;
  /**
   * False when a browser sent the request from another origin (its `Origin` is neither this server's host nor
   * the configured public URL). The session cookie is SameSite=Lax, which stops other sites but not other
   * origins on the same site (another port on localhost, a sibling subdomain); this closes that gap for the
   * cookie-authenticated routes that change things (tRPC POSTs, uploads). No Origin (curl, scripts): true.
   */
  trustsOrigin(headers: IncomingHttpHeaders): boolean;
  listUsers(): Promise<UserSummary[]>;
  /** Whether any account exists yet (the sign-in page then offers to create the first, admin, account). */
  hasUsers(): Promise<boolean>;
  /** @throws ServiceError not_found for an unknown user, conflict when it would leave no admin. */
  setRole(userId: string, role: Role): Promise<UserSummary>;
}

export interface AuthServiceOptions {
  /** better-auth database: `prismaAdapter(prisma, ...)` (server/store/auth-adapter.ts) or `memoryAdapter(...)` in tests. */
  database: BetterAuthOptions["database"];
  /** Signs session cookies; at least 32 random characters (server/auth/secret.ts keeps one per data folder). */
  secret: string;
  /**
   * The app's public URL, e.g. `https://lattice.example.com` (BETTER_AUTH_URL). Unset: the origin is taken from
   * each request's Host header, and POSTs with cookies must come from that same origin (better-auth's CSRF check).
   */
  baseURL?: string;
}

/** Cookie names start with this (`lattice.session_token`), so they do not collide with other apps on localhost. */
export const COOKIE_PREFIX = "lattice";

/** The part of better-auth's database adapter the create hooks use. */
export interface UserTable {
  count(query: { model: string }): Promise<number>;
  findMany<T>(query: { model: string; sortBy?: { field: string; direction: "asc" | "desc" }; limit?: number }): Promise<T[]>;
  update<T>(query: { model: string; where: Array<{ field: string; value: string }>; update: Record<string, unknown> }): Promise<T | null>;
}
type HookContext = { adapter: UserTable };

/**
 * Makes a bootstrap admin a viewer unless it is the first account (earliest createdAt, then smallest id).
 * Run after each sign-up that was made admin because no account existed: when two first sign-ups overlap,
 * both saw an empty table, and this leaves exactly one of them admin. Returns whether it stepped down.
 */
export async function stepDownIfNotFirst(users: UserTable, userId: string): Promise<boolean> {
  const rows = await users.findMany<{ id: string; createdAt: Date | string }>({ model: "user", sortBy: { field: "createdAt", direction: "asc" }, limit: 100 });
  const time = (u: { createdAt: Date | string }) => new Date(u.createdAt).getTime();
  let first: { id: string; createdAt: Date | string } | undefined;
  for (const u of rows) if (!first || time(u) < time(first) || (time(u) === time(first) && String(u.id) < String(first.id))) first = u;
  if (!first || String(first.id) === userId) return false;
  await users.update({ model: "user", where: [{ field: "id", value: userId }], update: { role: "viewer" } });
  return true;
}

export function createAuthService(opts: AuthServiceOptions): AuthService {
  // Set right below; the create hook only runs on requests, after that.
  let context: () => Promise<HookContext> = () => Promise.reject(new Error("better-auth is not initialised yet"));
  const auth = betterAuth({
    appName: "Lattice",
    database: opts.database,
    secret: opts.secret,
    // Unset: better-auth takes the origin of each request (whatever host the browser used: localhost, an IP, a
    // name) and trusts only that origin for POSTs carrying cookies. We use no OAuth callbacks or e-mail links,
    // which are what a fixed URL is needed for.
    baseURL: opts.baseURL,
    basePath: "/api/auth",
    emailAndPassword: { enabled: true, autoSignIn: true, minPasswordLength: 8 },
    user: {
      additionalFields: {
        // input: false: a sign-up request cannot choose its own role.
        role: { type: "string", required: false, defaultValue: "viewer", input: false },
      },
    },
    session: { expiresIn: 60 * 60 * 24 * 14, updateAge: 60 * 60 * 24 },
    // disableOriginCheck: false also under vitest (better-auth skips the CSRF origin check when NODE_ENV=test).
    advanced: { cookiePrefix: COOKIE_PREFIX, disableOriginCheck: false },
    telemetry: { enabled: false },
    logger: {
      log(level, message, ...args) {
        // Expected without BETTER_AUTH_URL (see baseURL above): not worth a warning at every start.
        if (/Base URL is not set/.test(message)) return;
        (level === "error" ? console.error : level === "warn" ? console.warn : console.log)(`[auth] ${message}`, ...args);
      },
    },
    databaseHooks: {
      user: {
        create: {
          // The first account created is the admin who can then promote others; everyone after starts as a viewer.
          before: async (user) => {
            const ctx = await context();
            const existing = await ctx.adapter.count({ model: "user" });
            return { data: { ...user, role: existing === 0 ? "admin" : "viewer" } };
          },
          // Two first sign-ups at the same moment (or on two API servers) both count no account and both get
          // admin above; afterwards each such account checks that it really is the first (stepDownIfNotFirst).
          after: async (user) => {
            if ((user as { role?: unknown }).role === "admin") await stepDownIfNotFirst((await context()).adapter, String(user.id));
          },
        },
      },
    },
  });
  context = () => auth.$context;
  const nodeHandler = toNodeHandler(auth);

  const summary = (u: Record<string, unknown>): UserSummary => ({
    id: String(u.id),
    name: String(u.name ?? ""),
    email: String(u.email),
    role: isRole(u.role) ? u.role : "viewer",
    createdAt: (u.createdAt instanceof Date ? u.createdAt : new Date(String(u.createdAt))).toISOString(),
  });

  async function listUsers(): Promise<UserSummary[]> {
    const ctx = await auth.$context;
    const rows = await ctx.adapter.findMany<Record<string, unknown>>({ model: "user", sortBy: { field: "createdAt", direction: "asc" } });
    return rows.map(summary);
  }

  return {
    handle: (req, res) => nodeHandler(req, res),

    async actorFor(headers) {
      const h = headers instanceof Headers ? headers : fromNodeHeaders(headers);
      // No cookie: answer without a database round trip (most requests from tests and scripts).
      if (!h.get("cookie")?.includes(`${COOKIE_PREFIX}.`)) return null;
      // better-auth resolves its (per-host) base URL from Host; server-side callers (tests) may not send one.
      if (!h.has("host")) h.set("host", "localhost");
      const s = await auth.api.getSession({ headers: h });
      if (!s) return null;
      const role = (s.user as { role?: unknown }).role;
      return { id: s.user.id, email: s.user.email, role: isRole(role) ? role : "viewer" };
    },

    trustsOrigin(headers) {
      const origin = headers.origin;
      if (!origin) return true;
      let o: URL;
      try {
        o = new URL(origin);
      } catch {
        return false;
      }
      if (opts.baseURL && new URL(opts.baseURL).origin === o.origin) return true;
      return o.host === headers.host;
    },

    listUsers,

    async hasUsers() {
      const ctx = await auth.$context;
      return (await ctx.adapter.count({ model: "user" })) > 0;
    },

    async setRole(userId, role) {
      const ctx = await auth.$context;
      const user = await ctx.internalAdapter.findUserById(userId);
      if (!user) throw new ServiceError("not_found", `User ${userId} does not exist.`);
      const current = summary(user as unknown as Record<string, unknown>);
      if (current.role === "admin" && role !== "admin") {
        const admins = await ctx.adapter.count({ model: "user", where: [{ field: "role", value: "admin" }] });
        if (admins <= 1) throw new ServiceError("conflict", `${current.email} is the only admin. Make someone else an admin first, so that somebody can still manage roles and keys.`);
      }
      const updated = await ctx.internalAdapter.updateUser(userId, { role });
      return summary((updated ?? { ...user, role }) as Record<string, unknown>);
    },
  };
}
