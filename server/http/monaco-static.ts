/**
 * Serves Monaco's own files (node_modules/monaco-editor/min/vs) under /monaco/vs/ from this origin, so the
 * code editor and its TypeScript worker load without a CDN (issue #6). Read-only, no directory listings, no
 * path outside that folder; files are versioned by the installed package, so browsers may cache them a day.
 */
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const MONACO_BASE = "/monaco/vs";

const TYPES: Record<string, string> = {
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".ttf": "font/ttf",
  ".json": "application/json",
  ".svg": "image/svg+xml",
};

/** The folder holding Monaco's `min/vs` (the package's exports do not expose it, so by path from here). */
export function monacoRoot(): string {
  return fileURLToPath(new URL("../../node_modules/monaco-editor/min/vs", import.meta.url));
}

/** Returns a handler that answers GET/HEAD /monaco/vs/* and returns false for anything else. */
export function createMonacoStatic(root = monacoRoot()) {
  return async function serveMonaco(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (!url.pathname.startsWith(`${MONACO_BASE}/`)) return false;
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.writeHead(405, { allow: "GET, HEAD" }).end();
      return true;
    }
    let rel: string;
    try {
      rel = decodeURIComponent(url.pathname.slice(MONACO_BASE.length + 1));
    } catch {
      res.writeHead(400).end();
      return true;
    }
    const file = path.resolve(root, rel);
    const type = TYPES[path.extname(file)];
    if (!file.startsWith(root + path.sep) || !type) {
      res.writeHead(404, { "content-type": "text/plain" }).end("Not found");
      return true;
    }
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) {
      res.writeHead(404, { "content-type": "text/plain" }).end("Not found");
      return true;
    }
    res.writeHead(200, { "content-type": type, "content-length": info.size, "cache-control": "public, max-age=86400", "x-content-type-options": "nosniff" });
    if (req.method === "HEAD") res.end();
    else createReadStream(file).pipe(res);
    return true;
  };
}
