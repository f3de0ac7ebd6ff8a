/**
 * Who may call what: every procedure of the app router, called by nobody, a viewer, an editor and an admin.
 * Below its role → FORBIDDEN naming the role; without a session → UNAUTHORIZED; at or above it → not refused
 * for who the caller is (the call may still fail for its own reasons, e.g. NOT_FOUND).
 */
import { TRPCError } from "@trpc/server";
import { beforeEach, describe, expect, it } from "vitest";
import type { Actor, Role } from "../../server/serving/types";
import { appRouter, createCaller } from "../../server/trpc/root";
import { admin, editor, viewer } from "./actors";
import { createFakeServices, type FakeServices } from "./fake-services";

type Caller = ReturnType<typeof createCaller>;

/** One call per procedure, with the role it needs. */
const MATRIX: Record<string, { role: Role | "public"; call: (c: Caller) => Promise<unknown> }> = {
  "auth.me": { role: "public", call: (c) => c.auth.me() },
  "auth.hasUsers": { role: "public", call: (c) => c.auth.hasUsers() },
  "workflow.list": { role: "viewer", call: (c) => c.workflow.list() },
  "workflow.get": { role: "viewer", call: (c) => c.workflow.get({ id: "wf-x" }) },
  "workflow.versions": { role: "viewer", call: (c) => c.workflow.versions({ id: "wf-x" }) },
  "workflow.examples": { role: "viewer", call: (c) => c.workflow.examples() },
  "workflow.create": { role: "editor", call: (c) => c.workflow.create({ name: "x" }) },
  "workflow.save": { role: "editor", call: (c) => c.workflow.save({ id: "wf-x", graph: { formatVersion: 1, name: "x", nodes: [], edges: [] } }) },
  "workflow.delete": { role: "editor", call: (c) => c.workflow.delete({ id: "wf-x" }) },
  "workflow.import": { role: "editor", call: (c) => c.workflow.import({ text: JSON.stringify({ formatVersion: 1, name: "x", nodes: [], edges: [] }) }) },
  "workflow.createFromExample": { role: "editor", call: (c) => c.workflow.createFromExample({ file: "a.workflow.json" }) },
  "run.start": { role: "editor", call: (c) => c.run.start({ workflowId: "wf-x" }) },
  "run.cancel": { role: "editor", call: (c) => c.run.cancel({ runId: "r-x" }) },
  "run.get": { role: "viewer", call: (c) => c.run.get({ runId: "r-x" }) },
  "run.listForWorkflow": { role: "viewer", call: (c) => c.run.listForWorkflow({ workflowId: "wf-x" }) },
  "run.onEvents": { role: "viewer", call: (c) => c.run.onEvents({ runId: "r-x" }) },
  "graph.analyze": { role: "viewer", call: (c) => c.graph.analyze({ workflow: { formatVersion: 1, name: "x", nodes: [], edges: [] } }) },
  "artifact.preview": { role: "viewer", call: (c) => c.artifact.preview({ hash: "abcdef0123", portType: "table" }) },
  "models.list": { role: "viewer", call: (c) => c.models.list() },
  "models.get": { role: "viewer", call: (c) => c.models.get({ id: "m-x" }) },
  "system.info": { role: "viewer", call: (c) => c.system.info() },
  "system.workers": { role: "viewer", call: (c) => c.system.workers() },
  "endpoints.list": { role: "viewer", call: (c) => c.endpoints.list() },
  "endpoints.get": { role: "viewer", call: (c) => c.endpoints.get({ slug: "income" }) },
  "endpoints.checkGate": { role: "viewer", call: (c) => c.endpoints.checkGate({ workflowId: "wf-x" }) },
  "endpoints.publish": { role: "editor", call: (c) => c.endpoints.publish({ workflowId: "wf-x", slug: "other" }) },
  "endpoints.setLive": { role: "editor", call: (c) => c.endpoints.setLive({ slug: "income", version: 1 }) },
  "endpoints.setCanary": { role: "editor", call: (c) => c.endpoints.setCanary({ slug: "income", version: 1, percent: 10 }) },
  "endpoints.rollback": { role: "editor", call: (c) => c.endpoints.rollback({ slug: "income" }) },
  "endpoints.createKey": { role: "admin", call: (c) => c.endpoints.createKey({ slug: "income", name: "svc" }) },
  "endpoints.revokeKey": { role: "admin", call: (c) => c.endpoints.revokeKey({ slug: "income", keyId: "k-x" }) },
  "endpoints.audit": { role: "admin", call: (c) => c.endpoints.audit() },
  "users.list": { role: "admin", call: (c) => c.users.list() },
  "users.setRole": { role: "admin", call: (c) => c.users.setRole({ userId: "u-x", role: "editor" }) },
};

const RANK = { viewer: 0, editor: 1, admin: 2 } as const;

async function outcome(p: Promise<unknown>): Promise<TRPCError | "ok"> {
  try {
    const r = await p;
    // A subscription answers an async iterable; reading it runs the procedure's body.
    if (r && typeof r === "object" && Symbol.asyncIterator in r) await (r as AsyncIterable<unknown>)[Symbol.asyncIterator]().next();
    return "ok";
  } catch (e) {
    if (e instanceof TRPCError) return e;
    throw e;
  }
}

let services: FakeServices;
beforeEach(async () => {
  services = createFakeServices();
  await services.endpoints.publish({ workflowId: "wf-x", slug: "income" }, admin);
});

