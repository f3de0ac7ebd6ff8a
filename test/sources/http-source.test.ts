/**
 * The HTTP source against a loopback node:http server (127.0.0.1 only). Loopback is refused by the outbound guard
 * (guarded-fetch.ts) unless allowed, so the tests of downloading allow 127.0.0.1 through LATTICE_HTTP_ALLOW_HOSTS;
 * the guard's own tests set the variables themselves.
 */
import { createServer, type Server } from "node:http";
import { gzipSync } from "node:zlib";
import type { AddressInfo } from "node:net";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test, vi } from "vitest";
import { tableInfo } from "../../nodes/core/arrow";
import httpSource, { checkUrl, formatFromResponse } from "../../nodes/sources/http-source";
import { closeTestRuntime, makeContext, userError } from "../helpers/node-context";

const CSV = "name,age,score\nann,31,1.5\nbob,?,2.5\ncy,40,NA\n";
const JSON_ROWS = JSON.stringify([{ a: 1, b: "x" }, { a: 2, b: null }]);
const NDJSON = '{"a":1}\n{"a":2}\n{"a":3}\n';

const routes: Record<string, (res: import("node:http").ServerResponse) => void> = {
  "/data.csv": (res) => res.writeHead(200, { "content-type": "text/csv; charset=utf-8" }).end(CSV),
  "/api/rows": (res) => res.writeHead(200, { "content-type": "application/json" }).end(JSON_ROWS),
  "/lines.ndjson": (res) => res.writeHead(200, { "content-type": "application/octet-stream" }).end(NDJSON),
  "/export": (res) => res.writeHead(200, { "content-type": "application/octet-stream" }).end(`  ${JSON_ROWS}`),
  "/export-csv": (res) => res.writeHead(200).end(CSV),
  "/data.csv.gz": (res) => res.writeHead(200, { "content-type": "application/gzip" }).end(gzipSync(CSV)),
  "/moved": (res) => res.writeHead(302, { location: "/data.csv" }).end(),
  "/page": (res) => res.writeHead(200, { "content-type": "text/html" }).end("<html><body>Sign in</body></html>"),
  "/broken.json": (res) => res.writeHead(200, { "content-type": "application/json" }).end('[{"a": 1}, {"a": '),
  "/empty.csv": (res) => res.writeHead(200, { "content-type": "text/csv" }).end(""),
  "/error": (res) => res.writeHead(500, "Internal Server Error").end("boom"),
  "/private": (res) => res.writeHead(403, "Forbidden").end(),
  "/big-declared": (res) => res.writeHead(200, { "content-type": "text/csv", "content-length": String(3_000_000) }).end("x".repeat(3_000_000)),
  "/big-chunked": (res) => {
    res.writeHead(200, { "content-type": "text/csv" });
    const line = "a,b\n".repeat(50_000);
    for (let i = 0; i < 10; i++) res.write(line); // 2 MB, no content-length
    res.end();
  },
  "/hang": () => undefined, // never answers
  "/to-metadata": (res) => res.writeHead(302, { location: "http://169.254.169.254/latest/meta-data/" }).end(),
  "/to-private": (res) => res.writeHead(301, { location: "http://10.0.0.7/data.csv" }).end(),
  "/to-loopback-ip": (res) => res.writeHead(307, { location: `http://127.0.0.1:${port()}/data.csv` }).end(),
  "/to-other-loopback": (res) => res.writeHead(302, { location: `http://127.0.0.2:${port()}/data.csv` }).end(),
  "/loop": (res) => res.writeHead(302, { location: "/loop" }).end(),
  "/to-file": (res) => res.writeHead(302, { location: "file:///etc/passwd" }).end(),
};
const port = () => (server.address() as AddressInfo).port;

