/**
 * A real API process for the restart tests: createAppServices (database, executor, run service with its
 * restart recovery) and the tRPC router over HTTP, without Next (no UI build needed). Requests act as a
 * signed-in admin, so the tests exercise runs, not sign-in.
 *
 *   node --import tsx test/queue/api-server.ts     (PORT, DATABASE_URL, REDIS_URL, LATTICE_* as for server/main.ts)
 *
 * LATTICE_REGISTRY_MODULE (a path) swaps the node catalogue for another registry, e.g. the stub nodes.
 */
import http from "node:http";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { createHTTPHandler } from "@trpc/server/adapters/standalone";
import type { NodeRegistry } from "../../nodes/core/registry";
import { createAppServices } from "../../server/engine/app-services";
import { appRouter } from "../../server/trpc/root";

const moduleUrl = process.env.LATTICE_REGISTRY_MODULE ? pathToFileURL(resolve(process.env.LATTICE_REGISTRY_MODULE)).href : undefined;
const registry = moduleUrl ? ((await import(moduleUrl)) as { registry: NodeRegistry }).registry : undefined;
const services = await createAppServices({ registry, registryModule: moduleUrl, threads: 1 });
const trpc = createHTTPHandler({
  router: appRouter,
  basePath: "/api/trpc/",
  createContext: () => ({ services, user: { id: "test-admin", email: "admin@example.test", role: "admin" as const } }),
  onError: ({ error, path }) => console.error(`[trpc] ${path ?? "?"}: ${error.message}`),
});
const server = http.createServer((req, res) => {
  if (req.url?.startsWith("/api/trpc/")) return trpc(req, res);
  res.writeHead(404).end();
});
server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => {
  const addr = server.address() as { port: number };
  console.log(`api ready on http://127.0.0.1:${addr.port}`);
});
process.on("SIGTERM", () => {
  server.closeAllConnections();
  server.close();
  void services.close().then(() => process.exit(0));
});