describe("auth matrix", () => {
  it("covers every procedure of the router", () => {
    const procedures = Object.keys((appRouter as unknown as { _def: { procedures: Record<string, unknown> } })._def.procedures).sort();
    expect(Object.keys(MATRIX).sort()).toEqual(procedures);
  });

  const callers: Array<[string, Actor | null]> = [["nobody", null], ["a viewer", viewer], ["an editor", editor], ["an admin", admin]];
  for (const [who, user] of callers) {
    it(`${who}: refused exactly where the role is too low`, async () => {
      const refusedWith: Record<string, string> = {};
      for (const [name, { role, call }] of Object.entries(MATRIX)) {
        const r = await outcome(call(createCaller({ services, user })));
        const expected = role === "public" ? "allowed" : !user ? "UNAUTHORIZED" : RANK[user.role] < RANK[role] ? "FORBIDDEN" : "allowed";
        const got = r === "ok" || (r.code !== "UNAUTHORIZED" && r.code !== "FORBIDDEN") ? "allowed" : r.code;
        refusedWith[name] = got === expected ? "as expected" : `${got}, expected ${expected}${r !== "ok" ? ` (${r.message})` : ""}`;
        if (got === "FORBIDDEN" && r !== "ok") expect(r.message).toContain(`needs the ${role} role; you are signed in as ${user!.role === "viewer" ? "a" : "an"} ${user!.role}.`);
        if (got === "UNAUTHORIZED" && r !== "ok") expect(r.message).toMatch(/Sign in/);
      }
      expect(Object.entries(refusedWith).filter(([, v]) => v !== "as expected")).toEqual([]);
    });
  }

  it("tells the caller who they are", async () => {
    expect(await createCaller({ services, user: null }).auth.me()).toBeNull();
    expect(await createCaller({ services, user: editor }).auth.me()).toEqual(editor);
  });
});

describe("endpoints router", () => {
  const as = (user: Actor) => createCaller({ services, user });

  it("refuses a publish while a gate fails, with the failing checks; only an admin may override, and that is audited", async () => {
    services.endpointState.checks = [
      { nodeId: "fair", label: "Fairness gate", kind: "fairness/gate", passed: false, reasons: ["demographic parity ratio 0.31 < 0.8 for sex"] },
      { nodeId: "val", label: "Data checks", kind: "validation/checks", passed: true, reasons: [] },
    ];
    const gate = await as(viewer).endpoints.checkGate({ workflowId: "wf-x" });
    expect(gate.passed).toBe(false);

    const refused = await outcome(as(editor).endpoints.publish({ workflowId: "wf-x", slug: "income" }));
    expect(refused).toBeInstanceOf(TRPCError);
    const e = refused as TRPCError;
    expect(e.code).toBe("PRECONDITION_FAILED");
    expect(e.message).toContain("demographic parity ratio 0.31");
    expect(((e.cause as { details?: { gate?: { checks: unknown[] } } }).details?.gate?.checks ?? []).length).toBe(2);

    const editorOverride = (await outcome(as(editor).endpoints.publish({ workflowId: "wf-x", slug: "income", override: { reason: "known issue, fix next sprint" } }))) as TRPCError;
    expect(editorOverride.code).toBe("FORBIDDEN");
    expect(editorOverride.message).toMatch(/needs the admin role/);

    const shortReason = (await outcome(as(admin).endpoints.publish({ workflowId: "wf-x", slug: "income", override: { reason: "" } }))) as TRPCError;
    expect(shortReason.code).toBe("BAD_REQUEST");

    const ok = await as(admin).endpoints.publish({ workflowId: "wf-x", slug: "income", override: { reason: "known issue, fix next sprint" } });
    expect(ok.gate.override).toMatchObject({ by: admin.email, reason: "known issue, fix next sprint" });
    const audit = await as(admin).endpoints.audit();
    expect(audit[0]).toMatchObject({ action: "gate.override", actorEmail: admin.email, target: "endpoint:income" });
  });

  it("lets editors move traffic and admins manage keys", async () => {
    await as(editor).endpoints.publish({ workflowId: "wf-x", slug: "income" });
    await as(editor).endpoints.setCanary({ slug: "income", version: 2, percent: 20 });
    expect(await as(viewer).endpoints.get({ slug: "income" })).toMatchObject({ liveVersion: 1, canaryVersion: 2, canaryPercent: 20 });
    await as(editor).endpoints.setLive({ slug: "income", version: 2 });
    expect(await as(editor).endpoints.rollback({ slug: "income" })).toEqual({ live: 1 });

    const { key, summary } = await as(admin).endpoints.createKey({ slug: "income", name: "billing" });
    expect(key.length).toBeGreaterThan(8);
    expect((await as(viewer).endpoints.get({ slug: "income" })).keys.map((k) => k.name)).toEqual(["billing"]);
    await as(admin).endpoints.revokeKey({ slug: "income", keyId: summary.id });
    expect((await as(viewer).endpoints.get({ slug: "income" })).keys[0]!.revokedAt).toBeTruthy();
    const emptyName = (await outcome(as(admin).endpoints.createKey({ slug: "income", name: " " }))) as TRPCError;
    expect(emptyName.code).toBe("BAD_REQUEST");
  });

  it("answers NOT_FOUND for an unknown endpoint and refuses a bad slug", async () => {
    expect(((await outcome(as(viewer).endpoints.get({ slug: "nope" }))) as TRPCError).code).toBe("NOT_FOUND");
    const bad = (await outcome(as(editor).endpoints.publish({ workflowId: "wf-x", slug: "Not A Slug" }))) as TRPCError;
    expect(bad.code).toBe("BAD_REQUEST");
  });
});
