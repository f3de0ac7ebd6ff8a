/**
 * The raw queue dashboard for operators (bull-board) over the pool queues, as a plain Node request handler
 * the API server mounts under an admin path. Protected by HTTP Basic auth (any user name, the password is
 * LATTICE_ADMIN_TOKEN) when a token is configured; without one, only expose it on a trusted network.
 */
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import { createBullBoard } from "@bull-board/api";
import { BullMQAdapter } from "@bull-board/api/bullMQAdapter";
import { ExpressAdapter } from "@bull-board/express";
import type { Queue } from "bullmq";

export const DASHBOARD_PATH = "/admin/queues";

export interface QueueDashboard {
  /** Handles requests under the base path; false for any other request. */
  handle(req: IncomingMessage, res: ServerResponse): boolean;
}

export function createQueueDashboard(queues: Queue[], opts: { basePath?: string; token?: string } = {}): QueueDashboard {
  const basePath = (opts.basePath ?? DASHBOARD_PATH).replace(/\/$/, "");
  const token = opts.token ?? process.env.LATTICE_ADMIN_TOKEN;
  const adapter = new ExpressAdapter().setBasePath(basePath);
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter: adapter, options: { uiConfig: { boardTitle: "Lattice queues" } } });
  const app = adapter.getRouter() as (req: IncomingMessage, res: ServerResponse) => void;

  return {
    handle(req, res) {
      const url = req.url ?? "/";
      if (url !== basePath && !url.startsWith(`${basePath}/`) && !url.startsWith(`${basePath}?`)) return false;
      if (token && !authorized(req, token)) {
        res.writeHead(401, { "www-authenticate": 'Basic realm="Lattice queues"', "content-type": "text/plain" });
        res.end("Sign in with the admin token (LATTICE_ADMIN_TOKEN) as the password.");
        return true;
      }
      // bull-board's routes are relative to the board; its pages link with the base path.
      req.url = url.slice(basePath.length) || "/";
      app(req, res);
      return true;
    },
  };
}

function authorized(req: IncomingMessage, token: string): boolean {
  const m = /^Basic (.+)$/i.exec(req.headers.authorization ?? "");
  if (!m) return false;
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
  const password = Buffer.from(decoded.slice(decoded.indexOf(":") + 1));
  const expected = Buffer.from(token);
  return password.length === expected.length && timingSafeEqual(password, expected);
}
