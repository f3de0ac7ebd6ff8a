/**
 * HTTP(S) source: a URL that returns CSV, JSON (array or newline-delimited) or Parquet → a table. The body is
 * streamed to a temporary file (counting bytes against the size limit), then read by DuckDB through
 * `ctx.runtime.tables.readFile` exactly like a local file, and the file is deleted.
 *
 * Format "auto" decides from, in order: the Content-Type header, the URL path's ending, the first byte of the body
 * (`[` or `{` → JSON, otherwise CSV). A web page (text/html) is refused with a message, since it is the usual
 * answer of a login wall or a wrong link.
 *
 * Outbound guard (server/engine/runtime/guarded-fetch.ts): hosts that resolve to this server's own machine or
 * network (loopback, private, link-local such as the cloud metadata service, ...) are refused, on every redirect
 * hop, unless LATTICE_HTTP_ALLOW_HOSTS or LATTICE_HTTP_ALLOW_PRIVATE allow them.
 *
 * Caching: what a URL returns can change at any time, so by default the node downloads on every run (it is not
 * cached). Set "Cache key" to reuse the last download while the key and the URL stay the same.
 */
import type { Table } from "apache-arrow";
import { z } from "zod";
import { tableInfo } from "../core/arrow";
import type { ProbeContext } from "../core/context";
import type { GuardedResponse } from "../../server/engine/runtime/guarded-fetch";
import { defineNode } from "../core/define-node";
import { fail, isUserError } from "../core/errors";
import { port } from "../core/ports";
import { DEFAULT_NULL_STRINGS, formatFromPath, type FileFormat } from "./file-format";
import { PROBE_ROWS } from "./file-source";

const params = z.object({
  url: z.string().default("").meta({ title: "Web address (URL)", description: "An http:// or https:// address that returns a CSV, JSON or Parquet file." }),
  format: z
    .enum(["auto", "csv", "json", "parquet"])
    .default("auto")
    .meta({ title: "Format", description: "Auto decides from what the server says the file is, then from the address's ending (.csv, .json), then from the content." }),
  nullStrings: z
    .array(z.string())
    .default([...DEFAULT_NULL_STRINGS])
    .meta({ title: "Missing-value markers", description: "Text that means \"no value\" in CSV files, such as ? or NA." }),
  maxMB: z.number().min(0.001).max(10_000).default(200).meta({ title: "Size limit (MB)", description: "Stop and report an error if the download is larger than this." }),
  timeoutSeconds: z
    .number()
    .min(1)
    .max(3600)
    .default(60)
    .meta({ title: "Time limit (seconds)", description: "Give up if connecting and downloading take longer than this." }),
  cacheKey: z
    .string()
    .default("")
    .meta({
      title: "Cache key",
      description: "Leave empty to download again on every run. Enter any text (for example today's date) to reuse the last download for as long as this text and the address stay the same.",
    }),
});
type Params = z.output<typeof params>;

// Server-only (node:http, node:dns), loaded when a download starts: the browser imports this file for the catalogue.
const GUARDED_FETCH = "../../server/engine/runtime/guarded-fetch";

const FORMAT_BY_MIME: Record<string, FileFormat> = {
  "text/csv": "csv",
  "application/csv": "csv",
  "text/tab-separated-values": "csv",
  "application/json": "json",
  "text/json": "json",
  "application/x-ndjson": "json",
  "application/ndjson": "json",
  "application/jsonl": "json",
  "application/x-jsonlines": "json",
  "application/geo+json": "json",
  "application/vnd.apache.parquet": "parquet",
  "application/x-parquet": "parquet",
};
const FORMAT_NAME: Record<FileFormat, string> = { csv: "CSV", json: "JSON", parquet: "Parquet" };

/** The URL, checked: only http and https, no credentials in it (they would end up in logs and the cache). */
export function checkUrl(text: string): URL {
  const s = text.trim();
  if (!s) fail("no_url", 'No address is entered. Put the web address of a CSV or JSON file in the "Web address (URL)" setting.', "url");
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    fail("bad_url", `"${s}" is not a web address. It should look like https://example.org/data.csv.`, "url");
  }
  if (url.protocol !== "http:" && url.protocol !== "https:")
    fail("bad_url", `Only http:// and https:// addresses can be downloaded, not ${url.protocol}//. For a file on this computer use the File node.`, "url");
  if (url.username || url.password)
    fail("credentials_in_url", "The address contains a user name or password. Lattice does not send those from a URL (they would be saved in the workflow and logs); use a public or pre-signed link.", "url");
  return url;
}