let server: Server;
let base = "";
beforeAll(async () => {
  server = createServer((req, res) => {
    const route = routes[(req.url ?? "").split("?")[0]!];
    if (route) route(res);
    else res.writeHead(404, "Not Found").end();
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((ok) => server.close(ok));
  await closeTestRuntime();
});

const params = (p: Record<string, unknown>) => httpSource.params.parse(p);
const run = (p: Record<string, unknown>, ctx = makeContext()) => httpSource.run({ inputs: {}, params: params(p), ctx });

describe("http source", () => {
  beforeEach(() => {
    vi.stubEnv("LATTICE_HTTP_ALLOW_HOSTS", "127.0.0.1");
    vi.stubEnv("LATTICE_HTTP_ALLOW_PRIVATE", "");
  });
  afterEach(() => vi.unstubAllEnvs());

  test("defaults parse; cached only when a cache key is set", async () => {
    expect(params({})).toEqual({ url: "", format: "auto", nullStrings: ["?", "NA", ""], maxMB: 200, timeoutSeconds: 60, cacheKey: "" });
    const cacheable = httpSource.cacheable as (p: ReturnType<typeof params>) => boolean;
    expect(cacheable(params({ url: "http://x/a.csv" }))).toBe(false);
    expect(cacheable(params({ url: "http://x/a.csv", cacheKey: "v1" }))).toBe(true);
    expect(httpSource.infer!({ inputs: {}, params: params({}) })).toEqual({ table: undefined });
  });

  test("CSV by content type, with missing-value markers, progress and a log without the query string", async () => {
    const ctx = makeContext();
    const { table } = await run({ url: `${base}/data.csv?token=abc` }, ctx);
    expect(tableInfo(table)).toEqual({ rows: 3, columns: [{ name: "name", dtype: "string" }, { name: "age", dtype: "int" }, { name: "score", dtype: "float" }] });
    expect(table.getChild("age")!.toJSON()).toEqual([31, null, 40]);
    expect(table.getChild("score")!.toJSON()).toEqual([1.5, 2.5, null]);
    expect(ctx.progressCalls.at(-1)).toBe(1);
    expect(ctx.logs.join("\n")).toContain("3 rows");
    expect(ctx.logs.join("\n")).not.toContain("token=abc");
    expect(ctx.metrics).toContainEqual({ name: "rows", value: 3, step: undefined });
  });

  test("JSON by content type, NDJSON by the path's ending, JSON and CSV sniffed from the body", async () => {
    expect((await run({ url: `${base}/api/rows` })).table.getChild("b")!.toJSON()).toEqual(["x", null]);
    expect((await run({ url: `${base}/lines.ndjson` })).table.getChild("a")!.toJSON()).toEqual([1, 2, 3]);
    expect((await run({ url: `${base}/export` })).table.numRows).toBe(2);
    expect((await run({ url: `${base}/export-csv` })).table.numRows).toBe(3);
    expect((await run({ url: `${base}/export`, format: "json" })).table.numRows).toBe(2);
  });

  test("gzip files by their ending and redirects are followed", async () => {
    expect((await run({ url: `${base}/data.csv.gz` })).table.numRows).toBe(3);
    expect((await run({ url: `${base}/moved` })).table.getChild("name")!.toJSON()).toEqual(["ann", "bob", "cy"]);
  });

  test("probe returns the columns", async () => {
    const out = await httpSource.probe!({ params: params({ url: `${base}/data.csv` }), ctx: makeContext() });
    expect(out.table!.table).toEqual({ columns: [{ name: "name", dtype: "string" }, { name: "age", dtype: "int" }, { name: "score", dtype: "float" }] });
  });

  test("HTTP errors: 404, 403 and 500 name the status and what to do", async () => {
    const nf = await userError(run({ url: `${base}/nope.csv` }));
    expect([nf.code, nf.field]).toEqual(["http_status", "url"]);
    expect(nf.message).toContain("404");
    expect(nf.message).toContain("typos");
    expect((await userError(run({ url: `${base}/private` }))).message).toContain("login");
    expect((await userError(run({ url: `${base}/error` }))).message).toContain("500");
  });

  test("bad content: a web page, broken JSON, an empty file", async () => {
    const page = await userError(run({ url: `${base}/page` }));
    expect([page.code, page.field]).toEqual(["not_data", "url"]);
    const broken = await userError(run({ url: `${base}/broken.json` }));
    expect([broken.code, broken.field]).toEqual(["bad_content", "format"]);
    expect(broken.message).toContain("JSON");
    expect(broken.message).not.toMatch(/lattice-http-/);
    expect((await userError(run({ url: `${base}/empty.csv` }))).code).toBe("empty_download");
  });

  test("the size limit stops a declared and an undeclared large body", async () => {
    const declared = await userError(run({ url: `${base}/big-declared`, maxMB: 1 }));
    expect([declared.code, declared.field]).toEqual(["too_large", "maxMB"]);
    const chunked = await userError(run({ url: `${base}/big-chunked`, maxMB: 1 }));
    expect(chunked.code).toBe("too_large");
    expect((await run({ url: `${base}/big-chunked`, maxMB: 3 })).table.numRows).toBe(500_000 - 1);
  });

  test("the time limit stops a server that never answers", async () => {
    const e = await userError(run({ url: `${base}/hang`, timeoutSeconds: 1 }));
    expect([e.code, e.field]).toEqual(["timeout", "timeoutSeconds"]);
  });

  test("unreachable host, bad addresses, cancel", async () => {
    const down = await userError(run({ url: "http://127.0.0.1:1/data.csv" }));
    expect([down.code, down.field]).toEqual(["unreachable", "url"]);
    expect((await userError(run({ url: "" }))).code).toBe("no_url");
    expect((await userError(run({ url: "not a url" }))).code).toBe("bad_url");
    expect((await userError(run({ url: "file:///etc/passwd" }))).code).toBe("bad_url");
    expect((await userError(run({ url: "https://u:p@example.org/a.csv" }))).code).toBe("credentials_in_url");
    expect(() => httpSource.infer!({ inputs: {}, params: params({ url: "ftp://x/y.csv" }) })).toThrow(/http/);
    const ctx = makeContext();
    ctx.abort();
    expect(((await run({ url: `${base}/hang` }, ctx).catch((x: unknown) => x)) as Error).name).toBe("AbortError");
  });

  test("format helpers", () => {
    const u = checkUrl("https://example.org/files/data.parquet");
    expect(formatFromResponse("application/octet-stream", u)).toBe("parquet");
    expect(formatFromResponse("application/json; charset=utf-8", u)).toBe("json");
    expect(formatFromResponse(null, checkUrl("https://example.org/x"))).toBeUndefined();
  });
});

describe("outbound guard: no downloads from this server's own machine or network", () => {
  const allow = (hosts: string, priv = "") => {
    vi.stubEnv("LATTICE_HTTP_ALLOW_HOSTS", hosts);
    vi.stubEnv("LATTICE_HTTP_ALLOW_PRIVATE", priv);
  };
  beforeEach(() => allow(""));
  afterEach(() => vi.unstubAllEnvs());

  /** A refusal on "url" naming the address and the variables that would allow it. */
  async function refused(url: string, address: string, kind: string) {
    const e = await userError(run({ url, timeoutSeconds: 5 }));
    expect([e.code, e.field], e.message).toEqual(["address_not_allowed", "url"]);
    expect(e.message).toContain(address);
    expect(e.message).toContain(kind);
    expect(e.message).toContain("LATTICE_HTTP_ALLOW_HOSTS=");
    expect(e.message).toContain("LATTICE_HTTP_ALLOW_PRIVATE=1");
    return e;
  }

  /**
   * The guard lets `url` through: the test server listens on 127.0.0.1 only, so the connection to `address` (the
   * one that was checked) is refused by the operating system, not by the guard.
   */
  async function passes(url: string, address: string) {
    const e = await userError(run({ url, timeoutSeconds: 5 }));
    expect([e.code, e.field], e.message).toEqual(["unreachable", "url"]);
    expect(e.message).toContain(`ECONNREFUSED ${address}`);
  }

  test("loopback: 127.0.0.1, localhost, other 127/8 addresses, ::1, IPv4-mapped and numeric spellings", async () => {
    await refused(`${base}/data.csv`, "127.0.0.1", "loopback");
    const byName = await refused(`http://localhost:${port()}/data.csv`, "localhost", "loopback");
    expect(byName.message).toContain("LATTICE_HTTP_ALLOW_HOSTS=localhost");
    await refused(`http://127.0.0.2:${port()}/data.csv`, "127.0.0.2", "loopback");
    await refused(`http://[::1]:${port()}/data.csv`, "::1", "loopback");
    await refused(`http://[::ffff:127.0.0.1]:${port()}/data.csv`, "::ffff:7f00:1", "loopback");
    await refused(`http://2130706433:${port()}/data.csv`, "127.0.0.1", "loopback");
    await refused(`http://0x7f.1:${port()}/data.csv`, "127.0.0.1", "loopback");
    // Probes (previews in the API process) go through the same guard.
    const probe = await userError(httpSource.probe!({ params: params({ url: `${base}/data.csv` }), ctx: makeContext() }));
    expect(probe.code).toBe("address_not_allowed");
  });

  test("private, link-local (cloud metadata), unspecified, multicast and special ranges", async () => {
    const cases: Array<[url: string, address: string, kind: string]> = [
      ["http://169.254.169.254/latest/meta-data/", "169.254.169.254", "link-local"],
      ["http://[fe80::1]/x.csv", "fe80::1", "link-local"],
      ["http://10.1.2.3/x.csv", "10.1.2.3", "private"],
      ["http://172.16.0.1/x.csv", "172.16.0.1", "private"],
      ["http://192.168.1.1/x.csv", "192.168.1.1", "private"],
      ["http://100.64.0.1/x.csv", "100.64.0.1", "private"],
      ["http://[fd00::1]/x.csv", "fd00::1", "private"],
      ["http://0.0.0.0/x.csv", "0.0.0.0", "unspecified"],
      ["http://[::]/x.csv", "::", "unspecified"],
      ["http://224.0.0.1/x.csv", "224.0.0.1", "multicast"],
      ["http://255.255.255.255/x.csv", "255.255.255.255", "reserved"],
      ["http://[64:ff9b::a00:1]/x.csv", "64:ff9b::a00:1", "IPv4-translating"],
    ];
    for (const [url, address, kind] of cases) await refused(url, address, kind);
  });

  test("every redirect hop is checked: an allowed host cannot redirect into the internal network", async () => {
    allow("127.0.0.1");
    const meta = await refused(`${base}/to-metadata`, "169.254.169.254", "link-local");
    expect(meta.message).toContain(`${base}/to-metadata redirected to http://169.254.169.254`);
    await refused(`${base}/to-private`, "10.0.0.7", "private");
    await refused(`${base}/to-other-loopback`, "127.0.0.2", "loopback");
    const loop = await userError(run({ url: `${base}/loop` }));
    expect([loop.code, loop.field]).toEqual(["too_many_redirects", "url"]);
    expect((await userError(run({ url: `${base}/to-file` }))).code).toBe("bad_redirect");
    // A redirect within what is allowed is followed.
    expect((await run({ url: `${base}/moved` })).table.numRows).toBe(3);
    // Allowing a name does not allow where it redirects.
    allow("localhost");
    await refused(`http://localhost:${port()}/to-loopback-ip`, "127.0.0.1", "loopback");
  });

  test("LATTICE_HTTP_ALLOW_HOSTS allows listed names, addresses and ranges, and only those", async () => {
    allow("localhost");
    expect((await run({ url: `http://localhost:${port()}/data.csv` })).table.numRows).toBe(3);
    await refused(`${base}/data.csv`, "127.0.0.1", "loopback");
    allow("10.0.0.0/8, 127.0.0.0/8");
    expect((await run({ url: `${base}/data.csv` })).table.numRows).toBe(3);
    await passes(`${base}/to-other-loopback`, "127.0.0.2");
    await refused("http://192.168.1.1/x.csv", "192.168.1.1", "private");
    allow("127.0.0.1");
    await refused(`http://127.0.0.2:${port()}/data.csv`, "127.0.0.2", "loopback");
    allow("not-a-range/99");
    const bad = await userError(run({ url: `${base}/data.csv` }));
    expect([bad.code, bad.field]).toEqual(["server_configuration", "url"]);
    expect(bad.message).toContain("LATTICE_HTTP_ALLOW_HOSTS");
  });

  test("LATTICE_HTTP_ALLOW_PRIVATE=1 turns the guard off", async () => {
    allow("", "1");
    expect((await run({ url: `${base}/data.csv` })).table.numRows).toBe(3);
    expect((await run({ url: `http://localhost:${port()}/data.csv` })).table.numRows).toBe(3);
    await passes(`${base}/to-other-loopback`, "127.0.0.2");
    allow("", "0");
    await refused(`${base}/data.csv`, "127.0.0.1", "loopback");
  });
});
