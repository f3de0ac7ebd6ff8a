/** models.list / models.get through createCaller with the fake services. */
import { TRPCError } from "@trpc/server";
import { beforeEach, describe, expect, it } from "vitest";
import { createCaller } from "../../server/trpc/root";
import type { RegisterModelInput } from "../../server/store/types";
import { viewer } from "../trpc/actors";
import { createFakeServices, type FakeServices } from "../trpc/fake-services";

let services: FakeServices;
let caller: ReturnType<typeof createCaller>;
beforeEach(() => {
  services = createFakeServices();
  caller = createCaller({ services, user: viewer });
});

const entry = (name: string, runId: string): RegisterModelInput => ({
  name,
  algorithm: "mlp",
  task: "binary",
  metrics: { loss: 0.3 },
  params: { epochs: 20 },
  lineage: { runId, nodeId: "mlp", workflowId: "wf1", workflowVersionId: "wf1v1", dataHash: "d".repeat(64) },
  modelHash: "m".repeat(64),
});

async function trpcError(p: Promise<unknown>): Promise<TRPCError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(TRPCError);
  return e as TRPCError;
}

describe("models router", () => {
  it("lists registered models newest first, optionally for one name", async () => {
    expect(await caller.models.list()).toEqual([]);
    await services.db.models.register(entry("Income", "r1"));
    await services.db.models.register(entry("Income", "r2"));
    await services.db.models.register(entry("Churn", "r3"));
    expect((await caller.models.list()).map((m) => `${m.name}@${m.version}`)).toEqual(["Churn@1", "Income@2", "Income@1"]);
    expect((await caller.models.list({ name: "Income" })).map((m) => m.version)).toEqual([2, 1]);
    expect(await caller.models.list({ limit: 1 })).toHaveLength(1);
  });

  it("gets one entry with its lineage", async () => {
    const m = await services.db.models.register(entry("Income", "r1"));
    const got = await caller.models.get({ id: m.id });
    expect(got.lineage).toMatchObject({ runId: "r1", workflowId: "wf1", dataHash: "d".repeat(64) });
    expect(got.createdAt).toBeInstanceOf(Date);
  });

  it("answers NOT_FOUND for an unknown id and BAD_REQUEST for bad input", async () => {
    expect((await trpcError(caller.models.get({ id: "nope" }))).code).toBe("NOT_FOUND");
    expect((await trpcError(caller.models.get({ id: "" }))).code).toBe("BAD_REQUEST");
    expect((await trpcError(caller.models.list({ limit: 0 }))).code).toBe("BAD_REQUEST");
  });

  it("maps a store failure to INTERNAL_SERVER_ERROR with its message", async () => {
    services.db.models.list = async () => {
      throw new Error("database is gone");
    };
    const e = await trpcError(caller.models.list());
    expect(e.code).toBe("INTERNAL_SERVER_ERROR");
    expect(e.message).toBe("database is gone");
  });
});