/** Format from the Content-Type header, then the URL path; undefined when neither tells. */
export function formatFromResponse(contentType: string | null, url: URL): FileFormat | undefined {
  const mime = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  return FORMAT_BY_MIME[mime] ?? formatFromPath(url.pathname);
}

interface Download {
  path: string;
  format: FileFormat;
  bytes: number;
  cleanup(): Promise<void>;
}

/** Downloads `url` into a fresh temporary folder, enforcing size and time limits. */
async function download(url: URL, prm: Params, signal: AbortSignal | undefined, onBytes: (done: number, total: number | undefined) => void): Promise<Download> {
  const fs = await import(/* webpackIgnore: true */ /* turbopackIgnore: true */ "node:fs/promises");
  const { tmpdir } = await import(/* webpackIgnore: true */ /* turbopackIgnore: true */ "node:os");
  const { join } = await import(/* webpackIgnore: true */ /* turbopackIgnore: true */ "node:path");
  const limit = Math.round(prm.maxMB * 1_000_000);
  const timer = new AbortController();
  const timeout = setTimeout(() => timer.abort(), prm.timeoutSeconds * 1000);
  const both = signal ? AbortSignal.any([signal, timer.signal]) : timer.signal;
  const dir = await fs.mkdtemp(join(tmpdir(), "lattice-http-"));
  const cleanup = () => fs.rm(dir, { recursive: true, force: true });
  const shown = url.toString();
  let res: GuardedResponse | undefined;
  try {
    const { guardedGet } = (await import(/* webpackIgnore: true */ /* turbopackIgnore: true */ GUARDED_FETCH)) as typeof import("../../server/engine/runtime/guarded-fetch");
    try {
      // Not plain fetch: the address of every hop is checked against this server's own network (SSRF).
      res = await guardedGet(url, { signal: both, field: "url", headers: { accept: "text/csv, application/json, application/x-ndjson, */*;q=0.5" } });
    } catch (e) {
      if (isUserError(e)) throw e;
      throw networkError(e, shown, prm, signal, timer.signal);
    }
    if (res.status < 200 || res.status > 299) {
      const hint =
        res.status === 404
          ? "Nothing is at that address: check it for typos, or whether the file moved."
          : res.status === 401 || res.status === 403
            ? "The server wants a login or refuses access; use a public or pre-signed link."
            : res.status >= 500
              ? "The server had a problem; try again later."
              : "Check the address.";
      fail("http_status", `Downloading ${shown} failed: the server answered ${res.status} ${res.statusText}. ${hint}`, "url");
    }
    const mime = (res.headers.get("content-type") ?? "").split(";")[0]!.trim().toLowerCase();
    if (mime === "text/html" && prm.format === "auto")
      fail("not_data", `${shown} returned a web page, not a data file. Use the address of the CSV or JSON file itself (e.g. the "raw" or "download" link).`, "url");
    const declared = Number(res.headers.get("content-length") ?? NaN);
    if (declared > limit) tooLarge(shown, prm, declared);
    const raw = join(dir, "download");
    const file = await fs.open(raw, "w");
    let bytes = 0;
    let first: number | undefined;
    try {
      for await (const chunk of res.body as AsyncIterable<Uint8Array>) {
        bytes += chunk.length;
        if (bytes > limit) {
          timer.abort();
          tooLarge(shown, prm, bytes);
        }
        if (first === undefined) first = chunk.find((b) => b > 32);
        await file.write(chunk);
        onBytes(bytes, Number.isFinite(declared) ? declared : undefined);
      }
    } catch (e) {
      if (isUserError(e)) throw e;
      throw networkError(e, shown, prm, signal, timer.signal);
    } finally {
      await file.close();
    }
    const format = prm.format !== "auto" ? prm.format : (formatFromResponse(res.headers.get("content-type"), url) ?? (first === 0x5b || first === 0x7b ? "json" : "csv"));
    // DuckDB undoes gzip by the file name's ending; keep the URL's so `data.csv.gz` reads.
    const gz = /\.gz$/i.test(url.pathname) && !res.headers.get("content-encoding") ? ".gz" : "";
    const path = join(dir, `download.${format === "json" ? "json" : format}${gz}`);
    await fs.rename(raw, path);
    return { path, format, bytes, cleanup };
  } catch (e) {
    res?.cancel();
    await cleanup();
    throw e;
  } finally {
    clearTimeout(timeout);
  }
}

