import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { createApiHandler } from "../../server/http/api";
import { signUp } from "./actors";
import { createFakeServices, type FakeServices } from "./fake-services";

let services: FakeServices;
let server: http.Server;
let base: string;
/** Session cookie of the first account (an admin). */
let cookie: string;

beforeEach(async () => {
  services = createFakeServices();
  const api = createApiHandler({ services, uploadLimitBytes: 1024 });
  server = http.createServer((req, res) => {
    void api(req, res).then((handled) => {
      if (!handled) {
        res.writeHead(404);
        res.end("next would answer");
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  cookie = await signUp(base, "admin@example.com");
});
afterEach(async () => {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
});

describe("upload route", () => {
  it("stores the body and answers the path", async () => {
    const res = await fetch(`${base}/api/upload?name=${encodeURIComponent("../my data.csv")}`, { method: "POST", body: "a,b\n1,2\n", headers: { cookie } });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ path: "uploads/my data.csv", size: 8 });
    expect(services.state.uploads).toEqual([{ name: "my data.csv", size: 8 }]);
  });

  it("answers 413 with a message past the size limit", async () => {
    const res = await fetch(`${base}/api/upload?name=big.csv`, { method: "POST", body: "x".repeat(5000), headers: { cookie } });
    expect(res.status).toBe(413);
    expect((await res.json()).error).toMatch(/larger than the upload limit of/);
    expect(services.state.uploads).toEqual([]);
  });

  it("needs a name and a POST", async () => {
    expect((await fetch(`${base}/api/upload`, { method: "POST", body: "a", headers: { cookie } })).status).toBe(400);
    expect((await fetch(`${base}/api/upload?name=a.csv`, { headers: { cookie } })).status).toBe(405);
  });

  it("leaves other paths to Next", async () => {
    expect(await (await fetch(`${base}/workflows/x`)).text()).toBe("next would answer");
  });
});

describe("tRPC over HTTP", () => {
  it("serves queries at /api/trpc", async () => {
    const res = await fetch(`${base}/api/trpc/system.info`, { headers: { cookie } });
    expect(res.status).toBe(200);
    expect((await res.json()).result.data.json.executor).toBe("fake");
  });

  it("streams run events over SSE with ids, resuming after Last-Event-ID", async () => {
    const wf = await services.db.workflows.create({ formatVersion: 1, name: "wf", nodes: [{ id: "a", kind: "test/x", version: 1, params: {}, position: { x: 0, y: 0 } }], edges: [] });
    const { runId } = await services.runs.startSaved(wf.id, 1);
    services.emit(runId, { type: "run-started", nodeIds: ["a"] });
    services.emit(runId, { type: "running", nodeId: "a" });
    services.emit(runId, { type: "run-finished", status: "succeeded", durationMs: 1 });
    const input = encodeURIComponent(JSON.stringify({ json: { runId } }));
    const res = await fetch(`${base}/api/trpc/run.onEvents?input=${input}`, { headers: { accept: "text/event-stream", "last-event-id": "1", cookie } });
    expect(res.headers.get("content-type")).toMatch(/text\/event-stream/);
    const text = await res.text(); // the stream ends after run-finished
    const ids = [...text.matchAll(/^id: ?(\S+)$/gm)].map((m) => m[1]);
    expect(ids).toEqual(["2", "3"]);
    expect(text).toContain('"type":"running"');
    expect(text).not.toContain('"type":"run-started"');
  });
});
