/**
 * Signing in over HTTP, as the browser does: better-auth's routes under /api/auth, the session cookie on tRPC
 * and upload requests, roles given by an admin, sign-out, and better-auth's CSRF origin check.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApiHandler } from "../../server/http/api";
import { signUp } from "./actors";
import { createFakeServices, type FakeServices } from "./fake-services";

let services: FakeServices;
let server: http.Server;
let base: string;

beforeEach(async () => {
  services = createFakeServices();
  const api = createApiHandler({ services });
  server = http.createServer((req, res) => void api(req, res));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

/** tRPC over HTTP (superjson envelope), answering status and either the data or the error. */
async function trpc(path: string, cookie: string | undefined, input?: unknown, method: "GET" | "POST" = input === undefined ? "GET" : "POST") {
  const headers: Record<string, string> = { origin: base, ...(cookie ? { cookie } : {}) };
  const res =
    method === "GET"
      ? await fetch(`${base}/api/trpc/${path}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify({ json: input }))}`}`, { headers })
      : await fetch(`${base}/api/trpc/${path}`, { method: "POST", headers: { ...headers, "content-type": "application/json" }, body: JSON.stringify({ json: input }) });
  const body = (await res.json()) as { result?: { data: { json: unknown } }; error?: { json: { message: string; data: Record<string, unknown> } } };
  return { status: res.status, data: body.result?.data.json, error: body.error?.json };
}

describe("sign-in over HTTP", () => {
  it("makes the first account admin and later ones viewers, who cannot pick their own role", async () => {
    expect((await trpc("auth.hasUsers", undefined)).data).toBe(false);
    const first = await signUp(base, "ada@example.com");
    expect((await trpc("auth.hasUsers", undefined)).data).toBe(true);
    const res = await fetch(`${base}/api/auth/sign-up/email`, {
      method: "POST",
      headers: { "content-type": "application/json", origin: base },
      body: JSON.stringify({ email: "bob@example.com", password: "correct horse battery", name: "bob", role: "admin" }),
    });
    const second = res.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    expect((await trpc("auth.me", first)).data).toMatchObject({ email: "ada@example.com", role: "admin" });
    expect((await trpc("auth.me", second)).data).toMatchObject({ email: "bob@example.com", role: "viewer" });
    expect((await trpc("auth.me", undefined)).data).toBeNull();
  });

  it("answers 401 without a session and 403 naming the role for a viewer, on tRPC and uploads", async () => {
    await signUp(base, "ada@example.com");
    const viewerCookie = await signUp(base, "bob@example.com");

    const anon = await trpc("workflow.list", undefined);
    expect(anon.status).toBe(401);
    expect(anon.error?.message).toMatch(/Sign in/);

    expect((await trpc("workflow.list", viewerCookie)).status).toBe(200);
    const create = await trpc("workflow.create", viewerCookie, { name: "x" });
    expect(create.status).toBe(403);
    expect(create.error?.message).toContain("needs the editor role; you are signed in as a viewer");
    expect(create.error?.data.requiredRole).toBe("editor");

    const anonUpload = await fetch(`${base}/api/upload?name=a.csv`, { method: "POST", body: "a\n1\n" });
    expect(anonUpload.status).toBe(401);
    const viewerUpload = await fetch(`${base}/api/upload?name=a.csv`, { method: "POST", body: "a\n1\n", headers: { cookie: viewerCookie } });
    expect(viewerUpload.status).toBe(403);
    expect(((await viewerUpload.json()) as { error: string }).error).toContain("Uploading a file needs the editor role");
    expect(services.state.uploads).toEqual([]);
  });

  it("lets an admin make someone an editor (audited), after which they can change workflows and upload", async () => {
    const adminCookie = await signUp(base, "ada@example.com");
    const bobCookie = await signUp(base, "bob@example.com");
    const users = (await trpc("users.list", adminCookie)).data as Array<{ id: string; email: string; role: string }>;
    expect(users.map((u) => [u.email, u.role])).toEqual([["ada@example.com", "admin"], ["bob@example.com", "viewer"]]);
    const bob = users.find((u) => u.email === "bob@example.com")!;

    expect((await trpc("users.setRole", bobCookie, { userId: bob.id, role: "admin" })).status).toBe(403);
    const set = await trpc("users.setRole", adminCookie, { userId: bob.id, role: "editor" });
    expect(set.data).toMatchObject({ email: "bob@example.com", role: "editor" });

    // Takes effect on the next request: roles are read from the database, not cached in the cookie.
    expect((await trpc("workflow.create", bobCookie, { name: "Bob's" })).status).toBe(200);
    const upload = await fetch(`${base}/api/upload?name=a.csv`, { method: "POST", body: "a\n1\n", headers: { cookie: bobCookie } });
    expect(upload.status).toBe(200);

    const audit = (await trpc("endpoints.audit", adminCookie)).data as Array<{ action: string; target: string; actorEmail: string; details: Record<string, unknown> }>;
    expect(audit[0]).toMatchObject({ action: "user.role", target: `user:${bob.id}`, actorEmail: "ada@example.com", details: { email: "bob@example.com", from: "viewer", to: "editor" } });
  });

  it("keeps at least one admin", async () => {
    const adminCookie = await signUp(base, "ada@example.com");
    const me = (await trpc("auth.me", adminCookie)).data as { id: string };
    const r = await trpc("users.setRole", adminCookie, { userId: me.id, role: "viewer" });
    expect(r.status).toBe(409);
    expect(r.error?.message).toMatch(/only admin/);
  });

  it("signs in with the password, refuses a wrong one, and signs out", async () => {
    await signUp(base, "ada@example.com");
    const wrong = await fetch(`${base}/api/auth/sign-in/email`, { method: "POST", headers: { "content-type": "application/json", origin: base }, body: JSON.stringify({ email: "ada@example.com", password: "wrong password!" }) });
    expect(wrong.status).toBe(401);
    const ok = await fetch(`${base}/api/auth/sign-in/email`, { method: "POST", headers: { "content-type": "application/json", origin: base }, body: JSON.stringify({ email: "ada@example.com", password: "correct horse battery" }) });
    expect(ok.status).toBe(200);
    const cookie = ok.headers.getSetCookie().map((c) => c.split(";")[0]).join("; ");
    expect(cookie).toMatch(/^lattice\.session_token=/);
    expect((await trpc("workflow.list", cookie)).status).toBe(200);

    const out = await fetch(`${base}/api/auth/sign-out`, { method: "POST", headers: { cookie, origin: base, "content-type": "application/json" }, body: "{}" });
    expect(out.status).toBe(200);
    expect((await trpc("workflow.list", cookie)).status).toBe(401);
  });

  it("refuses auth POSTs with a session cookie from another origin (CSRF)", async () => {
    const cookie = await signUp(base, "ada@example.com");
    const res = await fetch(`${base}/api/auth/sign-out`, { method: "POST", headers: { cookie, origin: "http://evil.example", "content-type": "application/json" }, body: "{}" });
    expect(res.status).toBe(403);
    expect((await trpc("workflow.list", cookie)).status).toBe(200);
  });

  it("refuses changes to tRPC and uploads from another origin, even on the same site", async () => {
    const cookie = await signUp(base, "ada@example.com");
    const other = base.replace(/:(\d+)$/, (_m, p: string) => `:${Number(p) + 1}`);
    const create = await fetch(`${base}/api/trpc/workflow.create`, { method: "POST", headers: { cookie, origin: other, "content-type": "application/json" }, body: JSON.stringify({ json: { name: "x" } }) });
    expect(create.status).toBe(403);
    expect(((await create.json()) as { error: string }).error).toMatch(/came from another site/);
    const upload = await fetch(`${base}/api/upload?name=a.csv`, { method: "POST", body: "a\n1\n", headers: { cookie, origin: other } });
    expect(upload.status).toBe(403);
    expect(services.state.uploads).toEqual([]);
    // Same origin, and scripts that send no Origin, are fine.
    expect((await trpc("workflow.create", cookie, { name: "x" })).status).toBe(200);
    expect((await fetch(`${base}/api/trpc/workflow.list`, { headers: { cookie } })).status).toBe(200);
  });

  it("puts a failing gate's checks into the error data of a refused publish", async () => {
    const adminCookie = await signUp(base, "ada@example.com");
    services.endpointState.checks = [{ nodeId: "fair", label: "Fairness gate", kind: "fairness/gate", passed: false, reasons: ["demographic parity ratio 0.31 < 0.8 for sex"] }];
    const r = await trpc("endpoints.publish", adminCookie, { workflowId: "wf1" });
    expect(r.status).toBe(412);
    expect(r.error?.message).toContain("demographic parity ratio 0.31");
    expect(r.error?.data.gate).toMatchObject({ passed: false, checks: [{ label: "Fairness gate", passed: false, reasons: ["demographic parity ratio 0.31 < 0.8 for sex"] }] });
  });
});
