/**
 * The HTTP routes Lattice serves itself (tRPC and uploads); everything else goes to Next. Separate from
 * main.ts so tests can mount the API on a bare http.Server with fake services.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import type { AppServices } from "../engine/services";
import { appRouter } from "../trpc/root";
import { createUploadHandler } from "./upload";

export interface ApiOptions {
  services: AppServices;
  examplesDir?: string;
  uploadLimitBytes?: number;
}

/** Returns a handler that answers /api/trpc/* and /api/upload and returns false for anything else. */
export function createApiHandler(opts: ApiOptions) {
  const trpc = createHTTPHandler({
    router: appRouter,
    basePath: "/api/trpc/",
    createContext: () => ({ services: opts.services, examplesDir: opts.examplesDir }),
    onError({ error, path }) {
      if (error.code === "INTERNAL_SERVER_ERROR") console.error(`[trpc] ${path ?? "?"}:`, error.cause ?? error);
    },
  });
  const upload = createUploadHandler(opts.services, opts.uploadLimitBytes);
  return async function handleApi(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const url = new URL(req.url ?? "/", "http://localhost");
    if (url.pathname.startsWith("/api/trpc/")) {
      trpc(req, res);
      return true;
    }
    if (url.pathname === "/api/upload") {
      await upload(req, res, url);
      return true;
    }
    return false;
  };
}
