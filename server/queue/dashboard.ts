/**
 * The raw queue dashboard for operators (bull-board) over the pool queues, as a plain Node request handler
 * the API server mounts under an admin path. Open to a request with HTTP Basic auth (any user name, the password
 * is LATTICE_ADMIN_TOKEN) when a token is configured, or one that `isAdmin` accepts (the API server passes the
 * signed-in admin check); with neither configured it is open, so only expose it on a trusted network.
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

export interface QueueDashboardOptions {
  basePath?: string;
  token?: string;
  /** Also let in requests this accepts, e.g. an admin's session cookie. */
  isAdmin?: (req: IncomingMessage) => Promise<boolean>;
}

export function createQueueDashboard(queues: Queue[], opts: QueueDashboardOptions = {}): QueueDashboard {
  const basePath = (opts.basePath ?? DASHBOARD_PATH).replace(/\/$/, "");
  const token = opts.token ?? process.env.LATTICE_ADMIN_TOKEN;
  const adapter = new ExpressAdapter().setBasePath(basePath);
  createBullBoard({ queues: queues.map((q) => new BullMQAdapter(q)), serverAdapter: adapter, options: { uiConfig: { boardTitle: "Lattice queues" } } });
  const app = adapter.getRouter() as (req: IncomingMessage, res: ServerResponse) => void;

  return {
    handle(req, res) {
      const url = req.url ?? "/";
      if (url !== basePath && !url.startsWith(`${basePath}/`) && !url.startsWith(`${basePath}?`)) return false;
      void allowed(req).then(
        (ok) => {
          if (!ok) {
            res.writeHead(401, { "www-authenticate": 'Basic realm="Lattice queues"', "content-type": "text/plain" });
            res.end(opts.isAdmin ? "Sign in to Lattice as an admin, or give the admin token (LATTICE_ADMIN_TOKEN) as the password." : "Sign in with the admin token (LATTICE_ADMIN_TOKEN) as the password.");
            return;
          }
          // bull-board's routes are relative to the board; its pages link with the base path.
          req.url = url.slice(basePath.length) || "/";
          app(req, res);
        },
        (e: unknown) => {
          console.error("[queues] checking the dashboard sign-in failed:", e);
          if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" });
          res.end("Could not check who you are; try again.");
        },
      );
      return true;
    },
  };

  async function allowed(req: IncomingMessage): Promise<boolean> {
    if (!token && !opts.isAdmin) return true;
    if (token && authorized(req, token)) return true;
    return opts.isAdmin ? opts.isAdmin(req) : false;
  }
}

function authorized(req: IncomingMessage, token: string): boolean {
  const m = /^Basic (.+)$/i.exec(req.headers.authorization ?? "");
  if (!m) return false;
  const decoded = Buffer.from(m[1]!, "base64").toString("utf8");
  const password = Buffer.from(decoded.slice(decoded.indexOf(":") + 1));
  const expected = Buffer.from(token);
  return password.length === expected.length && timingSafeEqual(password, expected);
}
