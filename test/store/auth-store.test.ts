/**
 * better-auth over our Prisma schema (User with role, Session, Account) on both backends: sign-up through the
 * real HTTP routes, the first account is admin, sessions resolve to the right person, roles change and persist.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createAuthService, type AuthService } from "../../server/auth/auth-service";
import { openDatabase } from "../../server/store/database";
import type { Database } from "../../server/store/types";
import { signUp } from "../trpc/actors";
import { dropSchema, pgAvailable, throwawaySchema, urlWithSchema } from "./backends";

const schema = throwawaySchema();
const raceSchema = throwawaySchema();
const backends: Array<[string, () => Promise<Database>, boolean]> = [
  ["PGlite", () => openDatabase({ memory: true }), true],
  ["PostgreSQL", () => openDatabase({ databaseUrl: urlWithSchema(schema) }), pgAvailable],
];
afterAll(async () => {
  if (pgAvailable) await dropSchema(schema);
  if (pgAvailable) await dropSchema(raceSchema);
});

for (const [label, open, available] of backends) {

  describe.skipIf(!available)(`first sign-ups at the same moment on ${label}`, () => {
    // Whether the hooks really overlap depends on timing; test/store/first-admin.test.ts checks the rule itself.
    it("leave exactly one admin", async () => {
      const fresh = label === "PGlite" ? await openDatabase({ memory: true }) : await openDatabase({ databaseUrl: urlWithSchema(raceSchema) });
      const a = createAuthService({ database: fresh.authDatabase, secret: "store-test-secret-0123456789abcdefghijklmnop" });
      const srv = http.createServer((req, res) => void a.handle(req, res));
      await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
      const url = `http://127.0.0.1:${(srv.address() as AddressInfo).port}`;
      try {
        const emails = Array.from({ length: 6 }, (_, i) => `racer${i}@example.com`);
        const cookies = await Promise.all(emails.map((e) => signUp(url, e)));
        const roles = await Promise.all(cookies.map(async (c) => (await a.actorFor(new Headers({ cookie: c })))?.role));
        expect(roles.filter((r) => r === "admin")).toHaveLength(1);
        expect(roles.filter((r) => r === "viewer")).toHaveLength(emails.length - 1);
      } finally {
        srv.closeAllConnections();
        await new Promise((r) => srv.close(r));
        await fresh.close();
      }
    });
  });
  describe.skipIf(!available)(`sign-in on ${label}`, () => {
    let db: Database;
    let auth: AuthService;
    let server: http.Server;
    let base: string;
    beforeAll(async () => {
      db = await open();
      auth = createAuthService({ database: db.authDatabase, secret: "store-test-secret-0123456789abcdefghijklmnop" });
      server = http.createServer((req, res) => void auth.handle(req, res));
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      server?.closeAllConnections();
      await new Promise((r) => server?.close(r));
      await db?.close();
    });

    it("stores accounts with hashed passwords, the first as admin, and resolves sessions", async () => {
      const ada = await signUp(base, "ada@example.com");
      const bob = await signUp(base, "bob@example.com");
      expect(await auth.actorFor(new Headers({ cookie: ada }))).toMatchObject({ email: "ada@example.com", role: "admin" });
      expect(await auth.actorFor(new Headers({ cookie: bob }))).toMatchObject({ email: "bob@example.com", role: "viewer" });
      expect(await auth.actorFor(new Headers({ cookie: "lattice.session_token=forged.value" }))).toBeNull();

      const dup = await fetch(`${base}/api/auth/sign-up/email`, {
        method: "POST",
        headers: { "content-type": "application/json", origin: base },
        body: JSON.stringify({ email: "bob@example.com", password: "another password", name: "bob" }),
      });
      expect(dup.status).toBe(422);
    });

    it("changes roles in the database and refuses to remove the last admin", async () => {
      const users = await auth.listUsers();
      expect(users.map((u) => [u.email, u.role])).toEqual([["ada@example.com", "admin"], ["bob@example.com", "viewer"]]);
      const [ada, bob] = users as [(typeof users)[0], (typeof users)[0]];
      expect(await auth.setRole(bob.id, "admin")).toMatchObject({ role: "admin" });
      expect(await auth.setRole(ada.id, "editor")).toMatchObject({ role: "editor" });
      await expect(auth.setRole(bob.id, "viewer")).rejects.toThrow(/only admin/);
      await expect(auth.setRole("nobody", "viewer")).rejects.toThrow(/does not exist/);
      expect((await auth.listUsers()).map((u) => u.role)).toEqual(["editor", "admin"]);
    });
  });
}
