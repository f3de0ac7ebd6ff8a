/**
 * `POST /api/upload?name=<file>` (editors: the session cookie's user needs the editor role): the raw request
 * body is the file. Streams it into memory up to a size
 * limit (413 with a message past it) and hands it to `services.upload`, answering `{ path }` for a file
 * source's path field. Kept out of tRPC so large files are not JSON-encoded.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { forbiddenMessage, hasRole, SIGN_IN_MESSAGE } from "../auth/roles";
import type { AppServices } from "../engine/services";

export const DEFAULT_UPLOAD_LIMIT_BYTES = 512 * 1024 * 1024;

function send(res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}) {
  if (res.headersSent) return;
  res.writeHead(status, { "content-type": "application/json; charset=utf-8", "cache-control": "no-store", ...extra });
  res.end(JSON.stringify(body));
}

const mb = (n: number) => `${Math.round(n / (1024 * 1024))} MB`;

/** Keep a plain file name: no folders, no control characters, something left to call it. */
export function safeUploadName(raw: string | null): string | undefined {
  if (!raw) return undefined;
  const base = path.basename(raw.replace(/\\/g, "/")).replace(/[^\w.\- ()]/g, "_").trim();
  if (!base || base === "." || base === "..") return undefined;
  return base.slice(0, 180);
}

export function createUploadHandler(services: AppServices, limitBytes = DEFAULT_UPLOAD_LIMIT_BYTES) {
  return async function handleUpload(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    if (req.method !== "POST") return send(res, 405, { error: "Use POST to upload a file." }, { allow: "POST" });
    const user = await services.auth.actorFor(req.headers);
    if (!hasRole(user, "editor")) {
      send(res, user ? 403 : 401, { error: user ? forbiddenMessage(user, "editor", "Uploading a file") : SIGN_IN_MESSAGE });
      req.resume();
      return;
    }
    const name = safeUploadName(url.searchParams.get("name"));
    if (!name) return send(res, 400, { error: "Say which file this is: add ?name=<file name> to the upload URL." });
    const declared = Number(req.headers["content-length"] ?? NaN);
    const tooLarge = { error: `The file is larger than the upload limit of ${mb(limitBytes)}. Put it on the server's disk and type its path into the file field instead.` };
    if (Number.isFinite(declared) && declared > limitBytes) {
      send(res, 413, tooLarge, { connection: "close" });
      req.resume();
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    try {
      for await (const chunk of req as AsyncIterable<Buffer>) {
        size += chunk.length;
        if (size > limitBytes) {
          send(res, 413, tooLarge, { connection: "close" });
          req.destroy();
          return;
        }
        chunks.push(chunk);
      }
    } catch (e) {
      return send(res, 400, { error: `The upload was interrupted (${e instanceof Error ? e.message : String(e)}). Try again.` });
    }
    if (size === 0) return send(res, 400, { error: `"${name}" is empty. Pick a file that has data in it.` });
    try {
      const bytes = Buffer.concat(chunks, size);
      const out = await services.upload(name, new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
      send(res, 200, { path: out.path, name, size });
    } catch (e) {
      send(res, 500, { error: `Could not store "${name}": ${e instanceof Error ? e.message : String(e)}` });
    }
  };
}
