/**
 * Outbound HTTP for nodes that download what a user names (the Web file source): a GET that refuses to reach this
 * server's own network. Without it an editor could read http://127.0.0.1:…, the cloud metadata service at
 * http://169.254.169.254/ or any internal service, through the workers or the API process (previews).
 *
 * How: the host is resolved (all its addresses) and every address is checked against loopback, private, link-local,
 * unspecified, multicast and other special ranges (Node's `net.BlockList`); the connection then uses exactly the
 * addresses that were checked (a `lookup` that returns them), so a second DNS answer cannot swap in another address
 * between check and connect (DNS rebinding). Redirects are followed by hand, each hop checked the same way, at most
 * {@link MAX_REDIRECTS}. Bodies are decompressed (gzip, deflate, br) as `fetch` would.
 *
 * Self-hosters open it with environment variables, read on each download:
 * - `LATTICE_HTTP_ALLOW_PRIVATE=1`: no address check at all (a single-user machine, a trusted network).
 * - `LATTICE_HTTP_ALLOW_HOSTS=data.internal,*.corp.example,10.0.0.0/8,fd00::/8,192.168.1.20`: these host names
 *   (exact, or every subdomain with `*.`) and these addresses or ranges are allowed; everything else is checked.
 */
import { lookup as dnsLookup } from "node:dns/promises";
import http, { type IncomingMessage } from "node:http";
import https from "node:https";
import { BlockList, isIP, type LookupFunction } from "node:net";
import { pipeline, type Readable } from "node:stream";
import zlib from "node:zlib";
import { fail } from "../../../nodes/core/errors";

export const MAX_REDIRECTS = 10;
export const ALLOW_PRIVATE_VAR = "LATTICE_HTTP_ALLOW_PRIVATE";
export const ALLOW_HOSTS_VAR = "LATTICE_HTTP_ALLOW_HOSTS";

