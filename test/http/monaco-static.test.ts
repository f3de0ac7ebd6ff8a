/** Monaco's files are served from this origin (no CDN), and nothing outside monaco-editor/min/vs is. */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, expect, it } from "vitest";
import { createMonacoStatic } from "../../server/http/monaco-static";

let server: http.Server;
let base = "";
beforeAll(async () => {
  const serve = createMonacoStatic();
  server = http.createServer((req, res) => void serve(req, res).then((handled) => handled || res.writeHead(418).end()));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

it("serves the AMD loader, the editor and the TypeScript worker's files with their types", async () => {
  for (const p of ["/monaco/vs/loader.js", "/monaco/vs/editor/editor.main.js", "/monaco/vs/language/typescript/ts.worker.js", "/monaco/vs/editor/editor.main.css"]) {
    const r = await fetch(base + p);
    expect({ p, status: r.status }).toEqual({ p, status: 200 });
    expect(r.headers.get("content-type")).toMatch(p.endsWith(".css") ? /^text\/css/ : /^text\/javascript/);
    expect((await r.arrayBuffer()).byteLength).toBeGreaterThan(100);
  }
});

it("answers 404 outside min/vs and for unknown files, and leaves other paths to the next handler", async () => {
  // Sent as is (fetch would normalise the dots away).
  const raw = (p: string) => new Promise<number>((r, j) => http.get(base + p, (res) => (res.resume(), r(res.statusCode!))).on("error", j));
  expect(await raw("/monaco/vs/..%2f..%2fpackage.json")).toBe(404);
  // Dot segments are resolved before routing: this is a request for /package.json, not one of ours.
  expect(await raw("/monaco/vs/../../package.json")).toBe(418);
  expect((await fetch(`${base}/monaco/vs/nope.js`)).status).toBe(404);
  expect((await fetch(`${base}/monaco/vs/`)).status).toBe(404);
  expect((await fetch(`${base}/workflows`)).status).toBe(418);
  expect((await fetch(`${base}/monaco/vs/loader.js`, { method: "POST" })).status).toBe(405);
});
