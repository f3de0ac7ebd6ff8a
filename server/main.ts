/**
 * Lattice's one process: builds AppServices once, serves tRPC (/api/trpc, SSE subscriptions included) and
 * uploads (/api/upload) itself, and hands every other request to Next, which only renders the UI, so
 * DuckDB, TensorFlow.js and Prisma never go through Next's bundler.
 *
 *   tsx server/main.ts          production (needs `npm run build` first)
 *   tsx server/main.ts --dev    development (Next dev server with hot reload)
 *
 * Environment: PORT (3000), HOST (127.0.0.1), LATTICE_DATA_DIR, DATABASE_URL, LATTICE_UPLOAD_LIMIT_MB,
 * REDIS_URL (set: queue mode, nodes run on `npm run worker` processes; see docs/deploy.md), LATTICE_ADMIN_TOKEN,
 * BETTER_AUTH_SECRET and BETTER_AUTH_URL (sign-in; see README "Accounts and roles").
 */
import { existsSync } from "node:fs";
import http from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import next from "next";
import { createAppServices } from "./engine/app-services";
import { createApiHandler } from "./http/api";
import { createMonacoStatic } from "./http/monaco-static";

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");

function parseArgs(argv: string[]) {
  const dev = argv.includes("--dev");
  const port = Number(process.env.PORT ?? 3000);
  const host = process.env.HOST ?? "127.0.0.1";
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`PORT must be a number between 0 and 65535 (got "${process.env.PORT}").`);
    process.exit(2);
  }
  return { dev, port, host };
}

async function main() {
  const { dev, port, host } = parseArgs(process.argv.slice(2));
  process.env.NEXT_TELEMETRY_DISABLED = "1";

  if (!dev && !existsSync(path.join(root, ".next", "BUILD_ID"))) {
    console.error("Lattice has no production build of its web UI yet.\nRun `npm run build` once, then `npm start` again (or use `npm run dev` while developing).");
    process.exit(1);
  }

  const services = await createAppServices({ dataDir: process.env.LATTICE_DATA_DIR, databaseUrl: process.env.DATABASE_URL, prewarmThreads: true });
  const limitMb = Number(process.env.LATTICE_UPLOAD_LIMIT_MB ?? 512);
  const api = createApiHandler({
    services,
    examplesDir: path.join(root, "examples"),
    uploadLimitBytes: Number.isFinite(limitMb) && limitMb > 0 ? limitMb * 1024 * 1024 : undefined,
  });

  const monaco = createMonacoStatic();
  const server = http.createServer();
  const app = next({ dev, dir: root, hostname: host, port, httpServer: server });
  const handle = app.getRequestHandler();

  server.on("request", (req, res) => {
    // Queue mode: bull-board under /admin/queues (signed-in admins, or Basic auth with LATTICE_ADMIN_TOKEN when set).
    if (services.queue?.dashboard.handle(req, res)) return;
    monaco(req, res)
      .then((handled) => handled || api(req, res))
      .then((handled) => (handled ? undefined : handle(req, res)))
      .catch((e: unknown) => {
        console.error("[http]", e);
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
        res.end("Internal error");
      });
  });

  await app.prepare();
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const addr = server.address();
  const actualPort = typeof addr === "object" && addr ? addr.port : port;
  const info = services.info();
  console.log(`Lattice ${dev ? "(dev) " : ""}ready on http://${host === "0.0.0.0" ? "localhost" : host}:${actualPort}`);
  console.log(Object.entries(info).map(([k, v]) => `  ${k}: ${v}`).join("\n"));

  let closing = false;
  const shutdown = async (signal: string) => {
    if (closing) return;
    closing = true;
    console.log(`\n${signal}: shutting down…`);
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    server.close();
    server.closeAllConnections();
    try {
      await app.close();
    } catch {
      // Next's dev server may already be gone; services still need closing.
    }
    await services.close();
    process.exit(0);
  };
  process.on("SIGINT", () => void shutdown("SIGINT"));
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
}

main().catch((e: unknown) => {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exit(1);
});