/** Special-purpose ranges no download may reach unless allowed, by what they are (for the message). */
const BLOCKED: ReadonlyArray<readonly [kind: string, cidrs: readonly string[]]> = [
  ["unspecified", ["0.0.0.0/8", "::/128"]],
  ["loopback", ["127.0.0.0/8", "::1/128"]],
  ["private", ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10", "fc00::/7", "fec0::/10"]],
  // 169.254.169.254 is the metadata service of most clouds (credentials!).
  ["link-local", ["169.254.0.0/16", "fe80::/10"]],
  ["multicast", ["224.0.0.0/4", "ff00::/8"]],
  ["broadcast or reserved", ["240.0.0.0/4"]],
  ["special-purpose", ["192.0.0.0/24", "192.0.2.0/24", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24", "100::/64", "2001:db8::/32"]],
  // Addresses that carry an IPv4 address inside (NAT64, 6to4, Teredo) could lead to a blocked one. IPv4-mapped
  // IPv6 (::ffff:a.b.c.d) needs no entry: BlockList checks those against the IPv4 ranges.
  ["IPv4-translating", ["64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "2001::/32"]],
];

type Family = "ipv4" | "ipv6";
const familyOf = (address: string): Family => (isIP(address) === 6 ? "ipv6" : "ipv4");

function blockList(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const c of cidrs) {
    const [net, bits] = c.split("/") as [string, string];
    list.addSubnet(net, Number(bits), familyOf(net));
  }
  return list;
}
const BLOCKED_LISTS = BLOCKED.map(([kind, cidrs]) => [kind, blockList(cidrs)] as const);

/** What may be reached beyond the public internet. */
export interface OutboundPolicy {
  /** Skip the address check entirely. */
  allowPrivate: boolean;
  /** Host names allowed whatever they resolve to: exact names, or `*.example.org` for its subdomains. */
  allowNames: string[];
  /** Addresses and ranges allowed. */
  allowAddresses: BlockList;
}

/** The policy from LATTICE_HTTP_ALLOW_PRIVATE and LATTICE_HTTP_ALLOW_HOSTS. A malformed range is a user error. */
export function outboundPolicyFromEnv(env: Record<string, string | undefined> = process.env): OutboundPolicy {
  const allowPrivate = /^(1|true|yes|on)$/i.test((env[ALLOW_PRIVATE_VAR] ?? "").trim());
  const allowNames: string[] = [];
  const allowAddresses = new BlockList();
  for (const raw of (env[ALLOW_HOSTS_VAR] ?? "").split(/[\s,]+/)) {
    const entry = raw.trim().toLowerCase().replace(/^\[(.*)\]$/, "$1");
    if (!entry) continue;
    const slash = entry.indexOf("/");
    if (slash >= 0) {
      const net = entry.slice(0, slash);
      const bits = Number(entry.slice(slash + 1));
      const max = isIP(net) === 4 ? 32 : isIP(net) === 6 ? 128 : 0;
      if (!max || !Number.isInteger(bits) || bits < 0 || bits > max)
        fail(
          "server_configuration",
          `This server's ${ALLOW_HOSTS_VAR} holds "${raw}", which is not an address range such as 10.0.0.0/8 or fd00::/8, so no download is allowed until its administrator corrects it.`,
          "url",
        );
      allowAddresses.addSubnet(net, bits, familyOf(net));
    } else if (isIP(entry)) allowAddresses.addAddress(entry, familyOf(entry));
    else allowNames.push(entry.replace(/\.$/, ""));
  }
  return { allowPrivate, allowNames, allowAddresses };
}

function nameAllowed(policy: OutboundPolicy, host: string): boolean {
  const h = host.toLowerCase().replace(/\.$/, "");
  return policy.allowNames.some((n) => (n.startsWith("*.") ? h.endsWith(n.slice(1)) : h === n));
}

/** The kind of blocked range `address` falls in, or undefined when it may be reached. */
export function blockedKind(address: string, policy: OutboundPolicy): string | undefined {
  if (policy.allowPrivate) return undefined;
  const family = familyOf(address);
  if (policy.allowAddresses.check(address, family)) return undefined;
  return BLOCKED_LISTS.find(([, list]) => list.check(address, family))?.[0];
}

/** A response whose body is a byte stream (decompressed). `cancel()` drops the connection. */
export interface GuardedResponse {
  status: number;
  statusText: string;
  headers: Headers;
  /** The final URL, after redirects. */
  url: URL;
  body: Readable;
  cancel(): void;
}

export type Address = { address: string; family: number };
export type Resolver = (host: string) => Promise<Address[]>;
const systemResolver: Resolver = (host) => dnsLookup(host, { all: true, verbatim: true });

export interface GuardedGetOptions {
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Defaults to the environment's (read now). */
  policy?: OutboundPolicy;
  /** Host name → all its addresses; defaults to the system resolver (`dns.lookup`). */
  resolve?: Resolver;
  /** The node's param holding the URL: refusals are user errors on it. */
  field: string;
}

/**
 * GET `url`, following redirects by hand, refusing any hop whose host resolves to a blocked address (user error
 * `address_not_allowed` on `opts.field`). Network failures are thrown as they come (with `cause.code`).
 */
export async function guardedGet(url: URL, opts: GuardedGetOptions): Promise<GuardedResponse> {
  const policy = opts.policy ?? outboundPolicyFromEnv();
  let current = url;
  for (let hop = 0; ; hop++) {
    const addresses = await vetHost(current, policy, opts.resolve ?? systemResolver, opts.field, hop > 0 ? url : undefined);
    const res = await request(current, addresses, opts);
    const location = res.headers.location;
    if (res.statusCode && res.statusCode >= 300 && res.statusCode < 400 && res.statusCode !== 304 && location) {
      res.resume();
      if (hop >= MAX_REDIRECTS)
        fail("too_many_redirects", `${url} redirected more than ${MAX_REDIRECTS} times. Use the address the redirects end at.`, opts.field);
      current = nextHop(current, location, url, opts.field);
      continue;
    }
    return respond(res, current);
  }
}

function nextHop(from: URL, location: string, first: URL, field: string): URL {
  let next: URL;
  try {
    next = new URL(location, from);
  } catch {
    fail("bad_redirect", `${first} redirected to "${location}", which is not a web address.`, field);
  }
  if (next.protocol !== "http:" && next.protocol !== "https:")
    fail("bad_redirect", `${first} redirected to a ${next.protocol}// address; only http:// and https:// redirects are followed.`, field);
  if (next.username || next.password)
    fail("bad_redirect", `${first} redirected to an address with a user name or password in it, which Lattice does not follow.`, field);
  return next;
}

/** The host's addresses, every one checked; a user error naming the refused address and the variable to set. */
async function vetHost(url: URL, policy: OutboundPolicy, resolve: Resolver, field: string, redirectedFrom: URL | undefined): Promise<Address[]> {
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  let addresses: Address[];
  if (isIP(host)) addresses = [{ address: host, family: isIP(host) }];
  else {
    try {
      addresses = await resolve(host);
    } catch (e) {
      throw new Error(`could not resolve ${host}`, { cause: e });
    }
    if (!addresses.length) throw new Error(`could not resolve ${host}`, { cause: { code: "ENOTFOUND" } });
  }
  if (policy.allowPrivate || nameAllowed(policy, host)) return addresses;
  for (const { address } of addresses) {
    const kind = blockedKind(address, policy);
    if (!kind) continue;
    const what = host === address ? address : `${host} (${address})`;
    const via = redirectedFrom ? `${redirectedFrom} redirected to ${url.origin}, and ` : "";
    const article = /^[aeiouAEIOU]/.test(kind) ? "an" : "a";
    fail(
      "address_not_allowed",
      `${via}${what} is ${article} ${kind} address: downloads from this server may not reach its own machine or internal network. ` +
        `If that is intended, the server's administrator can allow it with ${ALLOW_HOSTS_VAR}=${host} (host names, addresses or ranges such as 10.0.0.0/8, comma-separated), or allow all private addresses with ${ALLOW_PRIVATE_VAR}=1.`,
      field,
    );
  }
  return addresses;
}

/** One GET whose connection goes to `addresses` (already checked) and nowhere else. */
function request(url: URL, addresses: Address[], opts: GuardedGetOptions): Promise<IncomingMessage> {
  const pinned: LookupFunction = (_host, options, cb) => {
    const fits = addresses.filter((a) => !options.family || a.family === options.family);
    const list = fits.length ? fits : addresses;
    if (options.all) (cb as (err: null, all: Address[]) => void)(null, list);
    else cb(null, list[0]!.address, list[0]!.family);
  };
  const mod = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(url, {
      method: "GET",
      headers: { "accept-encoding": "gzip, deflate, br", ...opts.headers },
      lookup: pinned,
      // A fresh connection per request: a pooled socket would skip the lookup above.
      agent: false,
      signal: opts.signal,
    });
    req.once("response", resolve);
    req.once("error", reject);
    req.end();
  });
}

function respond(res: IncomingMessage, url: URL): GuardedResponse {
  const headers = new Headers();
  for (const [k, v] of Object.entries(res.headers)) {
    if (v === undefined) continue;
    for (const one of [v].flat()) headers.append(k, one);
  }
  const encoding = (headers.get("content-encoding") ?? "").trim().toLowerCase();
  const decoder =
    encoding === "gzip" || encoding === "x-gzip"
      ? zlib.createGunzip()
      : encoding === "deflate"
        ? zlib.createInflate()
        : encoding === "br"
          ? zlib.createBrotliDecompress()
          : undefined;
  const body: Readable = decoder ? pipeline(res, decoder, () => undefined) : res;
  return {
    status: res.statusCode ?? 0,
    statusText: res.statusMessage ?? "",
    headers,
    url,
    body,
    cancel: () => {
      res.destroy();
      decoder?.destroy();
    },
  };
}
