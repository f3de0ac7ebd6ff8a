/**
 * The HTTP routes Lattice serves itself (tRPC, sign-in and uploads); everything else goes to Next. Separate from
 * main.ts so tests can mount the API on a bare http.Server with fake services.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import type { AppServices } from "../engine/services";
import { isServingService } from "../serving/endpoint-service";
import { createServingHandler } from "../serving/http";
import { appRouter } from "../trpc/root";
import { createUploadHandler } from "./upload";

export interface ApiOptions {
  services: AppServices;
  examplesDir?: string;
  uploadLimitBytes?: number;
  /** Largest body of a prediction request (/api/v1/endpoints/{slug}/predict). */
  predictLimitBytes?: number;
}

/** Returns a handler that answers /api/trpc/*, /api/auth/* and /api/upload and returns false for anything else. */
export function createApiHandler(opts: ApiOptions) {
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: "/api/trpc/",
    // The session cookie's user; procedures check the role they need (server/trpc/trpc.ts).
    createContext: async ({ req }) => ({ services: opts.services, user: await opts.services.auth.actorFor(req.headers), examplesDir: opts.examplesDir }),
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") console.error(`[trpc] ${path ?? "?"}:`, error.cause ?? error);
    },
  });
  const upload = createUploadHandler(opts.services, opts.uploadLimitBytes);
  // Published endpoints' public API and /metrics (server/serving/http.ts); absent with fake services.
  const serving = isServingService(opts.services.endpoints) ? createServingHandler(opts.services.endpoints, { bodyLimitBytes: opts.predictLimitBytes }) : undefined;
  return async function handleApi(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    if (serving && (await serving(req, res))) return true;
    const url = new URL(req.url ?? "/", "http://localhost");
    const cookieRoute = url.pathname.startsWith("/api/trpc/") || url.pathname === "/api/upload";
    if (cookieRoute && req.method !== "GET" && req.method !== "HEAD" && !opts.services.auth.trustsOrigin(req.headers)) {
      res.writeHead(403, { "content-type": "application/json; charset=utf-8" });
      res.end(JSON.stringify({ error: `Refused: this request came from another site (${req.headers.origin}). Open Lattice at its own address, or set BETTER_AUTH_URL to the address people use.` }));
      req.resume();
      return true;
    }
    if (url.pathname.startsWith("/api/trpc/")) {
      trpc(req, res);
      return true;
    }
    if (url.pathname.startsWith("/api/auth/")) {
      // better-auth: sign-up, sign-in, sign-out, get-session (email + password).
      await opts.services.auth.handle(req, res);
      return true;
    }
    if (url.pathname === "/api/upload") {
      await upload(req, res, url);
      return true;
    }
    return false;
  };
}
