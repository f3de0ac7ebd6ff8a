/**
 * The outbound guard on its own: which addresses it refuses, that the connection goes to the address it checked
 * (not to a second DNS answer), one resolution per hop, and fetch-like decompression. A loopback server stands in
 * for "the internet"; host names are resolved by an injected resolver, so nothing needs a network.
 */
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { brotliCompressSync, deflateSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { userError } from "../../../test/helpers/node-context";
import { blockedKind, guardedGet, outboundPolicyFromEnv, type Address, type GuardedResponse } from "./guarded-fetch";

let server: Server;
let port = 0;
let lastHeaders: IncomingHttpHeaders = {};
const BODY = "a,b\n1,2\n";
beforeAll(async () => {
  server = createServer((req, res) => {
    lastHeaders = req.headers;
    const path = req.url ?? "";
    if (path === "/gzip") res.writeHead(200, { "content-encoding": "gzip" }).end(gzipSync(BODY));
    else if (path === "/br") res.writeHead(200, { "content-encoding": "br" }).end(brotliCompressSync(BODY));
    else if (path === "/deflate") res.writeHead(200, { "content-encoding": "deflate" }).end(deflateSync(BODY));
    else if (path === "/hop") res.writeHead(302, { location: `http://second.test:${port}/plain` }).end();
    else res.writeHead(200, { "content-type": "text/csv" }).end(BODY);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  port = (server.address() as AddressInfo).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((ok) => server.close(ok));
});

const text = async (res: GuardedResponse) => {
  let s = "";
  for await (const chunk of res.body) s += String(chunk);
  return s;
};
/** A resolver from a fixed table, counting its calls. */
function resolver(table: Record<string, string[]>) {
  const calls: string[] = [];
  const resolve = async (host: string): Promise<Address[]> => {
    calls.push(host);
    const list = table[host];
    if (!list) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    return list.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
  };
  return { resolve, calls };
}
const policy = (hosts = "", priv = "") => outboundPolicyFromEnv({ LATTICE_HTTP_ALLOW_HOSTS: hosts, LATTICE_HTTP_ALLOW_PRIVATE: priv });

describe("blockedKind", () => {
  test("special ranges are refused by kind; public addresses pass", () => {
    const p = policy();
    const cases: Record<string, string | undefined> = {
      "127.0.0.1": "loopback",
      "127.255.0.9": "loopback",
      "::1": "loopback",
      "::ffff:127.0.0.1": "loopback",
      "10.0.0.1": "private",
      "172.31.255.255": "private",
      "192.168.0.10": "private",
      "fd12:3456::1": "private",
      "169.254.169.254": "link-local",
      "fe80::abcd": "link-local",
      "0.0.0.0": "unspecified",
      "::": "unspecified",
      "239.1.2.3": "multicast",
      "ff02::1": "multicast",
      "2002:7f00:1::": "IPv4-translating",
      "8.8.8.8": undefined,
      "93.184.216.34": undefined,
      "172.32.0.1": undefined,
      "2606:4700:4700::1111": undefined,
      "::ffff:8.8.8.8": undefined,
    };
    for (const [address, kind] of Object.entries(cases)) expect(blockedKind(address, p), address).toBe(kind);
  });
  test("allowed addresses and ranges, and the switch", () => {
    const p = policy("10.0.0.0/8 fd00::/8,192.168.1.20");
    expect(blockedKind("10.9.8.7", p)).toBeUndefined();
    expect(blockedKind("::ffff:10.9.8.7", p)).toBeUndefined();
    expect(blockedKind("fd00::5", p)).toBeUndefined();
    expect(blockedKind("192.168.1.20", p)).toBeUndefined();
    expect(blockedKind("192.168.1.21", p)).toBe("private");
    expect(blockedKind("127.0.0.1", p)).toBe("loopback");
    expect(blockedKind("169.254.169.254", policy("", "true"))).toBeUndefined();
  });
});

describe("guardedGet", () => {
  test("connects to the address it checked: a name only the injected resolver knows still reaches the server", async () => {
    const r = resolver({ "data.rebind.test": ["127.0.0.1"] });
    const res = await guardedGet(new URL(`http://data.rebind.test:${port}/plain`), { field: "url", policy: policy("127.0.0.1"), resolve: r.resolve });
    expect(res.status).toBe(200);
    expect(await text(res)).toBe(BODY);
    // The Host header (and TLS name) stay the URL's; only the address is pinned. One resolution, the checked one.
    expect(lastHeaders.host).toBe(`data.rebind.test:${port}`);
    expect(r.calls).toEqual(["data.rebind.test"]);
  });

  test("a host with any blocked address is refused before connecting; each redirect hop is resolved and checked once", async () => {
    const mixed = resolver({ "mixed.test": ["93.184.216.34", "10.0.0.1"] });
    const e = await userError(guardedGet(new URL("http://mixed.test/x"), { field: "url", policy: policy(), resolve: mixed.resolve }));
    expect([e.code, e.field]).toEqual(["address_not_allowed", "url"]);
    expect(e.message).toContain("mixed.test (10.0.0.1) is a private address");
    expect(e.message).toContain("LATTICE_HTTP_ALLOW_HOSTS=mixed.test");

    const hops = resolver({ "first.test": ["127.0.0.1"], "second.test": ["127.0.0.1"] });
    const ok = await guardedGet(new URL(`http://first.test:${port}/hop`), { field: "url", policy: policy("first.test,second.test"), resolve: hops.resolve });
    expect(await text(ok)).toBe(BODY);
    expect(ok.url.hostname).toBe("second.test");
    expect(hops.calls).toEqual(["first.test", "second.test"]);
    const refused = await userError(guardedGet(new URL(`http://first.test:${port}/hop`), { field: "src", policy: policy("first.test"), resolve: hops.resolve }));
    expect([refused.code, refused.field]).toEqual(["address_not_allowed", "src"]);
    expect(refused.message).toContain("redirected to http://second.test");
  });

  test("wildcard names allow subdomains only", async () => {
    const r = resolver({ "a.corp.test": ["127.0.0.1"], "corp.test.evil.test": ["127.0.0.1"] });
    const p = policy("*.corp.test");
    expect((await guardedGet(new URL(`http://a.corp.test:${port}/plain`), { field: "url", policy: p, resolve: r.resolve })).status).toBe(200);
    expect((await userError(guardedGet(new URL(`http://corp.test.evil.test:${port}/plain`), { field: "url", policy: p, resolve: r.resolve }))).code).toBe("address_not_allowed");
  });

  test("bodies are decompressed like fetch's (gzip, br, deflate)", async () => {
    for (const path of ["/gzip", "/br", "/deflate"]) {
      const res = await guardedGet(new URL(`http://127.0.0.1:${port}${path}`), { field: "url", policy: policy("127.0.0.1") });
      expect(await text(res), path).toBe(BODY);
      expect(res.headers.get("content-encoding")).toBeTruthy();
    }
  });

  test("an unresolvable name is a network error, not a refusal", async () => {
    const r = resolver({});
    const e = (await guardedGet(new URL("http://nowhere.test/x"), { field: "url", policy: policy(), resolve: r.resolve }).catch((x: unknown) => x)) as Error & { cause?: { code?: string } };
    expect(e.name).toBe("Error");
    expect(e.cause?.code).toBe("ENOTFOUND");
  });
});