function tooLarge(shown: string, prm: Params, bytes: number): never {
  fail("too_large", `${shown} is larger than the size limit of ${prm.maxMB} MB (${(bytes / 1e6).toFixed(1)} MB or more). Raise "Size limit (MB)" if you mean to load it.`, "maxMB");
}

/** A fetch failure → cancellation, a timeout user error, or an "unreachable" user error. */
function networkError(e: unknown, shown: string, prm: Params, user: AbortSignal | undefined, timer: AbortSignal): unknown {
  if (user?.aborted) return user.reason;
  if (timer.aborted)
    return userErrorOf("timeout", `${shown} did not finish within ${prm.timeoutSeconds} seconds. Raise "Time limit (seconds)", or check that the server is up.`, "timeoutSeconds");
  const cause = (e as { cause?: { code?: string; message?: string } }).cause;
  const why = cause?.code ?? cause?.message ?? (e instanceof Error ? e.message : String(e));
  return userErrorOf("unreachable", `Could not reach ${shown} (${why}). Check the address and this computer's network connection.`, "url");
}

function userErrorOf(code: string, message: string, field: string): unknown {
  try {
    fail(code, message, field);
  } catch (e) {
    return e;
  }
}

async function fetchTable(prm: Params, ctx: ProbeContext, signal: AbortSignal | undefined, onBytes: (done: number, total: number | undefined) => void, limit?: number): Promise<{ table: Table; bytes: number; format: FileFormat }> {
  const url = checkUrl(prm.url);
  const dl = await download(url, prm, signal, onBytes);
  try {
    signal?.throwIfAborted();
    let table: Table;
    try {
      table = await ctx.runtime.tables.readFile(dl.path, { format: dl.format, nullStrings: prm.nullStrings, limit });
    } catch (e) {
      if (!isUserError(e)) throw e;
      const detail = e.message.split(dl.path).join("the download");
      fail("bad_content", `What ${url} returned could not be read as ${FORMAT_NAME[dl.format]}. ${detail}`, "format");
    }
    if (table.numRows === 0 || table.numCols === 0)
      fail("empty_download", `${url} returned no rows of data (the download is empty, or holds only column names).`, "url");
    return { table, bytes: dl.bytes, format: dl.format };
  } finally {
    await dl.cleanup();
  }
}

export default defineNode({
  kind: "sources/http",
  version: 1,
  title: "Web file (URL)",
  category: "Sources",
  description:
    "Downloads a table from a web address, such as a CSV or JSON file published online, and loads it like a file on this computer. Big downloads and slow servers are stopped by the size and time limits.",
  inputs: {},
  outputs: { table: port.table({ label: "Table" }) },
  params,
  infer: ({ params: prm }) => {
    if (prm.url.trim()) checkUrl(prm.url);
    return { table: undefined };
  },
  async probe({ params: prm, ctx }) {
    const { table } = await fetchTable(prm, ctx, undefined, () => undefined, PROBE_ROWS);
    return { table: { table: { columns: tableInfo(table).columns } } };
  },
  async run({ params: prm, ctx }) {
    ctx.progress(0.02, "Downloading");
    const { table, bytes, format } = await fetchTable(prm, ctx, ctx.signal, (done, total) => {
      // Content-Length counts compressed bytes when the server gzips: clamp, the body can outgrow it.
      ctx.progress(total ? Math.min(0.8, 0.02 + (0.78 * done) / total) : 0.4, `${(done / 1e6).toFixed(1)} MB downloaded`);
    });
    ctx.signal.throwIfAborted();
    const u = new URL(prm.url.trim());
    ctx.log(`Downloaded ${(bytes / 1e6).toFixed(2)} MB of ${FORMAT_NAME[format]} from ${u.origin}${u.pathname}: ${table.numRows} rows, ${table.numCols} columns.`);
    ctx.metric("rows", table.numRows);
    ctx.metric("bytes", bytes);
    ctx.progress(1);
    return { table };
  },
  resources: { heavy: true },
  // Outside data with no cheap identity: cached only when the user names a version in "Cache key" (a param,
  // so it is part of the cache key already).
  cacheable: (prm) => prm.cacheKey.trim() !== "",
});
